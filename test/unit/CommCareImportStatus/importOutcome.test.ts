/**
 * How the wait for one import ended, turned into its outcome (importOutcome.ts): Success, Warning or Error with a
 * reason and a summary that says what to do, and the rows sent accounted for: imported, listed with their error, or
 * skipped silently.
 */
import {
	accountForRows,
	classifyImport,
	countSilentSkips,
	formatRows,
} from '../../../nodes/CommCareImportStatus/importOutcome';
import { type ImportWait, unpolledImport } from '../../../nodes/CommCareImportStatus/statusBody';
import { CREATION_OFF } from '../../../nodes/shared/wording';
import type { StatusResponse } from '../../../nodes/shared/outputContract';
import { finished, ownerError, STATUS_URL as URL, success } from '../../support/unitImportOutcomes';

describe('classifyImport', () => {
	const upload = { rowCount: 15, createNewCases: true, fileName: 'cases.xlsx' };

	it('state 2 without errors is a success with the counts and a summary', () => {
		const outcome = classifyImport(URL, upload, finished(success(12, 3)));
		expect(outcome).toMatchObject({
			outcome: 'success',
			reason: 'imported',
			status_url: URL,
			state: 2,
			percent: 100,
			created_count: 12,
			match_count: 3,
			num_chunks: 1,
			skipped_count: 0,
			errors: [],
			timedOut: false,
			polls: 3,
			waitedSeconds: 12.5,
			upload,
		});
		expect(outcome.summary).toBe('Import finished: 12 cases created, 3 updated.');
		expect(outcome).not.toHaveProperty('error');
	});

	it('state 2 with row errors is a warning naming titles and rows', () => {
		const errors = [ownerError([4, 7]), { title: 'Too Many Matches', description: 'x', column: null, rows: [9] }];
		const outcome = classifyImport(URL, upload, finished(success(9, 3, errors)));
		expect(outcome.outcome).toBe('warning');
		expect(outcome.reason).toBe('rowErrors');
		expect(outcome.errors).toEqual(errors);
		expect(outcome.skipped_count).toBe(0);
		expect(outcome.summary).toBe(
			'Import finished: 9 cases created, 3 updated, 3 rows not imported (Invalid Owner: rows 4, 7; Too Many Matches: row 9)',
		);
	});

	it('state 3 is an error whose summary is the server description', () => {
		const failed: StatusResponse = {
			state: 3,
			progress: { percent: 100 },
			result: {
				match_count: null,
				created_count: null,
				num_chunks: null,
				errors: [{ title: null, description: 'Error: Field name "type" is reserved', column: null, rows: [] }],
			},
		};
		const outcome = classifyImport(URL, upload, finished(failed, { lastPercent: 40 }));
		expect(outcome).toMatchObject({ outcome: 'error', reason: 'failed', state: 3, timedOut: false, percent: 40 });
		expect(outcome.summary).toBe(
			'Import failed: Error: Field name "type" is reserved. CommCare may have applied some rows before it failed: check the cases in CommCare (or Data → Import Cases from Excel in CommCare HQ) before sending the rows again.',
		);
		expect(outcome.errors).toEqual(failed.result!.errors);
	});

	it('a timeout is an error with timedOut, the last state and percent', () => {
		const wait: ImportWait = {
			end: { kind: 'timedOut', lastProblem: null },
			lastState: 1,
			lastPercent: 37,
			polls: 20,
			waitedSeconds: 1800,
		};
		const outcome = classifyImport(URL, upload, wait);
		expect(outcome).toMatchObject({
			outcome: 'error',
			reason: 'timedOut',
			timedOut: true,
			state: 1,
			percent: 37,
			polls: 20,
			waitedSeconds: 1800,
		});
		expect(outcome.summary).toContain(
			'Not finished yet (still running at 37% after 30 min, 20 polls) — it may still finish',
		);
	});

	it('a timeout after transient failures says what the last poll got', () => {
		const wait: ImportWait = {
			end: { kind: 'timedOut', lastProblem: 'HTTP 503, Retry-After 30 s' },
			lastState: -1,
			lastPercent: null,
			polls: 4,
			waitedSeconds: 60,
		};
		const outcome = classifyImport(URL, upload, wait);
		expect(outcome.summary).toContain(
			'(still queued after 60 s, 4 polls; last poll: HTTP 503, Retry-After 30 s) — it may still finish',
		);
	});

	it('404 says the import was not found and why that happens', () => {
		const outcome = classifyImport(URL, upload, { ...unpolledImport({ kind: 'notFound' }), polls: 1 });
		expect(outcome.outcome).toBe('error');
		expect(outcome.reason).toBe('notFound');
		expect(outcome.summary).toMatch(/^Import not found: .*unknown.*another project space.*hidden/);
	});

	it('401 and 403 say what to check', () => {
		expect(
			classifyImport(URL, upload, unpolledImport({ kind: 'denied', httpStatus: 401, message: null })).summary,
		).toMatch(/refused the credentials \(HTTP 401\)/);
		expect(
			classifyImport(URL, upload, unpolledImport({ kind: 'denied', httpStatus: 403, message: null })).summary,
		).toMatch(/HTTP 403.*Edit Data/);
		expect(classifyImport(URL, upload, unpolledImport({ kind: 'denied', httpStatus: 401, message: null })).reason).toBe(
			'denied',
		);
	});

	it('an item without a status URL keeps the upstream error and is not a bare error item', () => {
		const upstream = { error: 'Error: Your spreadsheet is empty.', fileName: 'x.xlsx' };
		const outcome = classifyImport(null, upstream, unpolledImport({ kind: 'missingStatusUrl' }));
		expect(outcome).toMatchObject({
			outcome: 'error',
			reason: 'noStatusUrl',
			status_url: null,
			state: null,
			polls: 0,
			upload: upstream,
		});
		expect(outcome.summary).toBe(
			'No status URL on this item, so there is no import to check: the upload failed upstream (Error: Your spreadsheet is empty.).',
		);
		expect(Object.keys(outcome)).not.toContain('error');
		const nested = classifyImport(
			null,
			{ error: { message: 'HTTP 500' } },
			unpolledImport({ kind: 'missingStatusUrl' }),
		);
		expect(nested.summary).toContain('(HTTP 500)');
	});

	it('a refused URL says why it was not requested', () => {
		const outcome = classifyImport(URL, upload, unpolledImport({ kind: 'refused', reason: 'other origin' }));
		expect(outcome).toMatchObject({
			outcome: 'error',
			reason: 'refused',
			polls: 0,
			summary: 'Status URL not requested: other origin',
		});
	});

	it('a status check that failed for another HTTP answer says so in its reason', () => {
		const outcome = classifyImport(
			URL,
			upload,
			unpolledImport({ kind: 'httpError', httpStatus: 500, message: 'CommCare failed (HTTP 500).' }),
		);
		expect(outcome).toMatchObject({ outcome: 'error', reason: 'statusCheckFailed' });
	});

	describe('silent skips', () => {
		it('rows neither created, matched nor listed are a warning with skipped_count and the reason', () => {
			// 10 rows sent: 4 created, 2 matched, rows 3 and 5 failed (row 5 twice) -> 2 skipped.
			const errors = [
				ownerError([3, 5]),
				{ title: 'Invalid Parent ID', description: 'x', column: 'parent_id', rows: [5] },
			];
			const outcome = classifyImport(URL, { rowCount: 10, createNewCases: false }, finished(success(4, 2, errors)));
			expect(outcome.skipped_count).toBe(2);
			expect(outcome.outcome).toBe('warning');
			// Listed rows come first in the reason; skipped_count says there were skips too.
			expect(outcome.reason).toBe('rowErrors');
			expect(outcome.summary).toContain(
				`2 rows skipped silently: CommCare skips blank rows (every mapped cell empty) without reporting them, and rows whose id matched no existing case while ${CREATION_OFF}.`,
			);
		});

		it('with creation on, blank rows are given as the reason, and multi-sheet mode as the other possible one', () => {
			const outcome = classifyImport(URL, { rowCount: 5, createNewCases: true }, finished(success(4, 0)));
			expect(outcome).toMatchObject({ outcome: 'warning', reason: 'skippedRows', skipped_count: 1 });
			expect(outcome.summary).toMatch(
				/1 row skipped silently: .*blank rows.*reporting them \(or, in multi-sheet mode, when every sheet is named like a case type of the project, rows that matched no case\)\.$/,
			);
			expect(outcome.summary).not.toContain(CREATION_OFF);
		});

		it('with creation on and a sheet the checks saw named like the case type, the reason is multi-sheet mode', () => {
			const warned = {
				rowCount: 5,
				createNewCases: true,
				warnings: [{ code: 'possibleMultiSheetMode', message: '…' }],
			};
			const outcome = classifyImport(URL, warned, finished(success(0, 1)));
			expect(outcome).toMatchObject({ outcome: 'warning', reason: 'skippedRows', skipped_count: 4 });
			expect(outcome.summary).toMatch(
				/4 rows skipped silently: the file was probably imported in multi-sheet mode \(.*\), where CommCare creates cases only when sent "True"/,
			);
			expect(outcome.summary).not.toContain('blank rows');
		});

		it('without a row count skips are unknown (null) and do not make a warning', () => {
			const outcome = classifyImport(URL, { createNewCases: true }, finished(success(4, 0)));
			expect(outcome).toMatchObject({ outcome: 'success', reason: 'imported', skipped_count: null });
		});

		it('counts above the row count are a mismatch, never a balance: no skips are invented and Success is not given', () => {
			expect(countSilentSkips(3, success(4, 1))).toBeNull();
			expect(countSilentSkips(null, success(4, 1))).toBeNull();
			expect(accountForRows(3, success(4, 1))).toEqual({
				skipped: null,
				mismatch: "CommCare's counts do not add up: 4 created + 1 updated + 0 listed is more than the 3 rows sent",
			});
			const outcome = classifyImport(URL, { rowCount: 3, createNewCases: true }, finished(success(4, 1)));
			expect(outcome).toMatchObject({ outcome: 'warning', reason: 'noCounts', skipped_count: null });
		});

		it('rows listed outside the upload (the header, or past its last row) never make the sum come out right', () => {
			// 5 rows sent: 3 created, and rows 1 and 9 "failed": 3 + 2 = 5 would balance, but neither row was sent.
			const status = success(3, 0, [{ title: 'Invalid Owner', description: 'x', column: 'owner_id', rows: [1, 9] }]);
			expect(accountForRows(5, status)).toEqual({
				skipped: null,
				mismatch:
					"CommCare's counts do not add up: rows 1, 9 listed in errors are not among the 5 data rows sent (rows 2 to 6)",
			});
			const outcome = classifyImport(URL, { rowCount: 5, createNewCases: true }, finished(status));
			expect(outcome).toMatchObject({ outcome: 'warning', reason: 'rowErrors', skipped_count: null });
			expect(outcome.summary).toContain("CommCare's counts do not add up");
		});
	});

	it('state 2 without a result is a warning, not a crash', () => {
		const outcome = classifyImport(URL, upload, finished({ state: 2, progress: null, result: null }));
		expect(outcome.outcome).toBe('warning');
		expect(outcome.reason).toBe('noCounts');
		expect(outcome.summary).toContain('reported no counts');
	});
});

describe('formatRows', () => {
	it('shortens long row lists', () => {
		expect(formatRows([7])).toBe('row 7');
		expect(formatRows([2, 3])).toBe('rows 2, 3');
		expect(formatRows(Array.from({ length: 120 }, (_, i) => i + 2))).toBe(
			'rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, … (120 rows)',
		);
	});
});
