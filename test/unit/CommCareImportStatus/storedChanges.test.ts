/**
 * A record CommCare stores other than it reads (storedChanges.ts): only the findings in CHANGES_STORED_DATA count,
 * and the summary names the change in a few words about this record.
 */
import type { IDataObject } from 'n8n-workflow';

import type { RecordInput } from '../../../nodes/CommCareImportStatus/records';
import { changesSummary, changeInWords, storedChanges } from '../../../nodes/CommCareImportStatus/storedChanges';
import { CHANGES_STORED_DATA, type CheckCode, type CheckFinding } from '../../../nodes/shared/outputContract';

const finding = (code: CheckCode, column?: string): CheckFinding => ({
	code,
	message: `${code} message`,
	...(column ? { column } : {}),
});
const input = (record: IDataObject, warnings: CheckFinding[] = []): RecordInput => ({
	row: 4,
	record,
	upload: { searchField: 'external_id', searchColumn: 'external_id' },
	warnings,
});

describe('stored changes', () => {
	it('are the warnings whose code is in CHANGES_STORED_DATA, and no others', () => {
		const warnings = [
			finding('blankNames', 'name'),
			finding('searchIdsChangedByServer', 'external_id'),
			finding('nameTooLong', 'name'),
		];
		expect(storedChanges(input({}, warnings)).map((w) => w.code)).toEqual(['searchIdsChangedByServer']);
		expect(storedChanges({ ...input({}), warnings: undefined })).toEqual([]);
	});

	it('every code in CHANGES_STORED_DATA has words of its own, not the finding message', () => {
		const record = { external_id: '00042', close: 'true', village: '---', date_opened: '2026-01-01' };
		for (const code of CHANGES_STORED_DATA) {
			expect(changeInWords(finding(code, code === 'closeValueNotYes' ? 'close' : 'village'), input(record))).not.toBe(
				`${code} message`,
			);
		}
	});

	it.each([
		[finding('searchIdsChangedByServer', 'external_id'), "its ID '00042' is looked up as '42'"],
		[finding('closeValueNotYes', 'close'), "'close' is 'true', not 'yes', so the case is not closed"],
		[finding('blankMarkerValues', 'village'), "'---' in 'village' is stored as an empty value"],
		[
			finding('unstorableCharactersDropped', 'village'),
			"characters no spreadsheet can store were left out of 'village'",
		],
		[
			finding('duplicateExternalIds', 'external_id'),
			"another sheet row has the same ID in 'external_id', so one updates the other's case",
		],
	])('%j: %s', (change, words) => {
		expect(changeInWords(change, input({ external_id: '00042', close: 'true', village: '---' }))).toBe(words);
	});

	it('the summary names the sheet row and the first change, and counts the others', () => {
		const record = input({ external_id: '00042', close: 'true' });
		const one = [finding('searchIdsChangedByServer', 'external_id')];
		expect(changesSummary(one, record)).toBe("Sheet row 4 imported with a change: its ID '00042' is looked up as '42'");
		expect(changesSummary([...one, finding('closeValueNotYes', 'close')], record)).toBe(
			"Sheet row 4 imported with changes: its ID '00042' is looked up as '42' (and 1 more)",
		);
	});
});
