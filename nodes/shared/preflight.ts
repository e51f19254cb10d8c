/**
 * The checks the server would make, made before uploading (spec §3, §3.3, §5, §6), on what `spreadsheet.ts` read
 * from a file or from items (`SheetInspection`). Pure: no I/O, so `runPreflight({ settings, ...inspection })` is all
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
 *
 * Decisions where the spec leaves room:
 * - Names and external ids over 255 characters are warnings (errors when every row has one), by the rule above: the
 *   server reports exactly those rows (`Name Too Long`), the others import, and per-record results route them.
 * - Blank external ids: the same (`Blank External ID` for those rows only).
 * - `case_name` / `case_type` are errors even with Create New Cases off: no row can use them, and their effect on
 *   update is not known.
 * - Duplicate headers are errors: one of the two values is silently lost.
 * Row numbers are spreadsheet rows (header = 1); item numbers are input item indexes counted from 0, like `$itemIndex`.
 */
import type { HeaderKind, SheetInspection } from './spreadsheet';
import { columnLetter, isBlankText, MAX_DATA_ROWS, serverSearchId } from './spreadsheet';

export { serverSearchId };
import type { ImportSettings, PreflightIssue } from './types';

export interface PreflightInput {
	settings: ImportSettings;
	headers: (string | null)[];
	/** Kinds of the header cells (`SheetInspection.headerKinds`); all text when absent. */
	headerKinds?: HeaderKind[];
	sheetNames: string[];
	dataRowCount: number;
	/** Texts of the columns `preflightValueColumns` names, per data row (index 0 = row 2). */
	values: Record<string, (string | null)[]>;
	blankRowNumbers?: number[];
	rowsAfterGap?: SheetInspection['rowsAfterGap'];
	format?: SheetInspection['format'];
	/** When set, the file could not be read and no check runs (`checksUnavailable`). */
	limitation?: string | null;
	dataWithoutHeader?: SheetInspection['dataWithoutHeader'];
	rowLimitExceeded?: SheetInspection['rowLimitExceeded'];
	unstorableCharacters?: SheetInspection['unstorableCharacters'];
	/** Items source: the input item index of a spreadsheet row. */
	rowToItem?: (row: number) => number;
}

export interface PreflightResult {
	errors: PreflightIssue[];
	warnings: PreflightIssue[];
}

/** Server limits (spec §3, §6.9). */
export const MAX_COLUMNS = 300;
export const MAX_ID_LENGTH = 255;

/** A valid case property name for the server: Python's `^[a-zA-Z][\w_-]*$`, where `\w` is Unicode-aware. */
const VALID_HEADER = /^[a-zA-Z][\p{L}\p{N}_-]*$/u;

const RESERVED_HEADERS: Record<string, string> = {
	type: 'Error: Field name "type" is reserved',
	closed: 'Error: Field name "closed" is reserved',
	parent_ref: 'Error: Field name "{}" is deprecated. Please use "parent_identifier" instead.',
};
const BUILT_IN_HEADERS = ['case_name', 'case_type'];

/** Cells the server's CSV conversion turns into booleans or numbers (spec §6.1), which would make a header invalid. */
const CSV_RETYPED_HEADER = /^(true|t|yes|y|false|f|no|n|nan|inf|infinity)$/i;

/** Every column whose values `runPreflight` may read (a file's reader asks for all of them before it knows the header). */
export function checkedColumns(settings: ImportSettings): string[] {
	return [...new Set([settings.searchColumn, settings.nameColumn, 'external_id', 'close'])];
}

/** The columns whose values `runPreflight` needs, among those present in `headers`. */
export function preflightValueColumns(settings: ImportSettings, headers: (string | null)[]): string[] {
	const present = new Set(headers.filter((header): header is string => header !== null));
	return checkedColumns(settings).filter((column) => present.has(column));
}

export function runPreflight(input: PreflightInput): PreflightResult {
	return new Preflight(input).run();
}

// ---------------------------------------------------------------------------------------------------------------

class Preflight {
	private readonly errors: PreflightIssue[] = [];
	private readonly warnings: PreflightIssue[] = [];
	private readonly settings: ImportSettings;
	private readonly blankRows: Set<number>;
	private readonly isItems: boolean;

	constructor(private readonly input: PreflightInput) {
		this.settings = input.settings;
		this.blankRows = new Set(input.blankRowNumbers ?? []);
		this.isItems = input.format === 'items';
	}

	run(): PreflightResult {
		if (this.input.limitation) {
			this.warn('checksUnavailable', this.input.limitation);
			return this.result();
		}
		const hasHeaders = this.input.headers.some((header) => header !== null);
		if (!hasHeaders && this.input.dataRowCount > 0) {
			this.error(
				'missingHeaderRow',
				`Row 1 is empty, but the rows below hold data: CommCare reads the column names (case properties) from row 1 only, so it would import nothing. Put the headers in row 1${this.isItems ? '' : ' (delete the empty rows above them)'}.`,
			);
			return this.result();
		}
		if (this.input.dataRowCount === 0 || !hasHeaders) {
			this.error(
				'emptySheet',
				hasHeaders
					? 'The sheet has a header row but no data rows: there is nothing to import. Check that the right file (or input) was used.'
					: 'The sheet is empty: it has no header row and no data. Check that the right file (or input) was used.',
			);
			if (!hasHeaders) return this.result();
		}
		this.checkRowLimit();
		this.checkSheets();
		this.checkHeaders();
		this.checkDataWithoutHeader();
		this.checkSpecialColumns();
		this.checkSearchIds();
		this.checkLengths();
		this.checkCloseValues();
		this.checkSkippedRows();
		this.checkUnstorableCharacters();
		return this.result();
	}

	private checkRowLimit(): void {
		const exceeded = this.input.rowLimitExceeded;
		if (!exceeded) return;
		this.error(
			'tooManyRows',
			`The sheet has more than ${MAX_DATA_ROWS.toLocaleString('en')} data rows (row ${exceeded.firstRow.toLocaleString('en')} holds data, and the checks stopped reading there): CommCare's importer takes at most ${MAX_DATA_ROWS.toLocaleString('en')}. Split the rows over several files${this.isItems ? ' (lower Rows per Upload)' : ', or use Source "Input Items", which splits them by Rows per Upload'}.`,
			{ rows: [exceeded.firstRow] },
		);
	}

	private checkDataWithoutHeader(): void {
		for (const { column, rows, count } of this.input.dataWithoutHeader ?? []) {
			const more = count > rows.length ? ` and ${count - rows.length} more` : '';
			this.error(
				'dataWithoutHeader',
				`Column ${columnLetter(column)} has no header but holds data (${listWithMore(rows, rows.length === 1 ? 'row' : 'rows')}${more}): CommCare drops a column without a header, and its data with it. Give the column a header (the case property it sets), or delete the column.`,
				this.withRows({}, rows),
			);
		}
	}

	private checkUnstorableCharacters(): void {
		for (const [column, rows] of Object.entries(this.input.unstorableCharacters ?? {})) {
			this.warn(
				'unstorableCharactersDropped',
				`'${column}' holds characters a spreadsheet cannot store (control characters, or broken surrogate pairs) in ${this.describeRows(rows)}: they are left out of the sheet, and CommCare stores the text without them.`,
				this.withRows({ column }, rows),
			);
		}
	}

	// --- sheets and headers -------------------------------------------------------------------------------------

	private checkSheets(): void {
		const { sheetNames } = this.input;
		const caseType = this.settings.caseType;
		if (sheetNames.length === 1 && sheetNames[0] === caseType) {
			this.error(
				'sheetNamedAfterCaseType',
				`The sheet is named '${caseType}', like the case type. CommCare then switches to multi-sheet mode: it imports each sheet as the case type named by its title and reads the settings differently (creating cases needs 'True' instead of 'on', the name column is ignored). Rename the sheet (for example to 'cases').`,
			);
		} else if (sheetNames.length > 1 && sheetNames.includes(caseType)) {
			this.warn(
				'possibleMultiSheetMode',
				`Sheet '${caseType}' is named like the case type. If every other sheet (${quoteList(sheetNames.filter((n) => n !== caseType))}) is also named like a case type of the project, CommCare imports each sheet as its own case type and reads the settings differently. Rename the sheet to be sure.`,
			);
		}
		if (sheetNames.length > 1) {
			this.warn(
				'extraSheetsIgnored',
				`The file has ${sheetNames.length} sheets; only the first, '${sheetNames[0]}', is imported. ${quoteList(sheetNames.slice(1))} ${sheetNames.length === 2 ? 'is' : 'are'} ignored.`,
			);
		}
	}

	private checkHeaders(): void {
		const { headers } = this.input;
		const kinds = this.input.headerKinds ?? [];
		const seen = new Map<string, number[]>();
		headers.forEach((header, index) => {
			if (header === null) return;
			const where = this.columnLabel(header, index);
			const kind = kinds[index] ?? 'text';
			if (kind !== 'text') {
				this.error(
					'nonTextHeader',
					`Header ${where} is ${kind === 'other' ? 'an error value' : `a ${kind}`}, not text. CommCare rejects the upload: headers must be text naming a case property. Retype it as text (for example a leading apostrophe in Excel) or rename it.`,
					{ column: header },
				);
			} else {
				const problem = headerProblem(header);
				if (problem) {
					this.error(
						'invalidHeader',
						`Header ${where} ${problem}. CommCare rejects the whole upload: headers are case property names and must start with a letter and contain only letters, digits, underscores and hyphens. Rename the column.`,
						{ column: header },
					);
				} else if (this.input.format === 'csv' && CSV_RETYPED_HEADER.test(header)) {
					this.warn(
						'csvHeaderMayBeRetyped',
						`Header ${where} is a word CommCare converts when it reads a CSV file (to a boolean or a number). If it converts headers too, it rejects the upload as a non-text header. Rename the column, or upload .xlsx.`,
						{ column: header },
					);
				}
			}
			seen.set(header, [...(seen.get(header) ?? []), index]);
		});
		for (const [header, indexes] of seen) {
			if (indexes.length < 2) continue;
			this.error(
				'duplicateHeader',
				`Header '${header}' appears ${indexes.length} times (columns ${indexes.map(columnLetter).join(', ')}). Both columns set the same case property and which value wins is undefined. Remove or rename the extra columns.`,
				{ column: header },
			);
		}
		const columnCount = headers.filter((header) => header !== null).length;
		if (columnCount > MAX_COLUMNS) {
			this.error(
				'tooManyColumns',
				`The sheet has ${columnCount} columns; CommCare accepts at most ${MAX_COLUMNS} and rejects the upload. Split the properties over several imports (each with the search column).`,
			);
		}
	}

	private checkSpecialColumns(): void {
		const { searchColumn, nameColumn, createNewCases } = this.settings;
		const present = new Set(this.input.headers.filter((header): header is string => header !== null));
		for (const [header, serverMessage] of Object.entries(RESERVED_HEADERS)) {
			if (!present.has(header)) continue;
			this.error(
				'reservedHeader',
				`Column '${header}' is reserved: the whole import would fail with "${serverMessage}". Rename or remove the column${header === 'parent_ref' ? " (use 'parent_identifier' for the index name)" : ''}.`,
				{ column: header },
			);
		}
		for (const header of BUILT_IN_HEADERS) {
			if (!present.has(header)) continue;
			this.error(
				'builtInHeader',
				`Column '${header}' collides with a built-in case field: rows that create cases fail with 'Case Generation Error' (Key '${header}' specified twice), and what it does on update is undefined. Remove or rename the column; ${header === 'case_name' ? `case names go in the name column ('${nameColumn}')` : 'the case type comes from the Case Type setting'}.`,
				{ column: header },
			);
		}
		if (!present.has(searchColumn)) {
			this.error(
				'missingSearchColumn',
				`The search column '${searchColumn}' is not in the sheet. CommCare accepts the upload and then fails the whole import with '${searchColumn}'. Add the column '${searchColumn}'${createNewCases ? ' (it may be empty when only creating cases)' : ''}, or set ID Column to the header that holds the ${this.settings.searchField === 'external_id' ? 'external ids' : 'case ids'}.`,
				{ column: searchColumn },
			);
		}
		if (createNewCases && !present.has(nameColumn)) {
			this.warn(
				'missingNameColumn',
				`The name column '${nameColumn}' is not in the sheet, so new cases would be created with empty names. Add the column or set Name Column to the header holding case names.`,
				{ column: nameColumn },
			);
		}
		if (nameColumn !== 'name' && present.has(nameColumn) && present.has('name')) {
			this.warn(
				'nameColumnCollision',
				`Both the name column '${nameColumn}' and a 'name' column are present; both set the case name and which one wins is undefined. Remove or rename one of them.`,
				{ column: 'name' },
			);
		}
		if (present.has('date_opened')) {
			this.warn(
				'dateOpenedIgnored',
				"Column 'date_opened' is applied only on projects with the BULK_UPLOAD_DATE_OPENED feature flag; elsewhere CommCare drops it without a message.",
				{ column: 'date_opened' },
			);
		}
	}

	// --- values ---------------------------------------------------------------------------------------------------

	private checkSearchIds(): void {
		const { searchField, searchColumn, createNewCases } = this.settings;
		const ids = this.input.values[searchColumn];
		if (!ids) return;
		const blank: number[] = [];
		const changed: Array<{ row: number; from: string; to: string }> = [];
		this.eachValue(ids, (text, row) => {
			const id = serverSearchId(text);
			if (id === '') blank.push(row);
			else if (id !== text) changed.push({ row, from: text as string, to: id });
		});

		if (searchField === 'external_id') {
			if (blank.length > 0) {
				this.rowIssue(
					'blankExternalIds',
					blank,
					`${this.describeRows(blank, true)} ${blank.length === 1 ? 'has' : 'have'} no external id in '${searchColumn}'. Matching by external id, CommCare reports them as 'Blank External ID' and imports nothing from them. Fill in the ids or remove the rows.`,
					searchColumn,
				);
			}
			this.checkDuplicateIds(searchColumn, ids, createNewCases ? 'createsThenUpdates' : 'updatesSameCase');
		} else if (!createNewCases && blank.length > 0) {
			this.rowIssue(
				'blankCaseIds',
				blank,
				`${this.describeRows(blank, true)} ${blank.length === 1 ? 'has' : 'have'} no case id in '${searchColumn}'. Matching by case id with Create New Cases off, CommCare skips such rows without an error. Fill in the case ids, or turn on Create New Cases to create them.`,
				searchColumn,
			);
		}
		if (
			searchField === 'case_id' &&
			createNewCases &&
			this.input.values.external_id &&
			searchColumn !== 'external_id'
		) {
			this.checkDuplicateIds('external_id', this.input.values.external_id, 'sharedByNewCases');
		}

		if (changed.length > 0) {
			const examples = changed.slice(0, 3).map((c) => `'${c.from}' → '${c.to}'`);
			this.warn(
				'searchIdsChangedByServer',
				`CommCare reads search ids that look like numbers as whole numbers: ${examples.join(', ')}${changed.length > 3 ? ' …' : ''} (${this.describeRows(changed.map((c) => c.row))}). Those rows match (or create) the changed id, not the one written. Use ids that do not look like numbers, or store them in CommCare the way the server reads them.`,
				this.withRows(
					{ column: searchColumn },
					changed.map((c) => c.row),
				),
			);
		}
	}

	private checkDuplicateIds(
		column: string,
		texts: (string | null)[],
		consequence: 'createsThenUpdates' | 'updatesSameCase' | 'sharedByNewCases',
	): void {
		const rowsById = new Map<string, number[]>();
		this.eachValue(texts, (text, row) => {
			const id =
				column === this.settings.searchColumn ? serverSearchId(text) : isBlankText(text) ? '' : (text as string);
			if (id === '') return;
			const rows = rowsById.get(id);
			if (rows) rows.push(row);
			else rowsById.set(id, [row]);
		});
		const duplicates = [...rowsById].filter(([, rows]) => rows.length > 1);
		if (duplicates.length === 0) return;
		const examples = duplicates.slice(0, 3).map(([id, rows]) => `'${id}' (${this.describeRows(rows)})`);
		const more = duplicates.length > 3 ? ` and ${duplicates.length - 3} more` : '';
		const what = {
			createsThenUpdates:
				"The first of these rows creates (or updates) the case and the later ones update that same case, so the last row wins; if several cases already share an id, the rows fail with 'Too Many Matches'.",
			updatesSameCase:
				"Each of these rows updates the same case, so the last row wins; if several cases already share an id, the rows fail with 'Too Many Matches'.",
			sharedByNewCases:
				"Rows that create cases give several cases the same external id, and later imports matching by external id will fail with 'Too Many Matches'.",
		}[consequence];
		const allRows = duplicates.flatMap(([, rows]) => rows).sort((a, b) => a - b);
		this.warn(
			'duplicateExternalIds',
			`${duplicates.length} external id${duplicates.length === 1 ? '' : 's'} in '${column}' appear${duplicates.length === 1 ? 's' : ''} on more than one row: ${examples.join(', ')}${more}. ${what} Merge the rows or fix the ids if that is not intended.`,
			this.withRows({ column }, allRows),
		);
	}

	private checkLengths(): void {
		const { searchField, searchColumn, nameColumn } = this.settings;
		const names = this.input.values[nameColumn];
		if (names) {
			const long = this.rowsWhere(names, (text) => codePoints(text) > MAX_ID_LENGTH);
			if (long.length > 0) {
				this.rowIssue(
					'nameTooLong',
					long,
					`${this.describeRows(long, true)} ${long.length === 1 ? 'has a case name' : 'have case names'} in '${nameColumn}' longer than ${MAX_ID_LENGTH} characters. CommCare rejects those rows ('Name Too Long'). Shorten the names.`,
					nameColumn,
				);
			}
		}
		const externalIdColumns = new Set<string>();
		if (searchField === 'external_id') externalIdColumns.add(searchColumn);
		externalIdColumns.add('external_id');
		for (const column of externalIdColumns) {
			const ids = this.input.values[column];
			if (!ids) continue;
			const long = this.rowsWhere(ids, (text) => codePoints(text) > MAX_ID_LENGTH);
			if (long.length === 0) continue;
			this.rowIssue(
				'externalIdTooLong',
				long,
				`${this.describeRows(long, true)} ${long.length === 1 ? 'has an external id' : 'have external ids'} in '${column}' longer than ${MAX_ID_LENGTH} characters. CommCare rejects those rows ('External ID Too Long'). Shorten the ids.`,
				column,
			);
		}
	}

	private checkCloseValues(): void {
		const closes = this.input.values.close;
		if (!closes) return;
		const notYes = this.rowsWhere(closes, (text) => text !== 'yes');
		if (notYes.length === 0) return;
		const examples = [...new Set(notYes.map((row) => closes[row - 2] as string))].slice(0, 3).map((v) => `'${v}'`);
		this.warn(
			'closeValueNotYes',
			`Column 'close' holds values other than 'yes' (${examples.join(', ')}) in ${this.describeRows(notYes)}. Only the exact text 'yes' closes a case (a boolean true becomes 'True', which does not), and only when updating an existing case. Write 'yes' for cases to close and leave the others blank.`,
			this.withRows({ column: 'close' }, notYes),
		);
	}

	private checkSkippedRows(): void {
		const blank = this.input.blankRowNumbers ?? [];
		if (blank.length > 0) {
			this.warn(
				'blankRows',
				`${this.describeRows(blank, true)} ${blank.length === 1 ? 'is' : 'are'} blank. CommCare skips blank rows without reporting them. Remove them if they were meant to hold data.`,
				this.withRows({}, blank),
			);
		}
		const gap = this.input.rowsAfterGap;
		if (gap) {
			this.warn(
				'rowsAfterBlankGap',
				`${gap.count} row${gap.count === 1 ? '' : 's'} from row ${gap.firstRow} on come${gap.count === 1 ? 's' : ''} after 1000 or more empty rows. CommCare stops reading the sheet there, so ${gap.count === 1 ? 'it is' : 'they are'} never imported or reported. Remove the empty rows.`,
				{ rows: [gap.firstRow] },
			);
		}
	}

	// --- helpers --------------------------------------------------------------------------------------------------

	/** Calls back for each non-blank data row (blank rows are skipped by the server and reported once, elsewhere). */
	private eachValue(texts: (string | null)[], callback: (text: string | null, row: number) => void): void {
		texts.forEach((text, index) => {
			const row = index + 2;
			if (!this.blankRows.has(row)) callback(text, row);
		});
	}

	private rowsWhere(texts: (string | null)[], test: (text: string) => boolean): number[] {
		const rows: number[] = [];
		this.eachValue(texts, (text, row) => {
			if (!isBlankText(text) && test(text as string)) rows.push(row);
		});
		return rows;
	}

	/** A row-level finding: an error when it hits every non-blank data row (nothing would import), else a warning. */
	private rowIssue(code: string, rows: number[], message: string, column: string): void {
		const nonBlankRows = this.input.dataRowCount - this.blankRows.size;
		const everyRow = rows.length >= nonBlankRows;
		const full = everyRow ? `${message} No row would import.` : message;
		const issue = this.withRows({ code, message: full, column }, rows);
		(everyRow ? this.errors : this.warnings).push(issue);
	}

	private withRows<T extends Partial<PreflightIssue>>(issue: T, rows: number[]): T {
		const result: T & Partial<PreflightIssue> = { ...issue, rows };
		if (this.input.rowToItem) result.items = rows.map(this.input.rowToItem);
		return result;
	}

	/** `rows 2, 5, 9 and 14 more` — plus the item indexes for items. Capitalised at the start of a sentence. */
	private describeRows(rows: number[], sentenceStart = false): string {
		let text = listWithMore(rows, rows.length === 1 ? 'row' : 'rows');
		if (this.input.rowToItem) {
			const items = rows.map(this.input.rowToItem);
			text += ` (${listWithMore(items, items.length === 1 ? 'item' : 'items')})`;
		}
		return sentenceStart ? text.charAt(0).toUpperCase() + text.slice(1) : text;
	}

	/** `'age ' (column C)` for a file; just `'age '` for items, whose columns the user never sees as letters. */
	private columnLabel(header: string, index: number): string {
		return this.isItems ? `'${header}'` : `'${header}' (column ${columnLetter(index)})`;
	}

	private error(code: string, message: string, extra: Partial<PreflightIssue> = {}): void {
		this.errors.push({ code, message, ...extra });
	}

	private warn(code: string, message: string, extra: Partial<PreflightIssue> = {}): void {
		this.warnings.push({ code, message, ...extra });
	}

	private result(): PreflightResult {
		return { errors: this.errors, warnings: this.warnings };
	}
}

/** Why a text header is not a valid property name, or null when it is. */
function headerProblem(header: string): string | null {
	if (VALID_HEADER.test(header)) return null;
	if (header.trim() === '') return 'is only spaces';
	if (/\s$/.test(header)) return 'ends with a space';
	if (/^\s/.test(header)) return 'starts with a space';
	if (!/^[a-zA-Z]/.test(header)) return 'does not start with a letter (a-z, A-Z)';
	const bad = [...header].find((char) => !/[\p{L}\p{N}_-]/u.test(char)) as string;
	return /\s/.test(bad) ? 'contains a space' : `contains '${bad}'`;
}

const SHOWN_IN_LISTS = 5;

/** `rows 2, 5, 9, 11, 12 and 14 more`; `row 2`; `rows 2 and 5`. */
export function listWithMore(numbers: number[], noun: string): string {
	if (numbers.length === 0) return `no ${noun}`;
	if (numbers.length <= SHOWN_IN_LISTS) {
		if (numbers.length === 1) return `${noun} ${numbers[0]}`;
		return `${noun} ${numbers.slice(0, -1).join(', ')} and ${numbers[numbers.length - 1]}`;
	}
	return `${noun} ${numbers.slice(0, SHOWN_IN_LISTS).join(', ')} and ${numbers.length - SHOWN_IN_LISTS} more`;
}

function quoteList(names: string[]): string {
	return names.map((name) => `'${name}'`).join(', ');
}

/** Python's `len()`: code points, not UTF-16 units. */
function codePoints(text: string): number {
	let count = 0;
	for (const _ of text) count++;
	return count;
}
