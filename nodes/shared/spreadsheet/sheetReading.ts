/**
 * What reading an .xlsx as CommCare's reader (openpyxl) does hands to whoever collects its rows: each row, its header
 * cells, and the errors that stop the read. Both nodes read users' workbooks with it.
 */

/** Excel's limit on the characters in one cell. */
export const MAX_CELL_LENGTH = 32_767;

/** What kind of value a header cell holds. The server rejects non-text headers (docs/commcare-api.md §3, check 6a). */
export type HeaderKind = 'text' | 'blank' | 'number' | 'date' | 'boolean' | 'other';

/** Thrown when the file cannot be read at all. The server would reject it too . */
export class SpreadsheetReadError extends Error {
	/** `message`: one line saying what could not be read; `description`: why it matters and what to do. */
	constructor(
		message: string,
		readonly description: string,
	) {
		super(message);
		this.name = 'SpreadsheetReadError';
	}
}

export interface HeaderCell {
	text: string | null;
	kind: HeaderKind;
}

/**
 * One row as CommCare's reader gives it. Readers fill in one object per row and reuse it: no garbage per row.
 * `cellCount` is the row's length there (an `.xlsx` row without a dimension ends at its last cell), and its row dict
 * has keys for those columns only.
 */
export interface ReadRow {
	/** Counts from 1 = header; rows never seen (absent from the file) are empty rows of `emptyRowLength` cells. */
	rowNumber: number;
	cellCount: number;
	/** Some value is truthy for Python (not blank, 0 or false): CommCare reads up to the last such row. */
	truthy: boolean;
	/** Every value is blank for the importer (empty, or `---`). */
	blank: boolean;
	/** Some value is a text that is `---` once stripped (`markerAt` then says which). */
	hasMarker: boolean;
	/** A cell's value as read (text, a JavaScript or Python number, a boolean, a date; null when empty). */
	valueAt(columnIndex: number): unknown;
	isBlankAt(columnIndex: number): boolean;
	markerAt(columnIndex: number): boolean;
}

/** What `readSheetXml` feeds, row by row (the Bulk Import's checks collect one sheet; the lookup-table reader all). */
export interface SheetRowReceiver {
	/** The sheet's `<dimension>` width (its last column, 1-based): absent rows are empty rows that wide. */
	setDimensionWidth(columns: number): void;
	setHeader(cells: HeaderCell[]): void;
	/** Takes the next row (`row` is reused by the reader); false to stop reading. */
	addRow(row: ReadRow): boolean;
	/** A cell or row the sheet's `<dimension>` (`ref`) leaves out holds data. */
	noteOutsideDimension(ref: string, cell: string): void;
	/** A row holding data whose number does not follow the row before it. */
	noteRowOutOfOrder(rowNumber: number): void;
}

/** Thrown from inside the sheet reader when the checks have read all they need (see RowCollector.addRow). */
export class StopReading extends Error {
	constructor() {
		super('enough rows read');
		this.name = 'StopReading';
	}
}
