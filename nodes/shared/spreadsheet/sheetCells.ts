/** The cells of a worksheet row as CommCare's reader (openpyxl, data only) reads them, for the checks. */
import { excelSerialAsRead, isoCellAsRead } from './dates';
import { type HeaderCell, type ReadRow, SpreadsheetReadError } from './sheetReading';
import {
	isPythonNumber,
	isTruthyCell,
	plainNumberIsZero,
	pythonNumberOfCellText,
	serverText,
	isBlankMarker,
} from '../cellText';
import type { WorkbookParts } from './xlsxParts';

/** One cell of the row being read, as written in the sheet: its type (`t`), style (`s`) and value text. */
export interface RawCell {
	type: string;
	style: number;
	/** `<v>` text, or the text of an inline string; null when the cell has none. */
	text: string | null;
	/** Its reference (`C5`), for messages. */
	ref: string;
}

/** The reference of the first cell holding something, or null. */
export function firstDataCell(cells: RawCell[], parts: WorkbookParts): string | null {
	for (const raw of cells) if (raw && cellKind(raw, parts) !== CellKind.Empty) return raw.ref;
	return null;
}

/** The row being read, as the collector takes it (one object, reloaded per row). */
export class RawRow implements ReadRow {
	rowNumber = 0;
	cellCount = 0;
	truthy = false;
	blank = true;
	hasMarker = false;
	private cells: RawCell[] = [];

	constructor(private readonly parts: WorkbookParts) {}

	load(rowNumber: number, cells: RawCell[], width: number): void {
		this.rowNumber = rowNumber;
		this.cells = cells;
		this.cellCount = width;
		this.truthy = false;
		this.blank = true;
		this.hasMarker = false;
		const end = Math.min(width, cells.length);
		for (let index = 0; index < end; index++) {
			const raw = cells[index];
			if (!raw) continue;
			const kind = cellKind(raw, this.parts);
			if (kind === CellKind.Empty) continue;
			if (kind !== CellKind.Falsy) this.truthy = true;
			if (kind === CellKind.Marker) this.hasMarker = true;
			else this.blank = false;
		}
	}

	valueAt(index: number): unknown {
		const raw = this.cells[index];
		return raw ? cellValue(raw, this.parts) : null;
	}

	isBlankAt(index: number): boolean {
		const raw = this.cells[index];
		return !raw || isBlankRawCell(raw, this.parts);
	}

	markerAt(index: number): boolean {
		const raw = this.cells[index];
		return raw !== undefined && cellKind(raw, this.parts) === CellKind.Marker;
	}
}

/** What a cell is to CommCare's row counting (truthy or not) and to its importer (blank or not). */
const CellKind = {
	/** No value or an empty text: falsy, blank. */
	Empty: 0,
	/** `---` (once stripped): truthy, but stored as an empty value. */
	Marker: 1,
	/** A numeric 0 or false: falsy to the row counting, but stored as `0` / `False`. */
	Falsy: 2,
	Value: 3,
} as const;
type CellKind = (typeof CellKind)[keyof typeof CellKind];

function cellKind(raw: RawCell, parts: WorkbookParts): CellKind {
	const text = raw.text;
	if (text === null || text === '') return CellKind.Empty;
	switch (raw.type) {
		case 's': {
			const index = sharedStringIndex(raw, parts);
			if (parts.strings.isEmpty(index)) return CellKind.Empty;
			return parts.strings.isMarker(index) ? CellKind.Marker : CellKind.Value;
		}
		case 'str':
		case 'inlineStr':
			return isBlankMarker(text) ? CellKind.Marker : CellKind.Value;
		case 'n': {
			// Most numbers are plain: tell a zero without reading the number; in a date style it is a date (or a time),
			// which is never falsy.
			const plainZero = plainNumberIsZero(text);
			if (plainZero !== null) return plainZero && !parts.isDateStyle(raw.style) ? CellKind.Falsy : CellKind.Value;
			return isTruthyCell(cellValue(raw, parts)) ? CellKind.Value : CellKind.Falsy;
		}
		case 'b':
			return isTruthyCell(cellValue(raw, parts)) ? CellKind.Value : CellKind.Falsy;
		default:
			return CellKind.Value;
	}
}

/** A shared-string cell's index into the table; refused when the table does not have it (CommCare's reader fails). */
function sharedStringIndex(raw: RawCell, parts: WorkbookParts): number {
	const index = Number(raw.text);
	if (!(Number.isInteger(index) && index >= 0 && index < parts.strings.size)) {
		throw new SpreadsheetReadError(
			`Cell ${raw.ref} refers to text the .xlsx file does not have (shared string ${raw.text})`,
			"CommCare's reader would fail on it. Re-save the file in Excel, LibreOffice or Google Sheets.",
		);
	}
	return index;
}

/**
 * The cell's value as CommCare's reader (openpyxl, data only) gives it: text, a Python number (int or float, by its
 * text), a boolean, a date or time (date-styled numbers, `t="d"`), an error value. A cell it cannot read refuses the
 * file: CommCare fails on it while opening the file.
 */
function cellValue(raw: RawCell, parts: WorkbookParts): unknown {
	const text = raw.text;
	if (raw.type === 'inlineStr') return text;
	if (text === null || text === '') return null;
	switch (raw.type) {
		case 's':
			return parts.strings.text(sharedStringIndex(raw, parts));
		case 'str':
			return text;
		case 'b': {
			const flag = pythonNumberOfCellText(text);
			if (flag?.pythonType !== 'int') throw unreadableCell(raw, 'a boolean');
			return flag.value !== 0;
		}
		case 'e':
			return { error: text };
		case 'd': {
			const date = isoCellAsRead(text);
			if (date === null) throw unreadableCell(raw, 'a date');
			return date;
		}
		case 'n': {
			const number = pythonNumberOfCellText(text);
			if (number === null) throw unreadableCell(raw, 'a number');
			return parts.isDateStyle(raw.style) ? excelSerialAsRead(number.value, parts.date1904) : number;
		}
		default:
			return text;
	}
}

function unreadableCell(raw: RawCell, what: string): SpreadsheetReadError {
	return new SpreadsheetReadError(
		`Cell ${raw.ref} holds '${(raw.text ?? '').slice(0, 40)}' as ${what}, which CommCare's reader cannot read`,
		'The upload would fail. Re-save the file in Excel, LibreOffice or Google Sheets, or fix the cell.',
	);
}

/** Whether the importer reads the cell as blank (empty or `---`); a shared string by its bits, without its text. */
function isBlankRawCell(raw: RawCell, parts: WorkbookParts): boolean {
	const kind = cellKind(raw, parts);
	return kind === CellKind.Empty || kind === CellKind.Marker;
}

/** A header cell: blank when Python finds it falsy (CommCare drops such a column: `if header`). */
export function headerCell(raw: RawCell | undefined, parts: WorkbookParts): HeaderCell {
	const value = raw ? cellValue(raw, parts) : null;
	const text = serverText(value);
	if (text === null || !isTruthyCell(value)) return { text: null, kind: 'blank' };
	if (isPythonNumber(value)) return { text, kind: 'number' };
	if (typeof value === 'boolean') return { text, kind: 'boolean' };
	if (typeof value === 'object' && value !== null && 'pythonType' in value) return { text, kind: 'date' };
	if (raw?.type === 'e' || typeof value === 'object') return { text, kind: 'other' };
	return { text, kind: 'text' };
}
