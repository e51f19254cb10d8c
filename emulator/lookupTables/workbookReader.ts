/**
 * How CommCare HQ's lookup-table upload reads a workbook (`corehq/util/workbook_json/excel.py` on openpyxl 3.0.9, read
 * only): every worksheet is wrapped at load; the header is the first row, as wide as its cells before the first empty
 * one; the sheet is then sized by `calculate_dimension(force=True)` (a scan when there is no `<dimension>`, which
 * crashes on a sheet with no rows), every row padded to that width, and reading stops at the first row whose cells
 * within the header's width are all blank. Values are openpyxl's (whole floats as ints), text stripped, and the
 * header grammar builds each row's dict: `a: b` nests, `name N` lists (blanks dropped), `name?` is a yes/no boolean.
 * The conformance tests hold this to the real openpyxl.
 */
import type { Cell } from '../cells';
import { pythonFloatRepr, pythonStrRepr } from '../pythonFormat';
import {
	readXlsxWorksheets,
	UnreadableCell,
	UnreadableWorkbook,
	type ParsedRow,
	type RawWorksheet,
} from '../xlsxReader';

/** A Python value of a row dict: a str, a bool (from a `?` header), another openpyxl value, a list or a dict. */
export type PyValue = string | boolean | PyObject | PyValue[] | PyDict;
export interface PyObject {
	type: 'int' | 'float' | 'bool' | 'datetime' | 'date' | 'time';
	/** What `str()` gives. */
	str: string;
}
export interface PyDict {
	[key: string]: PyValue;
}

/** An exception nothing in HQ catches on this path: an HTML 500 in a sync upload, a failed task in an async one. */
export class UploadCrash extends Error {}
/** `HeaderValueError` / `InvalidExcelFileException` / `JSONReaderError`: `get_workbook` turns them into messages. */
export class WorkbookReadError extends Error {
	constructor(
		readonly kind: 'invalidFile' | 'header' | 'columns',
		message: string,
	) {
		super(message);
	}
}

export function isPyObject(value: PyValue): value is PyObject {
	return (
		typeof value === 'object' && !Array.isArray(value) && typeof (value as PyObject).type === 'string' && 'str' in value
	);
}

export function isPyDict(value: PyValue | undefined): value is PyDict {
	return typeof value === 'object' && value !== null && !Array.isArray(value) && !isPyObject(value);
}

/** Python's `str()` of a row-dict value. */
export function pyStr(value: PyValue): string {
	if (typeof value === 'string') return value;
	if (typeof value === 'boolean') return value ? 'True' : 'False';
	if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
	if (isPyObject(value)) return value.str;
	return `{${Object.entries(value)
		.map(([key, item]) => `${pythonStrRepr(key)}: ${pyRepr(item)}`)
		.join(', ')}}`;
}

function pyRepr(value: PyValue): string {
	if (typeof value === 'string') return pythonStrRepr(value);
	if (isPyObject(value) && (value.type === 'datetime' || value.type === 'date' || value.type === 'time')) {
		return `datetime.${value.type}(${value.str})`; // close enough: only shows inside str() of a list
	}
	return pyStr(value);
}

/** Python truthiness. */
export function pyTruthy(value: PyValue | undefined): boolean {
	if (value === undefined || value === '' || value === false) return false;
	if (Array.isArray(value)) return value.length > 0;
	if (isPyObject(value)) return !['0', '0.0', 'False'].includes(value.str);
	if (typeof value === 'object') return Object.keys(value).length > 0;
	return true;
}

/** Python's `str.strip()`. */
export function pyStrip(text: string): string {
	return text.replace(
		/^[\t\n\v\f\r\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g,
		'',
	);
}

/** `_convert_float` of openpyxl's value: None → '', a whole float → int. */
function converted(cell: Cell | null): PyValue {
	if (cell === null) return '';
	switch (cell.kind) {
		case 'str':
			return cell.text;
		case 'float': {
			const value = cell.number as number;
			if (!Number.isFinite(value)) throw new UploadCrash(`cannot convert float ${cell.text} to integer`);
			return Number.isInteger(value)
				? { type: 'int', str: BigInt(value).toString() }
				: { type: 'float', str: pythonFloatRepr(value) };
		}
		case 'int':
		case 'bool':
		case 'time':
		case 'datetime':
			return { type: cell.kind, str: cell.text };
		case 'date':
			return cell.openpyxlText ? { type: 'datetime', str: cell.openpyxlText } : { type: 'date', str: cell.text };
	}
}

/** openpyxl's `_cells_by_row` + `_get_row`: rows from 1, padded to `maxCol` (or as long as their last cell). */
function* cellsByRow(
	rows: ParsedRow[],
	maxCol: number | null,
	maxRow: number | null,
): Generator<Array<Cell | null | undefined>> {
	const emptyRow = (): Array<Cell | null> => (maxCol === null ? [] : new Array<Cell | null>(maxCol).fill(null));
	let counter = 1;
	let lastIndex = 1;
	for (const parsed of rows) {
		if ('failure' in parsed) throw new UploadCrash(parsed.failure);
		lastIndex = parsed.index;
		if (maxRow !== null && parsed.index > maxRow) break;
		for (; counter < parsed.index; counter++) yield emptyRow();
		if (counter > parsed.index) continue; // a row number already passed: openpyxl skips it
		counter++;
		if (parsed.cells.length === 0 && maxCol === null) {
			yield [];
			continue;
		}
		const width = maxCol ?? parsed.cells[parsed.cells.length - 1].column;
		const row = new Array<Cell | null>(Math.max(0, width)).fill(null);
		for (const { column, cell } of parsed.cells) if (column >= 1 && column <= width) row[column - 1] = cell;
		yield row;
	}
	if (maxRow !== null && maxRow < lastIndex) return;
	if (maxRow !== null) for (; counter <= maxRow; counter++) yield emptyRow();
}

/** One worksheet as `WorksheetJSONReader` wraps it. */
export class FixtureSheet {
	readonly title: string;
	/** openpyxl's size once `calculate_dimension(force=True)` ran. */
	readonly maxRow: number;
	readonly maxColumn: number;
	/** The header cells within the width (after `_convert_float`). */
	readonly headers: PyValue[];
	/** The data rows' values within the width, up to the first blank one. */
	readonly valueRows: PyValue[][];

	constructor(sheet: RawWorksheet) {
		this.title = sheet.title;
		const [, , dimCol, dimRow] = sheet.dimension ?? [null, null, null, null];
		const first = cellsByRow(sheet.rows, dimCol, dimRow).next();
		const headerRow = first.done ? [] : first.value;
		let width = 0;
		for (const cell of headerRow) {
			if (cell === null || cell === undefined) break;
			width += 1;
		}
		let maxCol = dimCol;
		let maxRow = dimRow;
		if (!maxCol || !maxRow) {
			// `_calculate_dimension`: the last cell of the last non-empty row gives the rows; a sheet with none leaves
			// `cell` unbound (UnboundLocalError).
			let lastRow: number | null = null;
			let widest = 0;
			let index = 0;
			for (const row of cellsByRow(sheet.rows, maxCol, maxRow)) {
				index += 1;
				if (row.length === 0) continue;
				widest = Math.max(widest, row.length);
				lastRow = index;
			}
			if (lastRow === null) throw new UploadCrash("local variable 'cell' referenced before assignment");
			maxCol = widest;
			maxRow = lastRow; // rows come numbered from 1 in order, so the count is `cell.row`
		}
		this.maxRow = maxRow;
		this.maxColumn = maxCol;
		const rows: PyValue[][] = [];
		for (const row of cellsByRow(sheet.rows, maxCol, maxRow)) {
			const values = row.slice(0, width).map((cell) => converted(cell ?? null));
			if (!values.some((value) => value !== '')) break;
			rows.push(values);
		}
		this.headers = rows.shift() ?? [];
		this.valueRows = rows;
		this.fieldNames();
	}

	/** `get_fieldnames`: every header a string, no repeated flat field (raised when the sheet is wrapped). */
	private fieldNames(): void {
		const probe: PyDict = {};
		for (const header of this.headers) {
			if (typeof header !== 'string') throw new WorkbookReadError('header', `Field ${pyStr(header)} is not a string.`);
			setFieldValue(probe, header, '');
		}
	}

	/** Iterating the reader: one row dict per data row (a bad `?` value raises `JSONReaderError` here). */
	rowDicts(): PyDict[] {
		return this.valueRows.map((row) => {
			const dict: PyDict = {};
			row.forEach((value, index) => setFieldValue(dict, this.headers[index] as string, value));
			return dict;
		});
	}
}

/** `JSONReaderError` raised while rows are read (a bad boolean), or while headers are (a repeat field). */
export class JsonReaderError extends Error {}

const BOOLEANS: Record<string, boolean> = { yes: true, true: true, no: false, false: false, '': false };

/** `IteratorJSONReader.set_field_value`. */
export function setFieldValue(obj: PyDict, header: string, raw: PyValue): void {
	const value = typeof raw === 'string' ? pyStrip(raw) : raw;
	const colonParts = header.split(':');
	if (colonParts.length === 2) {
		const field = pyStrip(colonParts[0]);
		if (!(field in obj)) obj[field] = {};
		const nested = obj[field];
		if (!isPyDict(nested)) throw new UploadCrash(`'${typeof nested}' object does not support item assignment`);
		setFieldValue(nested, colonParts[1], value);
		return;
	}
	const words = header
		.split(/[\s\u001c-\u001f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u)
		.filter(Boolean);
	if (words.length === 2) {
		const dud: PyDict = {};
		setFieldValue(dud, words[0], value);
		const [[field, item]] = Object.entries(dud);
		const existing = obj[field];
		if (existing === undefined) obj[field] = [];
		else if (!Array.isArray(existing)) obj[field] = [existing];
		if (item !== '') (obj[field] as PyValue[]).push(item);
		return;
	}
	let field = header;
	let result: PyValue = value;
	const questionParts = header.split('?');
	if (questionParts.length === 2 && pyStrip(questionParts[1]) === '') {
		field = questionParts[0];
		const key = typeof value === 'string' ? value.toLowerCase() : undefined;
		if (key === undefined || !(key in BOOLEANS)) {
			throw new JsonReaderError(`Values for field ${field} must be "yes" or "no", not "${pyStr(value)}"`);
		}
		result = BOOLEANS[key];
	}
	field = pyStrip(field);
	if (field in obj) throw new JsonReaderError(`You have a repeat field: ${field}`);
	obj[field] = result;
}

/** `WorkbookJSONReader`: every worksheet wrapped, by exact title; the total row count checked against `maxRows`. */
export class FixtureWorkbookReader {
	readonly sheets: FixtureSheet[] = [];

	static async open(data: Buffer, maxRows: number): Promise<FixtureWorkbookReader> {
		let raw: RawWorksheet[];
		try {
			raw = await readXlsxWorksheets(data);
		} catch (error) {
			if (error instanceof UnreadableCell) throw new UploadCrash(error.message);
			if (!(error instanceof UnreadableWorkbook)) throw error;
			// BadZipfile and KeyError are caught (a KeyError prints as its repr); other parse errors are not.
			if (error.message === 'File is not a zip file') throw new WorkbookReadError('invalidFile', error.message);
			if (error.message.startsWith('There is no item named')) {
				throw new WorkbookReadError('invalidFile', `"${error.message}"`);
			}
			if (/^'.*'$/.test(error.message)) throw new WorkbookReadError('invalidFile', error.message);
			throw new UploadCrash(error.message);
		}
		const reader = new FixtureWorkbookReader();
		for (const sheet of raw) {
			try {
				reader.sheets.push(new FixtureSheet(sheet));
			} catch (error) {
				if (error instanceof JsonReaderError) throw new WorkbookReadError('columns', error.message);
				throw error;
			}
		}
		// How HQ counts is not known for sure: every row of every sheet, headers included, as openpyxl sizes them.
		const total = reader.sheets.reduce((sum, sheet) => sum + sheet.maxRow, 0);
		if (total > maxRows) throw new TooManyRows(maxRows, total);
		return reader;
	}

	/** `get_worksheet(title)`: the last sheet with that exact title. */
	sheet(title: string): FixtureSheet | undefined {
		return [...this.sheets].reverse().find((sheet) => sheet.title === title);
	}
}

export class TooManyRows extends Error {
	constructor(
		readonly maxRowCount: number,
		readonly actualRowCount: number,
	) {
		super(
			`Lookup tables can contain a maximum of ${maxRowCount} rows. The uploaded file contains ${actualRowCount} rows.`,
		);
	}
}
