import { mkdtempSync, readFileSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ExcelJS from 'exceljs';
import type { LookupTablePlan, PlannedTable } from '../../../../nodes/CommCareLookupTableImport/model';
import { tableFromItems } from '../../../../nodes/CommCareLookupTableImport/sources/itemsTable';
import { readTableWorkbook } from '../../../../nodes/CommCareLookupTableImport/workbook/reader';
import { writeTableWorkbook } from '../../../../nodes/CommCareLookupTableImport/workbook/writer';

let folder: string;
beforeAll(() => (folder = mkdtempSync(path.join(os.tmpdir(), 'lookup-reader-'))));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A workbook as a person makes one (exceljs, not streamed: shared strings, typed cells). */
async function workbook(sheets: Record<string, unknown[][]>): Promise<Buffer> {
	const book = new ExcelJS.Workbook();
	for (const [name, rows] of Object.entries(sheets)) {
		const sheet = book.addWorksheet(name);
		rows.forEach((row, index) => {
			row.forEach((value, column) => {
				if (value !== undefined) sheet.getCell(index + 1, column + 1).value = value as ExcelJS.CellValue;
			});
		});
	}
	return Buffer.from(await book.xlsx.writeBuffer());
}

const TYPES = [
	['Delete(Y/N)', 'table_id', 'is_global?', 'field 1', 'field 2'],
	['N', 'district', 'yes', 'id', 'name'],
];
const HEADER = ['UID', 'Delete(Y/N)', 'field: id', 'field: name'];
const codes = (findings: Array<{ code: string }>) => findings.map((finding) => finding.code);
const values = (table: PlannedTable) =>
	table.rows.map((row) => Object.values(row.fields).map((list) => list[0]?.value));

describe('readTableWorkbook', () => {
	it('reads what the writer writes as the same plan', async () => {
		const { table } = tableFromItems(
			[
				{ id: '007', name: 'Delhi', user: ['ana', 'ben'] },
				{ id: 'd2', name: '', user: 'ana', group: 'North' },
			],
			{
				tag: 'district',
				fields: null,
				ownership: 'owned',
				ownerFields: { user: 'user', group: 'group', location: '' },
			},
		);
		const file = path.join(folder, 'round.xlsx');
		const plan: LookupTablePlan = { tables: [table] };
		await writeTableWorkbook(plan, file);
		const read = await readTableWorkbook(readFileSync(file));
		expect(read.findings).toEqual([]);
		const withoutItems = (p: LookupTablePlan) => ({
			tables: p.tables.map((t) => ({ ...t, rows: t.rows.map(({ item: _item, ...row }) => row) })),
		});
		expect(read.plan).toEqual(withoutItems(plan));
	});

	it('stores values as CommCare does: stripped, Python numbers, True/False, dates as date-times', async () => {
		const input = await workbook({
			types: TYPES,
			district: [
				HEADER,
				['', 'N', 5, ' Delhi '],
				['', 'N', 0.00005, true],
				['', 'N', 5.5, new Date(Date.UTC(2024, 2, 5))],
				['', 'N', 12345678901234567890, new Date(Date.UTC(2024, 2, 5, 14, 30))],
			],
		});
		const { plan, findings } = await readTableWorkbook(input);
		expect(findings).toEqual([]);
		expect(values(plan.tables[0])).toEqual([
			['5', 'Delhi'],
			['5e-05', 'True'],
			['5.5', '2024-03-05 00:00:00'],
			// A whole number past 15 digits is written as its digits, which Python reads as an exact int.
			['12345678901234567000', '2024-03-05 14:30:00'],
		]);
	});

	it('reads a types sheet with properties, indexes, attributes and deletions, and the matching data sheet', async () => {
		const input = await workbook({
			types: [
				[
					'Delete(Y/N)',
					'table_id',
					'is_global?',
					'field 1',
					'field 2',
					'field 2: property 1',
					'field 1: is_indexed?',
					'property 1',
				],
				['N', 'crops', 'no', 'id', 'name', 'lang', 'yes', 'colour'],
				['y', 'gone', 'yes', 'x'],
			],
			crops: [
				[
					'UID',
					'Delete(Y/N)',
					'field: id',
					'field: name 1',
					'field: name 2',
					'name: lang 1',
					'name: lang 2',
					'user 1',
					'location 1',
					'property: colour',
				],
				['ab'.repeat(16), 'N', 'maize', 'Maize', 'Maïs', 'en', 'fr', 'ana', 'north', 'yellow'],
			],
			gone: [['UID', 'Delete(Y/N)', 'field: x']],
		});
		const { plan, findings } = await readTableWorkbook(input);
		expect(findings).toEqual([]);
		expect(plan.tables.map((table) => table.definition)).toEqual([
			{
				tag: 'crops',
				isGlobal: false,
				fields: ['id', 'name'],
				fieldProperties: { name: ['lang'] },
				indexedFields: ['id'],
				itemAttributes: ['colour'],
				delete: false,
			},
			{
				tag: 'gone',
				isGlobal: true,
				fields: ['x'],
				fieldProperties: {},
				indexedFields: [],
				itemAttributes: [],
				delete: true,
			},
		]);
		expect(plan.tables[0].rows).toEqual([
			{
				sheetRow: 2,
				uid: 'ab'.repeat(16),
				delete: false,
				fields: {
					id: [{ value: 'maize', properties: {} }],
					name: [
						{ value: 'Maize', properties: { lang: 'en' } },
						{ value: 'Maïs', properties: { lang: 'fr' } },
					],
				},
				attributes: { colour: 'yellow' },
				owners: { users: ['ana'], groups: [], locations: ['north'] },
			},
		]);
	});

	it('stops at the first blank row, as CommCare does, and refuses the rows after it', async () => {
		const input = await workbook({
			types: TYPES,
			district: [HEADER, ['', 'N', 'a', 'A'], [], ['', 'N', 'c', 'C'], ['', 'N', 'd', 'D']],
		});
		const { plan, findings } = await readTableWorkbook(input);
		expect(values(plan.tables[0])).toEqual([['a', 'A']]);
		expect(findings).toEqual([
			expect.objectContaining({
				code: 'rowsAfterBlankRow',
				message: "The sheet 'district' has a blank row (sheet row 3) before 2 more rows (from sheet row 4)",
				table: 'district',
				rows: [3],
			}),
		]);
		// Trailing blank rows are fine: nothing follows them.
		const trailing = await readTableWorkbook(
			await workbook({ types: TYPES, district: [HEADER, ['', 'N', 'a', 'A'], [], []] }),
		);
		expect(trailing.findings).toEqual([]);
	});

	it('refuses a workbook without a types sheet, without table_id, or without a table’s sheet', async () => {
		expect(codes((await readTableWorkbook(await workbook({ district: [HEADER] }))).findings)).toEqual(['noTypesSheet']);
		const noId = await readTableWorkbook(
			await workbook({
				types: [
					['Delete(Y/N)', 'name', 'field 1'],
					['N', 'x', 'id'],
				],
			}),
		);
		expect(codes(noId.findings)).toEqual(['noTableIdColumn']);
		const noSheet = await readTableWorkbook(await workbook({ types: TYPES, District: [HEADER] }));
		expect(noSheet.findings).toEqual([
			expect.objectContaining({
				code: 'missingDataSheet',
				message: "The workbook has no sheet called 'district' (it has 'District': sheet names must match exactly)",
			}),
		]);
	});

	it('checks the columns of the data sheet against types', async () => {
		const input = await workbook({
			types: TYPES,
			district: [
				['UID', 'Delete(Y/N)', 'field: id', 'field: extra', 'property: colour'],
				['', 'N', 'a', 'x', 'red'],
			],
		});
		const { findings } = await readTableWorkbook(input);
		expect(findings.map((finding) => [finding.code, finding.column])).toEqual([
			['missingFieldColumn', 'field: name'],
			['extraFieldColumn', 'field: extra'],
			['extraPropertyColumn', 'property: colour'],
		]);
		expect(findings[0].description).toContain(
			"Excel worksheet 'district' does not contain the column 'field: name' as specified in its 'types' definition",
		);
	});

	it('refuses non-text headers, repeated columns and bad yes/no values, in any sheet', async () => {
		const input = await workbook({
			types: [TYPES[0], ['N', 'district', 'maybe', 'id', 'name']],
			district: [
				[...HEADER, 'field: id'],
				['', 'N', 'a', 'A', 'b'],
			],
			notes: [['text', 2024]],
		});
		const { findings } = await readTableWorkbook(input);
		expect(findings.map((finding) => [finding.code, finding.message])).toEqual([
			['repeatedHeader', "The sheet 'district' has the column 'field: id' twice"],
			['nonTextHeader', "The sheet 'notes' has a header that is not text: '2024'"],
			['invalidBoolean', "'is_global?' in the sheet 'types' is not yes or no in sheet row 2"],
		]);
	});

	it('refuses a numeric table_id or field name, and properties that do not line up', async () => {
		const input = await workbook({
			types: [
				['Delete(Y/N)', 'table_id', 'is_global?', 'field 1', 'field 2', 'field 1: property 1'],
				['N', 'crops', 'yes', 'name', 12, 'lang'],
				['N', 42, 'yes', 'x'],
			],
			crops: [
				['UID', 'Delete(Y/N)', 'field: name 1', 'name: lang 1', 'field: 12'],
				['', 'N', 'Maize', 'en', 'a'],
				['', 'N', 'Rice', '', 'b'],
			],
			'42': [['UID', 'Delete(Y/N)', 'field: x']],
		});
		const { findings } = await readTableWorkbook(input);
		expect(findings.map((finding) => [finding.code, finding.rows])).toEqual([
			['numericFieldName', [2]],
			['numericTableId', [3]],
			['misalignedProperties', [3]],
		]);
	});

	it('says a file that is not a workbook cannot be read', async () => {
		const { plan, findings } = await readTableWorkbook(Buffer.from('id,name\n1,a\n'));
		expect(plan).toEqual({ tables: [] });
		expect(codes(findings)).toEqual(['unreadableWorkbook']);
		const big = await readTableWorkbook(Buffer.alloc(2048), { fileBytes: 1024 });
		expect(big.findings[0].message).toBe('The workbook is 2 KB, more than the 1 KB this node reads');
	});

	it('stops reading past its row bound', async () => {
		const rows = Array.from({ length: 50 }, (_, index) => ['', 'N', `r${index}`, 'x']);
		const { findings } = await readTableWorkbook(await workbook({ types: TYPES, district: [HEADER, ...rows] }), {
			rows: 20,
		});
		expect(codes(findings)).toEqual(['tooManyRows']);
	});
});
