/** What the checks learn from a sheet (headers, sheet names, row count, the values they test), collected in bounded memory. */
import type { SheetFormat } from './formats';
import { searchCellText, serverText } from './serverText';
import { MAX_ID_LENGTH_CHECKED } from './values';

/** What kind of value a header cell holds. The server rejects non-text headers (docs/commcare-api.md §3, check 6a). */
export type HeaderKind = 'text' | 'blank' | 'number' | 'date' | 'boolean' | 'other';

export interface SheetInspection {
	format: SheetFormat;
	/** Why the file could not be checked (e.g. `.xls`); null when it was read. */
	limitation: string | null;
	/** All sheet titles, in workbook order (empty for CSV). */
	sheetNames: string[];
	/** First sheet, row 1: each header cell as text, null when blank. Trailing blank cells are not included. */
	headers: (string | null)[];
	/** Same length as `headers`. */
	headerKinds: HeaderKind[];
	/** Rows after the header up to the last non-blank one (trailing blank rows are not counted). */
	dataRowCount: number;
	/** Blank rows (spreadsheet numbers) between the header and the last non-blank row: the server skips them. */
	blankRowNumbers: number[];
	/** Non-blank rows after 1000 consecutive empty rows: the server stops reading there (docs/commcare-api.md §6.1; `.xlsx` and items, not CSV). */
	rowsAfterGap: { firstRow: number; count: number } | null;
	/**
	 * For each requested column present in the headers: its text per data row (index 0 = spreadsheet row 2), cut to
	 * MAX_STORED_VALUE_LENGTH characters.
	 */
	values: Record<string, (string | null)[]>;
	/** Columns (0-based) with data but a blank header cell, or beyond the last header: CommCare drops them. */
	dataWithoutHeader: Array<{ column: number; rows: number[]; count: number }>;
	/** Set when a row after MAX_DATA_ROWS data rows holds data; reading stopped there. */
	rowLimitExceeded: { firstRow: number } | null;
	/** Items source: rows whose value of a column holds characters an .xlsx cannot store (dropped when written). */
	unstorableCharacters: Record<string, number[]>;
}

/** Thrown when the file cannot be read at all. The server would reject it too (docs/commcare-api.md §3, check 4b). */
export class SpreadsheetReadError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'SpreadsheetReadError';
	}
}

/** The server's `.xlsx` reader stops after this many consecutive empty rows. */
const SERVER_EMPTY_ROW_LIMIT = 1000;

export interface HeaderCell {
	text: string | null;
	kind: HeaderKind;
}

/** CommCare's importer takes at most this many data rows (`MAX_CASE_IMPORTER_ROWS`, docs/…): reading stops after. */
export const MAX_DATA_ROWS = 100_000;
/** Rows under a blank header listed at most per column (the count says how many there are). */
const LISTED_ROWS = 5;

/**
 * Accumulates an inspection row by row, whatever the source. Keeps only the requested columns' values (each cut to
 * what the checks need, see `storedValue`); blank rows are held as a count until a non-blank row shows they are not
 * trailing. Its memory is bounded whatever the file holds: at most MAX_DATA_ROWS rows are kept, and `addRow` says
 * when to stop reading.
 */
export class RowCollector {
	private headers: HeaderCell[] = [];
	private headerSeen = false;
	private blankHeaderIndexes: number[] = [];
	private readonly valueColumnIndexes = new Map<string, number>();
	private readonly values: Record<string, (string | null)[]> = {};
	private lastDataRow = 1;
	private readonly blankRows: number[] = [];
	private rowsAfterGap: { firstRow: number; count: number } | null = null;
	private readonly blankHeaderData = new Map<number, { rows: number[]; count: number }>();
	private rowLimitExceeded: { firstRow: number } | null = null;
	private readonly unstorable = new Map<string, number[]>();

	/** `searchColumn`: its values are read with the server's search-id rule (`searchCellText`). */
	constructor(
		private readonly format: SheetInspection['format'],
		private readonly valueColumns: string[],
		private readonly searchColumn?: string,
	) {}

	setHeader(cells: HeaderCell[]): void {
		let last = cells.length;
		while (last > 0 && cells[last - 1].kind === 'blank') last--;
		this.headers = cells.slice(0, last).map((cell) => ({ text: detached(cell.text), kind: cell.kind }));
		this.headerSeen = true;
		this.blankHeaderIndexes = this.headers.flatMap((cell, index) => (cell.kind === 'blank' ? [index] : []));
		for (const column of this.valueColumns) {
			// With duplicate headers, the first one's values (the checks report the duplicates anyway).
			const index = this.headers.findIndex((cell) => cell.kind !== 'blank' && cell.text === column);
			if (index >= 0 && !this.valueColumnIndexes.has(column)) {
				this.valueColumnIndexes.set(column, index);
				this.values[column] = [];
			}
		}
	}

	/**
	 * `rowNumber` counts from 1 = header; rows never seen (absent from the file) are blank. `valueAt` gives a cell's
	 * value as read (a number, a boolean, a Date, text; null when empty). `cellCount` and `isBlankAt` let it notice
	 * data in columns without a header. Returns false when reading should stop: the sheet has more rows than
	 * CommCare imports, and nothing after that changes what the checks say.
	 */
	addRow(
		rowNumber: number,
		blank: boolean,
		valueAt: (columnIndex: number) => unknown,
		cellCount = 0,
		isBlankAt?: (columnIndex: number) => boolean,
	): boolean {
		if (!this.headerSeen) this.setHeader([]);
		if (blank) return true;
		const gap = rowNumber - this.lastDataRow - 1;
		if (this.rowsAfterGap || (this.format !== 'csv' && gap >= SERVER_EMPTY_ROW_LIMIT)) {
			if (this.rowsAfterGap) this.rowsAfterGap.count++;
			else this.rowsAfterGap = { firstRow: rowNumber, count: 1 };
			return true;
		}
		if (rowNumber > MAX_DATA_ROWS + 1) {
			this.rowLimitExceeded = { firstRow: rowNumber };
			return false;
		}
		if (isBlankAt) this.noteDataWithoutHeader(rowNumber, cellCount, isBlankAt);
		for (let row = this.lastDataRow + 1; row < rowNumber; row++) {
			this.blankRows.push(row);
			for (const column of this.valueColumnIndexes.keys()) this.values[column].push(null);
		}
		for (const [column, index] of this.valueColumnIndexes) {
			const value = valueAt(index);
			const text = column === this.searchColumn ? searchCellText(value, this.format) : serverText(value);
			this.values[column].push(storedValue(text));
		}
		this.lastDataRow = rowNumber;
		return true;
	}

	/** Items source: a value of `column` in `row` holds characters the writer drops (they are not stored). */
	noteUnstorable(column: string, row: number): void {
		const rows = this.unstorable.get(column);
		if (rows) rows.push(row);
		else this.unstorable.set(column, [row]);
	}

	/** Data in a column whose header is blank, or beyond the last header: CommCare drops such a column. */
	private noteDataWithoutHeader(
		rowNumber: number,
		cellCount: number,
		isBlankAt: (columnIndex: number) => boolean,
	): void {
		const note = (index: number) => {
			if (isBlankAt(index)) return;
			const seen = this.blankHeaderData.get(index) ?? { rows: [], count: 0 };
			if (seen.rows.length < LISTED_ROWS) seen.rows.push(rowNumber);
			seen.count += 1;
			this.blankHeaderData.set(index, seen);
		};
		for (const index of this.blankHeaderIndexes) if (index < cellCount) note(index);
		for (let index = this.headers.length; index < cellCount; index++) note(index);
	}

	/**
	 * Counts rows after the last data row, up to `lastRowNumber`, as blank data rows (rows that are sent). With no
	 * data row at all nothing changes: the sheet stays empty, as the checks expect.
	 */
	addTrailingBlankRows(lastRowNumber: number): void {
		if (this.rowsAfterGap || this.lastDataRow === 1 || this.rowLimitExceeded) return;
		for (let row = this.lastDataRow + 1; row <= Math.min(lastRowNumber, MAX_DATA_ROWS + 1); row++) {
			this.blankRows.push(row);
			for (const column of this.valueColumnIndexes.keys()) this.values[column].push(null);
		}
		this.lastDataRow = Math.max(this.lastDataRow, Math.min(lastRowNumber, MAX_DATA_ROWS + 1));
		if (lastRowNumber > MAX_DATA_ROWS + 1) this.rowLimitExceeded = { firstRow: MAX_DATA_ROWS + 2 };
	}

	finish(sheetNames: string[], limitation: string | null): SheetInspection {
		return {
			format: this.format,
			limitation,
			sheetNames,
			headers: this.headers.map((cell) => cell.text),
			headerKinds: this.headers.map((cell) => cell.kind),
			dataRowCount: this.lastDataRow - 1,
			blankRowNumbers: this.blankRows,
			rowsAfterGap: this.rowsAfterGap,
			values: this.values,
			dataWithoutHeader: [...this.blankHeaderData]
				.sort(([a], [b]) => a - b)
				.map(([column, seen]) => ({ column, ...seen })),
			rowLimitExceeded: this.rowLimitExceeded,
			unstorableCharacters: Object.fromEntries(this.unstorable),
		};
	}
}

/**
 * A copy of `text` that does not keep its source alive. Parsers hand out substrings of the chunk they read, and V8
 * keeps the whole chunk for as long as any substring of it lives: stored as is, the values of 100,000 rows would
 * hold most of the file's text in memory.
 */
function detached(text: string | null): string | null {
	return text === null ? null : (' ' + text).slice(1);
}

/** Stored values keep this many characters at most (code points): the checks' longest test is "over 255". */
export const MAX_STORED_VALUE_LENGTH = MAX_ID_LENGTH_CHECKED + 2;

/**
 * A value as the checks keep it: detached from its source, and cut to MAX_STORED_VALUE_LENGTH code points (the
 * checks ask of a long value only that it is long), so that 100,000 rows of long notes cost what ids do.
 */
function storedValue(text: string | null): string | null {
	if (text === null) return null;
	if (text.length <= MAX_STORED_VALUE_LENGTH) return detached(text);
	let kept = '';
	let count = 0;
	for (const char of text) {
		if (count === MAX_STORED_VALUE_LENGTH) break;
		kept += char;
		count += 1;
	}
	return kept;
}

/** Thrown from inside the sheet reader when the checks have read all they need (see RowCollector.addRow). */
export class StopReading extends Error {
	constructor() {
		super('enough rows read');
		this.name = 'StopReading';
	}
}
