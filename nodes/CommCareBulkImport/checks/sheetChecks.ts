/** Checks on the sheet as a whole: its size, its sheets (multi-sheet mode), columns without a header, its rows' shapes. */
import { columnLetter } from '../../shared/spreadsheet/cellReferences';
import { MAX_DATA_ROWS, type RowSample } from '../spreadsheet/inspection';
import { quoteList } from './headerChecks';
import { capitalised, sheetRowList } from '../../shared/wording';
import { CheckReport } from './report';

export function checkRowLimit(report: CheckReport): void {
	const exceeded = report.input.rowLimitExceeded;
	if (!exceeded) return;
	report.error(
		'tooManyRows',
		`The sheet has more than ${MAX_DATA_ROWS.toLocaleString('en')} data rows (sheet row ${exceeded.firstRow.toLocaleString('en')} holds data)`,
		`CommCare's importer takes at most ${MAX_DATA_ROWS.toLocaleString('en')}, and the checks stopped reading there. Split the rows over several files${report.isItems ? ' (lower Rows per Upload)' : ', or use Source "Input Items", which splits them by Rows per Upload'}.`,
		{ rows: [exceeded.firstRow] },
	);
}

export function checkDataWithoutHeader(report: CheckReport): void {
	for (const { column, rows, count } of report.input.dataWithoutHeader ?? []) {
		const more = count > rows.length ? ` and ${count - rows.length} more` : '';
		report.error(
			'dataWithoutHeader',
			`Column ${columnLetter(column)} has no header but holds data (${sheetRowList(rows)}${more})`,
			'CommCare drops a column without a header, and its data with it. Give the column a header (the case property it sets), or delete the column.',
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
			`The sheet is named '${caseType}', like the case type`,
			"CommCare then switches to multi-sheet mode: it imports each sheet as the case type named by its title and reads the settings differently (creating cases needs 'True' instead of 'on', the name column is ignored). Rename the sheet (for example to 'cases').",
		);
	} else if (sheetNames.length > 1 && sheetNames.includes(caseType)) {
		report.warn(
			'possibleMultiSheetMode',
			`Sheet '${caseType}' is named like the case type`,
			`If every other sheet (${quoteList(sheetNames.filter((n) => n !== caseType))}) is also named like a case type of the project, CommCare imports each sheet as its own case type and reads the settings differently. Rename the sheet to be sure.`,
		);
	}
	if (sheetNames.length > 1) {
		report.warn(
			'extraSheetsIgnored',
			`The file has ${sheetNames.length} sheets; only the first, '${sheetNames[0]}', is imported`,
			`${quoteList(sheetNames.slice(1))} ${sheetNames.length === 2 ? 'is' : 'are'} ignored. Move their data to the first sheet if it is to be imported.`,
		);
	}
}

/** How to give a file the size CommCare's reader needs (docs/commcare-api.md §6.1a). */
const RESAVE =
	"Open the file in Excel, LibreOffice or Google Sheets and save it again (they record the sheet's size), or write it with n8n's Convert to File.";

/**
 * The rows as CommCare's reader takes them (docs/commcare-api.md §6.1a): a row without the ID column's cell fails
 * the whole import; a row ending before other columns leaves them unchanged; data past the sheet's recorded size,
 * or in a row numbered out of order, is never read.
 */
export function checkRowShapes(report: CheckReport): void {
	const { searchColumn } = report.settings;
	const withoutId = report.input.rowsWithoutSearchCell;
	if (withoutId) {
		report.error(
			'rowsWithoutIdCell',
			`${capitalised(sampleText(withoutId))} ${withoutId.count === 1 ? 'has' : 'have'} no cell for the ID column '${searchColumn}'`,
			`The file does not record its sheet's size, so CommCare's reader ends each row at its last cell (and a missing row has none), and the whole import fails with '${searchColumn}'. ${RESAVE}`,
			{ column: searchColumn, rows: withoutId.rows },
		);
	}
	const short = report.input.shortRows;
	if (short) {
		report.error(
			'shortRows',
			`${capitalised(sampleText(short))} ${short.count === 1 ? 'ends' : 'end'} before the column${short.columns.length === 1 ? '' : 's'} ${quoteList(short.columns)}`,
			`The file does not record its sheet's size, so CommCare's reader leaves ${short.columns.length === 1 ? 'that property' : 'those properties'} unchanged on such rows, although the empty cells show a blank (which clears). ${RESAVE}`,
			{ rows: short.rows },
		);
	}
	const outside = report.input.cellsOutsideDimension;
	if (outside) {
		report.error(
			'cellsOutsideDimension',
			`The sheet records its size as ${outside.dimension}, but ${outside.cells.length === 1 ? 'cell' : 'cells'} ${outside.cells.join(', ')}${outside.count > outside.cells.length ? ` and ${outside.count - outside.cells.length} more` : ''} outside it hold data`,
			`CommCare's reader stops at the recorded size and drops ${outside.count === 1 ? 'it' : 'them'} without a word. ${RESAVE}`,
		);
	}
	const outOfOrder = report.input.rowsOutOfOrder;
	if (outOfOrder) {
		report.error(
			'rowsOutOfOrder',
			`${capitalised(sampleText(outOfOrder))} ${outOfOrder.count === 1 ? 'comes' : 'come'} after a row with a higher number in the file`,
			`CommCare's reader skips such rows without a word. ${RESAVE}`,
			{ rows: outOfOrder.rows },
		);
	}
	const notRead = report.input.rowsNotRead ?? [];
	if (notRead.length > 0) {
		const one = notRead.length === 1;
		report.warn(
			'rowsNotRead',
			`${report.describeRows(notRead, true)} ${one ? 'holds' : 'hold'} only zeros, false or empty values after the last row holding anything else`,
			`CommCare's reader stops at that last row, so ${one ? 'it is' : 'they are'} skipped without a trace. Give ${one ? 'it' : 'them'} an ID, or remove ${one ? 'it' : 'them'}.`,
			report.withRows({}, notRead),
		);
	}
}

/** `sheet row 3`, `sheet rows 3 and 7`, `sheet rows 3, 7 and 12 more` (a sample lists its first rows, counts all). */
function sampleText(sample: RowSample): string {
	if (sample.count <= sample.rows.length) return sheetRowList(sample.rows);
	return `sheet rows ${sample.rows.join(', ')} and ${sample.count - sample.rows.length} more`;
}
