/**
 * The checks of an upload written from items (sources/itemsChecks.ts): every item is a row sent, a value the rules
 * refuse is an error finding naming its key, item and row, and the findings of several uploads are merged.
 */
import type { IDataObject } from 'n8n-workflow';

import { checkItemsUpload, mergeFindings } from '../../../../nodes/CommCareBulkImport/sources/itemsChecks';
import { planItemsUpload } from '../../../../nodes/CommCareBulkImport/sources/itemsPlan';
import { issue, options, people, settings } from '../../../support/unitItemsSource';

describe('checkItemsUpload', () => {
	it('counts every item as a row sent, blank ones included, and numbers rows and items from the chunk', () => {
		const items: IDataObject[] = [...people(7), { name: 'N'.repeat(256) }, {}, { name: 'Z' }];
		const plan = planItemsUpload(items, settings, { ...options, rowsPerUpload: 7 });
		const second = checkItemsUpload(plan, plan.uploads[1]);
		expect(second.rowCount).toBe(3);
		expect(second.errors).toEqual([]);
		const long = second.warnings.find((w) => w.code === 'nameTooLong');
		expect(long).toMatchObject({ rows: [2], items: [7], column: 'name', uploadNumber: 2 });
		expect(long!.message).toBe("Sheet row 2 (item 8) has a case name in 'name' longer than 255 characters");
		expect(second.warnings.find((w) => w.code === 'blankRows')).toMatchObject({ rows: [3], items: [8] });
	});

	it('a nested value is an error finding naming the key, the item and its row; JSON text when asked', () => {
		const items: IDataObject[] = [{ name: 'A' }, { name: 'B', address: { city: 'Kisumu' } }];
		const plan = planItemsUpload(items, settings, options);
		expect(checkItemsUpload(plan, plan.uploads[0]).errors).toEqual([
			{
				code: 'nestedValue',
				message: "Key 'address' of item 2 holds an object, which a spreadsheet cell cannot hold",
				description:
					'Flatten it (e.g. with a Set node), exclude the column, or turn on Options → Write Nested Values as JSON to write it as JSON text.',
				column: 'address',
				items: [1],
				rows: [3],
			},
		]);
		const asJson = planItemsUpload(items, settings, { ...options, nestedAsJson: true });
		expect(checkItemsUpload(asJson, asJson.uploads[0]).errors).toEqual([]);
	});
});

describe('mergeFindings', () => {
	it("keeps one upload's findings as they are, without the upload number", () => {
		expect(mergeFindings([[issue('blankRows', 'A', { uploadNumber: 1 })]])).toEqual([issue('blankRows', 'A')]);
	});

	it('says a finding every upload has once, and prefixes the others with their upload', () => {
		const header = issue('invalidHeader', "Header 'first name' …", { column: 'first name' });
		const merged = mergeFindings([
			[{ ...header, uploadNumber: 1 }, issue('nameTooLong', 'Row 3 (item 1) …', { rows: [3], uploadNumber: 1 })],
			[{ ...header, uploadNumber: 2 }],
			[
				{ ...header, uploadNumber: 3 },
				issue('emptySheet', 'The sheet has a header row but no data rows …', { uploadNumber: 3 }),
			],
		]);
		expect(merged).toEqual([
			header,
			issue('nameTooLong', 'Upload 1 of 3: Row 3 (item 1) …', { rows: [3], uploadNumber: 1 }),
			issue('emptySheet', 'Upload 3 of 3: The sheet has a header row but no data rows …', { uploadNumber: 3 }),
		]);
	});
});
