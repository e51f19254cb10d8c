/** The file formats CommCare's importer takes (by file name ending), and where a sheet came from. */
export type SpreadsheetFormat = 'xlsx' | 'csv' | 'xls';

/** A user's file, or a sheet written from input items. */
export type SheetFormat = SpreadsheetFormat | 'items';
