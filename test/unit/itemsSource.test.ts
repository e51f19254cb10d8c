/**
 * The items source's pure parts (nodes/CommCareBulkImport/sources/) and the option readers of CommCare Bulk Import:
 * columns and uploads planned, checks per upload, findings of several uploads merged, per-record items, the file
 * written to a temporary folder that is removed afterwards.
 */
import { validateProjectSpace } from '../../nodes/CommCareBulkImport/projectSpace';
import { existsSync } from 'fs';

import ExcelJS from 'exceljs';
import type { IDataObject } from 'n8n-workflow';

import { CommCareBulkImport } from '../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { DEFAULTS, defaultsAt } from '../../nodes/CommCareBulkImport/description';
import { VERSIONS } from '../../nodes/CommCareBulkImport/versions';
import { columnList, xlsxFileName } from '../../nodes/CommCareBulkImport/settings';
import { checkItemsUpload, mergeFindings } from '../../nodes/CommCareBulkImport/sources/itemsChecks';
import {
	describeUploadItems,
	planItemsUpload,
	writeItemsUploadFile,
	type ItemsPlanOptions,
} from '../../nodes/CommCareBulkImport/sources/itemsPlan';
import { recordResults, sentValues } from '../../nodes/CommCareBulkImport/results';
import { withTemporaryFolder } from '../../nodes/CommCareBulkImport/temporaryFolder';
import type { ImportSettings } from '../../nodes/CommCareBulkImport/parameters';
import type { CheckCode, CheckFinding, UploadResultJson } from '../../nodes/shared/outputContract';

const settings: ImportSettings = {
	projectSpace: validateProjectSpace('demo'),
	caseType: 'patient',
	searchField: 'case_id',
	searchColumn: 'case_id',
	createNewCases: true,
	nameColumn: 'name',
	comment: '',
};

const options: ItemsPlanOptions = {
	columns: [],
	excludeColumns: [],
	nestedAsJson: false,
	rowsPerUpload: 100_000,
	fileName: 'cases.xlsx',
};

const issue = (code: CheckCode, message: string, extra: Partial<CheckFinding> = {}): CheckFinding => ({
	code,
	message,
	...extra,
});

const people = (count: number): IDataObject[] => Array.from({ length: count }, (_, i) => ({ name: `P${i}`, age: i }));

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
		expect(describeUploadItems(plan.uploads[1])).toBe('items 7 to 13');
		expect(plan.uploads.flatMap((c) => c.items)).toEqual(people(20));
		// Exactly full: no empty last upload.
		expect(planItemsUpload(people(14), settings, { ...options, rowsPerUpload: 7 }).uploads).toHaveLength(2);
		expect(describeUploadItems(planItemsUpload(people(8), settings, { ...options, rowsPerUpload: 7 }).uploads[1])).toBe(
			'item 7',
		);
	});
});

describe('checkItemsUpload', () => {
	it('counts every item as a row sent, blank ones included, and numbers rows and items from the chunk', () => {
		const items: IDataObject[] = [...people(7), { name: 'N'.repeat(256) }, {}, { name: 'Z' }];
		const plan = planItemsUpload(items, settings, { ...options, rowsPerUpload: 7 });
		const second = checkItemsUpload(plan, plan.uploads[1]);
		expect(second.rowCount).toBe(3);
		expect(second.errors).toEqual([]);
		const long = second.warnings.find((w) => w.code === 'nameTooLong');
		expect(long).toMatchObject({ rows: [2], items: [7], column: 'name', uploadNumber: 2 });
		expect(long!.message).toMatch(/^Row 2 \(item 7\) has a case name in 'name' longer than 255 characters/);
		expect(second.warnings.find((w) => w.code === 'blankRows')).toMatchObject({ rows: [3], items: [8] });
	});

	it('a nested value is an error finding naming the key, the item and its row; JSON text when asked', () => {
		const items: IDataObject[] = [{ name: 'A' }, { name: 'B', address: { city: 'Kisumu' } }];
		const plan = planItemsUpload(items, settings, options);
		expect(checkItemsUpload(plan, plan.uploads[0]).errors).toEqual([
			{
				code: 'nestedValue',
				message: expect.stringMatching(
					/^Key 'address' of item 1 holds an object, which a spreadsheet cell cannot hold\./,
				),
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

describe('per-record items', () => {
	it('one per item of the upload: its row, the values sent, the upload without status_url, and its warnings', () => {
		const items: IDataObject[] = [{ name: 'A', extra: 1 }, { name: 'B' }, { name: 'C' }];
		const plan = planItemsUpload(items, settings, { ...options, excludeColumns: ['extra'], rowsPerUpload: 2 });
		const upload = {
			status_url: 'http://x/status',
			rowCount: 2,
			uploadNumber: 1,
			warnings: [],
		} as unknown as UploadResultJson;
		const general = issue('dateOpenedIgnored', 'general');
		const aboutB = issue('nameTooLong', 'about B', { items: [1], rows: [3] });
		const results = recordResults(plan.uploads[0], upload, [general, aboutB]);
		expect(results).toEqual([
			{
				itemIndex: 0,
				json: {
					status_url: 'http://x/status',
					row: 2,
					record: { name: 'A' },
					upload: { rowCount: 2, uploadNumber: 1 },
					warnings: [general],
				},
			},
			{
				itemIndex: 1,
				json: {
					status_url: 'http://x/status',
					row: 3,
					record: { name: 'B' },
					upload: { rowCount: 2, uploadNumber: 1 },
					warnings: [general, aboutB],
				},
			},
		]);
		// One upload object for all its records, frozen: held once, and a later node cannot change it for the others.
		expect(results[0].json.upload).toBe(results[1].json.upload);
		expect(Object.isFrozen(results[0].json.upload)).toBe(true);
		expect(Object.isFrozen(results[0].json.warnings)).toBe(true);
		// The record with no warning of its own shares the upload's list; one with its own has a list of its own.
		expect(results[1].json.warnings).not.toBe(results[0].json.warnings);
		// Every key of item B became a column: its record is the item's JSON itself; item A's `extra` did not: a copy.
		expect(results[1].json.record).toBe(items[1]);
		expect(results[0].json.record).not.toBe(items[0]);
	});

	it("sentValues keeps the item's keys that became columns, values as given", () => {
		expect(sentValues({ a: 1, b: null, c: 'x' }, ['b', 'a', 'z'])).toEqual({ b: null, a: 1 });
		const allSent = { a: 1, b: null };
		expect(sentValues(allSent, ['b', 'a', 'z'])).toBe(allSent);
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
		).rejects.toThrow("Key 'name' of item 1 holds an array");
		expect(existsSync(folderSeen)).toBe(false);
	});
});

describe('option readers', () => {
	it('columnList takes comma-separated text or an array', () => {
		expect(columnList(' a, b,,c ')).toEqual(['a', 'b', 'c']);
		expect(columnList(['a', ' b '])).toEqual(['a', 'b']);
		expect(columnList('')).toEqual([]);
		expect(columnList(undefined)).toEqual([]);
	});

	it('xlsxFileName always ends in .xlsx and has no folders', () => {
		expect(xlsxFileName('weekly')).toBe('weekly.xlsx');
		expect(xlsxFileName('weekly.XLSX')).toBe('weekly.xlsx');
		expect(xlsxFileName('export.csv')).toBe('export.xlsx');
		expect(xlsxFileName('../../etc/passwd')).toBe('passwd.xlsx');
		expect(xlsxFileName('  ')).toBe('cases.xlsx');
		expect(xlsxFileName('.xlsx')).toBe('cases.xlsx');
	});

	it('the defaults, written once in the description, are the ones saved workflows rely on', () => {
		// A default is part of what a saved workflow means (an option left out takes it): these never change silently.
		expect(DEFAULTS).toEqual({
			source: 'binary',
			binaryPropertyName: 'data',
			nameColumn: 'name',
			dryRun: false,
			skipChecks: false,
			timeoutSeconds: 300,
			rowsPerUpload: 100_000,
			fileName: 'cases.xlsx',
			missingFields: 'stop',
			outputPerRecord: false,
			nestedAsJson: false,
		});
		// The defaults that differ between versions: "Match Cases By", and "Create New Cases" (1, 1.1) that 1.2
		// replaced with "Rows That Match No Case".
		expect(VERSIONS.map(defaultsAt)).toEqual([
			{ searchField: 'case_id', createUnmatched: false },
			{ searchField: 'case_id', createUnmatched: false },
			{ searchField: 'external_id', createUnmatched: true },
		]);
		const optionsCollection = new CommCareBulkImport().description.properties.find((p) => p.name === 'options');
		expect((optionsCollection?.options ?? []).map((o) => (o as { name: string }).name).sort()).toEqual([
			'columns',
			'dryRun',
			'excludeColumns',
			'fileName',
			'missingFields',
			'nestedAsJson',
			'outputPerRecord',
			'rowsPerUpload',
			'skipChecks',
			'timeoutSeconds',
		]);
	});
});
