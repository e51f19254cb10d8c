/** From CommCare's answer to an outcome (outcomes.ts): its code decides, and rows read back can turn Success to Warning. */
import { outcomeOfAnswer, readBackWarnings } from '../../../nodes/CommCareLookupTableImport/outcomes';
import type { LookupTableResultJson } from '../../../nodes/CommCareLookupTableImport/results';
import type { TableChanges } from '../../../nodes/CommCareLookupTableImport/changes/diff';

const base = (overrides: Partial<LookupTableResultJson> = {}): LookupTableResultJson => ({
	outcome: 'success',
	reason: 'uploaded',
	message: '',
	projectSpace: 'demo',
	tables: ['facility'],
	replace: false,
	dryRun: false,
	rowsSent: 2,
	changes: null,
	rowsAfter: null,
	commcare: null,
	warnings: [],
	errors: [],
	fileName: 'lookup-table.xlsx',
	...overrides,
});

describe('outcomeOfAnswer', () => {
	test('code 200: Success', () => {
		const result = outcomeOfAnswer(base(), {
			kind: 'processed',
			code: 200,
			message: 'Successfully uploaded 1 tables.',
		});
		expect(result).toMatchObject({ outcome: 'success', reason: 'uploaded', message: 'Uploaded facility' });
	});

	test("code 405: Error, refused, with CommCare's message", () => {
		const message =
			'Please fix the following formatting issues in your Excel file: Workbook does not contain a sheet called types';
		const result = outcomeOfAnswer(base(), { kind: 'processed', code: 405, message });
		expect(result).toMatchObject({ outcome: 'error', reason: 'refused', commcare: { code: 405, message } });
		expect(result.message).toBe(`CommCare refused the workbook (code 405): ${message}`);
	});

	test('code 402: Warning, one finding per problem CommCare lists', () => {
		const message = [
			'Successfully uploaded 1 tables.',
			'However, we ran into the following problems:',
			"Unknown user: 'ghost'. But the row is successfully added",
			"Unknown location: 'mars'. But the row is successfully added",
		].join('\n');
		const result = outcomeOfAnswer(base(), { kind: 'processed', code: 402, message });
		expect(result.outcome).toBe('warning');
		expect(result.warnings.map((warning) => warning.message)).toEqual([
			"Unknown user: 'ghost'. But the row is successfully added",
			"Unknown location: 'mars'. But the row is successfully added",
		]);
	});

	test('code 200 with warnings of the checks: Warning, the first named', () => {
		const warnings = [
			{ code: 'valuesTrimmed', message: 'Values of name will be trimmed' },
		] as LookupTableResultJson['warnings'];
		const result = outcomeOfAnswer(base({ warnings }), { kind: 'processed', code: 200, message: '' });
		expect(result).toMatchObject({ outcome: 'warning', reason: 'uploadedWithWarnings' });
		expect(result.message).toContain('Values of name will be trimmed');
	});
});

describe('readBackWarnings', () => {
	const changes = [{ table: 'facility', rowsAfter: 10 } as TableChanges];

	test('the rows read back are what the upload should leave: unchanged', () => {
		const result = base({ changes, rowsAfter: { facility: 10 } });
		expect(readBackWarnings(result)).toBe(result);
	});

	test('they differ: Warning, saying both counts', () => {
		const result = readBackWarnings(base({ changes, rowsAfter: { facility: 12 } }));
		expect(result).toMatchObject({ outcome: 'warning', reason: 'uploadedWithWarnings' });
		expect(result.warnings[0]).toMatchObject({
			code: 'rowCountDiffers',
			message: "Table 'facility' holds 12 rows after the upload; 10 were expected",
		});
	});

	test('an Error stays an Error, and unknown counts say nothing', () => {
		const failed = base({ outcome: 'error', reason: 'failed', changes, rowsAfter: { facility: 3 } });
		expect(readBackWarnings(failed)).toBe(failed);
		const unknown = base({ changes, rowsAfter: { facility: null } });
		expect(readBackWarnings(unknown)).toBe(unknown);
	});
});
