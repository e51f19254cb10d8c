/**
 * Reads an `.xlsx` the way CommCare HQ does (docs/commcare-api.md §6.1a): openpyxl's `load_workbook(read_only=True,
 * data_only=True)`, then HQ's `_XLSXWorksheetAdaptor`. What matters for imports:
 * - a `<dimension ref="A1:…">` before `<sheetData>` gives the sheet's size: every row is padded to its width (cells
 *   beyond it are dropped) and rows after its last row are not read;
 * - without one, a row is as long as its last `<c>` element (an empty `<c r="D2"/>` counts) and a row number with no
 *   `<row>` element comes back empty: such short rows lack keys in HQ's row dict;
 * - numbers are Python ints (text without `.`, `e`, `E`; any size) or floats, cells with a date style become dates
 *   (openpyxl's `from_excel`), and HQ turns a date-time at midnight into a date;
 * - HQ reads rows up to the last one holding a truthy value, and stops looking after 1000 rows without one.
 * The conformance tests compare this with the real openpyxl, cell for cell.
 */
import { createRequire } from 'node:module';
import {
	boolCell,
	dateTimeCell,
	floatCell,
	intCell,
	isTruthy,
	timeCell,
	utcParts,
	type Cell,
	type Sheet,
} from './cells';
import { pyFloat, pyInt } from './pythonNumbers';

const fromExcelJs = createRequire(require.resolve('exceljs'));
interface ZipEntryReader {
	async(type: 'nodebuffer'): Promise<Buffer>;
}
interface ZipArchive {
	file(name: string): ZipEntryReader | null;
}
const JSZip = fromExcelJs('jszip') as { loadAsync(data: Buffer): Promise<ZipArchive> };

interface SaxesParser {
	on(event: 'opentag', handler: (tag: { name: string; attributes: Record<string, string> }) => void): void;
	on(event: 'closetag', handler: (tag: { name: string }) => void): void;
	on(event: 'text' | 'cdata', handler: (text: string) => void): void;
	on(event: 'error', handler: (error: Error) => void): void;
	write(chunk: string): unknown;
	close(): unknown;
}
const { SaxesParser } = fromExcelJs('saxes') as { SaxesParser: new () => SaxesParser };

/** The structure of the file is not a workbook openpyxl can open (`load_workbook` raises). */
export class UnreadableWorkbook extends Error {}

/**
 * A cell openpyxl's `int()`/`float()` refuses (or a shared string it cannot find): HQ meets it while it counts the
 * rows as the file is opened at upload, where nothing catches it (an HTML 500 page).
 */
export class UnreadableCell extends Error {}

/** HQ stops looking for data after this many rows without a truthy value (`_max_row`). */
const MAX_BLANK_ROWS = 1000;

const WORKBOOK_TYPES = [
	'application/vnd.ms-excel.template.macroEnabled.main+xml',
	'application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml',
	'application/vnd.ms-excel.sheet.macroEnabled.main+xml',
	'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml',
];
const SHARED_STRINGS_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml';

/** The built-in number formats openpyxl knows (`BUILTIN_FORMATS`); any other id without a custom format is General. */
const BUILTIN_FORMATS: Record<number, string> = {
	0: 'General',
	1: '0',
	2: '0.00',
	3: '#,##0',
	4: '#,##0.00',
	9: '0%',
	10: '0.00%',
	11: '0.00E+00',
	12: '# ?/?',
	13: '# ??/??',
	14: 'mm-dd-yy',
	15: 'd-mmm-yy',
	16: 'd-mmm',
	17: 'mmm-yy',
	18: 'h:mm AM/PM',
	19: 'h:mm:ss AM/PM',
	20: 'h:mm',
	21: 'h:mm:ss',
	22: 'm/d/yy h:mm',
	37: '#,##0_);(#,##0)',
	38: '#,##0_);[Red](#,##0)',
	39: '#,##0.00_);(#,##0.00)',
	40: '#,##0.00_);[Red](#,##0.00)',
	45: 'mm:ss',
	46: '[h]:mm:ss',
	47: 'mmss.0',
	48: '##0.0E+0',
	49: '@',
};

/** openpyxl's `is_date_format`: the first section, without literals and bracketed codes, holds a date/time letter. */
function isDateFormat(format: string | undefined): boolean {
	if (format === undefined) return false;
	const first = format.split(';')[0].replace(/".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]/g, '');
	return /[^\\][dmhysDMHYS]/.test(first);
}

/** A tiny XML tree: enough for the workbook's small parts. */
interface XmlNode {
	name: string;
	attributes: Record<string, string>;
	children: XmlNode[];
	text: string;
}

function parseXmlTree(xml: string): XmlNode {
	const parser = new SaxesParser();
	const root: XmlNode = { name: '#document', attributes: {}, children: [], text: '' };
	const stack = [root];
	let failure: Error | undefined;
	parser.on('error', (error) => (failure ??= error));
	parser.on('opentag', (tag) => {
		const node: XmlNode = { name: localName(tag.name), attributes: tag.attributes, children: [], text: '' };
		stack[stack.length - 1].children.push(node);
		stack.push(node);
	});
	parser.on('closetag', () => void stack.pop());
	parser.on('text', (text) => (stack[stack.length - 1].text += text));
	parser.on('cdata', (text) => (stack[stack.length - 1].text += text));
	parser.write(xml);
	parser.close();
	if (failure) throw new UnreadableWorkbook(failure.message);
	return root;
}

function localName(name: string): string {
	const colon = name.indexOf(':');
	return colon < 0 ? name : name.slice(colon + 1);
}

function* descendants(node: XmlNode, name: string): Generator<XmlNode> {
	for (const child of node.children) {
		if (child.name === name) yield child;
		yield* descendants(child, name);
	}
}

function childrenNamed(node: XmlNode, name: string): XmlNode[] {
	return node.children.filter((child) => child.name === name);
}

/** openpyxl's `Text.content`: the `<t>` directly inside, then each run's `<t>`; phonetic guides left out. */
function richTextContent(node: XmlNode): string {
	let text = '';
	for (const child of node.children) {
		if (child.name === 't') text += child.text;
		else if (child.name === 'r') for (const t of childrenNamed(child, 't')) text += t.text;
	}
	return text;
}

/** `posixpath.normpath`, enough for part names. */
function normalisePath(path: string): string {
	const parts: string[] = [];
	for (const part of path.split('/')) {
		if (part === '' || part === '.') continue;
		if (part === '..') parts.pop();
		else parts.push(part);
	}
	return parts.join('/');
}

function dirname(path: string): string {
	const slash = path.lastIndexOf('/');
	return slash < 0 ? '' : path.slice(0, slash);
}

/** openpyxl's `get_dependents`: each relationship's target as a part name (relative targets from the part's folder). */
async function relationships(
	zip: ZipArchive,
	partName: string,
): Promise<Map<string, { target: string; type: string }>> {
	const relsPath = `${dirname(partName) ? `${dirname(partName)}/` : ''}_rels/${partName.slice(partName.lastIndexOf('/') + 1)}.rels`;
	const file = zip.file(relsPath);
	const found = new Map<string, { target: string; type: string }>();
	if (!file) return found;
	const parent = dirname(partName);
	for (const rel of descendants(parseXmlTree((await file.async('nodebuffer')).toString('utf8')), 'Relationship')) {
		const target = rel.attributes.Target ?? '';
		if (rel.attributes.TargetMode === 'External') continue;
		found.set(rel.attributes.Id ?? '', {
			target: target.startsWith('/') ? target.slice(1) : normalisePath(`${parent}/${target}`),
			type: rel.attributes.Type ?? '',
		});
	}
	return found;
}

/**
 * Which cell styles (`s`) make a number a date. Durations (`[h]:mm:ss`) are dates too: openpyxl 3.0's read-only
 * worksheets do not pass its list of duration styles on (3.1 reads them as `timedelta`); HQ pins 3.0.9.
 */
interface Styles {
	dates: Set<number>;
}

async function readStyles(zip: ZipArchive): Promise<Styles> {
	const styles: Styles = { dates: new Set() };
	const file = zip.file('xl/styles.xml'); // openpyxl reads this fixed path
	if (!file) return styles;
	const root = parseXmlTree((await file.async('nodebuffer')).toString('utf8'));
	const custom = new Map<number, string>();
	for (const numFmt of descendants(root, 'numFmt')) {
		custom.set(Number(numFmt.attributes.numFmtId), numFmt.attributes.formatCode ?? '');
	}
	const cellXfs = [...descendants(root, 'cellXfs')][0];
	(cellXfs ? childrenNamed(cellXfs, 'xf') : []).forEach((xf, index) => {
		const id = Number(xf.attributes.numFmtId ?? 0);
		const format = custom.get(id) ?? BUILTIN_FORMATS[id];
		if (isDateFormat(format)) styles.dates.add(index);
	});
	return styles;
}

/** Reads the workbook's worksheets, in workbook order. Throws `UnreadableWorkbook` where `load_workbook` raises. */
export async function readXlsxWorkbook(data: Buffer): Promise<Sheet[]> {
	return (await readXlsxWorksheets(data)).map((sheet) => hqRows(sheet.title, sheet.rows, sheet.dimension));
}

/** `<dimension ref>` boundaries: (min_col, min_row, max_col, max_row), nulls where a side is open. */
export type Dimension = [number | null, number | null, number | null, number | null];

/** A `<row>` as openpyxl's parser yields it: its number and cells, or the error a cell of it raises. */
export type ParsedRow = { index: number; cells: ParsedCell[] } | { index: number; failure: string };

/**
 * A worksheet before any of HQ's readers adapts it: what openpyxl's read-only worksheet holds (its `<dimension>` and
 * parsed rows). The lookup-table reader (emulator/lookupTables) iterates it its own way.
 */
export interface RawWorksheet {
	title: string;
	dimension: Dimension | null;
	rows: ParsedRow[];
}

/** The workbook's worksheets as openpyxl parses them, in workbook order; throws where `load_workbook` raises. */
export async function readXlsxWorksheets(data: Buffer): Promise<RawWorksheet[]> {
	let zip: ZipArchive;
	try {
		zip = await JSZip.loadAsync(data);
	} catch {
		throw new UnreadableWorkbook('File is not a zip file');
	}
	const text = async (name: string): Promise<string | null> => {
		const file = zip.file(name);
		return file ? (await file.async('nodebuffer')).toString('utf8') : null;
	};
	const contentTypes = await text('[Content_Types].xml');
	if (contentTypes === null)
		throw new UnreadableWorkbook("There is no item named '[Content_Types].xml' in the archive");
	const manifest = parseXmlTree(contentTypes);
	const overrides = [...descendants(manifest, 'Override')];
	const partOf = (type: string) =>
		overrides.find((override) => override.attributes.ContentType === type)?.attributes.PartName;
	let workbookPart = WORKBOOK_TYPES.map(partOf).find((part) => part !== undefined);
	if (workbookPart === undefined) {
		const defaults = [...descendants(manifest, 'Default')].map((node) => node.attributes.ContentType);
		if (defaults.some((type) => WORKBOOK_TYPES.includes(type))) workbookPart = '/xl/workbook.xml';
	}
	if (workbookPart === undefined) throw new UnreadableWorkbook('File contains no valid workbook part');
	const workbookName = workbookPart.replace(/^\//, '');
	const workbookXml = await text(workbookName);
	if (workbookXml === null) throw new UnreadableWorkbook(`There is no item named '${workbookName}' in the archive`);

	const stringsPart = partOf(SHARED_STRINGS_TYPE);
	const sharedStrings: string[] = [];
	if (stringsPart !== undefined) {
		const stringsXml = await text(stringsPart.replace(/^\//, ''));
		if (stringsXml !== null) {
			for (const si of descendants(parseXmlTree(stringsXml), 'si')) {
				sharedStrings.push(richTextContent(si).replace(/x005F_/g, ''));
			}
		}
	}
	const workbook = parseXmlTree(workbookXml);
	const date1904 = [...descendants(workbook, 'workbookPr')].some((pr) =>
		['1', 'true'].includes(pr.attributes.date1904 ?? ''),
	);
	const rels = await relationships(zip, workbookName);
	const styles = await readStyles(zip);
	const sheets: RawWorksheet[] = [];
	for (const sheet of descendants(workbook, 'sheet')) {
		const id = Object.entries(sheet.attributes).find(([key]) => localName(key) === 'id' && key !== 'sheetId')?.[1];
		if (!id) continue;
		const rel = rels.get(id);
		if (!rel) throw new UnreadableWorkbook(`'${id}'`);
		if (rel.type.includes('chartsheet')) continue;
		const xml = await text(rel.target);
		if (xml === null) continue;
		sheets.push(readWorksheet(sheet.attributes.name ?? '', xml, { sharedStrings, styles, date1904 }));
	}
	return sheets;
}

interface SheetContext {
	sharedStrings: string[];
	styles: Styles;
	date1904: boolean;
}

/** A parsed `<c>`: openpyxl's `parse_cell` result. */
export interface ParsedCell {
	column: number;
	cell: Cell | null;
}

/** `A1:C5` → openpyxl's `range_boundaries` (min_col, min_row, max_col, max_row); nulls where a side is open. */
function rangeBoundaries(ref: string): [number | null, number | null, number | null, number | null] {
	const match = /^\$?([A-Za-z]{1,3})?\$?(\d+)?(:\$?([A-Za-z]{1,3})?\$?(\d+)?)?$/.exec(ref);
	if (!match) throw new UnreadableWorkbook(`${ref} is not a valid coordinate or range`);
	const [, minColText, minRowText, separator, maxColText, maxRowText] = match;
	if (separator) {
		const all = [minColText, minRowText, maxColText, maxRowText];
		const cols = minColText && maxColText && !minRowText && !maxRowText;
		const rows = minRowText && maxRowText && !minColText && !maxColText;
		if (!(all.every(Boolean) || cols || rows))
			throw new UnreadableWorkbook(`${ref} is not a valid coordinate or range`);
	}
	const minCol = minColText ? columnIndex(minColText) : null;
	const minRow = minRowText ? Number(minRowText) : null;
	return [minCol, minRow, maxColText ? columnIndex(maxColText) : minCol, maxRowText ? Number(maxRowText) : minRow];
}

/** `AB` → 28 (1-based). */
function columnIndex(letters: string): number {
	let index = 0;
	for (const letter of letters.toUpperCase()) index = index * 26 + letter.charCodeAt(0) - 64;
	if (index > 18_278) throw new UnreadableWorkbook(`${letters} is not a valid column name`);
	return index;
}

/** `AB12` → (12, 28): openpyxl's `coordinate_to_tuple`. */
function coordinate(reference: string): { row: number; column: number } {
	const match = /^\$?([A-Za-z]{1,3})\$?(\d+)$/.exec(reference);
	if (!match) throw new UnreadableWorkbook(`Invalid cell coordinates (${reference})`);
	return { row: Number(match[2]), column: columnIndex(match[1]) };
}

function readWorksheet(title: string, xml: string, context: SheetContext): RawWorksheet {
	let dimension: Dimension | null = null;
	const parsedRows: ParsedRow[] = [];
	let inSheetData = false;
	let seenSheetData = false;
	let rowCounter = 0;
	let columnCounter = 0;
	let cells: ParsedCell[] = [];
	let rowFailure: string | null = null;
	let current: { type: string; style: number; column: number; value: string | null; inline: XmlNode | null } | null =
		null;
	let inlineStack: XmlNode[] = [];
	let collectingValue = false;

	const parser = new SaxesParser();
	let failure: Error | undefined;
	parser.on('error', (error) => (failure ??= error));
	parser.on('opentag', (tag) => {
		const name = localName(tag.name);
		const attributes = tag.attributes;
		if (!seenSheetData && name === 'dimension' && dimension === null && attributes.ref !== undefined) {
			dimension = rangeBoundaries(attributes.ref);
		} else if (name === 'sheetData') {
			inSheetData = true;
			seenSheetData = true;
		} else if (!inSheetData) {
			return;
		} else if (name === 'row') {
			rowCounter = rowNumber(attributes.r, rowCounter);
			columnCounter = 0;
			cells = [];
			rowFailure = null;
		} else if (name === 'c') {
			let column: number;
			if (attributes.r) column = coordinate(attributes.r).column;
			else column = columnCounter + 1;
			columnCounter = column;
			current = {
				type: attributes.t ?? 'n',
				style: Number.parseInt(attributes.s ?? '0', 10) || 0,
				column,
				value: null,
				inline: null,
			};
		} else if (current && name === 'v' && current.inline === null) {
			current.value = '';
			collectingValue = true;
		} else if (current && name === 'is') {
			current.inline = { name, attributes, children: [], text: '' };
			inlineStack = [current.inline];
		} else if (current?.inline && inlineStack.length > 0) {
			const node: XmlNode = { name, attributes, children: [], text: '' };
			inlineStack[inlineStack.length - 1].children.push(node);
			inlineStack.push(node);
		}
	});
	const onText = (text: string) => {
		if (collectingValue && current) current.value += text;
		else if (inlineStack.length > 0) inlineStack[inlineStack.length - 1].text += text;
	};
	parser.on('text', onText);
	parser.on('cdata', onText);
	parser.on('closetag', (tag) => {
		const name = localName(tag.name);
		if (name === 'sheetData') inSheetData = false;
		if (!inSheetData) return;
		if (name === 'v') collectingValue = false;
		else if (inlineStack.length > 0) inlineStack.pop();
		else if (name === 'c' && current) {
			if (rowFailure === null) {
				try {
					cells.push({ column: current.column, cell: cellValue(current, context) });
				} catch (error) {
					if (!(error instanceof UnreadableCell)) throw error;
					rowFailure = error.message;
				}
			}
			current = null;
		} else if (name === 'row') {
			parsedRows.push(rowFailure === null ? { index: rowCounter, cells } : { index: rowCounter, failure: rowFailure });
		}
	});
	parser.write(xml);
	parser.close();
	if (failure) throw new UnreadableWorkbook(failure.message);
	return { title, dimension, rows: parsedRows };
}

/** `<row r>`: an integer, or a float that is whole; without it, the next number. */
function rowNumber(r: string | undefined, previous: number): number {
	if (r === undefined) return previous + 1;
	const whole = pyInt(r);
	if (whole !== null) return Number(whole);
	const value = pyFloat(r);
	if (value !== null && Number.isInteger(value)) return value;
	throw new UnreadableWorkbook(`${r} is not a valid row number`);
}

/** openpyxl's `parse_cell` with `data_only=True`, then HQ's `_make_cell_value`. */
function cellValue(
	raw: { type: string; style: number; value: string | null; inline: XmlNode | null },
	context: SheetContext,
): Cell | null {
	if (raw.type === 'inlineStr') return raw.inline ? { kind: 'str', text: richTextContent(raw.inline) } : null;
	const value = raw.value === null || raw.value === '' ? null : raw.value;
	if (value === null) return null;
	switch (raw.type) {
		case 'n': {
			const number = castNumber(value);
			if (!context.styles.dates.has(raw.style)) return number;
			return fromExcel(number.number as number, context.date1904);
		}
		case 's': {
			const index = pyInt(value);
			const text = index === null ? undefined : context.sharedStrings[Number(index)];
			if (text === undefined) throw new UnreadableCell('list index out of range');
			return { kind: 'str', text };
		}
		case 'b': {
			const flag = pyInt(value);
			if (flag === null) throw new UnreadableCell(`invalid literal for int() with base 10: ${pythonQuoted(value)}`);
			return boolCell(flag !== 0n);
		}
		case 'd':
			return fromIso8601(value);
		default:
			// 'str' (a formula's text result), 'e' (an error such as #N/A) and unknown types: the text itself.
			return { kind: 'str', text: value };
	}
}

/** openpyxl's `_cast_number`: a float when the text holds `.`, `e` or `E`, else an int. */
function castNumber(text: string): Cell {
	if (/[.eE]/.test(text)) {
		const value = pyFloat(text);
		if (value === null) throw new UnreadableCell(`could not convert string to float: ${pythonQuoted(text)}`);
		return floatCell(value);
	}
	const value = pyInt(text);
	if (value === null) throw new UnreadableCell(`invalid literal for int() with base 10: ${pythonQuoted(text)}`);
	return intCell(value);
}

function pythonQuoted(text: string): string {
	return text.includes("'") && !text.includes('"') ? `"${text}"` : `'${text.replace(/'/g, "\\'")}'`;
}

const DAY_MS = 86_400_000;
const WINDOWS_EPOCH = Date.UTC(1899, 11, 30);
const MAC_EPOCH = Date.UTC(1904, 0, 1);
/** Python's datetime covers years 1 to 9999. */
const LATEST = Date.UTC(10000, 0, 1);
const EARLIEST = new Date(0).setUTCFullYear(1, 0, 1);

/** Python's `round()` of a float: halves to even. */
function roundHalfEven(value: number): number {
	const floor = Math.floor(value);
	const difference = value - floor;
	if (difference > 0.5) return floor + 1;
	if (difference < 0.5) return floor;
	return floor % 2 === 0 ? floor : floor + 1;
}

/** openpyxl's `from_excel`: a serial number to a date-time, or a time below 1. */
function fromExcel(serial: number, date1904: boolean): Cell {
	const day = Math.floor(serial);
	const fraction = serial - day;
	const diffMs = roundHalfEven(fraction * 86_400 * 1000);
	if (serial >= 0 && serial < 1 && diffMs < DAY_MS) {
		const seconds = Math.floor(diffMs / 1000);
		return timeCell(Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60, (diffMs % 1000) * 1000);
	}
	const epoch = date1904 ? MAC_EPOCH : WINDOWS_EPOCH;
	const days = serial > 0 && serial < 60 && !date1904 ? day + 1 : day;
	const time = epoch + days * DAY_MS + diffMs;
	if (!(time >= EARLIEST && time < LATEST)) {
		return { kind: 'str', text: '#VALUE!' }; // openpyxl warns and reads the cell as an error
	}
	return keepDateTimeText(dateTimeCell(utcParts(new Date(time))));
}

/**
 * openpyxl gives a date-time; HQ's case adaptor makes one at midnight a date. `openpyxlText` keeps what `str()` of
 * openpyxl's own value gives, for the lookup-table reader, which has no such adaptor.
 */
function keepDateTimeText(cell: Cell): Cell {
	return cell.kind === 'date' ? { ...cell, openpyxlText: `${cell.text} 00:00:00` } : cell;
}

/** openpyxl's `from_ISO8601` for `t="d"` cells: a date, a date-time or a time. */
function fromIso8601(text: string): Cell {
	const match =
		/^(?:(\d{4})-(\d{2})-(\d{2}))?T?(?:(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?)?Z?/.exec(text) ?? ([] as string[]);
	const [, year, month, day, hour, minute, second, fraction] = match;
	const microseconds = fraction ? Math.round(Number(fraction) * 1_000_000) : 0;
	if (year === undefined && hour === undefined) throw new UnreadableCell(`Invalid datetime value ${text}`);
	if (year === undefined) return timeCell(Number(hour), Number(minute), Number(second ?? 0), microseconds);
	if (hour === undefined)
		return dateTimeCell({ y: Number(year), m: Number(month), d: Number(day), H: 0, M: 0, S: 0, us: 0 });
	const parts = {
		y: Number(year),
		m: Number(month),
		d: Number(day),
		H: Number(hour ?? 0),
		M: Number(minute ?? 0),
		S: Number(second ?? 0),
		us: microseconds,
	};
	return keepDateTimeText(dateTimeCell(parts));
}

/**
 * openpyxl's `ReadOnlyWorksheet._cells_by_row` (from A1; padded to the dimension's width, or as long as each row's
 * last cell without one; missing row numbers as empty rows; rows after the dimension's last row not read), consumed
 * as HQ's `_max_row` consumes it: up to the last row with a truthy value, looking no further than 1000 rows past one.
 * A cell openpyxl cannot read raises while HQ opens the file, as long as its row is parsed before HQ stops looking.
 */
function hqRows(title: string, parsedRows: ParsedRow[], dimension: Dimension | null): Sheet {
	const maxCol = dimension?.[2] ?? null;
	const maxRow = dimension?.[3] ?? null;
	const emptyRow = (): Array<Cell | null> => (maxCol === null ? [] : new Array<Cell | null>(maxCol).fill(null));
	const rows: Array<Array<Cell | null>> = [];
	let hqMaxRow = 1;
	let blankRun = 0;
	/** Takes the next row openpyxl yields; false once HQ stops looking. */
	const take = (row: Array<Cell | null>): boolean => {
		rows.push(row);
		if (row.some(isTruthy)) {
			hqMaxRow = rows.length;
			blankRun = 0;
		} else blankRun++;
		return blankRun < MAX_BLANK_ROWS;
	};
	let counter = 1;
	let lastIndex = 1;
	let reading = true;
	for (const parsed of parsedRows) {
		// The row is parsed (and a bad cell raises) before openpyxl looks at its number.
		if ('failure' in parsed) throw new UnreadableCell(parsed.failure);
		lastIndex = parsed.index;
		if (maxRow !== null && parsed.index > maxRow) break;
		for (; counter < parsed.index && reading; counter++) reading = take(emptyRow());
		if (!reading) break;
		if (counter > parsed.index) continue; // a row number already passed: openpyxl skips the row
		counter++;
		if (!take(paddedRow(parsed.cells, maxCol))) {
			reading = false;
			break;
		}
	}
	if (reading && maxRow !== null && maxRow < lastIndex) {
		for (; counter <= maxRow && reading; counter++) reading = take(emptyRow());
	}
	return { title, rows: rows.slice(0, hqMaxRow), maxRow: hqMaxRow };
}

/** openpyxl's `_get_row`: as wide as the dimension, or as the row's last cell; cells past the width dropped. */
function paddedRow(cells: ParsedCell[], maxCol: number | null): Array<Cell | null> {
	if (cells.length === 0 && maxCol === null) return [];
	const width = maxCol ?? cells[cells.length - 1].column;
	const row = new Array<Cell | null>(Math.max(0, width)).fill(null);
	for (const { column, cell } of cells) if (column >= 1 && column <= width) row[column - 1] = cell;
	return row;
}
