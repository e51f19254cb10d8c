/** Checks on the values of the rows: search ids, lengths, `close`, skipped rows, characters a sheet cannot store. */
import { isBlankText, serverSearchId } from '../../shared/searchIds';
import { CREATION_OFF, TURN_CREATION_ON } from '../../shared/messages';
import { CheckReport } from './report';

export const MAX_ID_LENGTH = 255;

export function checkUnstorableCharacters(report: CheckReport): void {
	for (const [column, rows] of Object.entries(report.input.unstorableCharacters ?? {})) {
		report.warn(
			'unstorableCharactersDropped',
			`'${column}' holds characters a spreadsheet cannot store (control characters, or broken surrogate pairs) in ${report.describeRows(rows)}: they are left out of the sheet, and CommCare stores the text without them.`,
			report.withRows({ column }, rows),
		);
	}
}

export function checkSearchIds(report: CheckReport): void {
	const { searchField, searchColumn, createNewCases } = report.settings;
	const ids = report.input.values[searchColumn];
	if (!ids) return;
	const blank: number[] = [];
	const changed: Array<{ row: number; from: string; to: string }> = [];
	report.eachValue(ids, (text, row) => {
		const id = serverSearchId(text);
		if (id === '') blank.push(row);
		else if (id !== text) changed.push({ row, from: text as string, to: id });
	});

	if (searchField === 'external_id') {
		if (blank.length > 0) {
			report.rowIssue(
				'blankExternalIds',
				blank,
				`${report.describeRows(blank, true)} ${blank.length === 1 ? 'has' : 'have'} no external id in '${searchColumn}'. Matching by external id, CommCare reports them as 'Blank External ID' and imports nothing from them. Fill in the ids or remove the rows.`,
				searchColumn,
			);
		}
		checkDuplicateIds(report, searchColumn, ids, createNewCases ? 'createsThenUpdates' : 'updatesSameCase');
	} else if (!createNewCases && blank.length > 0) {
		report.rowIssue(
			'blankCaseIds',
			blank,
			`${report.describeRows(blank, true)} ${blank.length === 1 ? 'has' : 'have'} no case id in '${searchColumn}'. Matching by case id while ${CREATION_OFF}, CommCare skips such rows without an error. Fill in the case ids, or ${TURN_CREATION_ON} to create them.`,
			searchColumn,
		);
	}
	if (
		searchField === 'case_id' &&
		createNewCases &&
		report.input.values.external_id &&
		searchColumn !== 'external_id'
	) {
		checkDuplicateIds(report, 'external_id', report.input.values.external_id, 'sharedByNewCases');
	}

	if (changed.length > 0) {
		const examples = changed.slice(0, 3).map((c) => `'${c.from}' → '${c.to}'`);
		report.warn(
			'searchIdsChangedByServer',
			`CommCare reads search ids that look like numbers as whole numbers: ${examples.join(', ')}${changed.length > 3 ? ' …' : ''} (${report.describeRows(changed.map((c) => c.row))}). Those rows match (or create) the changed id, not the one written. Use ids that do not look like numbers, or store them in CommCare the way the server reads them.`,
			report.withRows(
				{ column: searchColumn },
				changed.map((c) => c.row),
			),
		);
	}
}

export function checkDuplicateIds(
	report: CheckReport,
	column: string,
	texts: (string | null)[],
	consequence: 'createsThenUpdates' | 'updatesSameCase' | 'sharedByNewCases',
): void {
	const rowsById = new Map<string, number[]>();
	report.eachValue(texts, (text, row) => {
		const id =
			column === report.settings.searchColumn ? serverSearchId(text) : isBlankText(text) ? '' : (text as string);
		if (id === '') return;
		const rows = rowsById.get(id);
		if (rows) rows.push(row);
		else rowsById.set(id, [row]);
	});
	const duplicates = [...rowsById].filter(([, rows]) => rows.length > 1);
	if (duplicates.length === 0) return;
	const examples = duplicates.slice(0, 3).map(([id, rows]) => `'${id}' (${report.describeRows(rows)})`);
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
	report.warn(
		'duplicateExternalIds',
		`${duplicates.length} external id${duplicates.length === 1 ? '' : 's'} in '${column}' appear${duplicates.length === 1 ? 's' : ''} on more than one row: ${examples.join(', ')}${more}. ${what} Merge the rows or fix the ids if that is not intended.`,
		report.withRows({ column }, allRows),
	);
}

export function checkLengths(report: CheckReport): void {
	const { searchField, searchColumn, nameColumn } = report.settings;
	const names = report.input.values[nameColumn];
	if (names) {
		const long = report.rowsWhere(names, (text) => codePoints(text) > MAX_ID_LENGTH);
		if (long.length > 0) {
			report.rowIssue(
				'nameTooLong',
				long,
				`${report.describeRows(long, true)} ${long.length === 1 ? 'has a case name' : 'have case names'} in '${nameColumn}' longer than ${MAX_ID_LENGTH} characters. CommCare rejects those rows ('Name Too Long'). Shorten the names.`,
				nameColumn,
			);
		}
	}
	const externalIdColumns = new Set<string>();
	if (searchField === 'external_id') externalIdColumns.add(searchColumn);
	externalIdColumns.add('external_id');
	for (const column of externalIdColumns) {
		const ids = report.input.values[column];
		if (!ids) continue;
		const long = report.rowsWhere(ids, (text) => codePoints(text) > MAX_ID_LENGTH);
		if (long.length === 0) continue;
		report.rowIssue(
			'externalIdTooLong',
			long,
			`${report.describeRows(long, true)} ${long.length === 1 ? 'has an external id' : 'have external ids'} in '${column}' longer than ${MAX_ID_LENGTH} characters. CommCare rejects those rows ('External ID Too Long'). Shorten the ids.`,
			column,
		);
	}
}

export function checkCloseValues(report: CheckReport): void {
	const closes = report.input.values.close;
	if (!closes) return;
	const notYes = report.rowsWhere(closes, (text) => text !== 'yes');
	if (notYes.length === 0) return;
	const examples = [...new Set(notYes.map((row) => closes[row - 2] as string))].slice(0, 3).map((v) => `'${v}'`);
	report.warn(
		'closeValueNotYes',
		`Column 'close' holds values other than 'yes' (${examples.join(', ')}) in ${report.describeRows(notYes)}. Only the exact text 'yes' closes a case (a boolean true becomes 'True', which does not), and only when updating an existing case. Write 'yes' for cases to close and leave the others blank.`,
		report.withRows({ column: 'close' }, notYes),
	);
}

export function checkSkippedRows(report: CheckReport): void {
	const blank = report.input.blankRowNumbers ?? [];
	if (blank.length > 0) {
		report.warn(
			'blankRows',
			`${report.describeRows(blank, true)} ${blank.length === 1 ? 'is' : 'are'} blank. CommCare skips blank rows without reporting them. Remove them if they were meant to hold data.`,
			report.withRows({}, blank),
		);
	}
	const gap = report.input.rowsAfterGap;
	if (gap) {
		report.warn(
			'rowsAfterBlankGap',
			`${gap.count} row${gap.count === 1 ? '' : 's'} from row ${gap.firstRow} on come${gap.count === 1 ? 's' : ''} after 1000 or more empty rows. CommCare stops reading the sheet there, so ${gap.count === 1 ? 'it is' : 'they are'} never imported or reported. Remove the empty rows.`,
			{ rows: [gap.firstRow] },
		);
	}
}

/** Python's `len()`: code points, not UTF-16 units. */
function codePoints(text: string): number {
	let count = 0;
	for (const _ of text) count++;
	return count;
}
