/**
 * The checks the server would make, made before uploading (docs/commcare-api.md §3, §3.3, §5, §6), on what `spreadsheet/` read
 * from a file or from items (`SheetInspection`). Pure: no I/O, so `runChecks({ settings, ...inspection })` is all
 * a caller does.
 *
 * One severity rule for every check:
 * - **error**: the upload would be rejected, the import would fail as a whole, every row would fail or be skipped, or
 *   the server would do something other than what was asked (multi-sheet mode; which of two same-named columns wins).
 *   Errors stop the upload.
 * - **warning**: only some rows would fail or be skipped, and the server reports them (or the Import Status node
 *   counts them as skipped); the other rows import as asked. Warnings ride along in the output.
 * So a row-level check that hits every non-blank data row is an error, and the same check on some rows a warning.
 *
 * Every code, its severity and why: catalogue.ts (and the table in docs/bulk-import.md#checks-before-upload).
 *
 * Decisions where CommCare's behaviour leaves room:
 * - Names and external ids over 255 characters are warnings (errors when every row has one), by the rule above: the
 *   server reports exactly those rows (`Name Too Long`), the others import, and per-record results route them.
 * - Blank external ids: the same (`Blank External ID` for those rows only).
 * - `case_name` / `case_type` are errors even with Create New Cases off: no row can use them, and their effect on
 *   update is not known.
 * - Duplicate headers are errors: one of the two values is silently lost.
 * - Parent ids without a `parent_type` column are an error, not a warning: CommCare then looks for every parent among
 *   cases of the imported type, which is right only for a case type that is its own parent (parentChecks.ts).
 * Messages name sheet rows (the header is sheet row 1) and input items counted from 1 ("item 1" is the first); the
 * findings' `rows` are sheet rows, their `items` 0-based indexes like `pairedItem`. Each finding's `message` is one
 * line saying what was found; its `description` says why it matters and what to do.
 */
import type { ImportSettings } from '../parameters';
import { checkHeaders, checkSpecialColumns } from './headerChecks';
import { PARENT_COLUMNS, checkParents } from './parentChecks';
import { CheckReport, type CheckInput, type CheckResult } from './report';
import { checkDataWithoutHeader, checkRowLimit, checkRowShapes, checkSheets } from './sheetChecks';
import {
	checkBlankMarkers,
	checkBlankNames,
	checkCloseValues,
	checkLengths,
	checkSearchIds,
	checkSkippedRows,
	checkUnstorableCharacters,
} from './valueChecks';

/** Every column whose values `runChecks` may read (a file's reader asks for all of them before it knows the header). */
export function checkedColumns(settings: ImportSettings): string[] {
	return [...new Set([settings.searchColumn, settings.nameColumn, 'external_id', 'close', ...PARENT_COLUMNS])];
}

/** The columns whose values `runChecks` needs, among those present in `headers`. */
export function checkedValueColumns(settings: ImportSettings, headers: (string | null)[]): string[] {
	const present = new Set(headers.filter((header): header is string => header !== null));
	return checkedColumns(settings).filter((column) => present.has(column));
}

export function runChecks(input: CheckInput): CheckResult {
	const report = new CheckReport(input);
	if (report.input.limitation) {
		report.warn(
			'checksUnavailable',
			report.input.limitation,
			'Save the file as .xlsx to have it checked; as it is, it is uploaded unchecked.',
		);
		return report.result();
	}
	const hasHeaders = report.input.headers.some((header) => header !== null);
	if (!hasHeaders && report.input.dataRowCount > 0) {
		report.error(
			'missingHeaderRow',
			'Sheet row 1 is empty, but the rows below hold data',
			`CommCare reads the column names (case properties) from row 1 only, so it would import nothing. Put the headers in row 1${report.isItems ? '' : ' (delete the empty rows above them)'}.`,
		);
		return report.result();
	}
	if (report.input.dataRowCount === 0 || !hasHeaders) {
		report.error(
			'emptySheet',
			hasHeaders ? 'The sheet has a header row but no data rows' : 'The sheet is empty: no header row and no data',
			'There is nothing to import. Check that the right file (or input) was used.',
		);
		if (!hasHeaders) return report.result();
	}
	checkRowLimit(report);
	checkSheets(report);
	checkHeaders(report);
	checkDataWithoutHeader(report);
	checkSpecialColumns(report);
	checkRowShapes(report);
	checkSearchIds(report);
	checkBlankNames(report);
	checkLengths(report);
	checkCloseValues(report);
	checkParents(report);
	checkSkippedRows(report);
	checkUnstorableCharacters(report);
	checkBlankMarkers(report);
	return report.result();
}
