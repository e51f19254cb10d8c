/** Checks on the sheet as a whole: its size, its sheets (multi-sheet mode), columns without a header. */
import { columnLetter } from '../spreadsheet/columns';
import { MAX_DATA_ROWS } from '../spreadsheet/inspection';
import { quoteList } from './headerChecks';
import { listWithMore } from '../../shared/messages';
import { CheckReport } from './report';

export function checkRowLimit(report: CheckReport): void {
	const exceeded = report.input.rowLimitExceeded;
	if (!exceeded) return;
	report.error(
		'tooManyRows',
		`The sheet has more than ${MAX_DATA_ROWS.toLocaleString('en')} data rows (row ${exceeded.firstRow.toLocaleString('en')} holds data, and the checks stopped reading there): CommCare's importer takes at most ${MAX_DATA_ROWS.toLocaleString('en')}. Split the rows over several files${report.isItems ? ' (lower Rows per Upload)' : ', or use Source "Input Items", which splits them by Rows per Upload'}.`,
		{ rows: [exceeded.firstRow] },
	);
}

export function checkDataWithoutHeader(report: CheckReport): void {
	for (const { column, rows, count } of report.input.dataWithoutHeader ?? []) {
		const more = count > rows.length ? ` and ${count - rows.length} more` : '';
		report.error(
			'dataWithoutHeader',
			`Column ${columnLetter(column)} has no header but holds data (${listWithMore(rows, rows.length === 1 ? 'row' : 'rows')}${more}): CommCare drops a column without a header, and its data with it. Give the column a header (the case property it sets), or delete the column.`,
			report.withRows({}, rows),
		);
	}
}

export function checkSheets(report: CheckReport): void {
	const { sheetNames } = report.input;
	const caseType = report.settings.caseType;
	if (sheetNames.length === 1 && sheetNames[0] === caseType) {
		report.error(
			'sheetNamedAfterCaseType',
			`The sheet is named '${caseType}', like the case type. CommCare then switches to multi-sheet mode: it imports each sheet as the case type named by its title and reads the settings differently (creating cases needs 'True' instead of 'on', the name column is ignored). Rename the sheet (for example to 'cases').`,
		);
	} else if (sheetNames.length > 1 && sheetNames.includes(caseType)) {
		report.warn(
			'possibleMultiSheetMode',
			`Sheet '${caseType}' is named like the case type. If every other sheet (${quoteList(sheetNames.filter((n) => n !== caseType))}) is also named like a case type of the project, CommCare imports each sheet as its own case type and reads the settings differently. Rename the sheet to be sure.`,
		);
	}
	if (sheetNames.length > 1) {
		report.warn(
			'extraSheetsIgnored',
			`The file has ${sheetNames.length} sheets; only the first, '${sheetNames[0]}', is imported. ${quoteList(sheetNames.slice(1))} ${sheetNames.length === 2 ? 'is' : 'are'} ignored.`,
		);
	}
}
