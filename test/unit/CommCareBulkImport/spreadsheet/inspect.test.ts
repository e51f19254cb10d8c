/**
 * Reading a user's file, or the items, just enough for the checks (spreadsheet/inspect.ts): the header and its kinds,
 * data and blank rows, the values of the columns asked for, and the rows as CommCare's reader (openpyxl, read-only)
 * gives them; .xlsx and .csv, streaming, in bounded memory.
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { PassThrough } from 'stream';
import { promisify } from 'util';
import * as zlib from 'zlib';

import * as ExcelJS from 'exceljs';
import type { IDataObject } from 'n8n-workflow';
import * as XLSX from 'xlsx';

import { planColumns } from '../../../../nodes/CommCareBulkImport/spreadsheet/columns';
import { inspectItems, inspectSpreadsheet } from '../../../../nodes/CommCareBulkImport/spreadsheet/inspect';
import { SpreadsheetReadError } from '../../../../nodes/shared/spreadsheet/sheetReading';
import { handMadeXlsx } from '../../../conformance/corpus';
import { defaults, writeToBuffer } from '../../../support/unitSpreadsheet';

const ROOT = path.resolve(__dirname, '../../../..');

/** A zip of `entries` in exactly this order, uncompressed (enough for readers, and the order is ours to choose). */
function storedZip(entries: Array<readonly [string, Buffer]>): Buffer {
	const locals: Buffer[] = [];
	const centrals: Buffer[] = [];
	let offset = 0;
	for (const [name, content] of entries) {
		const fileName = Buffer.from(name, 'utf8');
		const crc = zlib.crc32(content);
		const local = Buffer.alloc(30);
		local.writeUInt32LE(0x04034b50, 0); // local file header
		local.writeUInt16LE(20, 4); // version needed
		local.writeUInt16LE(0x21, 12); // date: 1980-01-01
		local.writeUInt32LE(crc, 14);
		local.writeUInt32LE(content.length, 18); // compressed size (stored)
		local.writeUInt32LE(content.length, 22);
		local.writeUInt16LE(fileName.length, 26);
		const central = Buffer.alloc(46);
		central.writeUInt32LE(0x02014b50, 0); // central directory header
		central.writeUInt16LE(20, 4);
		central.writeUInt16LE(20, 6);
		central.writeUInt16LE(0x21, 14);
		central.writeUInt32LE(crc, 16);
		central.writeUInt32LE(content.length, 20);
		central.writeUInt32LE(content.length, 24);
		central.writeUInt16LE(fileName.length, 28);
		central.writeUInt32LE(offset, 42);
		locals.push(local, fileName, content);
		centrals.push(central, fileName);
		offset += local.length + fileName.length + content.length;
	}
	const directory = Buffer.concat(centrals);
	const end = Buffer.alloc(22);
	end.writeUInt32LE(0x06054b50, 0); // end of central directory
	end.writeUInt16LE(entries.length, 8);
	end.writeUInt16LE(entries.length, 10);
	end.writeUInt32LE(directory.length, 12);
	end.writeUInt32LE(offset, 16);
	return Buffer.concat([...locals, directory, end]);
}

/** A sheet CommCare's reader reads as it is written: nothing left out, cut short or out of order; no `---`. */
const READ_AS_WRITTEN = {
	searchIds: null,
	blankMarkers: {},
	rowsWithoutSearchCell: null,
	shortRows: null,
	cellsOutsideDimension: null,
	rowsOutOfOrder: null,
	rowsNotRead: [],
};

describe('inspectSpreadsheet', () => {
	it('reads an .xlsx written by writeItemsXlsx: header, count, values of the requested columns', async () => {
		const items = [
			{ case_id: 'a1', name: 'Asha', age: 3 },
			{ case_id: '007', name: 'Bo', age: 4 },
			{},
			{ case_id: 'c3', name: '', age: 5 },
		];
		const { buffer } = await writeToBuffer(items, ['case_id', 'name', 'age']);
		const inspection = await inspectSpreadsheet(buffer, 'xlsx', { valueColumns: ['case_id', 'name', 'missing'] });
		expect(inspection).toEqual({
			format: 'xlsx',
			limitation: null,
			sheetNames: ['cases'],
			headers: ['case_id', 'name', 'age'],
			headerKinds: ['text', 'text', 'text'],
			dataRowCount: 4,
			blankRowNumbers: [4],
			rowsAfterGap: null,
			dataWithoutHeader: [],
			rowLimitExceeded: null,
			unstorableCharacters: {},
			values: { case_id: ['a1', '007', null, 'c3'], name: ['Asha', 'Bo', null, null] },
			...READ_AS_WRITTEN,
		});
	});

	it('reads a stream as well as a Buffer', async () => {
		const { buffer } = await writeToBuffer([{ name: 'x' }], ['name']);
		const stream = new PassThrough();
		stream.end(buffer);
		expect((await inspectSpreadsheet(stream, 'xlsx', { valueColumns: ['name'] })).values.name).toEqual(['x']);
	});

	it('reports number, date and boolean headers as such, blanks as null, and reads the first sheet in workbook order', async () => {
		const workbook = new ExcelJS.Workbook();
		// Created second (so stored as sheet2.xml) but placed first in the workbook: the server reads this one.
		const household = workbook.addWorksheet('household');
		household.addRows([['other'], ['x']]);
		const data = workbook.addWorksheet('data');
		data.addRows([
			['name', 2021, new Date(Date.UTC(2024, 0, 1)), true, null, 'age '],
			['Asha', 1, 2, 3, 4, 5],
		]);
		// `orderNo` is exceljs's sheet position; its type definitions leave it out.
		(data as unknown as { orderNo: number }).orderNo = 0;
		(household as unknown as { orderNo: number }).orderNo = 1;
		const buffer = Buffer.from(await workbook.xlsx.writeBuffer());
		const inspection = await inspectSpreadsheet(buffer, 'xlsx', { valueColumns: ['name'] });
		expect(inspection.sheetNames).toEqual(['data', 'household']);
		expect(inspection.headers).toEqual(['name', '2021', '2024-01-01', 'True', null, 'age ']);
		expect(inspection.headerKinds).toEqual(['text', 'number', 'date', 'boolean', 'blank', 'text']);
		expect(inspection.values.name).toEqual(['Asha']);
	});

	it('reads the first sheet when sheets come before the workbook part in the zip (as some writers order them)', async () => {
		const workbook = new ExcelJS.Workbook();
		const household = workbook.addWorksheet('household'); // xl/worksheets/sheet1.xml
		household.addRows([['other'], ['x']]);
		const data = workbook.addWorksheet('data'); // xl/worksheets/sheet2.xml, first in the workbook
		data.addRows([
			['name', 'dob'],
			['Asha', new Date(Date.UTC(2020, 0, 2))],
		]);
		(data as unknown as { orderNo: number }).orderNo = 0;
		(household as unknown as { orderNo: number }).orderNo = 1;
		// SheetJS's zip reader lists the parts; contents of folders are empty.
		const parts = XLSX.CFB.read(Buffer.from(await workbook.xlsx.writeBuffer()), { type: 'buffer' });
		const files: Array<readonly [string, Buffer]> = [];
		parts.FullPaths.forEach((fullPath: string, index: number) => {
			const entry = parts.FileIndex[index];
			if (entry.type === 2 && entry.content)
				files.push([fullPath.replace(/^Root Entry\//, ''), Buffer.from(entry.content as Uint8Array)]);
		});
		// Shared strings, styles and relationships first, then the sheets, and the sheet list (workbook.xml) last.
		const lastPart = (name: string) => (name === 'xl/workbook.xml' ? 2 : name.startsWith('xl/worksheets/') ? 1 : 0);
		const reordered = [...files].sort(([a], [b]) => lastPart(a) - lastPart(b) || a.localeCompare(b));
		expect(reordered.map(([name]) => name).slice(-3)).toEqual([
			'xl/worksheets/sheet1.xml',
			'xl/worksheets/sheet2.xml',
			'xl/workbook.xml',
		]);

		const inspection = await inspectSpreadsheet(storedZip(reordered), 'xlsx', { valueColumns: ['name', 'dob'] });
		expect(inspection.sheetNames).toEqual(['data', 'household']);
		expect(inspection.headers).toEqual(['name', 'dob']);
		expect(inspection.values).toEqual({ name: ['Asha'], dob: ['2020-01-02'] });
	});

	it('does not count trailing blank rows, lists blank rows in between, and notes rows after 1000 empty rows', async () => {
		const plain = new ExcelJS.Workbook();
		plain.addWorksheet('cases').addRows([['name'], ['a'], [], ['b'], [], [null]]);
		const buffer = Buffer.from(await plain.xlsx.writeBuffer());
		const inspection = await inspectSpreadsheet(buffer, 'xlsx', { valueColumns: ['name'] });
		expect(inspection.dataRowCount).toBe(3);
		expect(inspection.blankRowNumbers).toEqual([3]);
		expect(inspection.values.name).toEqual(['a', null, 'b']);

		const workbook = new ExcelJS.Workbook();
		const sheet = workbook.addWorksheet('cases');
		sheet.getCell('A1').value = 'name';
		sheet.getCell('A2').value = 'a';
		sheet.getCell('A3').value = '   '; // not blank for the server
		sheet.getCell('A5').value = ''; // blank
		sheet.getCell('A1004').value = 'after a gap of exactly 1000 empty rows';
		sheet.getCell('A1010').value = 'also after';
		const withGap = await inspectSpreadsheet(Buffer.from(await workbook.xlsx.writeBuffer()), 'xlsx', {
			valueColumns: [],
		});
		expect(withGap.dataRowCount).toBe(2); // rows 2 and 3
		expect(withGap.rowsAfterGap).toEqual({ firstRow: 1004, count: 2 });
	});

	it('keeps the requested columns in memory, not the text of the sheet it read', async () => {
		// In a child process with --expose-gc, so that "retained" is measured after a real garbage collection. The
		// time limit is generous (ts-node starts there), not a timing.
		const script = `
			const { PassThrough } = require('stream');
			const { writeItemsXlsx } = require('./nodes/CommCareBulkImport/spreadsheet/writer.ts');
		const { inspectSpreadsheet } = require('./nodes/CommCareBulkImport/spreadsheet/inspect.ts');
			(async () => {
				const out = new PassThrough(); const chunks = []; out.on('data', (c) => chunks.push(c));
				const rows = Array.from({ length: 20000 }, (_, i) => ({ id: 'case-identifier-' + i, note: ('note ' + i + ' ').repeat(100) }));
				await writeItemsXlsx(rows, ['id', 'note'], out, { sheetName: 'cases', textColumns: [], nestedAsJson: false });
				const buffer = Buffer.concat(chunks);
				rows.length = 0;
				gc(); gc();
				const before = process.memoryUsage().heapUsed;
				const inspection = await inspectSpreadsheet(buffer, 'xlsx', { valueColumns: ['id'] });
				gc(); gc();
				const retained = process.memoryUsage().heapUsed - before;
				process.stdout.write(JSON.stringify({ retained, count: inspection.values.id.length, last: inspection.values.id[19999] }));
			})().catch((e) => { console.error(e); process.exit(1); });
		`;
		const { stdout } = await promisify(execFile)(
			process.execPath,
			['--expose-gc', '-r', 'ts-node/register/transpile-only', '-e', script],
			{
				cwd: ROOT,
				env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
			},
		);
		const result = JSON.parse(stdout) as { retained: number; count: number; last: string };
		expect(result.count).toBe(20_000);
		expect(result.last).toBe('case-identifier-19999');
		// The sheet's text is about 20 MB; 20,000 ids take well under 4 MB. (Ids of 13 or more characters: V8 keeps
		// shorter substrings as copies anyway.)
		expect(result.retained).toBeLessThan(4 * 1024 * 1024);
	}, 60_000);

	it('reads a .csv: quotes, a byte-order mark, blank lines, trailing blank lines; headers stay text', async () => {
		const csv = '\uFEFFcase_id,name,yes\r\n007,"Smith, ""Jo""",1\n\n,,\n008,"two\nlines",\n\n\n';
		const inspection = await inspectSpreadsheet(Buffer.from(csv, 'utf8'), 'csv', { valueColumns: ['case_id', 'name'] });
		expect(inspection).toEqual({
			format: 'csv',
			limitation: null,
			sheetNames: [],
			headers: ['case_id', 'name', 'yes'],
			headerKinds: ['text', 'text', 'text'],
			dataRowCount: 4,
			blankRowNumbers: [3, 4],
			rowsAfterGap: null,
			dataWithoutHeader: [],
			rowLimitExceeded: null,
			unstorableCharacters: {},
			values: { case_id: ['007', null, null, '008'], name: ['Smith, "Jo"', null, null, 'two\nlines'] },
			...READ_AS_WRITTEN,
		});
	});

	it('says that .xls files cannot be checked, without reading them', async () => {
		const inspection = await inspectSpreadsheet(Buffer.from('not read'), 'xls', { valueColumns: ['name'] });
		expect(inspection.limitation).toBe(
			'Checks before upload are not available for .xls files (they cannot be read here)',
		);
		expect(inspection.headers).toEqual([]);
	});

	it('throws SpreadsheetReadError for bytes that are not an .xlsx workbook', async () => {
		await expect(
			inspectSpreadsheet(Buffer.from('just text, not a zip'), 'xlsx', { valueColumns: [] }),
		).rejects.toBeInstanceOf(SpreadsheetReadError);
	});
});

describe('inspectItems', () => {
	it('gives the same inspection as reading back the file writeItemsXlsx writes from the same items', async () => {
		const items: IDataObject[] = [
			{ external_id: 12, name: 'Asha', dob: '2020-01-31', flag: true },
			{ external_id: '0012', name: null, visit: '2024-03-05T10:00:00Z' },
			{},
			{ external_id: 'x', name: 'C', flag: false },
		];
		const columns = planColumns(items);
		const opts = { ...defaults, valueColumns: ['external_id', 'name', 'dob', 'visit', 'flag'] };
		const fromItems = inspectItems(items, columns, opts);
		const { buffer } = await writeToBuffer(items, columns);
		const fromFile = await inspectSpreadsheet(buffer, 'xlsx', opts);
		expect({ ...fromItems, format: 'xlsx' }).toEqual(fromFile);
		expect(fromItems.values.external_id).toEqual(['12', '0012', null, 'x']);
		expect(fromItems.values.flag).toEqual(['True', null, null, 'False']);
	});

	it('throws the CellValueError the writer would, before anything is written', () => {
		expect(() => inspectItems([{ a: 1 }, { a: [1] }], ['a'], { ...defaults, valueColumns: [] })).toThrow(
			"Key 'a' of item 2 holds an array",
		);
	});
});

describe('inspectItems: blank items at the end', () => {
	it('reports trailing blank items as blank rows, since every item is sent as a row', () => {
		const items = [
			{ external_id: 'A1', name: 'Ann' },
			{ external_id: 'B2', name: 'Ben' },
			{ external_id: '', name: '' },
		];
		const inspection = inspectItems(items, ['external_id', 'name'], {
			sheetName: 'cases',
			textColumns: ['external_id'],
			nestedAsJson: false,
			valueColumns: ['external_id', 'name'],
		});
		expect(inspection.dataRowCount).toBe(3);
		expect(inspection.blankRowNumbers).toEqual([4]);
		expect(inspection.values.external_id).toEqual(['A1', 'B2', null]);
	});
});

describe('inspectItems: what CommCare reads of the rows written', () => {
	const inspect = (items: IDataObject[], columns: string[]) =>
		inspectItems(items, columns, {
			sheetName: 'cases',
			textColumns: ['external_id'],
			nestedAsJson: false,
			valueColumns: columns,
			searchColumn: 'external_id',
		});

	it('names `---` values, which CommCare stores empty, by column and row', () => {
		const inspection = inspect(
			[
				{ external_id: 'A', note: '---' },
				{ external_id: 'B', note: ' --- ' },
				{ external_id: 'C', note: '- - -' },
			],
			['external_id', 'note'],
		);
		expect(inspection.blankMarkers).toEqual({ note: [2, 3] });
	});

	it('reads a value of only unstorable characters as the blank it is written as', () => {
		const inspection = inspect(
			[
				{ external_id: 'A', note: 'x' },
				{ external_id: null, note: '\u0007\u0008' },
			],
			['external_id', 'note'],
		);
		expect(inspection.blankRowNumbers).toEqual([3]);
		expect(inspection.unstorableCharacters).toEqual({ note: [3] });
	});

	it('reports last items holding only zeros, false and blanks as not read (CommCare stops at its last truthy row)', () => {
		const inspection = inspect(
			[
				{ external_id: 'A', count: 3, flag: true },
				{ external_id: null, count: 0, flag: false },
				{ external_id: null, count: null, flag: null },
			],
			['external_id', 'count', 'flag'],
		);
		expect(inspection.rowsNotRead).toEqual([3]);
		expect(inspection.blankRowNumbers).toEqual([4]);
		expect(inspection.dataRowCount).toBe(3);
		// In the middle, the same row is read (and imported: its values are not blank).
		const middle = inspect(
			[
				{ external_id: null, count: 0, flag: false },
				{ external_id: 'A', count: 3, flag: true },
			],
			['external_id', 'count', 'flag'],
		);
		expect(middle.rowsNotRead).toEqual([]);
		expect(middle.searchIds).toEqual(['', 'A']);
	});

	it('gives the search id CommCare computes from the text written: a number in the ID column is text', () => {
		const inspection = inspect([{ external_id: 0 }, { external_id: true }, { external_id: '00123' }], ['external_id']);
		expect(inspection.searchIds).toEqual(['0', 'True', '123']);
		expect(inspection.values.external_id).toEqual(['0', 'True', '00123']);
	});
});

describe('inspectSpreadsheet: rows as CommCare’s reader (openpyxl read-only) gives them', () => {
	const header =
		'<row r="1"><c r="A1" t="str"><v>name</v></c><c r="B1" t="str"><v>village</v></c><c r="C1" t="str"><v>external_id</v></c></row>';
	const cell = (ref: string, value: string) => `<c r="${ref}" t="str"><v>${value}</v></c>`;
	const inspect = async (sheetData: string, dimension?: string) =>
		await inspectSpreadsheet(await handMadeXlsx({ sheetData, dimension }), 'xlsx', {
			valueColumns: ['name', 'village', 'external_id'],
			searchColumn: 'external_id',
		});

	it('without a dimension: a row ending before the ID column, and a missing row, have no ID cell', async () => {
		const inspection = await inspect(
			`${header}<row r="2">${cell('A2', 'Asha')}${cell('B2', 'K')}${cell('C2', 'X1')}</row><row r="3">${cell('A3', 'Ben')}</row><row r="5">${cell('A5', 'Cy')}${cell('B5', 'M')}${cell('C5', 'X5')}</row>`,
		);
		expect(inspection.rowsWithoutSearchCell).toEqual({ rows: [3, 4], count: 2 });
		// Row 4 (absent) is blank; row 3 lacks the ID cell but is counted as data.
		expect(inspection.blankRowNumbers).toEqual([4]);
		expect(inspection.values.village).toEqual(['K', null, null, 'M']);
	});

	it('with a dimension, the same rows are padded: no row lacks a cell', async () => {
		const inspection = await inspect(
			`${header}<row r="2">${cell('A2', 'Asha')}${cell('B2', 'K')}${cell('C2', 'X1')}</row><row r="3">${cell('A3', 'Ben')}<c r="C3" t="str"><v>X3</v></c></row><row r="5">${cell('A5', 'Cy')}${cell('B5', 'M')}${cell('C5', 'X5')}</row>`,
			'A1:C5',
		);
		expect(inspection.rowsWithoutSearchCell).toBeNull();
		expect(inspection.shortRows).toBeNull();
	});

	it('a row ending before some columns (not the ID column): short, naming them', async () => {
		const sheet = `<row r="1">${cell('A1', 'external_id')}${cell('B1', 'name')}${cell('C1', 'village')}</row><row r="2">${cell('A2', 'X1')}${cell('B2', 'Asha')}</row>`;
		const inspection = await inspect(sheet);
		expect(inspection.shortRows).toEqual({ rows: [2], count: 1, columns: ['village'] });
		expect(inspection.rowsWithoutSearchCell).toBeNull();
	});

	it('data beyond the dimension, and rows numbered out of order, are noted (CommCare never reads them)', async () => {
		const beyond = await inspect(
			`${header}<row r="2">${cell('A2', 'Asha')}${cell('B2', 'K')}${cell('C2', 'X1')}${cell('D2', 'extra')}</row><row r="3">${cell('A3', 'Ben')}</row>`,
			'A1:C2',
		);
		expect(beyond.cellsOutsideDimension).toEqual({ dimension: 'A1:C2', cells: ['D2', 'A3'], count: 2 });
		const outOfOrder = await inspect(
			`${header}<row r="3">${cell('A3', 'Ben')}${cell('B3', 'M')}${cell('C3', 'X3')}</row><row r="2">${cell('A2', 'Asha')}${cell('B2', 'K')}${cell('C2', 'X1')}</row>`,
		);
		expect(outOfOrder.rowsOutOfOrder).toEqual({ rows: [2], count: 1 });
	});

	it('refuses a cell CommCare’s reader cannot read, naming it', async () => {
		await expect(inspect(`${header}<row r="2"><c r="A2"><v>12abc</v></c></row>`)).rejects.toMatchObject({
			message: "Cell A2 holds '12abc' as a number, which CommCare's reader cannot read",
			description: 'The upload would fail. Re-save the file in Excel, LibreOffice or Google Sheets, or fix the cell.',
		});
	});
});
