/** Checks on the header row: valid property names, reserved and built-in names, the search and name columns. */
import { columnLetter } from '../../shared/spreadsheet/cellReferences';
import { CheckReport } from './report';

/** Server limits (docs/commcare-api.md §3, §6.9). */
export const MAX_COLUMNS = 300;
/** A valid case property name for the server: Python's `^[a-zA-Z][\w_-]*$`, where `\w` is Unicode-aware. */
const VALID_HEADER = /^[a-zA-Z][\p{L}\p{N}_-]*$/u;

const RESERVED_HEADERS: Record<string, string> = {
	type: 'Error: Field name "type" is reserved',
	closed: 'Error: Field name "closed" is reserved',
	parent_ref: 'Error: Field name "{}" is deprecated. Please use "parent_identifier" instead.',
};
const BUILT_IN_HEADERS = ['case_name', 'case_type'];

/** Cells the server's CSV conversion turns into booleans or numbers (docs/commcare-api.md §6.1), which would make a header invalid. */
const CSV_RETYPED_HEADER = /^(true|t|yes|y|false|f|no|n|nan|inf|infinity)$/i;

export function checkHeaders(report: CheckReport): void {
	const { headers } = report.input;
	const kinds = report.input.headerKinds ?? [];
	const seen = new Map<string, number[]>();
	headers.forEach((header, index) => {
		if (header === null) return;
		const where = report.columnLabel(header, index);
		const kind = kinds[index] ?? 'text';
		if (kind !== 'text') {
			report.error(
				'nonTextHeader',
				`Header ${where} is ${kind === 'other' ? 'an error value' : `a ${kind}`}, not text`,
				'CommCare rejects the upload: headers must be text naming a case property. Retype it as text (for example with a leading apostrophe in Excel) or rename it.',
				{ column: header },
			);
		} else {
			const problem = headerProblem(header);
			if (problem) {
				report.error(
					'invalidHeader',
					`Header ${where} ${problem}`,
					'CommCare rejects the whole upload: headers are case property names and must start with a letter and contain only letters, digits, underscores and hyphens. Rename the column.',
					{ column: header },
				);
			} else if (report.input.format === 'csv' && CSV_RETYPED_HEADER.test(header)) {
				report.warn(
					'csvHeaderMayBeRetyped',
					`Header ${where} is a word CommCare converts when it reads a CSV file (to a boolean or a number)`,
					'If it converts headers too, it rejects the upload as a non-text header. Rename the column, or upload .xlsx.',
					{ column: header },
				);
			}
		}
		seen.set(header, [...(seen.get(header) ?? []), index]);
	});
	for (const [header, indexes] of seen) {
		if (indexes.length < 2) continue;
		report.error(
			'duplicateHeader',
			`Header '${header}' appears ${indexes.length} times (columns ${indexes.map(columnLetter).join(', ')})`,
			'The columns set the same case property, and which value wins is undefined. Remove or rename the extra columns.',
			{ column: header },
		);
	}
	const columnCount = headers.filter((header) => header !== null).length;
	if (columnCount > MAX_COLUMNS) {
		report.error(
			'tooManyColumns',
			`The sheet has ${columnCount} columns; CommCare accepts at most ${MAX_COLUMNS}`,
			'CommCare rejects the upload. Split the properties over several imports (each with the ID column).',
		);
	}
}

export function checkSpecialColumns(report: CheckReport): void {
	const { searchColumn, nameColumn, createNewCases } = report.settings;
	const present = new Set(report.input.headers.filter((header): header is string => header !== null));
	for (const [header, serverMessage] of Object.entries(RESERVED_HEADERS)) {
		if (!present.has(header)) continue;
		report.error(
			'reservedHeader',
			`Column '${header}' is reserved`,
			`The whole import would fail with "${serverMessage}". Rename or remove the column${header === 'parent_ref' ? " (use 'parent_identifier' for the index name)" : ''}.`,
			{ column: header },
		);
	}
	for (const header of BUILT_IN_HEADERS) {
		if (!present.has(header)) continue;
		report.error(
			'builtInHeader',
			`Column '${header}' collides with a built-in case field`,
			`Rows that create cases fail with 'Case Generation Error' (Key '${header}' specified twice), and what it does on update is undefined. Remove or rename the column; ${header === 'case_name' ? `case names go in the name column ('${nameColumn}')` : 'the case type comes from the Case Type setting'}.`,
			{ column: header },
		);
	}
	if (!present.has(searchColumn)) {
		report.error(
			'missingSearchColumn',
			`The ID column '${searchColumn}' is not in the sheet`,
			`CommCare accepts the upload and then fails the whole import with '${searchColumn}'. Add the column '${searchColumn}'${createNewCases ? ' (it may be empty when only creating cases)' : ''}, or set ID Column to the header that holds the ${report.settings.searchField === 'external_id' ? 'external ids' : 'case ids'}.`,
			{ column: searchColumn },
		);
	}
	if (createNewCases && !present.has(nameColumn)) {
		report.warn(
			'missingNameColumn',
			`The name column '${nameColumn}' is not in the sheet`,
			'New cases would be created with empty names. Add the column, or set Name Column to the header holding case names.',
			{ column: nameColumn },
		);
	}
	if (nameColumn !== 'name' && present.has(nameColumn) && present.has('name')) {
		report.warn(
			'nameColumnCollision',
			`Both the name column '${nameColumn}' and a 'name' column are present`,
			'Both set the case name, and which one wins is undefined. Remove or rename one of them.',
			{ column: 'name' },
		);
	}
	if (present.has('date_opened')) {
		report.warn(
			'dateOpenedIgnored',
			"Column 'date_opened' is applied only with a feature flag",
			'CommCare applies it only on projects with the BULK_UPLOAD_DATE_OPENED feature flag; elsewhere it drops the column without a message. Drop it, or ask for the flag.',
			{ column: 'date_opened' },
		);
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

export function quoteList(names: string[]): string {
	return names.map((name) => `'${name}'`).join(', ');
}
