/** One sheet of a lookup-table workbook as read (reader.ts), for turning into the plan (tablesFromSheets.ts). */
import type { HeaderCell } from '../../shared/spreadsheet/sheetReading';

/** What is kept of one sheet, as CommCare's reader takes it. */
export interface ReadSheet {
	name: string;
	/** The header cells up to the first empty one (CommCare ignores the columns after it). */
	header: HeaderCell[];
	/** Whether the sheet has a header row at all. */
	hasHeader: boolean;
	hasDimension: boolean;
	/** Data rows up to the first blank one: each cell's text as CommCare stores it, and its sheet row. */
	rows: Array<{ sheetRow: number; texts: string[]; kinds?: string[] }>;
	/** The first blank row, when a non-blank row follows it (CommCare stops there and reads nothing after it). */
	blankRowBeforeData: { blankRow: number; nextDataRow: number; dataRowsAfter: number } | null;
	/** Rows holding something in columns after the header's last (or after a blank header cell). */
	dataWithoutHeader: number[];
	/** Rows seen, the header included (what CommCare's row count sees, at least). */
	rowCount: number;
}
