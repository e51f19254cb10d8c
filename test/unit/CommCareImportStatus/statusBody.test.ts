/**
 * Reading an import's status body (statusBody.ts): the importer's states by name, a strict parse that says what
 * is wrong with a body that is not a status instead of throwing, and the reader the polling loop waits with.
 */
import {
	isTerminalState,
	parseStatusBody,
	readImportStatus,
	stateName,
} from '../../../nodes/CommCareImportStatus/statusBody';
import { ownerError, success } from '../../support/unitImportOutcomes';

describe('state names', () => {
	it('names the importer states, -1 and 0 being queued', () => {
		expect([-1, 0, 1, 2, 3, 7].map(stateName)).toEqual([
			'queued',
			'queued',
			'running',
			'finished',
			'failed',
			'unknown',
		]);
		expect([-1, 0, 1, 2, 3, 7].map(isTerminalState)).toEqual([false, false, false, true, true, false]);
	});
});

describe('parseStatusBody', () => {
	it('accepts the documented queued, running and finished bodies', () => {
		expect(parseStatusBody({ state: -1, progress: { percent: null }, result: null })).toEqual({
			ok: true,
			status: { state: -1, progress: { percent: null }, result: null },
			problem: null,
		});
		expect(parseStatusBody('{"state": 1, "progress": {"percent": 37}, "result": null}')).toEqual({
			ok: true,
			status: { state: 1, progress: { percent: 37 }, result: null },
			problem: null,
		});
		const body = Buffer.from(JSON.stringify(success(12, 3, [ownerError([4, 7])])));
		expect(parseStatusBody(body)).toEqual({ ok: true, status: success(12, 3, [ownerError([4, 7])]), problem: null });
	});

	it('tolerates missing or null progress, null counts, "" columns and string row numbers', () => {
		const parsed = parseStatusBody({
			state: 3,
			result: {
				match_count: null,
				created_count: null,
				num_chunks: null,
				errors: [{ title: null, description: "'case_id'", column: '', rows: ['4', 5, 'x'] }],
			},
		});
		expect(parsed).toEqual({
			ok: true,
			status: {
				state: 3,
				progress: null,
				result: {
					match_count: null,
					created_count: null,
					num_chunks: null,
					errors: [{ title: null, description: "'case_id'", column: null, rows: [4, 5] }],
				},
			},
			problem: null,
		});
		expect(parseStatusBody({ state: 1, progress: null, result: null })).toMatchObject({
			ok: true,
			status: { progress: null },
		});
	});

	it('reports truncated JSON, HTML pages, empty bodies and bodies without a state as problems instead of throwing', () => {
		const cases: unknown[] = [
			'{"state": 2, "progress": {"perc',
			'<!DOCTYPE html><html>Server Error</html>',
			'',
			'  ',
			[1],
			{ progress: null },
			null,
			42,
		];
		for (const body of cases) {
			const parsed = parseStatusBody(body);
			expect(parsed.ok).toBe(false);
		}
		// Markup is never quoted (a login page's text is not the user's business, and may echo what it was sent).
		expect(parseStatusBody('<html><body>Login</body></html>')).toEqual({
			ok: false,
			problem: 'the status response was markup (a web page or XML), not JSON',
		});
		expect(parseStatusBody('Service temporarily down')).toEqual({
			ok: false,
			problem: 'the status response was not JSON (it starts "Service temporarily down")',
		});
	});

	it('reads counts given as numeric strings', () => {
		const parsed = parseStatusBody({
			state: 2,
			progress: { percent: '0' },
			result: { match_count: '3', created_count: ' 12 ', num_chunks: '1', errors: [] },
		});
		expect(parsed).toEqual({ ok: true, status: success(12, 3), problem: null });
	});

	it.each<[string, unknown, string]>([
		[
			'a count that is not a number',
			{ match_count: 'three', created_count: 1, num_chunks: 1, errors: [] },
			'"match_count" is "three"',
		],
		['a negative count', { match_count: -1, created_count: 1, num_chunks: 1, errors: [] }, '"match_count" is -1'],
		[
			'errors that is not a list',
			{ match_count: 0, created_count: 1, num_chunks: 1, errors: { rows: [2] } },
			'"errors" is an object, not a list',
		],
		[
			'errors holding text',
			{ match_count: 0, created_count: 1, num_chunks: 1, errors: ['Invalid Owner'] },
			'"errors" holds entries that are not objects',
		],
	])('names what it cannot read in a result: %s', (_label, result, problem) => {
		const parsed = parseStatusBody({ state: 2, progress: { percent: 0 }, result });
		expect(parsed.ok && parsed.problem).toBe(problem);
	});
});

describe('readImportStatus (what the polling loop learns from a body)', () => {
	const read = (state: number, percent: number | null) =>
		readImportStatus({ state, progress: percent === null ? null : { percent }, result: null });

	it('moves on the state and the reported percent; only a running percent (or 100 once done) is progress', () => {
		expect(read(-1, null)).toMatchObject({ ok: true, state: -1, percent: null, progress: null, finished: false });
		expect(read(0, 5)).toMatchObject({ state: 0, percent: 5, progress: null, finished: false });
		expect(read(1, 37)).toMatchObject({ state: 1, percent: 37, progress: 37, finished: false });
		expect(read(1, null)).toMatchObject({ state: 1, percent: null, progress: null, finished: false });
		expect(read(2, 0)).toMatchObject({ state: 2, percent: 0, progress: 100, finished: true });
		expect(read(3, 60)).toMatchObject({ state: 3, percent: 60, progress: null, finished: true });
		expect(read(7, null)).toMatchObject({ state: 7, progress: null, finished: false });
	});

	it('hands on the parsed status and what of it could not be read', () => {
		const body = {
			state: 2,
			progress: null,
			result: { match_count: 'x', created_count: 1, num_chunks: 1, errors: [] },
		};
		const reading = readImportStatus(body);
		const parsed = parseStatusBody(body);
		expect(parsed.ok).toBe(true);
		expect(reading).toMatchObject({
			ok: true,
			status: parsed.ok ? parsed.status : null,
			problem: '"match_count" is "x"',
		});
	});

	it('passes a body that is not a status on as a problem, as the parse words it', () => {
		expect(readImportStatus('<html>')).toEqual({
			ok: false,
			problem: 'the status response was markup (a web page or XML), not JSON',
		});
	});
});
