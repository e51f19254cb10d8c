/** Checks on the values of the rows: search ids, lengths, `close`, skipped rows, characters a sheet cannot store. */
import { isBlankText, searchIdOfText } from '../../shared/cellText';
import { CREATION_OFF, TURN_CREATION_ON } from '../../shared/wording';
import { CheckReport } from './report';

export const MAX_ID_LENGTH = 255;

export function checkUnstorableCharacters(report: CheckReport): void {
	for (const [column, rows] of Object.entries(report.input.unstorableCharacters ?? {})) {
		report.warn(
			'unstorableCharactersDropped',
			`'${column}' holds characters a spreadsheet cannot store in ${report.describeRows(rows)}`,
			'Control characters are left out, and half of a broken surrogate pair becomes U+FFFD (the replacement character), so CommCare stores the text changed. Remove them at the source if they matter.',
			report.withRows({ column }, rows),
		);
	}
}

/** `---` is the case export's "no value": CommCare stores it as an empty value, which clears the property on update. */
export function checkBlankMarkers(report: CheckReport): void {
	const { searchColumn } = report.settings;
	for (const [column, rows] of Object.entries(report.input.blankMarkers ?? {})) {
		const read = rows.filter((row) => !report.blankRows.has(row));
		if (read.length === 0) continue;
		report.warn(
			'blankMarkerValues',
			`'${column}' holds '---' in ${report.describeRows(read)}`,
			column === searchColumn
				? `CommCare looks the row up by the text '---' itself, but stores '---' as an empty value (its export's "no value"). Fill in the ids.`
				: `CommCare stores '---' as an empty value (its export's "no value"), so on update it clears '${column}'. Write an empty value to clear it on purpose, or other text to keep.`,
			report.withRows({ column }, read),
		);
	}
}

/** The search column's search ids per data row: as read, or (for text the checks were given) by the text rule. */
function searchIdsOf(report: CheckReport): string[] | null {
	const { searchColumn } = report.settings;
	const texts = report.input.values[searchColumn];
	if (!texts) return null;
	return report.input.searchIds ?? texts.map((text) => searchIdOfText(text));
}

export function checkSearchIds(report: CheckReport): void {
	const { searchField, searchColumn, createNewCases } = report.settings;
	const texts = report.input.values[searchColumn];
	const ids = searchIdsOf(report);
	if (!texts || !ids) return;
	const blank: number[] = [];
	const changed: Array<{ row: number; from: string; to: string }> = [];
	report.eachValue(texts, (text, row) => {
		const id = ids[row - 2] ?? '';
		if (id === '') blank.push(row);
		else if (text !== null && id !== text) changed.push({ row, from: text, to: id });
	});

	if (searchField === 'external_id') {
		if (blank.length > 0) {
			report.rowIssue(
				'blankExternalIds',
				blank,
				`${report.describeRows(blank, true)} ${blank.length === 1 ? 'has' : 'have'} no external id in '${searchColumn}'`,
				"Matching by external id, CommCare reports such rows as 'Blank External ID' and imports nothing from them. Fill in the ids or remove the rows.",
				searchColumn,
			);
		}
		checkDuplicateIds(report, searchColumn, ids, createNewCases ? 'createsThenUpdates' : 'updatesSameCase');
	} else if (!createNewCases && blank.length > 0) {
		report.rowIssue(
			'blankCaseIds',
			blank,
			`${report.describeRows(blank, true)} ${blank.length === 1 ? 'has' : 'have'} no case id in '${searchColumn}'`,
			`Matching by case id while ${CREATION_OFF}, CommCare skips such rows without an error. Fill in the case ids, or ${TURN_CREATION_ON} to create them.`,
			searchColumn,
		);
	}
	const externalIds = report.input.values.external_id;
	if (searchField === 'case_id' && createNewCases && externalIds && searchColumn !== 'external_id') {
		const keys = externalIds.map((text) => (isBlankText(text) ? '' : (text as string)));
		checkDuplicateIds(report, 'external_id', keys, 'sharedByNewCases');
	}

	if (changed.length > 0) {
		const examples = changed.slice(0, 3).map((c) => `'${c.from}' → '${c.to}'`);
		const where = `${examples.join(', ')}${changed.length > 3 ? ' …' : ''} in ${report.describeRows(changed.map((c) => c.row))}`;
		report.warn(
			'searchIdsChangedByServer',
			`CommCare reads the ${searchField === 'external_id' ? 'ids' : 'case ids'} in '${searchColumn}' as whole numbers: ${where}`,
			searchField === 'external_id'
				? "It looks such rows up by the changed id. A case it creates from such a row keeps the id as written, so the next import (or a later row of this one) looks for the changed id, does not find that case, and creates another. Use ids that do not read as numbers (for example with a prefix: 'HH-00123')."
				: 'Such rows match the changed id, not the one written. Check the column holds CommCare case ids.',
			report.withRows(
				{ column: searchColumn },
				changed.map((c) => c.row),
			),
		);
	}
}

/**
 * Rows that create a case with an empty name cell, which gives the case an empty name. With creation on, a row
 * matching by case ID without one certainly creates; a row matching by external ID creates when its id matches no
 * case, which only the server knows ("a case it creates"). Without the name column `missingNameColumn` says it once.
 */
export function checkBlankNames(report: CheckReport): void {
	const { searchField, nameColumn, createNewCases } = report.settings;
	const names = report.input.values[nameColumn];
	const ids = searchIdsOf(report);
	if (!createNewCases || !names || !ids || !report.input.headers.includes(nameColumn)) return;
	const byCaseId = searchField === 'case_id';
	const rows: number[] = [];
	report.eachValue(names, (name, row) => {
		const noId = (ids[row - 2] ?? '') === '';
		// By case ID a row without one creates; by external ID it creates nothing ('Blank External ID').
		if (isBlankText(name) && (byCaseId ? noId : !noId)) rows.push(row);
	});
	if (rows.length === 0) return;
	const one = rows.length === 1;
	report.warn(
		'blankNames',
		byCaseId
			? `${report.describeRows(rows, true)} ${one ? 'creates a case' : 'create cases'} with an empty name in '${nameColumn}'`
			: `${report.describeRows(rows, true)} ${one ? 'has' : 'have'} an empty name in '${nameColumn}': a case ${one ? 'it creates' : 'they create'} gets no name`,
		byCaseId
			? `Matching by case ID, a row without one always creates a case, named by its '${nameColumn}' cell. Fill in the names, or set Name Column to the column holding them.`
			: `Matching by external ID, a row whose id matches no case creates one, named by its '${nameColumn}' cell (on an update the empty cell changes nothing). Fill in the names of new cases, or set Name Column to the column holding them.`,
		report.withRows({ column: nameColumn }, rows),
	);
}

/** Blank `keys` ('') are left out; the others are grouped, and those on several rows reported. */
export function checkDuplicateIds(
	report: CheckReport,
	column: string,
	keys: string[],
	consequence: 'createsThenUpdates' | 'updatesSameCase' | 'sharedByNewCases',
): void {
	const rowsById = new Map<string, number[]>();
	report.eachValue(keys, (id, row) => {
		if (!id) return;
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
		`${duplicates.length} external id${duplicates.length === 1 ? '' : 's'} in '${column}' appear${duplicates.length === 1 ? 's' : ''} on more than one row: ${examples.join(', ')}${more}`,
		`${what} Merge the rows or fix the ids if that is not intended.`,
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
				`${report.describeRows(long, true)} ${long.length === 1 ? 'has a case name' : 'have case names'} in '${nameColumn}' longer than ${MAX_ID_LENGTH} characters`,
				"CommCare rejects such rows ('Name Too Long'). Shorten the names.",
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
			`${report.describeRows(long, true)} ${long.length === 1 ? 'has an external id' : 'have external ids'} in '${column}' longer than ${MAX_ID_LENGTH} characters`,
			"CommCare rejects such rows ('External ID Too Long'). Shorten the ids.",
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
		`Column 'close' holds values other than 'yes' (${examples.join(', ')}) in ${report.describeRows(notYes)}`,
		"Only the exact text 'yes' closes a case (a boolean true becomes 'True', which does not), and only when updating an existing case. Write 'yes' for cases to close and leave the others blank.",
		report.withRows({ column: 'close' }, notYes),
	);
}

export function checkSkippedRows(report: CheckReport): void {
	const blank = report.input.blankRowNumbers ?? [];
	if (blank.length > 0) {
		report.warn(
			'blankRows',
			`${report.describeRows(blank, true)} ${blank.length === 1 ? 'is' : 'are'} blank`,
			'CommCare skips blank rows without reporting them. Remove them if they were meant to hold data.',
			report.withRows({}, blank),
		);
	}
	const gap = report.input.rowsAfterGap;
	if (gap) {
		report.warn(
			'rowsAfterBlankGap',
			`${gap.count} row${gap.count === 1 ? '' : 's'} from sheet row ${gap.firstRow} on come${gap.count === 1 ? 's' : ''} after 1000 or more empty rows`,
			`CommCare stops reading the sheet there, so ${gap.count === 1 ? 'it is' : 'they are'} never imported or reported. Remove the empty rows.`,
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
