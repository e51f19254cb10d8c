/**
 * Version 1.2's words for the records of one import (plainRecords.ts): the sheet row and case type in one short line,
 * what to do in `description`, the record's Bulk Import warnings in `warnings`, a record CommCare stores changed on
 * Warning, a record of an unfinished import on Not Finished with what checking it again needs, and the case lookup's
 * sight of another case type said in the summary.
 */
import type { IDataObject } from 'n8n-workflow';

import { classifyImport } from '../../../nodes/CommCareImportStatus/importOutcome';
import { plainImport } from '../../../nodes/CommCareImportStatus/plainImport';
import { plainRecords } from '../../../nodes/CommCareImportStatus/plainRecords';
import type { ImportWait } from '../../../nodes/CommCareImportStatus/statusBody';
import { classifyRecords } from '../../../nodes/CommCareImportStatus/recordOutcomes';
import type { RecordInput } from '../../../nodes/CommCareImportStatus/records';
import type { GroupLookup, RecordLookup } from '../../../nodes/CommCareImportStatus/caseLookup/lookupResult';
import type { CheckFinding } from '../../../nodes/shared/outputContract';
import { finished, ownerError, STATUS_URL as URL, success } from '../../support/unitImportOutcomes';
import { patient } from '../../support/unitCaseLookup';

const upload = (rowCount: number, extra: IDataObject = {}): IDataObject => ({
	caseType: 'patient',
	rowCount,
	searchField: 'external_id',
	searchColumn: 'external_id',
	createNewCases: true,
	...extra,
});

function read(
	records: IDataObject[],
	wait: ImportWait,
	settings = upload(records.length),
	lookup?: GroupLookup,
	warnings: CheckFinding[][] = [],
) {
	const inputs: RecordInput[] = records.map((record, index) => ({
		row: index + 2,
		record,
		upload: settings,
		warnings: warnings[index] ?? [],
	}));
	const classic = classifyImport(URL, settings, wait);
	return plainRecords(classifyRecords(inputs, classic, lookup), inputs, plainImport(classic, wait), lookup);
}

function lookupOf(byRow: Array<[number, RecordLookup]>): GroupLookup {
	return {
		unavailable: null,
		byRow: new Map(byRow),
		indexBehind: false,
		outOfTime: null,
		requests: 1,
		waitedSeconds: 0,
	};
}

const changedId: CheckFinding = {
	code: 'searchIdsChangedByServer',
	message: "CommCare looks rows up by their id read as a whole number: '00042' → '42' (sheet row 3, item 2)",
	column: 'external_id',
	rows: [3],
	items: [1],
};

describe('records of a finished import', () => {
	it('a row listed in errors: its sheet row, the title and column; what to do; its own entries', () => {
		const [, listed] = read([{ external_id: 'a' }, { external_id: 'b' }], finished(success(1, 0, [ownerError([3])])));
		expect(listed).toMatchObject({
			outcome: 'warning',
			reason: 'rowErrors',
			summary: 'Sheet row 3 not imported: Invalid Owner (owner_id)',
			description: 'Fix the record as errors say and send it again.',
			errors: [{ title: 'Invalid Owner', description: ownerError([]).description, column: 'owner_id' }],
			warnings: [],
		});
	});

	it('a record Bulk Import warned CommCare stores changed goes to Warning, importedWithChanges, with its case ID', () => {
		const found = patient('c-42', '00042', 10, 10);
		const lookup = lookupOf([[3, { kind: 'found', found, action: 'created' }]]);
		const [plain, changed] = read(
			[{ external_id: 'ANC-1' }, { external_id: '00042' }],
			finished(success(2, 0)),
			undefined,
			lookup,
			[[], [changedId]],
		);
		expect(plain).toMatchObject({ outcome: 'success', reason: 'imported', warnings: [] });
		expect(changed).toMatchObject({
			outcome: 'warning',
			reason: 'importedWithChanges',
			summary: "Sheet row 3 imported with a change: its ID '00042' is looked up as '42'",
			case_id: 'c-42',
			warnings: [changedId],
			errors: [],
		});
	});

	it('a warning that changes nothing stored travels, but leaves the record on Success', () => {
		const blankName: CheckFinding = { code: 'blankNames', message: "Sheet row 2 (item 1) has no 'name'", items: [0] };
		const [record] = read([{ external_id: 'a', name: '' }], finished(success(1, 0)), undefined, undefined, [
			[blankName],
		]);
		expect(record).toMatchObject({ outcome: 'success', reason: 'imported', warnings: [blankName] });
		expect(record.summary).toBe('Sheet row 2 imported: patient case created or updated');
	});

	it("the import it belongs to keeps its figures and summary, but no outcome or reason that could read as the record's", () => {
		const [record] = read([{ external_id: 'a' }, { external_id: 'b' }], finished(success(1, 0, [ownerError([3])])));
		expect(record.import).toMatchObject({
			state: 2,
			created_count: 1,
			timedOut: false,
			polls: 3,
			summary: expect.stringMatching(/^1 patient case created/),
		});
		expect(record.import).not.toHaveProperty('outcome');
		expect(record.import).not.toHaveProperty('reason');
		expect(record.import).not.toHaveProperty('description');
	});

	it('blank rows and rows without a case ID are skipped, each saying why and what to do', () => {
		const byCaseId = upload(2, { searchField: 'case_id', searchColumn: 'case_id', createNewCases: false });
		const [blank, noId] = read(
			[
				{ case_id: 'x', name: '' },
				{ case_id: '', name: 'B' },
			],
			finished(success(0, 0)),
			byCaseId,
		);
		expect(blank).toMatchObject({ reason: 'skippedRows', summary: 'Sheet row 2 skipped: blank row' });
		expect(noId).toMatchObject({ reason: 'skippedRows', summary: 'Sheet row 3 skipped: no case ID' });
		expect(noId.description).toMatch(/^Matching by case ID while .* fill in 'case_id', or /);
	});
});

describe('another case type seen by the case lookup', () => {
	it('matching by case_id: a case of another type was no match, and the summary asks about Case Type', () => {
		const settings = upload(1, { searchField: 'case_id', searchColumn: 'case_id', createNewCases: false });
		const home = patient('h-1', '', 0, 0, 'household');
		const [skipped] = read(
			[{ case_id: 'h-1', name: 'A' }],
			finished(success(0, 0)),
			settings,
			lookupOf([[2, { kind: 'otherCaseType', found: home }]]),
		);
		expect(skipped).toMatchObject({
			outcome: 'warning',
			reason: 'notMatched',
			summary:
				'Sheet row 2 skipped: its case_id belongs to a household case, not a patient case; was Case Type meant to be household?',
		});
		// With creation on, CommCare made a new case instead.
		const [created] = read(
			[{ case_id: 'h-1', name: 'A' }],
			finished(success(1, 0)),
			{ ...settings, createNewCases: true },
			lookupOf([[2, { kind: 'otherCaseType', found: home }]]),
		);
		expect(created).toMatchObject({ outcome: 'success', reason: 'imported' });
		expect(created.summary).toBe(
			'Sheet row 2 imported as a new patient case: its case_id belongs to a household case; was Case Type meant to be household?',
		);
	});

	it('matching by external_id: said when the lookup saw it, not otherwise', () => {
		const settings = upload(2, { createNewCases: false });
		const facts: Array<[number, RecordLookup]> = [
			[2, { kind: 'notFound', by: 'external_id', id: 'HH-1', otherCaseType: 'household' }],
			[3, { kind: 'notFound', by: 'external_id', id: 'nobody' }],
		];
		const [other, none] = read(
			[{ external_id: 'HH-1' }, { external_id: 'nobody' }],
			finished(success(0, 0)),
			settings,
			lookupOf(facts),
		);
		expect(other.summary).toBe(
			"Sheet row 2 skipped: external_id 'HH-1' belongs to a household case, not a patient case; was Case Type meant to be household?",
		);
		expect(none.summary).toBe("Sheet row 3 skipped: no patient case has external_id 'nobody'");
	});
});

describe('records of an import not finished by the deadline', () => {
	const wait: ImportWait = {
		end: { kind: 'timedOut', lastProblem: null },
		lastState: -1,
		lastPercent: null,
		polls: 1,
		waitedSeconds: 0,
	};

	it('go to Not Finished, with nothing in errors, and keep their upload and warnings to be checked again', () => {
		const settings = upload(1);
		const [record] = read([{ external_id: '00042' }], wait, settings, undefined, [[changedId]]);
		expect(record).toMatchObject({
			outcome: 'notFinished',
			reason: 'notFinished',
			summary: 'Sheet row 2 not finished yet: queued in CommCare (checked once)',
			errors: [],
			warnings: [changedId],
			upload: settings,
		});
		expect(record.description).toMatch(/^It may still finish: do not send these rows again yet\./);
	});

	it("a failed import: every record on Error, saying it may not have been imported, with the import's entries", () => {
		const errors = [{ title: null, description: 'Error: Field name "type" is reserved', column: null, rows: [] }];
		const failed = finished({
			state: 3,
			progress: null,
			result: { created_count: null, match_count: null, num_chunks: null, errors },
		});
		const [record] = read([{ external_id: 'a' }], failed);
		expect(record).toMatchObject({
			outcome: 'error',
			reason: 'failed',
			summary: 'Sheet row 2 may not have been imported: the import of patient cases failed',
			errors: [{ title: null, description: 'Error: Field name "type" is reserved', column: null }],
		});
		expect(record).not.toHaveProperty('upload');
	});
});
