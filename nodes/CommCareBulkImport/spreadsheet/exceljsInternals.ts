/**
 * Every use of exceljs beyond its public API, in one place: the streaming writer's row XML, its zip and CSV parsers and
 * its styles and date helpers, resolved from exceljs's own folder. exceljs is pinned; `sheetXmlSink` falls back to the
 * public row API when the internals it expects are missing.
 */
import { createRequire } from 'module';
import { Readable, Transform } from 'stream';
import * as ExcelJS from 'exceljs';
import { columnLetter } from './columns';
import type { CellValue } from './values';

/** Where data rows go once converted. */
export interface RowSink {
	/** `rowNumber`: spreadsheet row (header = 1). Rows arrive in order. */
	add(rowNumber: number, cells: CellValue[]): void;
	flush(): void;
}

/** exceljs's public row API: one Row and one Cell object per value, rendered by its XML writer. */
export function exceljsRowSink(sheet: ExcelJS.Worksheet): RowSink {
	return { add: (_rowNumber, cells) => sheet.addRow(cells).commit(), flush: () => undefined };
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
 * Writes each row's `<row>` XML straight into the worksheet's stream: the same XML exceljs writes for these values
 * (text as `t="str"`, numbers, `t="b"` booleans, dates as serial numbers in exceljs's date style), without the Row
 * and Cell objects exceljs builds per value, which cost most of its time. Null (and the caller falls back to
 * `exceljsRowSink`) when the worksheet writer does not look like exceljs 4.4's.
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
				if (value === null) continue;
				const ref = letters[i] + rowNumber;
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
			// Like exceljs, a row without values is left out: readers see it as empty.
			if (xml !== '') batch += `<row r="${rowNumber}">${xml}</row>`;
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
