/** How the harness finds the run JSON in `n8n execute --rawOutput` output, which mixes it with log lines. */
import { extractRunJson } from '../harness/n8n/instance';

const run = { data: { resultData: { runData: { Start: [] } } }, status: 'success' };
const pretty = JSON.stringify(run, null, 2);

describe('extractRunJson', () => {
	test('reads the run when it is the whole output', () => {
		expect(extractRunJson(pretty)).toEqual(run);
	});

	test('skips log lines before and after the run, including lines with braces and quotes', () => {
		const output = [
			'n8n Task Broker ready on 127.0.0.1, port 5679',
			'boom {with} "braces"',
			'Execution error:',
			pretty,
			'Error executing workflow. {not json',
		].join('\n');
		expect(extractRunJson(output)).toEqual(run);
	});

	test('ignores JSON objects that are not a run', () => {
		const output = `{"level":"info","message":"starting"}\n${pretty}`;
		expect(extractRunJson(output)).toEqual(run);
	});

	test('keeps braces that sit inside JSON strings of the run', () => {
		const withBraces = { data: { resultData: { error: { message: 'planned {failure} "}"' } } } };
		expect(extractRunJson(`log line\n${JSON.stringify(withBraces, null, 2)}`)).toEqual(withBraces);
	});

	test('returns undefined when no run is printed', () => {
		expect(extractRunJson('The workflow with the id "x" does not exist.')).toBeUndefined();
		expect(extractRunJson('{"data": {"resultData": ')).toBeUndefined();
	});
});
