import { mkdtempSync, readFileSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ExcelJS from 'exceljs';
import JSZip from 'jszip';
import type { LookupTablePlan, PlannedTable, TableRow } from '../../../../nodes/CommCareLookupTableImport/model';
import { tableFromItems } from '../../../../nodes/CommCareLookupTableImport/sources/itemsTable';
import { writeTableWorkbook } from '../../../../nodes/CommCareLookupTableImport/workbook/writer';

let folder: string;
beforeAll(() => (folder = mkdtempSync(path.join(os.tmpdir(), 'lookup-writer-'))));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const owned = {
	tag: 'district',
	fields: null,
	ownership: 'owned',
	ownerFields: { user: 'user', group: '', location: '' },
} as const;

/** Every sheet's rows as exceljs reads them: cell texts, with the cell types seen. */
async function readBack(file: string) {
	const workbook = new ExcelJS.Workbook();
	await workbook.xlsx.readFile(file);
	return workbook.worksheets.map((sheet) => {
		const rows: string[][] = [];
		const types = new Set<ExcelJS.ValueType>();
		sheet.eachRow({ includeEmpty: true }, (row) => {
			const cells: string[] = [];
			for (let column = 1; column <= sheet.columnCount; column++) {
				const cell = row.getCell(column);
				if (cell.type !== ExcelJS.ValueType.Null) types.add(cell.type);
				cells.push(cell.value === null ? '' : String(cell.value));
			}
			rows.push(cells);
		});
		return { name: sheet.name, rows, types: [...types] };
	});
}

/** Each sheet's raw XML: its `<dimension ref>` and its cells as written. */
async function sheetXml(file: string) {
	const zip = await JSZip.loadAsync(readFileSync(file));
	const names = Object.keys(zip.files)
		.filter((name) => /^xl\/worksheets\/sheet\d+\.xml$/.test(name))
		.sort();
	return Promise.all(names.map(async (name) => (await zip.file(name)?.async('string')) ?? ''));
}

describe('writeTableWorkbook', () => {
	it('writes a types sheet and a data sheet titled with the table_id, every row full width, every cell text', async () => {
		const { table } = tableFromItems(
			[
				{ id: '007', name: 'Delhi', big: true, population: 12.5, user: ['ana', 'ben'] },
				{ id: 'd2', name: '', big: false, population: 3, user: 'ana' },
			],
			owned,
		);
		const file = path.join(folder, 'one.xlsx');
		const result = await writeTableWorkbook({ tables: [table] }, file);
		expect(result.rows).toBe(5);
		expect(result.bytes).toBe(readFileSync(file).length);
		const sheets = await readBack(file);
		expect(sheets).toEqual([
			{
				name: 'types',
				rows: [
					['Delete(Y/N)', 'table_id', 'is_global?', 'field 1', 'field 2', 'field 3', 'field 4'],
					['N', 'district', 'no', 'id', 'name', 'big', 'population'],
				],
				types: [ExcelJS.ValueType.String],
			},
			{
				name: 'district',
				rows: [
					['UID', 'Delete(Y/N)', 'field: id', 'field: name', 'field: big', 'field: population', 'user 1', 'user 2'],
					['', 'N', '007', 'Delhi', 'true', '12.5', 'ana', 'ben'],
					['', 'N', 'd2', '', 'false', '3', 'ana', ''],
				],
				types: [ExcelJS.ValueType.String],
			},
		]);
		const [types, data] = await sheetXml(file);
		expect(types).toContain('<dimension ref="A1:G2"/>');
		expect(data).toContain('<dimension ref="A1:H3"/>');
		// Every cell of every row is written (a blank as an empty text), and none as a number or boolean.
		expect(data.match(/<c /g)).toHaveLength(24);
		expect(data).not.toMatch(/<c [^>]*t="(n|b)"/);
		expect(data).toContain('<c r="H3" t="str"><v></v></c>');
	});

	it('writes several tables, with properties, attributes, UIDs and deletions', async () => {
		const row = (over: Partial<TableRow>): TableRow => ({
			sheetRow: 2,
			uid: '',
			delete: false,
			fields: {},
			attributes: {},
			owners: { users: [], groups: [], locations: [] },
			...over,
		});
		const crops: PlannedTable = {
			definition: {
				tag: 'crops',
				isGlobal: true,
				fields: ['id', 'name'],
				fieldProperties: { name: ['lang'] },
				indexedFields: ['id'],
				itemAttributes: ['colour'],
				delete: false,
			},
			rows: [
				row({
					uid: 'ab'.repeat(16),
					fields: {
						id: [{ value: 'maize', properties: {} }],
						name: [
							{ value: 'Maize', properties: { lang: 'en' } },
							{ value: 'Maïs', properties: { lang: 'fr' } },
						],
					},
					attributes: { colour: 'yellow' },
				}),
				row({ sheetRow: 3, uid: 'cd'.repeat(16), delete: true, fields: { id: [{ value: 'old', properties: {} }] } }),
			],
			header: [],
		};
		const gone: PlannedTable = {
			definition: {
				...crops.definition,
				tag: 'gone',
				fields: ['x'],
				fieldProperties: {},
				indexedFields: [],
				itemAttributes: [],
				delete: true,
			},
			rows: [],
			header: [],
		};
		const plan: LookupTablePlan = { tables: [crops, gone] };
		const file = path.join(folder, 'two.xlsx');
		expect((await writeTableWorkbook(plan, file)).rows).toBe(3 + 3 + 1);
		const sheets = await readBack(file);
		expect(sheets.map((sheet) => sheet.name)).toEqual(['types', 'crops', 'gone']);
		expect(sheets[0].rows).toEqual([
			[
				'Delete(Y/N)',
				'table_id',
				'is_global?',
				'field 1',
				'field 2',
				'field 2: property 1',
				'field 1: is_indexed?',
				'field 2: is_indexed?',
				'property 1',
			],
			['N', 'crops', 'yes', 'id', 'name', 'lang', 'yes', 'no', 'colour'],
			['Y', 'gone', 'yes', 'x', '', '', 'no', '', ''],
		]);
		expect(sheets[1].rows).toEqual([
			[
				'UID',
				'Delete(Y/N)',
				'field: id',
				'field: name 1',
				'field: name 2',
				'name: lang 1',
				'name: lang 2',
				'property: colour',
			],
			['ab'.repeat(16), 'N', 'maize', 'Maize', 'Maïs', 'en', 'fr', 'yellow'],
			['cd'.repeat(16), 'Y', 'old', '', '', '', '', ''],
		]);
		// A table without rows still has its header (an empty sheet would crash CommCare's reader).
		expect(sheets[2].rows).toEqual([['UID', 'Delete(Y/N)', 'field: x']]);
		expect((await sheetXml(file))[2]).toContain('<dimension ref="A1:C1"/>');
	});

	it('writes a large table row by row, its size given first', async () => {
		const items = Array.from({ length: 30_000 }, (_, index) => ({ id: `row-${index}`, note: 'x'.repeat(40) }));
		const { table } = tableFromItems(items, { ...owned, ownership: 'global' });
		const file = path.join(folder, 'large.xlsx');
		const result = await writeTableWorkbook({ tables: [table] }, file);
		expect(result.rows).toBe(30_003);
		const [, data] = await sheetXml(file);
		expect(data).toContain('<dimension ref="A1:D30001"/>');
		expect(data).toContain('<c r="C30001" t="str"><v>row-29999</v></c>');
	});
});
