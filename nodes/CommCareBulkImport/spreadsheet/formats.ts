/** The file types CommCare's importer reads, decided by the file name's extension (docs/commcare-api.md §3, check 3). */
export const SPREADSHEET_FORMATS = ['xlsx', 'xls', 'csv'] as const;
export type SpreadsheetFormat = (typeof SPREADSHEET_FORMATS)[number];

/** A user's file, or a sheet written from input items. */
export type SheetFormat = SpreadsheetFormat | 'items';

/** The format of a file name whose extension was already checked (`uploadFileName`). */
export function formatOf(fileName: string): SpreadsheetFormat {
	return fileName.slice(fileName.lastIndexOf('.') + 1).toLowerCase() as SpreadsheetFormat;
}
