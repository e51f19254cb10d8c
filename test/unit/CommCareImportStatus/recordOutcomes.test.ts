/**
 * Per-record mode (recordOutcomes.ts): one import's outcome turned into one outcome per record of that upload; a
 * listed row gets exactly its own errors, and silent skips go to the records that certainly explain them.
 */
import fc from 'fast-check';
import type { IDataObject } from 'n8n-workflow';

import { classifyImport } from '../../../nodes/CommCareImportStatus/importOutcome';
import { certainSkipReason, isRecordItem, type RecordInput } from '../../../nodes/CommCareImportStatus/records';
import { classifyRecords } from '../../../nodes/CommCareImportStatus/recordOutcomes';
import type { StatusResponse } from '../../../nodes/shared/outputContract';
import { finished, ownerError, STATUS_URL as URL, success } from '../../support/unitImportOutcomes';

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
