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
 * | code                      | severity        | why (what the server does)                                          |
 * | ------------------------- | --------------- | ------------------------------------------------------------------- |
 * | `checksUnavailable`       | warning         | the file could not be read here (`.xls`): nothing was checked       |
 * | `emptySheet`              | error           | no data rows: nothing to import                                     |
 * | `invalidHeader`           | error           | upload rejected: headers must match `^[a-zA-Z][\w-]*$` (§3 6a)      |
 * | `nonTextHeader`           | error           | upload rejected: a number/date/boolean header fails the same check  |
 * | `csvHeaderMayBeRetyped`   | warning         | CSV cells such as `yes`, `nan` are re-typed by the server (§6.1); if headers are too, the upload is rejected |
 * | `duplicateHeader`         | error           | two columns feed one property; which value wins is undefined        |
 * | `reservedHeader`          | error           | `type`, `closed`, `parent_ref`: the whole import fails (§5, §6.5)   |
 * | `builtInHeader`           | error           | `case_name`, `case_type`: every created case fails with `Case Generation Error`; on update the effect is undefined (§6.5) |
 * | `tooManyColumns`          | error           | upload rejected above 300 columns (§3 6c)                           |
 * | `missingSearchColumn`     | error           | the whole import fails with `'<column>'` (§6.1)                     |
 * | `sheetNamedAfterCaseType` | error           | the only sheet is named like the case type: multi-sheet mode (§3.3) |
 * | `possibleMultiSheetMode`  | warning         | one of several sheets is named like the case type (§3.3)            |
 * | `extraSheetsIgnored`      | warning         | only the first sheet is imported (§7)                               |
 * | `missingNameColumn`       | warning         | creating cases without the name column gives them empty names (§6.4) |
 * | `nameColumnCollision`     | warning         | the name column and a `name` column both set the name (§6.5)        |
 * | `blankExternalIds`        | warning / error | `Blank External ID` row errors (§6.3)                               |
 * | `duplicateExternalIds`    | warning         | later rows update the case the first created, or `Too Many Matches` (§6.8) |
 * | `searchIdsChangedByServer`| warning         | number-like ids are truncated to integers: `00123` → `123` (§6.1)   |
 * | `blankCaseIds`            | warning / error | matching by case id with creation off: rows skipped silently (§6.3) |
 * | `nameTooLong`             | warning / error | `Name Too Long` row errors above 255 characters (§6.9)              |
 * | `externalIdTooLong`       | warning / error | `External ID Too Long` row errors above 255 characters (§6.9)       |
 * | `blankRows`               | warning         | blank rows are skipped without a trace (§6.2)                       |
 * | `rowsAfterBlankGap`       | warning         | the server stops reading after 1000 empty rows (§6.1)               |
 * | `dateOpenedIgnored`       | warning         | `date_opened` is dropped unless a feature flag is on (§6.5)         |
 * | `closeValueNotYes`        | warning         | only the exact text `yes` closes a case, and only on update (§6.4)  |
 * | `missingHeaderRow`        | error           | row 1 is empty but rows below hold data: CommCare reads headers from row 1 only |
 * | `dataWithoutHeader`       | error           | a column with data but no header: CommCare drops it with its data (§3) |
 * | `tooManyRows`             | error           | more than 100,000 data rows, CommCare's importer limit (§7); reading stops there |
 * | `unstorableCharactersDropped` | warning     | items: characters no .xlsx can store are left out of a value (in id columns: refused) |
 * | `blankMarkerValues`       | warning         | `---` is stored as an empty value: it clears the property (§6.1)   |
 * | `rowsWithoutIdCell`       | error           | `.xlsx` without a recorded size: a row without the ID cell fails the whole import (§6.1a) |
 * | `shortRows`               | error           | `.xlsx` without a recorded size: a row ending early leaves properties unchanged (§6.1a) |
 * | `cellsOutsideDimension`   | error           | `.xlsx`: data past the recorded size is never read (§6.1a)         |
 * | `rowsOutOfOrder`          | error           | `.xlsx`: a row numbered below the one before it is skipped (§6.1a) |
 * | `rowsNotRead`             | warning         | rows after the last truthy row (only 0, false, blank) are never read (§6.1a) |
 *
 * Decisions where CommCare's behaviour leaves room:
 * - Names and external ids over 255 characters are warnings (errors when every row has one), by the rule above: the
 *   server reports exactly those rows (`Name Too Long`), the others import, and per-record results route them.
 * - Blank external ids: the same (`Blank External ID` for those rows only).
 * - `case_name` / `case_type` are errors even with Create New Cases off: no row can use them, and their effect on
 *   update is not known.
 * - Duplicate headers are errors: one of the two values is silently lost.
 * Row numbers are spreadsheet rows (header = 1); item numbers are input item indexes counted from 0, like `$itemIndex`.
 */
import type { ImportSettings } from '../parameters';
import { checkHeaders, checkSpecialColumns } from './headerChecks';
import { CheckReport, type CheckInput, type CheckResult } from './report';
import { checkDataWithoutHeader, checkRowLimit, checkRowShapes, checkSheets } from './sheetChecks';
import {
	checkBlankMarkers,
	checkCloseValues,
	checkLengths,
	checkSearchIds,
	checkSkippedRows,
	checkUnstorableCharacters,
} from './valueChecks';

/** Every column whose values `runChecks` may read (a file's reader asks for all of them before it knows the header). */
export function checkedColumns(settings: ImportSettings): string[] {
	return [...new Set([settings.searchColumn, settings.nameColumn, 'external_id', 'close'])];
}

/** The columns whose values `runChecks` needs, among those present in `headers`. */
export function checkedValueColumns(settings: ImportSettings, headers: (string | null)[]): string[] {
	const present = new Set(headers.filter((header): header is string => header !== null));
	return checkedColumns(settings).filter((column) => present.has(column));
}

export function runChecks(input: CheckInput): CheckResult {
	const report = new CheckReport(input);
	if (report.input.limitation) {
		report.warn('checksUnavailable', report.input.limitation);
		return report.result();
	}
	const hasHeaders = report.input.headers.some((header) => header !== null);
	if (!hasHeaders && report.input.dataRowCount > 0) {
		report.error(
			'missingHeaderRow',
			`Row 1 is empty, but the rows below hold data: CommCare reads the column names (case properties) from row 1 only, so it would import nothing. Put the headers in row 1${report.isItems ? '' : ' (delete the empty rows above them)'}.`,
		);
		return report.result();
	}
	if (report.input.dataRowCount === 0 || !hasHeaders) {
		report.error(
			'emptySheet',
			hasHeaders
				? 'The sheet has a header row but no data rows: there is nothing to import. Check that the right file (or input) was used.'
				: 'The sheet is empty: it has no header row and no data. Check that the right file (or input) was used.',
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
	checkLengths(report);
	checkCloseValues(report);
	checkSkippedRows(report);
	checkUnstorableCharacters(report);
	checkBlankMarkers(report);
	return report.result();
}
