/**
 * Writing items as an .xlsx (spreadsheet/writer.ts): the cells of the value rules, the sheet's size before its rows
 * and every row full width, streaming into a slow or dying output in bounded memory, and dates that do not move with
 * the machine's time zone.
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { PassThrough, Writable } from 'stream';
import { promisify } from 'util';

import * as ExcelJS from 'exceljs';
import fc from 'fast-check';
import type { IDataObject } from 'n8n-workflow';
import JSZip from 'jszip';
import * as XLSX from 'xlsx';

import { readXlsxWorkbook } from '../../../../emulator/xlsxReader';
import { planColumns } from '../../../../nodes/CommCareBulkImport/spreadsheet/columns';
import { inspectSpreadsheet } from '../../../../nodes/CommCareBulkImport/spreadsheet/inspect';
import { toCell } from '../../../../nodes/CommCareBulkImport/spreadsheet/values';
import { writeItemsXlsx } from '../../../../nodes/CommCareBulkImport/spreadsheet/writer';
import { defaults, writeToBuffer } from '../../../support/unitSpreadsheet';

const ROOT = path.resolve(__dirname, '../../../..');

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
