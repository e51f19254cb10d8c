/**
 * Source "Input Items" planned (sources/itemsPlan.ts): which columns and uploads the items become, and each upload's
 * .xlsx written to a temporary folder that is removed afterwards.
 */
import { existsSync } from 'fs';

import ExcelJS from 'exceljs';
import type { IDataObject } from 'n8n-workflow';

import {
	describeUploadItems,
	planItemsUpload,
	writeItemsUploadFile,
} from '../../../../nodes/CommCareBulkImport/sources/itemsPlan';
import { withTemporaryFolder } from '../../../../nodes/shared/temporaryFolder';
import { options, people, settings } from '../../../support/unitItemsSource';

describe('planItemsUpload', () => {
	it('takes every key in first-seen order and always adds the search column, as text', () => {
		const plan = planItemsUpload([{ name: 'A' }, { age: 3, name: 'B' }], settings, options);
		expect(plan.uploads[0].columns).toEqual(['name', 'age', 'case_id']);
		expect(plan.uploads[0].textColumns).toEqual([
			'case_id',
			'external_id',
			'owner_id',
			'parent_id',
			'parent_external_id',
		]);
		expect(plan.uploads[0].sheetName).toBe('cases');
		expect(plan.uploads).toHaveLength(1);
		expect(plan.uploads[0]).toMatchObject({ uploadNumber: 1, uploadCount: 1, firstItem: 0, fileName: 'cases.xlsx' });
	});

	it('a custom search column is text too, and is added when missing', () => {
		const plan = planItemsUpload(
			[{ name: 'A' }],
			{ ...settings, searchField: 'external_id', searchColumn: 'patient_ref' },
			options,
		);
		expect(plan.uploads[0].columns).toEqual(['name', 'patient_ref']);
		expect(plan.uploads[0].textColumns[0]).toBe('patient_ref');
	});

	it('lists or excludes columns as asked; excluding the search column is left to the checks to refuse', () => {
		const items = [{ id: 1, name: 'A', age: 3, secret: 'x' }];
		expect(planItemsUpload(items, settings, { ...options, columns: ['age', 'name'] }).uploads[0].columns).toEqual([
			'age',
			'name',
			'case_id',
		]);
		expect(
			planItemsUpload(items, settings, { ...options, excludeColumns: ['id', 'secret'] }).uploads[0].columns,
		).toEqual(['name', 'age', 'case_id']);
		expect(planItemsUpload(items, settings, { ...options, excludeColumns: ['case_id'] }).uploads[0].columns).toEqual([
			'id',
			'name',
			'age',
			'secret',
		]);
	});

	it('never names the sheet after the case type', () => {
		expect(planItemsUpload([{ name: 'A' }], { ...settings, caseType: 'cases' }, options).uploads[0].sheetName).toBe(
			'cases_sheet',
		);
	});

	it('splits into uploads of rowsPerUpload items, each with its own numbered file name', () => {
		const plan = planItemsUpload(people(20), settings, { ...options, rowsPerUpload: 7 });
		expect(plan.uploads.map((c) => [c.uploadNumber, c.uploadCount, c.firstItem, c.items.length, c.fileName])).toEqual([
			[1, 3, 0, 7, 'cases_1_of_3.xlsx'],
			[2, 3, 7, 7, 'cases_2_of_3.xlsx'],
			[3, 3, 14, 6, 'cases_3_of_3.xlsx'],
		]);
		expect(plan.uploads[2].itemIndexes).toEqual([14, 15, 16, 17, 18, 19]);
		// Named as a person counts them: indexes 7 to 13 are items 8 to 14.
		expect(describeUploadItems(plan.uploads[1])).toBe('items 8 to 14');
		expect(plan.uploads.flatMap((c) => c.items)).toEqual(people(20));
		// Exactly full: no empty last upload.
		expect(planItemsUpload(people(14), settings, { ...options, rowsPerUpload: 7 }).uploads).toHaveLength(2);
		expect(describeUploadItems(planItemsUpload(people(8), settings, { ...options, rowsPerUpload: 7 }).uploads[1])).toBe(
			'item 8',
		);
	});
});

describe('writeItemsUploadFile', () => {
	it('writes the .xlsx into the folder, opens it again for each attempt, and the folder is removed afterwards', async () => {
		const items: IDataObject[] = [
			{ name: 'A', external_id: '007' },
			{ name: 'B', external_id: 8 },
		];
		const plan = planItemsUpload(items, settings, options);
		let folderSeen = '';
		const bytes = await withTemporaryFolder(async (folder) => {
			folderSeen = folder;
			const file = await writeItemsUploadFile(plan, plan.uploads[0], folder);
			expect(file.fileName).toBe('cases.xlsx');
			const read = async () => {
				const stream = (await file.open()) as NodeJS.ReadableStream;
				const chunks: Buffer[] = [];
				for await (const chunk of stream) chunks.push(chunk as Buffer);
				return Buffer.concat(chunks);
			};
			const first = await read();
			expect((await read()).equals(first)).toBe(true);
			expect(file.knownLength).toBe(first.length);
			return first;
		});
		expect(existsSync(folderSeen)).toBe(false);
		const workbook = new ExcelJS.Workbook();
		await workbook.xlsx.load(bytes as never);
		const sheet = workbook.worksheets[0];
		expect(sheet.getRow(1).values).toEqual([undefined, 'name', 'external_id', 'case_id']);
		expect(sheet.getCell('B3').value).toBe('8');
	});

	it('removes the folder when writing fails, and the failure names the key and item', async () => {
		const plan = planItemsUpload([{ name: 'A' }, { name: ['x'] }], settings, options);
		let folderSeen = '';
		await expect(
			withTemporaryFolder(async (folder) => {
				folderSeen = folder;
				return await writeItemsUploadFile(plan, plan.uploads[0], folder);
			}),
		).rejects.toThrow("Key 'name' of item 2 holds an array");
		expect(existsSync(folderSeen)).toBe(false);
	});
});
