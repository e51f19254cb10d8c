/**
 * Reads a worksheet's XML the way CommCare's reader (openpyxl in read-only mode) takes its rows
 * (docs/commcare-api.md §6.1a), into the checks' `RowCollector`.
 */
import { columnLetter } from './cellReferences';
import { type SheetRowReceiver, SpreadsheetReadError, StopReading } from './sheetReading';
import { RawRow, type RawCell, firstDataCell, headerCell } from './sheetCells';
import { type WorkbookParts, appendCapped } from './xlsxParts';
import { parseXml } from './xmlParser';

/**
 * Reads a worksheet's XML (`xl/worksheets/sheetN.xml`) into `collector`, one row at a time, keeping the raw cells of
 * that row only: exceljs's reader builds a Row and a Cell object per value, and on a 100,000-row sheet V8 promotes
 * that short-lived garbage to its old generation faster than it collects it (the process grew by 150 MB and more).
 *
 * Rows are read as CommCare's reader (openpyxl in read-only mode, docs/commcare-api.md §6.1a) reads them, from A1:
 * - a `<dimension ref>` before `<sheetData>` gives the width every row is padded to (cells beyond it are not read)
 *   and the last row read; without one, a row is as long as its last cell, and a row number with no `<row>` is an
 *   empty row (the collector makes those);
 * - row and cell numbers come from `r`, or follow the previous one; a row whose number does not follow is skipped;
 * - numbers are Python ints or floats by their text, date-styled numbers dates by openpyxl's rules.
 * What the reader would leave out of the file's data is noted for the checks.
 */
export async function readSheetXml(
	xml: AsyncIterable<Buffer>,
	collector: SheetRowReceiver,
	parts: WorkbookParts,
): Promise<void> {
	let inSheetData = false;
	let dimension: { ref: string; maxColumn: number | null; maxRow: number | null } | null = null;
	/** openpyxl's row number of the row being read, and the next one it yields. */
	let rowNumber = 0;
	let nextRow = 1;
	let cells: RawCell[] = [];
	let cell: RawCell | null = null;
	let columnIndex = -1;
	/** The 0-based column of the row's last `<c>`, in document order: without a dimension, the row ends there. */
	let lastColumn = -1;
	/** Collecting text: inside `<v>`, or inside `<t>` of an inline string (not of its phonetic guides). */
	let collecting = false;
	let inInlineString = false;
	let inPhonetic = false;

	const row = new RawRow(parts);
	const finishRow = () => {
		if (dimension?.maxRow !== null && dimension !== null && rowNumber > (dimension.maxRow as number)) {
			// openpyxl stops at the first row past the dimension: nothing after it is read.
			const data = firstDataCell(cells, parts);
			if (data) {
				collector.noteOutsideDimension(dimension.ref, data);
				throw new StopReading();
			}
			return;
		}
		if (rowNumber < nextRow) {
			if (firstDataCell(cells, parts)) collector.noteRowOutOfOrder(rowNumber);
			return;
		}
		nextRow = rowNumber + 1;
		const width = dimension?.maxColumn ?? lastColumn + 1;
		if (dimension?.maxColumn != null && cells.length > width) {
			const beyond = firstDataCell(cells.slice(width), parts);
			if (beyond) collector.noteOutsideDimension(dimension.ref, beyond);
		}
		if (rowNumber === 1) {
			collector.setHeader(
				Array.from({ length: Math.min(width, cells.length) }, (_, index) => headerCell(cells[index], parts)),
			);
		} else {
			row.load(rowNumber, cells, width);
			if (!collector.addRow(row)) throw new StopReading();
		}
		cells = [];
	};

	await parseXml(xml, {
		open(name, attributes) {
			if (!inSheetData && name === 'dimension' && dimension === null && attributes.ref !== undefined) {
				dimension = sheetDimension(attributes.ref);
				if (dimension.maxColumn !== null) collector.setDimensionWidth(dimension.maxColumn);
			} else if (name === 'sheetData') {
				inSheetData = true;
			} else if (!inSheetData) {
				return;
			} else if (name === 'row') {
				rowNumber = rowNumberOf(attributes.r, rowNumber);
				columnIndex = -1;
				lastColumn = -1;
				cells = [];
			} else if (name === 'c') {
				columnIndex = attributes.r ? columnIndexOf(attributes.r) : columnIndex + 1;
				lastColumn = columnIndex;
				cell = {
					type: attributes.t ?? 'n',
					style: Number.parseInt(attributes.s ?? '0', 10) || 0,
					text: null,
					ref: attributes.r ?? `${columnLetter(Math.max(0, columnIndex))}${rowNumber}`,
				};
				// Past Excel's last column (XFD) a reference is not a real cell: never index an array by it.
				if (columnIndex >= 0 && columnIndex < MAX_COLUMNS_IN_A_SHEET) cells[columnIndex] = cell;
			} else if (cell && name === 'v' && cell.type !== 'inlineStr') {
				cell.text = '';
				collecting = true;
			} else if (cell && name === 'is') {
				cell.text = '';
				inInlineString = true;
			} else if (inInlineString && name === 'rPh') {
				inPhonetic = true;
			} else if (inInlineString && !inPhonetic && name === 't') {
				collecting = true;
			}
		},
		text(text) {
			if (collecting && cell) cell.text = appendCapped(cell.text ?? '', text);
		},
		close(name) {
			// Nothing after the rows matters to the checks (merged cells, hyperlinks, ...): stop there.
			if (name === 'sheetData') throw new StopReading();
			else if (name === 'v' || name === 't') collecting = false;
			else if (name === 'rPh') inPhonetic = false;
			else if (name === 'is') inInlineString = false;
			else if (name === 'c') cell = null;
			else if (name === 'row' && inSheetData) finishRow();
		},
	});
}

/** Excel's sheets have 16,384 columns (A to XFD). */
const MAX_COLUMNS_IN_A_SHEET = 16_384;

/** `AB12` → 27 (0-based column index); -1 when the reference has no column letters. */
function columnIndexOf(reference: string): number {
	let column = 0;
	for (let i = 0; i < reference.length && column <= MAX_COLUMNS_IN_A_SHEET; i++) {
		const code = reference.charCodeAt(i);
		if (code >= 65 && code <= 90) column = column * 26 + code - 64;
		else if (code >= 97 && code <= 122) column = column * 26 + code - 96;
		else break;
	}
	return column - 1;
}

/** `<row r>`: an integer (or a whole float); without it, the row after the previous one. */
function rowNumberOf(r: string | undefined, previous: number): number {
	if (r === undefined) return previous + 1;
	const number = Number(r.trim());
	if (r.trim() !== '' && Number.isInteger(number)) return number;
	throw new SpreadsheetReadError(
		`The .xlsx file has a row numbered '${r}', which CommCare's reader cannot read`,
		'Re-save the file in Excel, LibreOffice or Google Sheets.',
	);
}

/** openpyxl's reading of a `<dimension ref>`: the last column and the last row it reads (null where the ref is open). */
function sheetDimension(ref: string): { ref: string; maxColumn: number | null; maxRow: number | null } {
	const match = /^\$?([A-Za-z]{1,3})?\$?(\d+)?(?::\$?([A-Za-z]{1,3})?\$?(\d+)?)?$/.exec(ref);
	if (!match || (match[1] === undefined && match[2] === undefined)) {
		throw new SpreadsheetReadError(
			`The .xlsx file's sheet gives its size as '${ref}', which is not a cell range`,
			"CommCare's reader cannot open it. Re-save the file in Excel, LibreOffice or Google Sheets.",
		);
	}
	const [, firstColumn, firstRow, lastColumnLetters, lastRow] = match;
	const columnLetters = lastColumnLetters ?? firstColumn;
	const rowText = lastRow ?? (lastColumnLetters === undefined ? firstRow : undefined);
	return {
		ref,
		maxColumn: columnLetters === undefined ? null : columnIndexOf(columnLetters.toUpperCase()) + 1,
		maxRow: rowText === undefined ? null : Number(rowText),
	};
}
