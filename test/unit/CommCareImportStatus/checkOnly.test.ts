/**
 * A dry run downstream (checkOnly.ts): its items are checks, never failures. Success only when the checks found
 * nothing for the item and it would be sent; Warning otherwise; the findings where the dry run put them.
 */
import type { IDataObject } from 'n8n-workflow';

import { checkOnlyOutcome, isCheckOnlyOutcome, isDryRunItem } from '../../../nodes/CommCareImportStatus/checkOnly';
import type { CheckFinding } from '../../../nodes/shared/outputContract';

const UPLOAD: IDataObject = { projectSpace: 'demo', caseType: 'patient', fileName: 'cases.xlsx', rowCount: 4 };
const blankName: CheckFinding = {
	code: 'blankNames',
	message: "Sheet row 3 (item 2) has no 'name'",
	rows: [3],
	items: [1],
};
const missing: CheckFinding = { code: 'missingField', message: "Item 2 has no field 'village'", items: [1] };

const dryUpload = (extra: IDataObject = {}): IDataObject => ({
	dryRun: true,
	wouldUpload: true,
	checked: true,
	...UPLOAD,
	errors: [],
	warnings: [],
	...extra,
});

const dryRecord = (extra: IDataObject = {}): IDataObject => ({
	dryRun: true,
	wouldUpload: true,
	checked: true,
	row: 3,
	record: { name: '', village: 'Kisumu' },
	upload: UPLOAD,
	errors: [],
	warnings: [],
	...extra,
});

describe('a dry run upload item', () => {
	it('nothing found and it would be sent: Warning all the same (nothing is in CommCare), reason checkOnly, naming the rows and case type', () => {
		expect(checkOnlyOutcome(dryUpload())).toMatchObject({
			outcome: 'warning',
			reason: 'checkOnly',
			summary: 'Check only, nothing uploaded: 4 sheet rows for patient cases passed the checks',
			description: `Nothing is in CommCare yet. Turn off "Check Only, Don't Upload" in CommCare Bulk Import to upload.`,
			status_url: null,
			errors: [],
			warnings: [],
			created_count: null,
			polls: 0,
		});
	});

	it('warnings only: Warning, it would be sent; the warnings in warnings', () => {
		const json = checkOnlyOutcome(dryUpload({ warnings: [blankName] }));
		expect(json).toMatchObject({ outcome: 'warning', reason: 'checkOnly', warnings: [blankName], errors: [] });
		expect(json.summary).toBe('Check only, nothing uploaded: its 4 sheet rows would be sent, with 1 warning');
	});

	it('errors: Warning, never Error, it would not be sent; the findings in errors', () => {
		const json = checkOnlyOutcome(dryUpload({ wouldUpload: false, errors: [missing], warnings: [blankName] }));
		expect(json).toMatchObject({ outcome: 'warning', reason: 'checkOnly', errors: [missing], warnings: [blankName] });
		expect(json.summary).toBe('Check only, nothing uploaded: its 4 sheet rows would not be sent (1 error, 1 warning)');
		expect(json.description).toMatch(/^Fix what errors lists/);
	});

	it('checks skipped: nothing found is not clean, so Warning', () => {
		const json = checkOnlyOutcome(dryUpload({ checked: false, rowCount: null }));
		expect(json).toMatchObject({ outcome: 'warning', reason: 'checkOnly' });
		expect(json.summary).toBe('Check only, nothing uploaded: the checks were skipped, so the upload was not checked');
	});
});

describe("a dry run's record item", () => {
	it('its sheet row, and what the checks found for it or its whole upload', () => {
		expect(checkOnlyOutcome(dryRecord())).toMatchObject({
			outcome: 'warning',
			reason: 'checkOnly',
			summary: 'Check only, nothing uploaded: sheet row 3 passed the checks',
			row: 3,
			record: { name: '', village: 'Kisumu' },
			status_url: null,
		});
		const warned = checkOnlyOutcome(dryRecord({ warnings: [blankName] }));
		expect(warned).toMatchObject({
			outcome: 'warning',
			summary: 'Check only, nothing uploaded: sheet row 3 would be sent, with 1 warning',
		});
		const refused = checkOnlyOutcome(dryRecord({ wouldUpload: false, errors: [missing] }));
		expect(refused).toMatchObject({
			outcome: 'warning',
			summary: 'Check only, nothing uploaded: sheet row 3 would not be sent (1 error)',
		});
		// Nothing was imported: no import, no case.
		expect(Object.keys(refused)).toEqual([
			'outcome',
			'reason',
			'summary',
			'description',
			'row',
			'errors',
			'warnings',
			'record',
			'status_url',
		]);
	});

	it('a real run would not send it when its upload has errors, even with none of its own', () => {
		expect(checkOnlyOutcome(dryRecord({ wouldUpload: false })).summary).toBe(
			'Check only, nothing uploaded: sheet row 3 would not be sent',
		);
	});
});

describe('recognising them', () => {
	it("dry-run items by dryRun: true, and this node's own check-only outcomes by their reason", () => {
		expect(isDryRunItem(dryUpload())).toBe(true);
		expect(isDryRunItem({ status_url: 'x', rowCount: 1 })).toBe(false);
		expect(isCheckOnlyOutcome(checkOnlyOutcome(dryRecord()))).toBe(true);
		expect(isCheckOnlyOutcome({ outcome: 'success', reason: 'imported' })).toBe(false);
	});
});
