import fc from 'fast-check';
import type { IDataObject } from 'n8n-workflow';

import {
	classifyImport,
	accountForRows,
	countSilentSkips,
	formatRows,
} from '../../nodes/CommCareImportStatus/importOutcome';
import { unpolled, type WaitResult } from '../../nodes/CommCareImportStatus/polling';
import { certainSkipReason, isRecordItem, type RecordInput } from '../../nodes/CommCareImportStatus/records';
import { classifyRecords } from '../../nodes/CommCareImportStatus/recordOutcomes';
import { routeToOutputs } from '../../nodes/CommCareImportStatus/routing';
import { isTerminalState, parseStatusBody, stateName } from '../../nodes/CommCareImportStatus/statusBody';
import type { RowErrorEntry, StatusResponse } from '../../nodes/shared/outputContract';
import { CREATION_OFF } from '../../nodes/shared/wording';

const URL = 'https://www.commcarehq.org/a/demo/importer/history/uploads/3c0b2a3e/status';

function finished(status: StatusResponse, extra: Partial<WaitResult> = {}): WaitResult {
	return {
		end: { kind: 'finished', status },
		lastState: status.state,
		lastPercent: 100,
		polls: 3,
		waitedSeconds: 12.5,
		...extra,
	};
}

function success(created: number, matched: number, errors: RowErrorEntry[] = []): StatusResponse {
	return {
		state: 2,
		progress: { percent: 0 },
		result: { created_count: created, match_count: matched, num_chunks: 1, errors },
	};
}

const ownerError = (rows: number[]): RowErrorEntry => ({
	title: 'Invalid Owner',
	description: 'Owners were provided in the mapping but there were errors when uploading because of these values.',
	column: 'owner_id',
	rows,
});

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
		const wait: WaitResult = {
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
		const wait: WaitResult = {
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
		const outcome = classifyImport(URL, upload, { ...unpolled({ kind: 'notFound' }), polls: 1 });
		expect(outcome.outcome).toBe('error');
		expect(outcome.reason).toBe('notFound');
		expect(outcome.summary).toMatch(/^Import not found: .*unknown.*another project space.*hidden/);
	});

	it('401 and 403 say what to check', () => {
		expect(classifyImport(URL, upload, unpolled({ kind: 'denied', httpStatus: 401, message: null })).summary).toMatch(
			/refused the credentials \(HTTP 401\)/,
		);
		expect(classifyImport(URL, upload, unpolled({ kind: 'denied', httpStatus: 403, message: null })).summary).toMatch(
			/HTTP 403.*Edit Data/,
		);
		expect(classifyImport(URL, upload, unpolled({ kind: 'denied', httpStatus: 401, message: null })).reason).toBe(
			'denied',
		);
	});

	it('an item without a status URL keeps the upstream error and is not a bare error item', () => {
		const upstream = { error: 'Error: Your spreadsheet is empty.', fileName: 'x.xlsx' };
		const outcome = classifyImport(null, upstream, unpolled({ kind: 'missingStatusUrl' }));
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
		const nested = classifyImport(null, { error: { message: 'HTTP 500' } }, unpolled({ kind: 'missingStatusUrl' }));
		expect(nested.summary).toContain('(HTTP 500)');
	});

	it('a refused URL says why it was not requested', () => {
		const outcome = classifyImport(URL, upload, unpolled({ kind: 'refused', reason: 'other origin' }));
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
			unpolled({ kind: 'httpError', httpStatus: 500, message: 'CommCare failed (HTTP 500).' }),
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

describe('per-record classification', () => {
	const uploadSettings = (rowCount: number, extra: IDataObject = {}) => ({
		rowCount,
		searchField: 'case_id',
		searchColumn: 'case_id',
		createNewCases: true,
		...extra,
	});
	const records = (rows: IDataObject[], upload: IDataObject): RecordInput[] =>
		rows.map((record, index) => ({ row: index + 2, record, upload }));

	it('recognises record items', () => {
		expect(isRecordItem({ row: 2, record: {}, status_url: URL })).toBe(true);
		expect(isRecordItem({ status_url: URL, rowCount: 3 })).toBe(false);
	});

	it('a listed row is a warning (rowErrors) carrying only its own entries; the others succeed', () => {
		const upload = uploadSettings(4);
		const input = records([{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }], upload);
		const errors = [
			ownerError([3, 5]),
			{ title: 'Invalid Parent ID', description: 'p', column: 'parent_id', rows: [5] },
		];
		const outcome = classifyImport(URL, upload, finished(success(2, 0, errors)));
		const results = classifyRecords(input, outcome);
		expect(results.map((r) => [r.row, r.outcome, r.reason])).toEqual([
			[2, 'success', 'imported'],
			[3, 'warning', 'rowErrors'],
			[4, 'success', 'imported'],
			[5, 'warning', 'rowErrors'],
		]);
		expect(results[1].errors).toEqual([
			{ title: 'Invalid Owner', description: ownerError([]).description, column: 'owner_id' },
		]);
		expect(results[3].errors.map((e) => e.title)).toEqual(['Invalid Owner', 'Invalid Parent ID']);
		expect(results[1].summary).toBe('Row 3 not imported: Invalid Owner');
		expect(results[0]).toMatchObject({ status_url: URL, record: { name: 'a' }, errors: [] });
		expect(results[0].import).toMatchObject({ outcome: 'warning', created_count: 2, state: 2 });
		expect(results[0].import).not.toHaveProperty('errors');
	});

	it('a whole-import failure is an error for every record, with the server description', () => {
		const upload = uploadSettings(2);
		const failed: StatusResponse = {
			state: 3,
			progress: { percent: 100 },
			result: {
				match_count: null,
				created_count: null,
				num_chunks: null,
				errors: [{ title: null, description: "'case_id'", column: null, rows: [] }],
			},
		};
		const results = classifyRecords(
			records([{ name: 'a' }, { name: 'b' }], upload),
			classifyImport(URL, upload, finished(failed)),
		);
		expect(results.map((r) => [r.outcome, r.reason])).toEqual([
			['error', 'failed'],
			['error', 'failed'],
		]);
		expect(results[0].errors).toEqual([{ title: null, description: "'case_id'", column: null }]);
		expect(results[0].summary).toBe(
			"Row 2 may not have been imported: Import failed: 'case_id'. CommCare may have applied some rows before it failed: check the cases in CommCare (or Data → Import Cases from Excel in CommCare HQ) before sending the rows again.",
		);
	});

	it('a timed-out import is an error for every record, marked timedOut in its import', () => {
		const upload = uploadSettings(1);
		const outcome = classifyImport(URL, upload, {
			end: { kind: 'timedOut', lastProblem: null },
			lastState: 1,
			lastPercent: 50,
			polls: 3,
			waitedSeconds: 60,
		});
		const [result] = classifyRecords(records([{ name: 'a' }], upload), outcome);
		expect(result).toMatchObject({
			outcome: 'error',
			reason: 'timedOut',
			import: { timedOut: true, state: 1, percent: 50 },
		});
		expect(result.errors).toEqual([{ title: 'Import not completed', description: outcome.summary, column: null }]);
	});

	it('state 2 without counts: every record is a warning whose reason is noCounts', () => {
		const upload = uploadSettings(2);
		const outcome = classifyImport(URL, upload, finished({ state: 2, progress: null, result: null }));
		const results = classifyRecords(records([{ name: 'a' }, { name: 'b' }], upload), outcome);
		expect(results.map((r) => [r.outcome, r.reason])).toEqual([
			['warning', 'noCounts'],
			['warning', 'noCounts'],
		]);
	});

	it('when the counts show k skips and exactly k records are blank, those are warnings and the rest succeed', () => {
		const upload = uploadSettings(4);
		const input = records(
			[{ case_id: 'abc', name: '', owner_id: null }, { name: 'b' }, { case_id: '', name: '' }, { name: 'd' }],
			upload,
		);
		const results = classifyRecords(input, classifyImport(URL, upload, finished(success(2, 0))));
		expect(results.map((r) => r.outcome)).toEqual(['warning', 'success', 'warning', 'success']);
		expect(results.map((r) => r.reason)).toEqual(['skippedRows', 'imported', 'skippedRows', 'imported']);
		expect(results[0].summary).toMatch(/^Row 2 skipped silently: blank row/);
	});

	it('when the records cannot account for the skips, every unlisted record is "imported or skipped"', () => {
		const upload = uploadSettings(3, { createNewCases: false });
		const input = records(
			[
				{ case_id: 'x1', name: 'a' },
				{ case_id: 'x2', name: 'b' },
				{ case_id: 'x3', name: 'c' },
			],
			upload,
		);
		const errors = [ownerError([4])];
		const results = classifyRecords(input, classifyImport(URL, upload, finished(success(0, 1, errors))));
		expect(results.map((r) => r.outcome)).toEqual(['warning', 'warning', 'warning']);
		expect(results.map((r) => r.reason)).toEqual(['importedOrSkipped', 'importedOrSkipped', 'rowErrors']);
		expect(results[0].summary).toMatch(
			/^Row 2 imported or skipped: CommCare's counts show 1 row of this upload skipped silently/,
		);
	});

	it('an empty case_id with creation off is a certain skip; with external_id matching the search column counts as mapped', () => {
		const caseIdOff = { searchField: 'case_id', searchColumn: 'case_id', createNewCases: false };
		expect(certainSkipReason({ row: 2, record: { case_id: '', name: 'a' }, upload: caseIdOff })).toMatch(
			/empty "case_id"/,
		);
		expect(certainSkipReason({ row: 2, record: { case_id: 'c1', name: 'a' }, upload: caseIdOff })).toBeNull();
		const external = { searchField: 'external_id', searchColumn: 'ext', createNewCases: true };
		expect(certainSkipReason({ row: 2, record: { ext: 'E1', name: '' }, upload: external })).toBeNull();
		expect(certainSkipReason({ row: 2, record: { ext: '', name: '' }, upload: external })).toMatch(/^blank row/);
	});

	it('every record gets exactly one outcome, and listed rows get exactly their entries (randomised)', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 1, max: 40 }).chain((count) =>
					fc.record({
						count: fc.constant(count),
						failing: fc.subarray(Array.from({ length: count }, (_, i) => i + 2)),
						secondTitle: fc.subarray(Array.from({ length: count }, (_, i) => i + 2)),
						blanks: fc.subarray(Array.from({ length: count }, (_, i) => i)),
					}),
				),
				({ count, failing, secondTitle, blanks }) => {
					const upload = uploadSettings(count);
					const blankSet = new Set(blanks);
					const input = records(
						Array.from({ length: count }, (_, i) =>
							blankSet.has(i) ? { case_id: '', name: '' } : { case_id: '', name: `n${i}` },
						),
						upload,
					);
					const errors = [
						ownerError(failing),
						{ title: 'Invalid Parent ID', description: 'p', column: 'parent_id', rows: secondTitle },
					].filter((e) => e.rows.length > 0);
					const listed = new Set([...failing, ...secondTitle]);
					const blankUnlisted = input.filter((r) => blankSet.has(r.row - 2) && !listed.has(r.row)).length;
					const imported = count - listed.size - blankUnlisted;
					const outcome = classifyImport(URL, upload, finished(success(imported, 0, errors)));
					const results = classifyRecords(input, outcome);
					expect(results).toHaveLength(count);
					expect(results.map((r) => r.row)).toEqual(input.map((r) => r.row));
					for (const result of results) {
						const row = result.row as number;
						const expectedTitles = [
							failing.includes(row) ? 'Invalid Owner' : null,
							secondTitle.includes(row) ? 'Invalid Parent ID' : null,
						].filter(Boolean);
						expect(result.errors.map((e) => e.title)).toEqual(expectedTitles);
						if (listed.has(row)) expect([result.outcome, result.reason]).toEqual(['warning', 'rowErrors']);
						else if (blankSet.has(row - 2)) expect([result.outcome, result.reason]).toEqual(['warning', 'skippedRows']);
						else expect([result.outcome, result.reason]).toEqual(['success', 'imported']);
					}
				},
			),
			{ numRuns: 200 },
		);
	});
});

describe('routeToOutputs', () => {
	it('puts each outcome on its output in input order, paired with its input item', () => {
		const make = (outcome: 'success' | 'warning' | 'error') => ({
			...classifyImport(URL, {}, unpolled({ kind: 'notFound' })),
			outcome,
		});
		const outputs = routeToOutputs([
			{ itemIndex: 2, json: make('error') },
			{ itemIndex: 0, json: make('success') },
			{ itemIndex: 1, json: make('warning') },
			{ itemIndex: 3, json: make('success') },
		]);
		expect(outputs.map((items) => items.map((item) => item.pairedItem))).toEqual([
			[{ item: 0 }, { item: 3 }],
			[{ item: 1 }],
			[{ item: 2 }],
		]);
	});
});
