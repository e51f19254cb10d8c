/**
 * Every use of exceljs beyond its public API, in one place: the streaming writer's row XML, its zip and CSV parsers and
 * its styles and date helpers, resolved from exceljs's own folder. exceljs is pinned; `sheetXmlSink` falls back to the
 * public row API when the internals it expects are missing.
 */
import { createRequire } from 'module';
import { Readable, Transform } from 'stream';
import * as ExcelJS from 'exceljs';
import { columnLetter } from './cellReferences';

/** A cell as the writers write it: a text, a number, a boolean, a date, or nothing. */
export type CellValue = string | number | boolean | Date | null;

/** Where data rows go once converted. */
export interface RowSink {
	/** `rowNumber`: spreadsheet row (header = 1). Rows arrive in order. */
	add(rowNumber: number, cells: CellValue[]): void;
	flush(): void;
}

/**
 * exceljs's public row API: one Row and one Cell object per value, rendered by its XML writer. exceljs leaves out
 * cells without a value (and rows without any), so a blank goes as an empty text, which exceljs writes as a cell
 * and readers read as empty: every row keeps its full width (see `sheetXmlSink`).
 */
export function exceljsRowSink(sheet: ExcelJS.Worksheet): RowSink {
	return {
		add: (_rowNumber, cells) => sheet.addRow(cells.map((cell) => cell ?? '')).commit(),
		flush: () => undefined,
	};
}

/**
 * Makes the next worksheet `workbook` (exceljs 4.4's streaming WorkbookWriter) opens start with
 * `<dimension ref="…"/>`, where the schema puts it: right after the `<worksheet>` tag, before anything exceljs writes
 * next. exceljs's streaming writer writes none, and without one CommCare's reader (openpyxl in read-only mode) takes
 * each row only as far as its last cell (docs/commcare-api.md §6.1a). Call before `addWorksheet`. False (and nothing
 * changed) when the writer does not look like exceljs 4.4's; the rows are full width anyway (every cell written).
 */
export function writeDimensionOfNextSheet(workbook: object, ref: string): boolean {
	const writer = workbook as { _openStream?: (path: string) => { write: (...args: unknown[]) => unknown } };
	const openStream = writer._openStream;
	if (typeof openStream !== 'function') return false;
	writer._openStream = function (this: unknown, path: string) {
		const stream = openStream.call(this, path);
		if (!/^\/xl\/worksheets\/sheet\d+\.xml$/.test(path)) return stream;
		writer._openStream = openStream;
		const write = stream.write;
		// The worksheet's first write is its opening: the XML declaration and the `<worksheet …>` tag, then the rest.
		stream.write = function (this: unknown, chunk: unknown, ...rest: unknown[]) {
			stream.write = write;
			const text =
				typeof (chunk as { toBuffer?: unknown }).toBuffer === 'function'
					? String((chunk as { toBuffer(): Buffer }).toBuffer())
					: String(chunk);
			const tagEnd = text.indexOf('>', text.indexOf('<worksheet'));
			const withDimension =
				tagEnd < 0 ? text : `${text.slice(0, tagEnd + 1)}<dimension ref="${ref}"/>${text.slice(tagEnd + 1)}`;
			return write.call(this, withDimension, ...rest);
		};
		return stream;
	};
	return true;
}

interface WorksheetWriterInternals {
	stream?: { write(text: string): unknown };
	startedData?: boolean;
}

interface StylesInternals {
	addStyleModel?(model: object, cellType: number): number;
}

/** Rows collected into one write of about this many characters. */
const ROW_BATCH_CHARS = 32 * 1024;

/**
 * Writes each row's `<row>` XML straight into the worksheet's stream: the XML exceljs writes for these values (text
 * as `t="str"`, numbers, `t="b"` booleans, dates as serial numbers in exceljs's date style), without the Row and Cell
 * objects exceljs builds per value, which cost most of its time. Unlike exceljs, every row is full width: a blank is
 * an empty `<c r="B2"/>`, and a blank row is a row of them. Null (and the caller falls back to `exceljsRowSink`)
 * when the worksheet writer does not look like exceljs 4.4's.
 */
export function sheetXmlSink(workbook: object, sheet: object, columnCount: number): RowSink | null {
	const worksheet = sheet as WorksheetWriterInternals;
	const styles = (workbook as { styles?: StylesInternals }).styles;
	if (
		worksheet.startedData !== true ||
		typeof worksheet.stream?.write !== 'function' ||
		typeof styles?.addStyleModel !== 'function'
	) {
		return null;
	}
	const stream = worksheet.stream;
	// Registers exceljs's date style (number format 14) in styles.xml, as writing a Date cell through exceljs would.
	const dateStyleId = styles.addStyleModel({}, ExcelJS.ValueType.Date);
	const letters = Array.from({ length: columnCount }, (_, index) => columnLetter(index));
	let batch = '';
	const flush = () => {
		if (batch === '') return;
		stream.write(batch);
		batch = '';
	};
	return {
		add(rowNumber, cells) {
			let xml = '';
			for (let i = 0; i < cells.length; i++) {
				const value = cells[i];
				const ref = letters[i] + rowNumber;
				if (value === null) {
					// An empty cell, so that the row reaches its last column for readers that do not pad rows.
					xml += `<c r="${ref}"/>`;
					continue;
				}
				switch (typeof value) {
					case 'string':
						xml += `<c r="${ref}" t="str"><v>${escapeXmlText(value)}</v></c>`;
						break;
					case 'number':
						xml += `<c r="${ref}"><v>${value}</v></c>`;
						break;
					case 'boolean':
						xml += `<c r="${ref}" t="b"><v>${value ? 1 : 0}</v></c>`;
						break;
					default:
						xml += `<c r="${ref}" s="${dateStyleId}"><v>${excelSerial(value)}</v></c>`;
				}
			}
			// Every row is written, a blank one too: a row number missing in the middle is an empty row to
			// CommCare's reader, without even the ID column's cell (docs/commcare-api.md §6.1a).
			batch += `<row r="${rowNumber}">${xml}</row>`;
			if (batch.length >= ROW_BATCH_CHARS) flush();
		},
		flush,
	};
}

/** Excel's serial day number (1900 system) of a date's UTC clock: exceljs's `dateToExcel`. */
function excelSerial(date: Date): number {
	return 25_569 + date.getTime() / 86_400_000;
}

/**
 * Characters XML 1.0 cannot hold: control characters (exceljs drops them too) and U+FFFE/U+FFFF (which exceljs would
 * write, making a file XML parsers refuse). Unpaired surrogates become U+FFFD when the text is encoded as UTF-8.
 */
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const XML_SPECIAL = /[&<>"'\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

function escapeXmlText(text: string): string {
	if (!XML_SPECIAL.test(text)) return text;
	return (
		text
			.replace(XML_INVALID, '')
			.replace(/&/g, '&amp;')
			.replace(/</g, '&lt;')
			.replace(/>/g, '&gt;')
			.replace(/"/g, '&quot;')
			.replace(/'/g, '&apos;')
			// XML readers turn a raw carriage return into a line feed; a character reference survives (exceljs loses it).
			.replace(/\r/g, '&#13;')
	);
}

export interface StreamWithState extends NodeJS.EventEmitter {
	_writableState?: { length: number };
}

/**
 * The stream between the worksheet and the zip compressor (exceljs 4.4: the sheet's buffer pipes into one
 * PassThrough that archiver reads when it compresses). Undefined if exceljs's internals look different.
 */
export function sheetZipInput(sheet: unknown): StreamWithState | undefined {
	const pipe = (sheet as { stream?: { pipes?: StreamWithState[] } }).stream?.pipes?.[0];
	return typeof pipe?._writableState?.length === 'number' ? pipe : undefined;
}

/** exceljs's dependencies and helpers, resolved from exceljs's folder (like fast-csv): the copies exceljs uses. */
export const requireFromExcelJs = createRequire(require.resolve('exceljs'));

/** exceljs's own date rules, so that dates are told from numbers as exceljs (and the emulator, built on it) tells them. */
interface ExcelJsUtils {
	isDateFmt(format: string | undefined): boolean;
	excelToDate(serial: number, date1904?: boolean): Date;
}

export const excelJsUtils = requireFromExcelJs('./lib/utils/utils') as ExcelJsUtils;

/** exceljs's reader of `xl/styles.xml`: gives each cell style (`s` attribute) its number format. */
export interface StylesReader {
	parseStream(xml: Iterable<Buffer>): Promise<unknown>;
	getStyleModel(id: number): { numFmt?: string } | null;
}

export interface ZipEntry extends Readable {
	path: string;
	autodrain(): unknown;
	/** What the entry's local header declares (sizes are 0 when the writer put them after the data). */
	vars?: { compressedSize: number; uncompressedSize: number };
}

export type ZipParser = NodeJS.WritableStream &
	AsyncIterable<ZipEntry> & {
		destroy(error?: Error): void;
		destroyed: boolean;
		write(chunk: Buffer, callback: (error?: Error | null) => void): boolean;
		once(event: 'close', listener: () => void): unknown;
	};

export function createZipParser(): ZipParser {
	const unzipper = requireFromExcelJs('unzipper') as { Parse(options: { forceStream: boolean }): ZipParser };
	return unzipper.Parse({ forceStream: true });
}

/** fast-csv's parser: a Transform from bytes to arrays of field texts. */
type CsvParser = InstanceType<typeof Transform>;

/**
 * fast-csv is the CSV engine inside exceljs (exceljs's own CSV reader builds the whole sheet in memory, so we use its
 * parser directly, streaming). Resolved from exceljs's folder so it is exactly the copy exceljs depends on.
 */
export function createCsvParser(): CsvParser {
	const fastCsv = requireFromExcelJs('fast-csv') as { parse(options: object): CsvParser };
	return fastCsv.parse({ headers: false, ignoreEmpty: false, trim: false });
}
