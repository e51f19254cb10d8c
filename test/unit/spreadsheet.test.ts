import { execFile } from 'child_process';
import * as path from 'path';
import { PassThrough, Writable } from 'stream';
import { promisify } from 'util';
import * as zlib from 'zlib';

import * as ExcelJS from 'exceljs';
import fc from 'fast-check';
import type { IDataObject } from 'n8n-workflow';
import JSZip from 'jszip';
import * as XLSX from 'xlsx';

import { readXlsxWorkbook } from '../../emulator/xlsxReader';
import { handMadeXlsx } from '../conformance/corpus';
import { exceljsRowSink } from '../../nodes/CommCareBulkImport/spreadsheet/exceljsInternals';

import { columnLetter, planColumns, safeSheetName } from '../../nodes/CommCareBulkImport/spreadsheet/columns';
import { parseIsoDateText } from '../../nodes/CommCareBulkImport/spreadsheet/dates';
import { inspectItems, inspectSpreadsheet } from '../../nodes/CommCareBulkImport/spreadsheet/inspect';
import { SpreadsheetReadError } from '../../nodes/CommCareBulkImport/spreadsheet/inspection';
import { serverText } from '../../nodes/shared/cellText';
import { CellValueError, MAX_CELL_LENGTH, toCell } from '../../nodes/CommCareBulkImport/spreadsheet/values';
import { writeItemsXlsx, type WriteItemsOptions } from '../../nodes/CommCareBulkImport/spreadsheet/writer';

const ROOT = path.resolve(__dirname, '../..');

const defaults: WriteItemsOptions = {
	sheetName: 'cases',
	textColumns: ['case_id', 'external_id'],
	nestedAsJson: false,
};

/** Writes items through `writeItemsXlsx` into memory (the stream is consumed while writing, as the contract asks). */
async function writeToBuffer(
	items: Iterable<IDataObject> | AsyncIterable<IDataObject>,
	columns: string[],
	opts: Partial<WriteItemsOptions> = {},
): Promise<{ buffer: Buffer; rowCount: number }> {
	const out = new PassThrough();
	const chunks: Buffer[] = [];
	out.on('data', (chunk: Buffer) => chunks.push(chunk));
	const { rowCount } = await writeItemsXlsx(items, columns, out, { ...defaults, ...opts });
	return { buffer: Buffer.concat(chunks), rowCount };
}

/** Reads a workbook back with exceljs's (non-streaming) reader: a different code path from ours. */
async function readBack(buffer: Buffer): Promise<ExcelJS.Workbook> {
	const workbook = new ExcelJS.Workbook();
	await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
	return workbook;
}

/**
 * Rows of about 1 KB of sheet XML each, random enough that compression does not make them vanish (so byte counts
 * inside the zip pipeline stay meaningful). `onRow` is told each time the writer pulls a row.
 */
function* randomRows(count: number, onRow: () => void = () => undefined): Generator<IDataObject> {
	let seed = 1;
	const randomWord = () => (seed = (seed * 48271) % 2147483647).toString(36);
	for (let i = 0; i < count; i++) {
		onRow();
		yield { case_id: `id-${i}`, note: Array.from({ length: 140 }, randomWord).join(' ') };
	}
}

/** Lets the event loop run until `count()` stays the same for 100 turns of it (a writer waiting on its output). */
async function untilUnchanged(count: () => number): Promise<void> {
	let unchangedTurns = 0;
	let last = -1;
	while (unchangedTurns < 100) {
		await new Promise((resolve) => setTimeout(resolve, 0));
		if (count() === last) unchangedTurns++;
		else [unchangedTurns, last] = [0, count()];
	}
}

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

describe('planColumns', () => {
	const items = [{ a: 1, b: 2 }, { c: 3, a: 4 }, { d: null }];

	it('takes the union of keys in first-seen order', () => {
		expect(planColumns(items)).toEqual(['a', 'b', 'c', 'd']);
	});

	it('takes exactly `include`, in its order, when given', () => {
		expect(planColumns(items, { include: ['c', 'zz', 'a'] })).toEqual(['c', 'zz', 'a']);
	});

	it('drops `exclude`, and appends `ensure` columns that are missing', () => {
		expect(planColumns(items, { exclude: ['b', 'd'] })).toEqual(['a', 'c']);
		expect(planColumns(items, { ensure: ['case_id', 'a'] })).toEqual(['a', 'b', 'c', 'd', 'case_id']);
		expect(planColumns(items, { ensure: ['case_id'], exclude: ['case_id'] })).toEqual(['a', 'b', 'c', 'd']);
	});
});

it('names columns like a spreadsheet does', () => {
	expect([0, 25, 26, 51, 52, 701, 702].map((index) => columnLetter(index))).toEqual([
		'A',
		'Z',
		'AA',
		'AZ',
		'BA',
		'ZZ',
		'AAA',
	]);
});

describe('safeSheetName', () => {
	it('is `cases` unless that is the case type (in any letter case) or another known name', () => {
		expect(safeSheetName('household')).toBe('cases');
		expect(safeSheetName('cases')).toBe('cases_sheet');
		expect(safeSheetName('Cases')).toBe('cases_sheet');
		expect(safeSheetName('patient', ['cases', 'cases_sheet'])).toBe('cases_sheet_2');
	});

	it('never returns the case type or a known name', () => {
		fc.assert(
			fc.property(
				fc.string(),
				fc.array(fc.constantFrom('cases', 'cases_sheet', 'cases_sheet_2', 'x')),
				(caseType, known) => {
					const name = safeSheetName(caseType, known);
					return ![caseType, ...known].some((taken) => taken.trim().toLowerCase() === name.toLowerCase());
				},
			),
		);
	});
});

describe('cell values', () => {
	const typed = { asText: false, nestedAsJson: false };
	const text = { asText: true, nestedAsJson: false };

	it('keeps text as text, numbers as numbers, booleans as booleans; blanks for null, undefined and ""', () => {
		expect(toCell('00123', 'id', 0, typed)).toBe('00123');
		expect(toCell(42.5, 'n', 0, typed)).toBe(42.5);
		expect(toCell(true, 'b', 0, typed)).toBe(true);
		expect(toCell(null, 'x', 0, typed)).toBeNull();
		expect(toCell(undefined, 'x', 0, typed)).toBeNull();
		expect(toCell('', 'x', 0, typed)).toBeNull();
	});

	it('writes a number below 1e-4 as its JavaScript text where CommCare would print it otherwise (`5e-05`)', () => {
		expect(toCell(0.00005, 'n', 0, typed)).toBe('0.00005');
		expect(toCell(-2.5e-7, 'n', 0, typed)).toBe('-2.5e-7');
		expect(toCell(1e-4, 'n', 0, typed)).toBe(0.0001); // Python prints 0.0001 too
		expect(toCell(1.5e-10, 'n', 0, typed)).toBe(1.5e-10); // both print 1.5e-10
		expect(toCell(0, 'n', 0, typed)).toBe(0);
	});

	it('writes anything in a text column as the text CommCare would have stored', () => {
		expect(toCell(123, 'external_id', 0, text)).toBe('123');
		expect(toCell(false, 'external_id', 0, text)).toBe('False');
		expect(toCell('2024-03-05', 'external_id', 0, text)).toBe('2024-03-05');
		expect(toCell(new Date(Date.UTC(2024, 2, 5, 14, 30)), 'external_id', 0, text)).toBe('2024-03-05 14:30:00');
	});

	it('turns ISO dates, UTC and offset-less date-times into dates from their digits; keeps other offsets as text', () => {
		expect(parseIsoDateText('2024-03-05')?.toISOString()).toBe('2024-03-05T00:00:00.000Z');
		expect(parseIsoDateText('2024-03-05T14:30:15.678Z')?.toISOString()).toBe('2024-03-05T14:30:15.000Z');
		expect(parseIsoDateText('2024-03-05 14:30')?.toISOString()).toBe('2024-03-05T14:30:00.000Z');
		expect(parseIsoDateText('2024-03-05T14:30:00+00:00')?.toISOString()).toBe('2024-03-05T14:30:00.000Z');
		expect(parseIsoDateText('2024-03-05T14:30:00+02:00')).toBeNull();
		expect(parseIsoDateText('2023-02-29')).toBeNull();
		expect(parseIsoDateText('1899-12-31')).toBeNull();
		expect(parseIsoDateText('2024-03-05T24:00:00')).toBeNull();
		expect(toCell('2024-03-05T14:30:00+02:00', 'visit', 0, typed)).toBe('2024-03-05T14:30:00+02:00');
	});

	it('names the key, the item and the option to turn on for nested values; writes JSON when it is on', () => {
		let error: unknown;
		try {
			toCell({ village: 'Kisumu' }, 'address', 7, typed);
		} catch (caught) {
			error = caught;
		}
		expect(error).toBeInstanceOf(CellValueError);
		expect(error).toMatchObject({ column: 'address', itemIndex: 7, problem: 'nested' });
		expect((error as Error).message).toBe(
			"Key 'address' of item 7 holds an object, which a spreadsheet cell cannot hold. Flatten it (e.g. with a Set node), exclude the column, or turn on the option to write nested values as JSON text.",
		);
		expect(() => toCell([1, 2], 'tags', 3, typed)).toThrow("Key 'tags' of item 3 holds an array");
		expect(toCell({ village: 'Kisumu' }, 'address', 7, { asText: false, nestedAsJson: true })).toBe(
			'{"village":"Kisumu"}',
		);
	});

	it('refuses cells longer than Excel allows, naming the key and item, instead of truncating', () => {
		expect(toCell('x'.repeat(MAX_CELL_LENGTH), 'notes', 0, typed)).toHaveLength(MAX_CELL_LENGTH);
		expect(() => toCell('x'.repeat(MAX_CELL_LENGTH + 1), 'notes', 12, typed)).toThrow(
			"Key 'notes' of item 12 is 32768 characters long; a spreadsheet cell holds at most 32767. Shorten it or leave the column out.",
		);
		expect(() =>
			toCell({ big: 'y'.repeat(MAX_CELL_LENGTH) }, 'blob', 1, { asText: false, nestedAsJson: true }),
		).toThrow("Key 'blob' of item 1 is");
	});

	it('treats a Luxon DateTime like its ISO text: UTC becomes a date-time, another zone stays text', () => {
		// luxon ships no types of its own; n8n hands these objects to Code nodes as `DateTime`.
		const { DateTime } = require('luxon') as { DateTime: { fromISO(text: string, opts: { zone: string }): object } };
		expect(
			(toCell(DateTime.fromISO('2024-03-05T10:20:30', { zone: 'utc' }), 'd', 0, typed) as Date).toISOString(),
		).toBe('2024-03-05T10:20:30.000Z');
		expect(toCell(DateTime.fromISO('2024-03-05T10:20:30', { zone: 'Africa/Nairobi' }), 'd', 0, typed)).toBe(
			'2024-03-05T10:20:30.000+03:00',
		);
	});

	it('writes dates Excel cannot represent as the text the server would store', () => {
		expect(toCell(new Date(Date.UTC(1899, 11, 31, 12)), 'd', 0, typed)).toBe('1899-12-31 12:00:00');
		expect(toCell(new Date(Date.UTC(10000, 0, 1)), 'd', 0, typed)).toBe('10000-01-01');
	});

	it('refuses NaN, Infinity and invalid dates', () => {
		expect(() => toCell(NaN, 'n', 2, typed)).toThrow("Key 'n' of item 2 holds NaN");
		expect(() => toCell(Infinity, 'n', 2, typed)).toThrow('holds Infinity');
		expect(() => toCell(new Date('nope'), 'd', 4, typed)).toThrow("Key 'd' of item 4 holds an invalid date");
	});

	it('gives the text the server stores (Python str) for read-back values', () => {
		expect(serverText(5)).toBe('5');
		expect(serverText(true)).toBe('True');
		expect(serverText(new Date(Date.UTC(2024, 0, 2)))).toBe('2024-01-02');
		expect(serverText(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toBe('2024-01-02 03:04:05');
		expect(serverText({ richText: [{ text: 'a' }, { text: 'b' }] })).toBe('ab');
		expect(serverText({ formula: 'A1', result: 7 })).toBe('7');
		expect(serverText({ text: 'click', hyperlink: 'http://x' })).toBe('click');
		expect(serverText('')).toBeNull();
	});
});

describe('writeItemsXlsx', () => {
	const items: IDataObject[] = [
		{
			case_id: '',
			external_id: '00123',
			name: 'Asha',
			age: 34,
			weight: 61.5,
			consent: true,
			dob: '1990-02-03',
			visit: '2024-03-05T14:30:00.000Z',
			link: '=HYPERLINK("http://example.org","x")',
			sum: '=1+1',
			seen: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
			note: null,
		},
		{ case_id: 'abc', external_id: 456, name: 'Baraka', age: 0, consent: false },
	];
	const columns = planColumns(items);

	it('writes one header row and one row per item, with the cell types of the value rules', async () => {
		const { buffer, rowCount } = await writeToBuffer(items, columns);
		expect(rowCount).toBe(2);
		const sheet = (await readBack(buffer)).worksheets[0];
		expect(sheet.name).toBe('cases');
		expect(sheet.getRow(1).values).toEqual([undefined, ...columns]);
		const cell = (row: number, column: string) => sheet.getRow(row).getCell(columns.indexOf(column) + 1);
		const { ValueType } = ExcelJS;

		expect(cell(2, 'external_id').type).toBe(ValueType.String);
		expect(cell(2, 'external_id').value).toBe('00123');
		expect(cell(3, 'external_id').value).toBe('456');
		expect(cell(3, 'external_id').type).toBe(ValueType.String);
		expect(cell(2, 'age').value).toBe(34);
		expect(cell(3, 'age').value).toBe(0);
		expect(cell(2, 'weight').value).toBe(61.5);
		expect(cell(2, 'consent').value).toBe(true);
		expect(cell(3, 'consent').value).toBe(false);
		expect(cell(2, 'dob').type).toBe(ValueType.Date);
		expect((cell(2, 'dob').value as Date).toISOString()).toBe('1990-02-03T00:00:00.000Z');
		expect((cell(2, 'visit').value as Date).toISOString()).toBe('2024-03-05T14:30:00.000Z');
		expect((cell(2, 'seen').value as Date).toISOString()).toBe('2024-01-02T03:04:05.000Z');
		expect(cell(2, 'case_id').type).toBe(ValueType.Null);
		expect(cell(2, 'note').type).toBe(ValueType.Null);
		expect(cell(3, 'visit').type).toBe(ValueType.Null);
	});

	it("records the sheet's size before its rows, where the schema puts it, and writes every cell of every row", async () => {
		const { buffer } = await writeToBuffer(
			[{ a: 'x', b: null, c: 1 }, {}, { a: null, b: null, c: null }, { c: 'last' }],
			['a', 'b', 'c'],
		);
		const zip = await JSZip.loadAsync(buffer);
		const sheetXml = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
		// CT_Worksheet's order: sheetPr, dimension, sheetViews, sheetFormatPr, cols, sheetData.
		expect(sheetXml).toMatch(/<worksheet [^>]*><dimension ref="A1:C5"\/><sheetFormatPr [^>]*\/><sheetData>/);
		expect(sheetXml).toContain('<row r="2"><c r="A2" t="str"><v>x</v></c><c r="B2"/><c r="C2"><v>1</v></c></row>');
		expect(sheetXml).toContain('<row r="3"><c r="A3"/><c r="B3"/><c r="C3"/></row>');
		expect(sheetXml).toContain('<row r="5"><c r="A5"/><c r="B5"/><c r="C5" t="str"><v>last</v></c></row>');
		// As CommCare's reader takes it: every row three cells long.
		const [sheet] = await readXlsxWorkbook(buffer);
		expect(sheet.rows.map((row) => row.length)).toEqual([3, 3, 3, 3, 3]);
	});

	it("exceljs's public row API, the fallback, also writes every row full width", async () => {
		const out = new PassThrough();
		const chunks: Buffer[] = [];
		out.on('data', (chunk: Buffer) => chunks.push(chunk));
		const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
		const sheet = workbook.addWorksheet('cases');
		sheet.addRow(['a', 'b', 'c']).commit();
		const sink = exceljsRowSink(sheet);
		sink.add(2, ['x', null, null]);
		sink.add(3, [null, null, null]);
		sink.add(4, ['y', null, null]);
		sink.flush();
		sheet.commit();
		await workbook.commit();
		const [read] = await readXlsxWorkbook(Buffer.concat(chunks));
		expect(read.rows.map((row) => row.length)).toEqual([3, 3, 3, 3]);
		expect(read.rows[2]).toEqual([null, null, null]);
	});

	it('never writes formula-looking text as a formula', async () => {
		const { buffer } = await writeToBuffer(items, columns);
		// SheetJS as a second, independent reader that reports formulas as `f`.
		const sheet = XLSX.read(buffer, { type: 'buffer', cellFormula: true }).Sheets.cases;
		for (const column of ['link', 'sum']) {
			const cell = sheet[XLSX.utils.encode_cell({ r: 1, c: columns.indexOf(column) })];
			expect(cell.f).toBeUndefined();
			expect(cell.t).toBe('s');
		}
		expect(sheet[XLSX.utils.encode_cell({ r: 1, c: columns.indexOf('sum') })].v).toBe('=1+1');
	});

	it('marks date cells with a date number format, so the server reads dates and not serial numbers', async () => {
		const { buffer } = await writeToBuffer([{ dob: '2024-03-05' }], ['dob']);
		const cell = XLSX.read(buffer, { type: 'buffer', cellNF: true }).Sheets.cases.A2;
		expect(cell.t).toBe('n');
		expect(cell.v).toBe(45356); // 2024-03-05 as an Excel serial, from the digits, no time zone involved
		expect(XLSX.SSF.is_date(cell.z as string)).toBe(true);
	});

	it("writes data rows as its own XML, which reads back exactly like exceljs's own rows of the same cells", async () => {
		const value = fc.oneof(
			fc.constant(null),
			fc.string(),
			// Any code point, control characters and unpaired surrogates included. U+FFFE, U+FFFF and carriage returns,
			// where ours deliberately differs from exceljs, are tested below.
			fc.string({ unit: 'binary' }).map((text) => text.replace(/[\uFFFE\uFFFF\r]/g, '')),
			fc.constantFrom('<b>&amp;</b>', '"quoted"', "it's", ' padded ', 'line\nbreak', '=SUM(A1:A2)', '007'),
			fc.integer(),
			fc.double({ noNaN: true, noDefaultInfinity: true }),
			fc.boolean(),
			fc.date({ min: new Date(Date.UTC(1900, 2, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }),
		);
		await fc.assert(
			fc.asyncProperty(fc.array(fc.tuple(value, value, value), { minLength: 1, maxLength: 15 }), async (tuples) => {
				const columns = ['a', 'b', 'c'];
				const items = tuples.map(([a, b, c]) => ({ a, b, c }));
				const { buffer: ours } = await writeToBuffer(items, columns, { textColumns: [] });

				// The same cells through exceljs's public row API.
				const out = new PassThrough();
				const chunks: Buffer[] = [];
				out.on('data', (chunk: Buffer) => chunks.push(chunk));
				const reference = new ExcelJS.stream.xlsx.WorkbookWriter({
					stream: out,
					useStyles: false,
					useSharedStrings: false,
				});
				const sheet = reference.addWorksheet('cases');
				sheet.addRow(columns).commit();
				items.forEach((item, index) => {
					const cells = columns.map((column) =>
						toCell(item[column as keyof typeof item], column, index, { asText: false, nestedAsJson: false }),
					);
					sheet.addRow(cells).commit();
				});
				sheet.commit();
				await reference.commit();

				const [a, b] = await Promise.all([readBack(ours), readBack(Buffer.concat(chunks))]);
				for (let row = 1; row <= items.length + 1; row++) {
					for (let column = 1; column <= columns.length; column++) {
						const mine = a.worksheets[0].getRow(row).getCell(column);
						const theirs = b.worksheets[0].getRow(row).getCell(column);
						expect([row, column, mine.type, mine.value]).toEqual([row, column, theirs.type, theirs.value]);
					}
				}
			}),
			{ numRuns: 60 },
		);
		// And the data rows really are ours (exceljs's rows carry a `spans` attribute).
		const { buffer } = await writeToBuffer([{ a: 1 }], ['a']);
		const sheetXml = Buffer.from(
			XLSX.CFB.find(XLSX.CFB.read(buffer, { type: 'buffer' }), '/xl/worksheets/sheet1.xml')?.content as Uint8Array,
		).toString('utf8');
		expect(sheetXml).toContain('<row r="2"><c r="A2"><v>1</v></c></row>');
	});

	it('drops characters no .xlsx can hold, replaces unpaired surrogates and keeps carriage returns, in a file readers accept', async () => {
		const { buffer } = await writeToBuffer(
			[{ a: 'a\u0000b\u0007c\uFFFEd\uFFFF', b: 'x\uD800y', c: 'tab\tnew\nline\r' }],
			['a', 'b', 'c'],
		);
		const row = (await readBack(buffer)).worksheets[0].getRow(2);
		expect([row.getCell(1).value, row.getCell(2).value, row.getCell(3).value]).toEqual([
			'abcd',
			'x\uFFFDy',
			'tab\tnew\nline\r',
		]);
		const sheetJs = XLSX.read(buffer, { type: 'buffer' }).Sheets.cases;
		expect([sheetJs.A2.v, sheetJs.C2.v]).toEqual(['abcd', 'tab\tnew\nline\r']);
	});

	it('throws CellValueError for a nested value, counting items from firstItemIndex', async () => {
		await expect(writeToBuffer([{ a: 1 }, { a: { b: 2 } }], ['a'], { firstItemIndex: 100 })).rejects.toMatchObject({
			name: 'CellValueError',
			column: 'a',
			itemIndex: 101,
		});
	});

	it('accepts async iterables that say how many rows they yield, and refuses one that yields another number', async () => {
		async function* rows() {
			yield { name: 'a' };
			yield { name: 'b' };
		}
		const { buffer, rowCount } = await writeToBuffer(rows(), ['name'], { rowCount: 2 });
		expect(rowCount).toBe(2);
		expect((await readBack(buffer)).worksheets[0].getRow(3).getCell(1).value).toBe('b');
		// The sheet's size is written first: without the count, or with a wrong one, the file would mislead readers.
		await expect(writeToBuffer(rows(), ['name'])).rejects.toThrow('rowCount is needed');
		await expect(writeToBuffer(rows(), ['name'], { rowCount: 3 })).rejects.toThrow(
			"2 rows written where the sheet's size says 3",
		);
	});

	it('streams: for 20,000 rows, bytes reach a slow output while rows are still being produced', async () => {
		const rowCount = 20_000;
		let producedRows = 0;
		let maxRowsBetweenWrites = 0;
		let rowsAtLastWrite = 0;
		let rowsAtFirstWrite = -1;
		let writes = 0;
		// A slow consumer: each chunk is acknowledged only on a later turn of the event loop.
		const out = new Writable({
			highWaterMark: 16 * 1024,
			write(_chunk, _encoding, callback) {
				writes++;
				if (rowsAtFirstWrite < 0) rowsAtFirstWrite = producedRows;
				maxRowsBetweenWrites = Math.max(maxRowsBetweenWrites, producedRows - rowsAtLastWrite);
				rowsAtLastWrite = producedRows;
				setImmediate(callback);
			},
		});
		const result = await writeItemsXlsx(
			randomRows(rowCount, () => producedRows++),
			['case_id', 'note'],
			out,
			{ ...defaults, rowCount },
		);
		expect(result.rowCount).toBe(rowCount);
		// Without pauses for the zip stream, every row would be produced before the first byte is written. With them,
		// at most about 1 MB of XML waits for compression and 1 MB of compressed bytes for the output: ~3,000 rows.
		expect(rowsAtFirstWrite).toBeGreaterThanOrEqual(0);
		expect(rowsAtFirstWrite).toBeLessThan(rowCount / 2);
		expect(maxRowsBetweenWrites).toBeLessThan(rowCount / 2);
		expect(writes).toBeGreaterThan(100);
	});

	it('stops producing rows while the output does not take bytes (bounded memory), and finishes once it does', async () => {
		const rowCount = 20_000;
		let producedRows = 0;
		let blocked = true;
		const held: Array<() => void> = [];
		const out = new Writable({
			write(_chunk, _encoding, callback) {
				if (blocked) held.push(callback);
				else callback();
			},
		});
		const done = writeItemsXlsx(
			randomRows(rowCount, () => producedRows++),
			['case_id', 'note'],
			out,
			{ ...defaults, rowCount },
		);

		await untilUnchanged(() => producedRows);
		const producedWhileBlocked = producedRows;

		blocked = false;
		held.splice(0).forEach((callback) => callback());
		expect((await done).rowCount).toBe(rowCount);
		expect(held).toHaveLength(0);
		// Held while blocked: about 1 MB of sheet XML waiting for compression, plus up to 1 MB of compressed bytes in
		// the zip stream (its buffer size): about 4,000 of these rows, whatever the total.
		expect(producedWhileBlocked).toBeLessThan(rowCount / 3);
	});

	describe('fails instead of waiting forever when the output dies', () => {
		const rows = [...randomRows(20_000)];

		it('before the writer waits for it', async () => {
			const out = new Writable({ write: () => undefined }); // takes one chunk and never acknowledges it
			const done = writeItemsXlsx(rows, ['case_id', 'note'], out, defaults);
			out.destroy(new Error('upload connection reset'));
			await expect(done).rejects.toThrow('upload connection reset');
		});

		it('while the writer waits for it', async () => {
			let produced = 0;
			function* counted() {
				for (const row of rows) {
					produced++;
					yield row;
				}
			}
			const out = new Writable({ write: () => undefined });
			const done = writeItemsXlsx(counted(), ['case_id', 'note'], out, { ...defaults, rowCount: rows.length });
			done.catch(() => undefined); // observed below
			await untilUnchanged(() => produced);
			expect(produced).toBeLessThan(rows.length);
			out.destroy(new Error('upload connection reset'));
			await expect(done).rejects.toThrow('upload connection reset');
		});
	});

	it('keeps the typed values for any text: written then inspected, strings come back unchanged', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(
					fc.oneof(
						fc.string({ minLength: 1 }),
						fc.stringMatching(/^0\d{1,9}$/),
						fc.stringMatching(/^=[A-Z]{1,3}\(.*\)$/),
					),
					{
						minLength: 1,
						maxLength: 20,
					},
				),
				async (texts) => {
					// exceljs drops control characters that XML 1.0 cannot hold; keep to text XML can carry.
					const clean = texts.map((t) => t.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffe\uffff]/g, 'x'));
					const rows = clean.map((t) => ({ v: t }));
					const { buffer } = await writeToBuffer(rows, ['v'], { textColumns: ['v'] });
					const inspection = await inspectSpreadsheet(buffer, 'xlsx', { valueColumns: ['v'] });
					const expected = clean.map((t) => (t === '' ? null : t));
					// Trailing blank rows are not data rows.
					while (expected.length > 0 && expected[expected.length - 1] === null) expected.pop();
					expect(inspection.values.v ?? []).toEqual(expected.map((t) => t));
				},
			),
			{ numRuns: 40 },
		);
	});
});

describe('dates do not depend on the machine time zone', () => {
	// Jest fixes the time zone of its workers, so the write happens in child processes with TZ set.
	const script = `
		const { PassThrough } = require('stream');
		const XLSX = require('xlsx');
		const { writeItemsXlsx } = require('./nodes/CommCareBulkImport/spreadsheet/writer.ts');
		const { inspectSpreadsheet } = require('./nodes/CommCareBulkImport/spreadsheet/inspect.ts');
		(async () => {
			const out = new PassThrough(); const chunks = []; out.on('data', (c) => chunks.push(c));
			const items = [{ dob: '2024-03-05', visit: '2024-03-05T23:30:00', utc: '2024-03-05T00:30:00Z', js: new Date(Date.UTC(2024, 2, 5, 23, 30)) }];
			await writeItemsXlsx(items, ['dob', 'visit', 'utc', 'js'], out, { sheetName: 'cases', textColumns: [], nestedAsJson: false });
			const buffer = Buffer.concat(chunks);
			const sheet = XLSX.read(buffer, { type: 'buffer' }).Sheets.cases;
			const inspection = await inspectSpreadsheet(buffer, 'xlsx', { valueColumns: ['dob', 'visit', 'utc', 'js'] });
			process.stdout.write(JSON.stringify({
				offset: new Date(2024, 2, 5).getTimezoneOffset(),
				serials: ['A2', 'B2', 'C2', 'D2'].map((a) => sheet[a].v),
				texts: ['dob', 'visit', 'utc', 'js'].map((c) => inspection.values[c][0]),
			}));
		})().catch((e) => { console.error(e); process.exit(1); });
	`;

	// Child processes start ts-node: generous limits (not timings) for a busy machine.
	it.each(['America/Los_Angeles', 'Pacific/Kiritimati'])(
		'in %s',
		async (timeZone) => {
			const { stdout } = await promisify(execFile)(
				process.execPath,
				['-r', 'ts-node/register/transpile-only', '-e', script],
				{
					cwd: ROOT,
					env: { ...process.env, TZ: timeZone, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
				},
			);
			const result = JSON.parse(stdout) as { offset: number; serials: number[]; texts: string[] };
			expect(result.offset).not.toBe(0); // the child really ran away from UTC
			const day = 45356; // 2024-03-05
			expect(result.serials[0]).toBe(day);
			expect(result.serials[1]).toBeCloseTo(day + 23.5 / 24, 9);
			expect(result.serials[2]).toBeCloseTo(day + 0.5 / 24, 9);
			expect(result.serials[3]).toBeCloseTo(day + 23.5 / 24, 9);
			expect(result.texts).toEqual(['2024-03-05', '2024-03-05 23:30:00', '2024-03-05 00:30:00', '2024-03-05 23:30:00']);
		},
		60_000,
	);
});

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
		expect(inspection.limitation).toMatch(/not available for \.xls files.*Save the file as \.xlsx/);
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
			"Key 'a' of item 1 holds an array",
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
		await expect(inspect(`${header}<row r="2"><c r="A2"><v>12abc</v></c></row>`)).rejects.toThrow(
			"Cell A2 holds '12abc' as a number, which CommCare's reader cannot read: the upload would fail.",
		);
	});
});
