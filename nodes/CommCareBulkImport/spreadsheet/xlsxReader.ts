/**
 * Reads an `.xlsx` for the checks: the first sheet's rows, streaming.
 *
 * exceljs's WorkbookReader is not used, only parts of exceljs (its zip reader unzipper, its XML parser saxes, its
 * styles and date rules), for three reasons found with large and with uncompressed files:
 * - its loop over the zip's entries stops when unzipper emits 'end', which unzipper does as soon as its input is
 *   consumed, while entries it has already parsed still wait to be read. Small uncompressed files (what SheetJS, and so
 *   n8n's Convert to File node, writes) lost their workbook part about one time in three, and were refused as
 *   unreadable. Node's own iterator over the zip reads what is waiting first.
 * - it keeps every shared string in memory (see SharedStringTable);
 * - it builds a Row and a Cell object per value, garbage that V8 promotes faster than it collects (see readSheetXml).
 */
import { createReadStream, createWriteStream } from 'fs';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { ScratchFolder } from '../temporaryFolder';
import { type ZipParser, createZipParser, excelJsUtils } from './exceljsInternals';
import { InflateBudget, drain } from './inflateBudget';
import { type HeaderCell, RowCollector, type SheetInspection, SpreadsheetReadError, StopReading } from './inspection';
import { serverText } from './serverText';
import { isBlankText } from '../../shared/searchIds';
import { WorkbookParts, appendCapped } from './xlsxParts';
import { parseXml } from './xmlParser';

export async function inspectXlsx(input: Readable, collector: RowCollector): Promise<SheetInspection> {
	const scratch = new ScratchFolder();
	const parts = new WorkbookParts(scratch);
	try {
		const found = await readFirstSheet(input, parts, collector, scratch).catch((error: Error) =>
			Promise.reject(
				error instanceof SpreadsheetReadError
					? error
					: new SpreadsheetReadError(
							`The .xlsx file could not be read (${error.message}). Is it a valid, unprotected .xlsx file?`,
						),
			),
		);
		const sheetNames = (parts.sheets ?? []).map((sheet) => sheet.name);
		if (sheetNames.length === 0 || !found) {
			throw new SpreadsheetReadError(
				'The file is not a readable .xlsx workbook (no sheets found). It may be password-protected, or another format with an .xlsx name.',
			);
		}
		return collector.finish(sheetNames, null);
	} finally {
		parts.strings.close();
		scratch.remove();
	}
}

/**
 * Reads the zip's entries in the order they come and the first worksheet into `collector`; false when the workbook
 * has none. A worksheet that comes before the parts it needs (the sheet list, the shared strings, the styles: Excel
 * writes the shared strings after the sheets) is kept in a temporary file and read at the end. Every entry, read
 * or skipped, is metered against XLSX_READ_LIMITS.
 */
async function readFirstSheet(
	input: Readable,
	parts: WorkbookParts,
	collector: RowCollector,
	scratch: ScratchFolder,
): Promise<boolean> {
	const budget = new InflateBudget();
	const zip = createZipParser();
	// Fed by hand, one chunk at a time: piped, the parser would take 16 chunks ahead of what it has inflated, and
	// the compressed count (the ratio's divisor) would run ahead of the inflated one.
	const feeding = feedZipParser(input, zip, budget).catch((error: Error) => zip.destroy(error));
	const setAside = new Map<string, string>();
	try {
		for await (const entry of zip) {
			const part = entry.path.replace(/^\/+/, '');
			const xml = budget.meter(entry, part);
			if (part === 'xl/workbook.xml') await parts.readWorkbook(xml);
			else if (part === 'xl/_rels/workbook.xml.rels') await parts.readRelationships(xml);
			else if (part === 'xl/sharedStrings.xml') await parts.readSharedStrings(xml);
			else if (part === 'xl/styles.xml') await parts.readStyles(xml);
			else if (/^xl\/worksheets\/[^/]+\.xml$/.test(part)) {
				const first = parts.firstSheetPart();
				if (first !== undefined && part !== first) {
					await drain(xml);
				} else if (first === part && parts.readyForSheets()) {
					await readSheetStoppable(xml, collector, parts);
					// Everything the checks need is read; the rest of the zip is not.
					return true;
				} else {
					const file = scratch.path(`sheet-${setAside.size + 1}.xml`);
					await pipeline(Readable.from(xml), createWriteStream(file));
					setAside.set(part, file);
				}
			} else await drain(xml);
		}
		const first = parts.firstSheetPart();
		const file = first ? setAside.get(first) : undefined;
		if (!file) return false;
		await readSheetStoppable(createReadStream(file), collector, parts);
		return true;
	} finally {
		zip.destroy();
		input.destroy();
		await feeding;
	}
}

/**
 * Writes `input` into the zip parser, waiting for each chunk to be taken before counting and writing the next. Ends
 * when the parser closes too: a parser destroyed early (the checks read enough) never calls back the write it holds.
 */
async function feedZipParser(input: Readable, zip: ZipParser, budget: InflateBudget): Promise<void> {
	const closed = new Promise<'closed'>((resolve) => zip.once('close', () => resolve('closed')));
	for await (const chunk of input) {
		if (zip.destroyed) return;
		budget.compressedBytes += (chunk as Buffer).length;
		const taken = new Promise<'taken'>((resolve, reject) => {
			zip.write(chunk as Buffer, (error?: Error | null) => (error ? reject(error) : resolve('taken')));
		});
		if ((await Promise.race([taken, closed])) === 'closed') return;
	}
	zip.end();
}

/** `readSheetXml`, where the collector saying "enough" ends the read normally. */
async function readSheetStoppable(
	xml: AsyncIterable<Buffer>,
	collector: RowCollector,
	parts: WorkbookParts,
): Promise<void> {
	await readSheetXml(xml, collector, parts).catch((error: unknown) =>
		error instanceof StopReading ? undefined : Promise.reject(error),
	);
}

/** One cell of the row being read, as written in the sheet: its type (`t`), style (`s`) and value text. */
interface RawCell {
	type: string;
	style: number;
	/** `<v>` text, or the text of an inline string; null when the cell has none. */
	text: string | null;
}

/**
 * Reads a worksheet's XML (`xl/worksheets/sheetN.xml`) into `collector`, one row at a time, keeping the raw cells of
 * that row only: exceljs's reader builds a Row and a Cell object per value, and on a 100,000-row sheet V8 promotes
 * that short-lived garbage to its old generation faster than it collects it (the process grew by 150 MB and more).
 * Values are read as exceljs reads them (dates by number format); beyond it, rows and cells without an `r` attribute
 * take the next number, and inline rich text keeps all its runs.
 */
async function readSheetXml(xml: AsyncIterable<Buffer>, collector: RowCollector, parts: WorkbookParts): Promise<void> {
	let inSheetData = false;
	let rowNumber = 0;
	let cells: RawCell[] = [];
	let cell: RawCell | null = null;
	let columnIndex = -1;
	/** Collecting text: inside `<v>`, or inside `<t>` of an inline string (not of its phonetic guides). */
	let collecting = false;
	let inInlineString = false;
	let inPhonetic = false;

	const finishRow = () => {
		if (rowNumber === 1) {
			collector.setHeader(Array.from(cells, (raw) => headerCell(raw, parts)));
		} else {
			let blank = true;
			for (const raw of cells) {
				if (raw && !isBlankRawCell(raw, parts)) {
					blank = false;
					break;
				}
			}
			const more = collector.addRow(
				rowNumber,
				blank,
				(index) => (cells[index] ? cellValue(cells[index], parts) : null),
				cells.length,
				(index) => !cells[index] || isBlankRawCell(cells[index], parts),
			);
			if (!more) throw new StopReading();
		}
		cells = [];
	};

	await parseXml(xml, {
		open(name, attributes) {
			if (name === 'sheetData') {
				inSheetData = true;
			} else if (!inSheetData) {
				return;
			} else if (name === 'row') {
				const number = Number.parseInt(attributes.r, 10);
				rowNumber = Number.isInteger(number) && number > 0 ? number : rowNumber + 1;
				columnIndex = -1;
			} else if (name === 'c') {
				columnIndex = attributes.r ? columnIndexOf(attributes.r) : columnIndex + 1;
				cell = { type: attributes.t ?? 'n', style: Number.parseInt(attributes.s ?? '0', 10) || 0, text: null };
				// Past Excel's last column (XFD) a reference is not a real cell: never index an array by it.
				if (columnIndex >= 0 && columnIndex < MAX_COLUMNS_IN_A_SHEET) cells[columnIndex] = cell;
			} else if (cell && name === 'v') {
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

/** The cell's value as exceljs would give it (`serverText` turns it into the server's text). */
function cellValue(raw: RawCell, parts: WorkbookParts): unknown {
	const text = raw.text;
	if (text === null) return null;
	switch (raw.type) {
		case 's': {
			const index = Number.parseInt(text, 10);
			return Number.isInteger(index) ? parts.strings.text(index) : null;
		}
		case 'str':
		case 'inlineStr':
			return text;
		case 'b':
			return Number.parseInt(text, 10) !== 0;
		case 'e':
			return { error: text };
		case 'd': {
			const date = new Date(text);
			return Number.isNaN(date.getTime()) ? text : date;
		}
		default: {
			if (text.trim() === '') return null;
			const number = Number.parseFloat(text);
			return parts.isDateStyle(raw.style) ? excelJsUtils.excelToDate(number, parts.date1904) : number;
		}
	}
}

/** Whether the server reads the cell as blank; a shared string by its bit, without fetching its text. */
function isBlankRawCell(raw: RawCell, parts: WorkbookParts): boolean {
	if (raw.type === 's' && raw.text !== null) {
		const index = Number.parseInt(raw.text, 10);
		return !(index >= 0 && index < parts.strings.size) || parts.strings.isBlank(index);
	}
	return isBlankText(serverText(cellValue(raw, parts)));
}

function headerCell(raw: RawCell | undefined, parts: WorkbookParts): HeaderCell {
	const value = raw ? cellValue(raw, parts) : null;
	const text = serverText(value);
	if (text === null) return { text: null, kind: 'blank' };
	if (typeof value === 'number') return { text, kind: 'number' };
	if (typeof value === 'boolean') return { text, kind: 'boolean' };
	if (value instanceof Date) return { text, kind: 'date' };
	if (raw?.type === 'e') return { text, kind: 'other' };
	return { text, kind: 'text' };
}
