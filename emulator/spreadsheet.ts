/**
 * Reads an uploaded file the way CommCare's `corehq/util/workbook_reading` does: `.xlsx` (openpyxl there, exceljs
 * here), `.xls` (xlrd there, SheetJS here) and `.csv` (Python's csv module plus a re-typing heuristic, docs/commcare-api.md §6.1).
 * Each cell becomes a typed value plus the text Python's `str()` would give it.
 */
import ExcelJS from 'exceljs';
import { Readable } from 'node:stream';
import * as XLSX from 'xlsx';
import { boolCell, dateTimeCell, numberCell, timeCell, type Cell, type Sheet } from './cells';
import { csvCellValue } from './csvRetyping';
import { readXlsxWorkbook, UnreadableCell, UnreadableWorkbook } from './xlsxReader';
import { pythonBytesRepr } from './pythonFormat';

export interface Workbook {
	sheets: Sheet[];
}

/**
 * The reader refused the file: `encrypted` gives the password message, `invalid` the "following error" one, and
 * `uncaught` an error nothing in HQ catches (Django's HTML 500 page).
 */
export class SpreadsheetError extends Error {
	constructor(
		readonly kind: 'encrypted' | 'invalid' | 'uncaught',
		readonly detail: string,
	) {
		super(detail);
	}
}

/** First 8 bytes of an OLE2/CFB container: what a password-protected .xlsx (and any .xls) starts with. */
const CFB_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

export const SUPPORTED_EXTENSIONS = ['csv', 'xls', 'xlsx'] as const;
export type { Cell, Sheet } from './cells';
export type Extension = (typeof SUPPORTED_EXTENSIONS)[number];

/** Python's `name.split('.')[-1].lower()`: a name without a dot is its own "extension". */
export function fileExtension(fileName: string): string {
	return fileName.slice(fileName.lastIndexOf('.') + 1).toLowerCase();
}

export async function readWorkbook(extension: Extension, data: Buffer): Promise<Workbook> {
	if (extension === 'xlsx') return readXlsx(data);
	if (extension === 'xls') return readXls(data);
	return readCsv(data);
}

// ---------------------------------------------------------------------------------------------------- xlsx

function isZipFile(data: Buffer): boolean {
	// Python's zipfile looks for the end-of-central-directory record near the end of the file.
	const tail = data.subarray(Math.max(0, data.length - 65_557));
	return tail.includes(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
}

function isEmptyRow(row: Array<Cell | null>): boolean {
	return row.every((cell) => cell === null || cell.text === '');
}

/** openpyxl in read-only mode, then HQ's adaptor (xlsxReader.ts): rows as long as openpyxl makes them. */
async function readXlsx(data: Buffer): Promise<Workbook> {
	if (!isZipFile(data)) {
		if (data.subarray(0, 8).equals(CFB_MAGIC)) throw new SpreadsheetError('encrypted', 'Workbook is encrypted');
		throw new SpreadsheetError('invalid', 'File is not a zip file');
	}
	try {
		return { sheets: await readXlsxWorkbook(data) };
	} catch (error) {
		if (error instanceof UnreadableWorkbook) throw new SpreadsheetError('invalid', error.message);
		if (error instanceof UnreadableCell) throw new SpreadsheetError('uncaught', error.message);
		throw error;
	}
}

// ---------------------------------------------------------------------------------------------------- xls

function sheetJsCell(cell: XLSX.CellObject | undefined): Cell | null {
	if (!cell || cell.v === undefined || cell.v === null) return null;
	if (cell.t === 'b') return boolCell(Boolean(cell.v));
	if (cell.t === 'n') {
		const value = Number(cell.v);
		if (cell.z !== undefined && XLSX.SSF.is_date(cell.z as string)) {
			const parts = XLSX.SSF.parse_date_code(value);
			if (value < 1) return timeCell(parts.H, parts.M, parts.S);
			return dateTimeCell({ y: parts.y, m: parts.m, d: parts.d, H: parts.H, M: parts.M, S: parts.S, us: 0 });
		}
		return numberCell(value);
	}
	if (cell.t === 'e') return { kind: 'str', text: String(cell.w ?? cell.v) };
	return { kind: 'str', text: String(cell.v) };
}

function readXls(data: Buffer): Workbook {
	if (!data.subarray(0, 8).equals(CFB_MAGIC)) {
		// xlrd's wording; it only reads OLE2 containers.
		const detail = isZipFile(data)
			? 'Excel xlsx file; not supported'
			: `Unsupported format, or corrupt file: Expected BOF record; found ${pythonBytesRepr(data.subarray(0, 8))}`;
		throw new SpreadsheetError('invalid', detail);
	}
	let book: XLSX.WorkBook;
	try {
		book = XLSX.read(data, { type: 'buffer', cellNF: true, cellDates: false });
	} catch (error) {
		const message = (error as Error).message;
		if (/password|encrypt/i.test(message)) throw new SpreadsheetError('encrypted', 'Workbook is encrypted');
		throw new SpreadsheetError('invalid', message);
	}
	const sheets = book.SheetNames.map((title): Sheet => {
		const worksheet = book.Sheets[title];
		const rows: Array<Array<Cell | null>> = [];
		const ref = worksheet['!ref'];
		if (ref) {
			const range = XLSX.utils.decode_range(ref);
			for (let r = 0; r <= range.e.r; r++) {
				const row: Array<Cell | null> = [];
				for (let c = 0; c <= range.e.c; c++) row.push(sheetJsCell(worksheet[XLSX.utils.encode_cell({ r, c })]));
				rows.push(row);
			}
		}
		// xlrd's nrows: an empty sheet has 0 rows (and so fails the "spreadsheet is empty" check).
		while (rows.length > 0 && isEmptyRow(rows[rows.length - 1])) rows.pop();
		return { title, rows, maxRow: rows.length };
	});
	return { sheets };
}

// ---------------------------------------------------------------------------------------------------- csv

/** Python's UnicodeDecodeError text for the first invalid UTF-8 sequence, or undefined when the bytes are valid. */
export function utf8ErrorDetail(data: Uint8Array): string | undefined {
	const hex = (byte: number): string => `0x${byte.toString(16).padStart(2, '0')}`;
	let i = 0;
	while (i < data.length) {
		const lead = data[i];
		if (lead < 0x80) {
			i += 1;
			continue;
		}
		let length: number;
		let secondMin = 0x80;
		let secondMax = 0xbf;
		if (lead >= 0xc2 && lead <= 0xdf) length = 2;
		else if (lead >= 0xe0 && lead <= 0xef) {
			length = 3;
			if (lead === 0xe0) secondMin = 0xa0;
			if (lead === 0xed) secondMax = 0x9f;
		} else if (lead >= 0xf0 && lead <= 0xf4) {
			length = 4;
			if (lead === 0xf0) secondMin = 0x90;
			if (lead === 0xf4) secondMax = 0x8f;
		} else return `'utf-8' codec can't decode byte ${hex(lead)} in position ${i}: invalid start byte`;
		for (let k = 1; k < length; k++) {
			if (i + k >= data.length) {
				return k === 1
					? `'utf-8' codec can't decode byte ${hex(lead)} in position ${i}: unexpected end of data`
					: `'utf-8' codec can't decode bytes in position ${i}-${i + k - 1}: unexpected end of data`;
			}
			const byte = data[i + k];
			const min = k === 1 ? secondMin : 0x80;
			const max = k === 1 ? secondMax : 0xbf;
			if (byte < min || byte > max) {
				return k === 1
					? `'utf-8' codec can't decode byte ${hex(lead)} in position ${i}: invalid continuation byte`
					: `'utf-8' codec can't decode bytes in position ${i}-${i + k - 1}: invalid continuation byte`;
			}
		}
		i += length;
	}
	return undefined;
}

async function readCsv(data: Buffer): Promise<Workbook> {
	if (data.length <= 1) throw new SpreadsheetError('invalid', 'File is empty');
	const decodeError = utf8ErrorDetail(data);
	if (decodeError) throw new SpreadsheetError('invalid', decodeError);
	const workbook = new ExcelJS.Workbook();
	// Keep every value as text: CommCare applies its own re-typing (csvCellValue).
	const worksheet = await workbook.csv.read(Readable.from([data]), { map: (value: unknown) => value });
	const rows: Array<Array<Cell | null>> = [];
	for (let r = 1; r <= worksheet.rowCount; r++) {
		const values = worksheet.getRow(r).values as unknown[];
		const row: Array<Cell | null> = [];
		for (let c = 1; c < values.length; c++) row.push(csvCellValue(values[c] === undefined ? '' : String(values[c])));
		rows.push(row);
	}
	return { sheets: [{ title: 'Sheet1', rows, maxRow: rows.length }] };
}
