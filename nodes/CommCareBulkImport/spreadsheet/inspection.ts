/**
 * What the checks learn from a sheet (headers, sheet names, row count, the values they test, the rows CommCare's reader
 * would not read as shown), collected in bounded memory.
 */
import type { SheetFormat } from './formats';
import type { HeaderKind } from '../../shared/spreadsheet/sheetReading';
import { MAX_ID_LENGTH_CHECKED } from './values';

/** Some rows: the first few (spreadsheet numbers), and how many in all. */
export interface RowSample {
	rows: number[];
	count: number;
}

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
	/** Rows after the header up to the last non-blank one CommCare reads (trailing blank rows are not counted). */
	dataRowCount: number;
	/** Blank rows (spreadsheet numbers) between the header and the last non-blank row: the server skips them. */
	blankRowNumbers: number[];
	/** Non-blank rows after 1000 consecutive empty rows: the server stops reading there (docs/commcare-api.md §6.1; `.xlsx` and items, not CSV). */
	rowsAfterGap: { firstRow: number; count: number } | null;
	/**
	 * For each requested column present in the headers: the text CommCare stores per data row (index 0 = spreadsheet
	 * row 2), cut to MAX_STORED_VALUE_LENGTH characters.
	 */
	values: Record<string, (string | null)[]>;
	/** The search column's search id per data row (`_parse_search_id`), when the search column was named and present. */
	searchIds: string[] | null;
	/** Columns (0-based) with data but a blank header cell, or beyond the last header: CommCare drops them. */
	dataWithoutHeader: Array<{ column: number; rows: number[]; count: number }>;
	/** Set when a row after MAX_DATA_ROWS data rows holds data; reading stopped there. */
	rowLimitExceeded: { firstRow: number } | null;
	/** Items source: rows whose value of a column holds characters an .xlsx cannot store (dropped when written). */
	unstorableCharacters: Record<string, number[]>;
	/** Rows whose value of a column is `---` (CommCare stores an empty value: it clears the property). */
	blankMarkers: Record<string, number[]>;
	/**
	 * `.xlsx`: rows CommCare reads without a cell for the search column (a short row, or a row number missing in a
	 * sheet without a dimension): the whole import fails there (docs/commcare-api.md §6.1a).
	 */
	rowsWithoutSearchCell: RowSample | null;
	/** `.xlsx`: non-blank rows that end before some columns: CommCare leaves those properties unchanged. */
	shortRows: (RowSample & { columns: string[] }) | null;
	/** `.xlsx`: data the sheet's `<dimension>` leaves out (CommCare's reader does not read past it). */
	cellsOutsideDimension: { dimension: string; cells: string[]; count: number } | null;
	/** `.xlsx`: rows whose number is not above the row before them: CommCare's reader skips them. */
	rowsOutOfOrder: RowSample | null;
	/**
	 * Non-blank rows after the last row holding a truthy value (only 0, false or empty values): CommCare's reader stops
	 * at that row and never reads them. Items are sent with them, and they are skipped like blank rows.
	 */
	rowsNotRead: number[];
}

/** CommCare's importer takes at most this many data rows (`MAX_CASE_IMPORTER_ROWS`, docs/…): reading stops after. */
export const MAX_DATA_ROWS = 100_000;
/**
 * A copy of `text` that does not keep its source alive. Parsers hand out substrings of the chunk they read, and V8
 * keeps the whole chunk for as long as any substring of it lives: stored as is, the values of 100,000 rows would
 * hold most of the file's text in memory.
 */
export function detached(text: string | null): string | null {
	return text === null ? null : (' ' + text).slice(1);
}

/** Stored values keep this many characters at most (code points): the checks' longest test is "over 255". */
export const MAX_STORED_VALUE_LENGTH = MAX_ID_LENGTH_CHECKED + 2;

/**
 * A value as the checks keep it: detached from its source, and cut to MAX_STORED_VALUE_LENGTH code points (the
 * checks ask of a long value only that it is long), so that 100,000 rows of long notes cost what ids do.
 */
export function storedValue(text: string | null): string | null {
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
