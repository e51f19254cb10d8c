/**
 * Spreadsheet bytes, with exceljs and its parts only (its streaming writer; its zip reader, XML and CSV parsers): which
 * columns items become, how an item value becomes a cell, writing items as an `.xlsx` row by row, and reading a user's
 * file just enough for the checks made before upload (`preflight.ts`), streaming, in bounded memory.
 *
 * ## Value rules (items → cells). The README copies this table.
 * "CommCare stores" is the text the server keeps after import (spec §6.1: non-text cells go through Python `str()`).
 *
 * | Item value                                             | Cell written                | CommCare stores                   |
 * | ------------------------------------------------------ | --------------------------- | --------------------------------- |
 * | text, e.g. `"00123"`, `"=HYPERLINK(…)"`, `"TRUE"`        | text, exactly as given      | the same text (zeros kept)        |
 * | any value in a text column (`textColumns`: the node lists the search column and the id columns) | text | `5` → `"5"`, `true` → `"True"`, a date as in the date rows |
 * | number, e.g. `5`, `5.5`                                  | number                      | `"5"`, `"5.5"`                    |
 * | boolean                                                | Excel boolean               | `"True"` / `"False"`              |
 * | `"YYYY-MM-DD"` (a real calendar date)                    | date                        | `"YYYY-MM-DD"`                    |
 * | ISO date-time without offset, or with `Z` / `+00:00`, e.g. `"2024-03-05T14:30:00.000Z"` | date-time | `"2024-03-05 14:30:00"`; at exactly midnight `"2024-03-05"` |
 * | ISO date-time with another offset, e.g. `…T14:30:00+02:00` | text, exactly as given  | the same text                     |
 * | JS `Date`                                              | date-time of its wall clock in the workflow's time zone | as the date-time row |
 * | `null`, `""`                                           | blank                       | `""`: **on update a blank clears the property**, on purpose |
 * | key missing (or `undefined`)                           | refused by default; blank, or left out, by option (itemsSource.ts) | — |
 * | unstorable characters (control, lone surrogates)       | in a text (ID) column: error naming key and item; elsewhere dropped, with a warning | the text without them |
 * | object or array                                        | error naming key and item   | —, or JSON text with `nestedAsJson` |
 * | text over 32,767 characters (Excel's cell limit)       | error naming key and item   | —                                 |
 * | `NaN`, `Infinity`, an invalid `Date`                   | error naming key and item   | —                                 |
 *
 * Why these rules:
 * - Booleans are written as Excel booleans so CommCare stores its own convention, `"True"`/`"False"`: the same text
 *   the server makes of a boolean in any `.xlsx` or of `true`/`yes` in a `.csv`, so case data does not depend on the
 *   path it came by. (Note `close` needs the exact text `yes`; a boolean does not close a case.)
 * - Dates: the wall-clock digits the user wrote are the digits CommCare stores. Strings without an offset, or in UTC,
 *   are converted from their digits (never through the machine's time zone); a string with another offset stays text,
 *   because picking a zone for it would change its digits. Seconds are the finest unit kept: milliseconds are dropped,
 *   so CommCare stores `YYYY-MM-DD HH:MM:SS` as spec §6.1 says. Dates before 1900-03-01 or after 9999 (outside what
 *   Excel serial dates represent faithfully) are written as the text the server would have stored.
 * - Text is never turned into a formula: every string is written as a plain string cell, `=` or not.
 * - Characters XML cannot hold (control characters other than tab, newline and carriage return; U+FFFE, U+FFFF) are
 *   dropped: no `.xlsx` can store them. An unpaired surrogate becomes U+FFFD (the replacement character). The checks
 *   warn when that happens; in a text (ID) column such a value is refused, since an id that lost a character would
 *   match another case. Carriage returns are kept (written as a character reference, which XML readers do not turn
 *   into line feeds).
 * - A JS `Date` is a moment, not a date: written on the clock of the workflow's time zone, it shows the digits the
 *   workflow's `$now` would, so a Date made for midnight there is that day.
 */
import { once } from 'events';
import { closeSync, createReadStream, createWriteStream, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'fs';
import { createRequire } from 'module';
import { tmpdir } from 'os';
import { join } from 'path';
import { pid } from 'process';
import { Readable, Transform } from 'stream';
import { pipeline } from 'stream/promises';
import { setImmediate as nextTurnOfEventLoop } from 'timers/promises';

import * as ExcelJS from 'exceljs';
import type { IDataObject } from 'n8n-workflow';

// ---------------------------------------------------------------------------------------------------------------
// Columns

export interface ColumnPlanOptions {
	/** Exactly these columns, in this order (when non-empty). */
	include?: string[];
	/** Dropped from the plan, whatever else says. */
	exclude?: string[];
	/** Appended when missing (e.g. the search column, which the server needs even when empty: spec §6.1). */
	ensure?: string[];
}

/** The columns of the generated sheet: `include`, or the union of the items' keys in first-seen order; minus `exclude`. */
export function planColumns(items: Iterable<IDataObject>, opts: ColumnPlanOptions = {}): string[] {
	const columns = new Set<string>();
	if (opts.include && opts.include.length > 0) {
		for (const column of opts.include) columns.add(column);
	} else {
		for (const item of items) {
			// for…in, not Object.keys: no array per item (items are plain JSON objects without inherited keys).
			for (const key in item) columns.add(key);
		}
	}
	for (const column of opts.ensure ?? []) columns.add(column);
	const excluded = new Set(opts.exclude ?? []);
	return [...columns].filter((column) => !excluded.has(column));
}

/**
 * Never name the sheet after a case type: a workbook whose every sheet is named like a case type of the project
 * switches the server into multi-sheet mode (spec §3.3). `cases`, unless that is the case type or another known name.
 */
export function safeSheetName(caseType: string, knownNames: string[] = []): string {
	const taken = new Set([caseType, ...knownNames].map((name) => name.trim().toLowerCase()));
	for (let attempt = 1; ; attempt++) {
		const candidate = attempt === 1 ? 'cases' : attempt === 2 ? 'cases_sheet' : `cases_sheet_${attempt - 1}`;
		if (!taken.has(candidate)) return candidate;
	}
}

// ---------------------------------------------------------------------------------------------------------------
// Cells

/** Excel's limit on the characters in one cell. */
export const MAX_CELL_LENGTH = 32_767;

/** The longest name or external id CommCare takes (255 characters): the longest a check needs to see past. */
const MAX_ID_LENGTH_CHECKED = 255;

/** A cell as written. A string is always a plain string cell, never a formula. */
export type CellValue = string | number | boolean | Date | null;

export type CellProblem = 'nested' | 'tooLong' | 'notFiniteNumber' | 'invalidDate' | 'unstorableCharacters';

/** An item value that cannot become a cell. Names the key and the item so the user can find it. */
export class CellValueError extends Error {
	constructor(
		readonly column: string,
		readonly itemIndex: number,
		readonly problem: CellProblem,
		message: string,
	) {
		super(message);
		this.name = 'CellValueError';
	}
}

export interface CellOptions {
	/** Write the value as text whatever its type (ids and search columns). */
	asText: boolean;
	/** Write objects and arrays as JSON text instead of failing. */
	nestedAsJson: boolean;
	/**
	 * The IANA time zone whose wall clock a JS `Date` is written in: the workflow's (what `$now` shows), so that a
	 * Date made for midnight there is that date. Default UTC.
	 */
	timeZone?: string;
}

/** Turns the values of one column into cells. One per column, so the per-cell path does no set lookups. */
export class ColumnConverter {
	constructor(
		readonly column: string,
		private readonly opts: CellOptions,
	) {}

	convert(value: unknown, itemIndex: number): CellValue {
		if (value === null || value === undefined) return null;
		switch (typeof value) {
			case 'string':
				return this.fromString(value, itemIndex);
			case 'number':
				if (!Number.isFinite(value)) {
					throw this.error(itemIndex, 'notFiniteNumber', `holds ${String(value)}, which a spreadsheet cannot store`);
				}
				return this.opts.asText ? String(value) : value;
			case 'boolean':
				return this.opts.asText ? booleanText(value) : value;
			case 'bigint':
				return this.checkLength(value.toString(), itemIndex);
			case 'object':
				return this.fromObject(value, itemIndex);
			default:
				throw this.nestedError(itemIndex, typeof value);
		}
	}

	private fromString(text: string, itemIndex: number): CellValue {
		if (text === '') return null;
		this.checkLength(text, itemIndex);
		if (this.opts.asText) {
			// An id that lost a character would match (or create) another case: refuse it instead.
			if (hasUnstorableCharacters(text)) {
				throw this.error(
					itemIndex,
					'unstorableCharacters',
					`holds characters a spreadsheet cannot store (${describeUnstorable(text)}); as an id it would change without a trace. Remove them from the id`,
				);
			}
			return text;
		}
		return parseIsoDateText(text) ?? text;
	}

	private fromObject(value: object, itemIndex: number): CellValue {
		if (value instanceof Date) return this.fromDate(value, itemIndex);
		if (isLuxonDateTime(value)) {
			// A Luxon DateTime (from a Code node) carries an offset: same rule as an ISO string with that offset.
			const iso = value.toISO();
			return iso === null ? this.fromDate(new Date(NaN), itemIndex) : this.fromString(iso, itemIndex);
		}
		if (!this.opts.nestedAsJson) throw this.nestedError(itemIndex, Array.isArray(value) ? 'an array' : 'an object');
		return this.checkLength(JSON.stringify(value), itemIndex);
	}

	private wallClock: ((date: Date) => Date) | undefined;

	private fromDate(date: Date, itemIndex: number): CellValue {
		if (Number.isNaN(date.getTime())) throw this.error(itemIndex, 'invalidDate', 'holds an invalid date');
		this.wallClock ??= wallClockIn(this.opts.timeZone);
		const time = this.wallClock(date).getTime();
		const wholeSeconds = new Date(time - mod(time, 1000));
		if (this.opts.asText || time < EARLIEST_EXCEL_DATE || time >= END_OF_EXCEL_DATES) return dateText(wholeSeconds);
		return wholeSeconds;
	}

	private checkLength(text: string, itemIndex: number): string {
		if (text.length > MAX_CELL_LENGTH) {
			throw this.error(
				itemIndex,
				'tooLong',
				`is ${text.length} characters long; a spreadsheet cell holds at most ${MAX_CELL_LENGTH}. Shorten it or leave the column out`,
			);
		}
		return text;
	}

	private nestedError(itemIndex: number, what: string): CellValueError {
		return this.error(
			itemIndex,
			'nested',
			`holds ${what}, which a spreadsheet cell cannot hold. Flatten it (e.g. with a Set node), exclude the column, or turn on the option to write nested values as JSON text`,
		);
	}

	private error(itemIndex: number, problem: CellProblem, what: string): CellValueError {
		return new CellValueError(this.column, itemIndex, problem, `Key '${this.column}' of item ${itemIndex} ${what}.`);
	}
}

/**
 * Characters no `.xlsx` can store: control characters other than tab, line feed and carriage return; U+FFFE and
 * U+FFFF; unpaired surrogates (which become U+FFFD). The writer drops (or replaces) them.
 */
const UNSTORABLE =
	/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Any control character, surrogate or U+FFFE/U+FFFF: a cheap first test (a surrogate pair, e.g. an emoji, is fine). */
const MAYBE_UNSTORABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

export function hasUnstorableCharacters(text: string): boolean {
	// Run for every text cell of the checks: the exact pattern (with its lookbehind) only when needed. (A loop over
	// char codes was measured slower than V8's regular expression.)
	return MAYBE_UNSTORABLE.test(text) && UNSTORABLE.test(text);
}

/** `U+0007, U+FFFE`: the unstorable characters of a text, named by code point (they have no visible form). */
export function describeUnstorable(text: string): string {
	const found = new Set<string>();
	for (const match of text.matchAll(new RegExp(UNSTORABLE.source, 'g'))) {
		found.add(`U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
		if (found.size === 3) break;
	}
	return [...found].join(', ');
}

/**
 * An item's own value for a key: `undefined` for a key it does not have, even one named like a member of every
 * object (`constructor`, `toString`), which a plain `item[key]` would find on Object.prototype.
 */
export function ownValue(item: IDataObject, key: string): unknown {
	return Object.prototype.hasOwnProperty.call(item, key) ? item[key] : undefined;
}

/** Keys an item lacks if a plain lookup would still find something: the members of Object.prototype. */
const INHERITED_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Whether a plain lookup of this key could find an inherited member instead of the item's own value. */
export function needsOwnLookup(column: string): boolean {
	return INHERITED_NAMES.has(column);
}

/** One value to one cell; see the table at the top. */
export function toCell(value: unknown, column: string, itemIndex: number, opts: CellOptions): CellValue {
	return new ColumnConverter(column, opts).convert(value, itemIndex);
}

/**
 * The text CommCare stores for a cell value (spec §6.1), also for values read back by exceljs (rich text, hyperlinks,
 * formulas with their cached results, errors). `null` for a blank cell. Numbers are shown as JavaScript prints them,
 * which matches Python's `str()` except for exponent notation of very large or very small numbers.
 */
export function serverText(value: unknown): string | null {
	if (value === null || value === undefined) return null;
	switch (typeof value) {
		case 'string':
			return value === '' ? null : value;
		case 'number':
			return String(value);
		case 'boolean':
			return booleanText(value);
		case 'object': {
			if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : dateText(value);
			const cell = value as {
				richText?: Array<{ text?: string }>;
				text?: unknown;
				formula?: string;
				sharedFormula?: string;
				result?: unknown;
				error?: string;
			};
			if (Array.isArray(cell.richText)) return serverText(cell.richText.map((run) => run.text ?? '').join(''));
			if (cell.formula !== undefined || cell.sharedFormula !== undefined) return serverText(cell.result);
			if (cell.text !== undefined) return serverText(cell.text);
			if (typeof cell.error === 'string') return cell.error;
			return null;
		}
		default:
			return String(value);
	}
}

/** The search id the server matches on (spec §6.1): text that Python's `float()` accepts becomes `str(int(...))`. */
export function serverSearchId(text: string | null): string {
	if (isBlankText(text)) return '';
	const id = text as string;
	if (!PYTHON_FLOAT.test(id)) return id;
	const number = Number(id.replace(/_/g, '').trim());
	if (!Number.isFinite(number)) return id;
	return BigInt(Math.trunc(number)).toString();
}

/** Text Python's `float()` reads: digits with optional underscores between them, a fraction, an exponent. */
const PYTHON_FLOAT = /^\s*[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?\s*$/;

/**
 * The text of a search-column cell as the server's `_parse_search_id` takes it (spec §6.1): `row[column] or ''`,
 * so a falsy cell (a numeric 0, a boolean false) is a blank id and `True` is the number 1. `serverSearchId` then
 * gives the id. The emulator applies the same rule to its typed cells. In a `.csv` every cell is text that the
 * server first turns into a number where it can: numeric text equal to 0 is blank as well.
 */
export function searchCellText(value: unknown, format?: SheetInspection['format']): string | null {
	if (typeof value === 'number') return value === 0 ? null : serverText(value);
	if (typeof value === 'boolean') return value ? '1' : null;
	if (
		typeof value === 'string' &&
		format === 'csv' &&
		PYTHON_FLOAT.test(value) &&
		Number(value.replace(/_/g, '').trim()) === 0
	) {
		return null;
	}
	return serverText(value);
}

/** Blank for the server: nothing, an empty string, or `---` (the case export's "no value" marker, spec §6.1). */
export function isBlankText(text: string | null): boolean {
	return text === null || text === '' || text.trim() === '---';
}

function booleanText(value: boolean): string {
	return value ? 'True' : 'False';
}

/** Python's `str()` of a date or datetime: `YYYY-MM-DD` at midnight, else `YYYY-MM-DD HH:MM:SS[.ffffff]`. UTC clock. */
function dateText(date: Date): string {
	const day = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
	const ms = date.getUTCMilliseconds();
	if (date.getUTCHours() === 0 && date.getUTCMinutes() === 0 && date.getUTCSeconds() === 0 && ms === 0) return day;
	const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
	return ms === 0 ? `${day} ${time}` : `${day} ${time}.${pad(ms, 3)}000`;
}

/**
 * A function giving, for a moment, a Date whose UTC clock shows the wall clock of `timeZone` at that moment (the
 * digits a person there reads). UTC, or an unknown zone, gives the moment itself.
 */
function wallClockIn(timeZone: string | undefined): (date: Date) => Date {
	if (!timeZone || /^(utc|gmt|etc\/utc|etc\/gmt|z)$/i.test(timeZone)) return (date) => date;
	let format: Intl.DateTimeFormat;
	try {
		format = new Intl.DateTimeFormat('en-US', {
			timeZone,
			hourCycle: 'h23',
			year: 'numeric',
			month: 'numeric',
			day: 'numeric',
			hour: 'numeric',
			minute: 'numeric',
			second: 'numeric',
		});
	} catch {
		return (date) => date;
	}
	return (date) => {
		const parts: Record<string, number> = {};
		for (const part of format.formatToParts(date)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
		const utc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
		return new Date(utc + date.getUTCMilliseconds());
	};
}

/** Excel's serial dates (and Python's reading of them) agree only from 1900-03-01: the 1900 leap-year bug. */
const EARLIEST_EXCEL_DATE = Date.UTC(1900, 2, 1);
/** Excel (and Python's `datetime`) stop at year 9999. */
const END_OF_EXCEL_DATES = Date.UTC(10000, 0, 1);

/**
 * `YYYY-MM-DD`, optionally followed by a time without offset or in UTC: `T` or a space, `HH:MM`, optional `:SS` and
 * fraction, optional `Z`, `+00:00`, `-00:00` or `+0000`. The fields sit at fixed positions, so after this test they
 * are read by position: this runs for every text cell, and a regex match would allocate an array and seven strings.
 */
const ISO_DATE_OR_UTC_DATETIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]00:?00)?)?$/;

/** A `Date` (UTC clock = the digits written) for ISO date/date-time text that the value rules convert, else null. */
export function parseIsoDateText(text: string): Date | null {
	// Cheap test first: most text is not a date.
	if (text.length < 10 || text.length > 40 || text.charCodeAt(4) !== 45 /* - */) return null;
	if (!ISO_DATE_OR_UTC_DATETIME.test(text)) return null;
	const year = digitsAt(text, 0, 4);
	const month = digitsAt(text, 5, 2);
	const day = digitsAt(text, 8, 2);
	const hasTime = text.length > 10;
	const hour = hasTime ? digitsAt(text, 11, 2) : 0;
	const minute = hasTime ? digitsAt(text, 14, 2) : 0;
	const second = hasTime && text.charCodeAt(16) === 58 /* : */ ? digitsAt(text, 17, 2) : 0;
	if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
	if (hour > 23 || minute > 59 || second > 59) return null;
	const time = Date.UTC(year, month - 1, day, hour, minute, second);
	return time < EARLIEST_EXCEL_DATE ? null : new Date(time);
}

/** The number written by `count` ASCII digits starting at `start` (already known to be digits). */
function digitsAt(text: string, start: number, count: number): number {
	let value = 0;
	for (let i = start; i < start + count; i++) value = value * 10 + (text.charCodeAt(i) - 48);
	return value;
}

function daysInMonth(year: number, month: number): number {
	if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
	return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

interface LuxonLike {
	isLuxonDateTime: true;
	toISO(): string | null;
}

function isLuxonDateTime(value: object): value is LuxonLike {
	return (value as Partial<LuxonLike>).isLuxonDateTime === true && typeof (value as LuxonLike).toISO === 'function';
}

function pad(n: number, width = 2): string {
	return String(n).padStart(width, '0');
}

function mod(n: number, m: number): number {
	return ((n % m) + m) % m;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing items as .xlsx

export interface WriteItemsOptions {
	/** See `safeSheetName`: never a case type. */
	sheetName: string;
	/** Columns always written as text (search column, ids). */
	textColumns: string[];
	/** Objects and arrays become JSON text instead of an error. */
	nestedAsJson: boolean;
	/** Index of the first row's item in the node's input, for error messages. Default 0. */
	firstItemIndex?: number;
	/** The input item index of each row, when the rows are not consecutive items (wins over `firstItemIndex`). */
	itemIndexes?: readonly number[];
	/** The workflow's time zone: JS Dates are written on its clock (see CellOptions). */
	timeZone?: string;
}

/** The input item index of row `offset` (0 = the first data row). */
function itemIndexFor(opts: Pick<WriteItemsOptions, 'firstItemIndex' | 'itemIndexes'>, offset: number): number {
	return opts.itemIndexes?.[offset] ?? (opts.firstItemIndex ?? 0) + offset;
}

/**
 * How much sheet XML may wait for compression before the writer pauses. The worksheet's stream accepts rows without
 * ever pushing back, so a loop that never pauses would buffer the whole sheet (about 1 KB a row) in memory.
 */
const MAX_PENDING_SHEET_BYTES = 1024 * 1024;
/** Below that, a turn of the event loop every 64 KB keeps compression busy alongside row production. */
const YIELD_EVERY_BYTES = 64 * 1024;

/**
 * Writes the header row and one row per item to `out` as an `.xlsx`, row by row, so memory stays bounded whatever
 * the number of rows. `out` must be consumed while this runs (a file, or a request being sent): the writer waits for
 * compressed bytes to leave, so an `out` nobody reads makes it wait forever.
 * Throws `CellValueError` for a value the rules refuse; `out` then holds an unfinished file and should be discarded.
 */
export async function writeItemsXlsx(
	rows: AsyncIterable<IDataObject> | Iterable<IDataObject>,
	columns: string[],
	out: NodeJS.WritableStream,
	opts: WriteItemsOptions,
): Promise<{ rowCount: number }> {
	const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
		stream: out as unknown as import('stream').Stream,
		useStyles: false,
		useSharedStrings: false,
	});
	const sheet = workbook.addWorksheet(opts.sheetName);
	const pendingSheetXml = sheetZipInput(sheet);
	const textColumns = new Set(opts.textColumns);
	const converters = columns.map(
		(column) =>
			new ColumnConverter(column, {
				asText: textColumns.has(column),
				nestedAsJson: opts.nestedAsJson,
				timeZone: opts.timeZone,
			}),
	);
	// A plain lookup per cell (the hot path); an own-property lookup only for keys named like Object.prototype's.
	const ownLookup = columns.map(needsOwnLookup);

	let rowCount = 0;
	let rowSink: RowSink | undefined;
	// Both sinks copy the values out, so one array serves every row.
	const cells = new Array<CellValue>(converters.length);
	const writeRow = (item: IDataObject) => {
		const itemIndex = itemIndexFor(opts, rowCount);
		for (let i = 0; i < converters.length; i++) {
			cells[i] = converters[i].convert(ownLookup[i] ? ownValue(item, columns[i]) : item[columns[i]], itemIndex);
		}
		rowCount++;
		(rowSink as RowSink).add(rowCount + 1, cells);
	};
	// Checked after every row, awaited only when needed: a promise per row would cost more than the check.
	let pendingAtLastYield = 0;
	const compressionIsBehind = () => {
		if (!pendingSheetXml) return rowCount % 1000 === 0;
		const pending = pendingBytes(pendingSheetXml);
		return pending > MAX_PENDING_SHEET_BYTES || pending - pendingAtLastYield >= YIELD_EVERY_BYTES;
	};
	const letCompressionCatchUp = async () => {
		if (pendingSheetXml && pendingBytes(pendingSheetXml) > MAX_PENDING_SHEET_BYTES) {
			await drained(pendingSheetXml, out);
		} else {
			// One turn of the event loop hands the next chunk to zlib, which then compresses on another thread
			// while this one goes on producing rows.
			await nextTurnOfEventLoop();
		}
		pendingAtLastYield = pendingSheetXml ? pendingBytes(pendingSheetXml) : 0;
	};
	let finished = false;
	try {
		// The header goes through exceljs's own row writer, which also opens the sheet's data section.
		sheet.addRow(columns).commit();
		rowSink = sheetXmlSink(workbook, sheet, columns.length) ?? exceljsRowSink(sheet);
		if (Symbol.iterator in rows) {
			// A plain loop for arrays and other sync iterables: `for await` would also cost a promise per row.
			for (const item of rows as Iterable<IDataObject>) {
				writeRow(item);
				if (compressionIsBehind()) await letCompressionCatchUp();
			}
		} else {
			for await (const item of rows) {
				writeRow(item);
				if (compressionIsBehind()) await letCompressionCatchUp();
			}
		}
		rowSink.flush();
		sheet.commit();
		await workbook.commit();
		finished = true;
	} finally {
		// On failure, stop the zip stream so `out` ends (truncated) instead of waiting for rows that never come.
		if (!finished) (workbook as unknown as { zip?: { abort?: () => void } }).zip?.abort?.();
	}
	return { rowCount };
}

/** Where data rows go once converted. */
interface RowSink {
	/** `rowNumber`: spreadsheet row (header = 1). Rows arrive in order. */
	add(rowNumber: number, cells: CellValue[]): void;
	flush(): void;
}

/** exceljs's public row API: one Row and one Cell object per value, rendered by its XML writer. */
function exceljsRowSink(sheet: ExcelJS.Worksheet): RowSink {
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
function sheetXmlSink(workbook: object, sheet: object, columnCount: number): RowSink | null {
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

/** 0 → A, 25 → Z, 26 → AA: spreadsheet column names. */
export function columnLetter(index: number): string {
	let letters = '';
	for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26))
		letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
	return letters;
}

interface StreamWithState extends NodeJS.EventEmitter {
	_writableState?: { length: number };
}

/**
 * The stream between the worksheet and the zip compressor (exceljs 4.4: the sheet's buffer pipes into one
 * PassThrough that archiver reads when it compresses). Undefined if exceljs's internals look different.
 */
function sheetZipInput(sheet: unknown): StreamWithState | undefined {
	const pipe = (sheet as { stream?: { pipes?: StreamWithState[] } }).stream?.pipes?.[0];
	return typeof pipe?._writableState?.length === 'number' ? pipe : undefined;
}

function pendingBytes(stream: StreamWithState): number {
	return stream._writableState?.length ?? 0;
}

/** Resolves when the zip input has drained; rejects if `out` fails or closes first (no hang on a dead upload). */
async function drained(zipInput: StreamWithState, out: NodeJS.WritableStream): Promise<void> {
	const state = out as { destroyed?: boolean; errored?: Error | null };
	if (state.destroyed) throw state.errored ?? new Error('The output stream closed before the sheet was written');
	const outEmitter = out as unknown as NodeJS.EventEmitter;
	let onOutFailure: ((error?: Error) => void) | undefined;
	const outFailed = new Promise<never>((_, reject) => {
		onOutFailure = (error?: Error) =>
			reject(error ?? new Error('The output stream closed before the sheet was written'));
		outEmitter.once('error', onOutFailure);
		outEmitter.once('close', onOutFailure);
	});
	try {
		await Promise.race([once(zipInput, 'drain'), outFailed]);
	} finally {
		outEmitter.removeListener('error', onOutFailure!);
		outEmitter.removeListener('close', onOutFailure!);
	}
}

// ---------------------------------------------------------------------------------------------------------------
// Reading a user's file (or items) for the checks before upload

export type SpreadsheetFormat = 'xlsx' | 'csv' | 'xls';

/** What kind of value a header cell holds. The server rejects non-text headers (spec §3, check 6a). */
export type HeaderKind = 'text' | 'blank' | 'number' | 'date' | 'boolean' | 'other';

export interface SheetInspection {
	format: SpreadsheetFormat | 'items';
	/** Why the file could not be checked (e.g. `.xls`); null when it was read. */
	limitation: string | null;
	/** All sheet titles, in workbook order (empty for CSV). */
	sheetNames: string[];
	/** First sheet, row 1: each header cell as text, null when blank. Trailing blank cells are not included. */
	headers: (string | null)[];
	/** Same length as `headers`. */
	headerKinds: HeaderKind[];
	/** Rows after the header up to the last non-blank one (trailing blank rows are not counted). */
	dataRowCount: number;
	/** Blank rows (spreadsheet numbers) between the header and the last non-blank row: the server skips them. */
	blankRowNumbers: number[];
	/** Non-blank rows after 1000 consecutive empty rows: the server stops reading there (spec §6.1; `.xlsx` and items, not CSV). */
	rowsAfterGap: { firstRow: number; count: number } | null;
	/**
	 * For each requested column present in the headers: its text per data row (index 0 = spreadsheet row 2), cut to
	 * MAX_STORED_VALUE_LENGTH characters.
	 */
	values: Record<string, (string | null)[]>;
	/** Columns (0-based) with data but a blank header cell, or beyond the last header: CommCare drops them. */
	dataWithoutHeader: Array<{ column: number; rows: number[]; count: number }>;
	/** Set when a row after MAX_DATA_ROWS data rows holds data; reading stopped there. */
	rowLimitExceeded: { firstRow: number } | null;
	/** Items source: rows whose value of a column holds characters an .xlsx cannot store (dropped when written). */
	unstorableCharacters: Record<string, number[]>;
}

/** Thrown when the file cannot be read at all. The server would reject it too (spec §3, check 4b). */
export class SpreadsheetReadError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'SpreadsheetReadError';
	}
}

/** The server's `.xlsx` reader stops after this many consecutive empty rows. */
const SERVER_EMPTY_ROW_LIMIT = 1000;

/**
 * Reads the first sheet's header, row count and the values of `valueColumns`, streaming: memory holds the requested
 * columns' values, not the sheet. `.xlsx` through exceljs's zip reader and XML parser (see "Reading an .xlsx for the
 * checks" below); `.csv` through the CSV parser exceljs uses (fast-csv), raw text as written. `.xls` cannot be read by exceljs: the result says so in `limitation` and holds nothing else; the
 * input is not consumed.
 */
export async function inspectSpreadsheet(
	input: NodeJS.ReadableStream | Buffer,
	extension: SpreadsheetFormat,
	opts: { valueColumns: string[]; searchColumn?: string },
): Promise<SheetInspection> {
	const collector = new RowCollector(extension, opts.valueColumns, opts.searchColumn);
	if (extension === 'xls') {
		return collector.finish(
			[],
			'Checks before upload are not available for .xls files (they cannot be read here). Save the file as .xlsx to have it checked.',
		);
	}
	const stream = toReadable(input);
	if (extension === 'csv') return inspectCsv(stream, collector);
	return inspectXlsx(stream, collector);
}

/**
 * The same inspection for items about to be written by `writeItemsXlsx` with the same options: the texts are those
 * of the cells it would write. Throws `CellValueError` as the writer would, before anything is written.
 */
export function inspectItems(
	items: IDataObject[],
	columns: string[],
	opts: WriteItemsOptions & { valueColumns: string[] },
): SheetInspection {
	const collector = new RowCollector('items', opts.valueColumns);
	collector.setHeader(
		columns.map((column) => ({ text: column === '' ? null : column, kind: column === '' ? 'blank' : 'text' })),
	);
	const textColumns = new Set(opts.textColumns);
	const converters = columns.map(
		(column) =>
			new ColumnConverter(column, {
				asText: textColumns.has(column),
				nestedAsJson: opts.nestedAsJson,
				timeZone: opts.timeZone,
			}),
	);
	const ownLookup = columns.map(needsOwnLookup);
	const texts = new Array<string | null>(columns.length);
	for (let offset = 0; offset < items.length; offset++) {
		const item = items[offset];
		const itemIndex = itemIndexFor(opts, offset);
		let blank = true;
		for (let i = 0; i < converters.length; i++) {
			const value = ownLookup[i] ? ownValue(item, columns[i]) : item[columns[i]];
			const cell = converters[i].convert(value, itemIndex);
			// Text columns refuse such values (the converter threw); elsewhere the writer drops the characters.
			if (typeof cell === 'string' && hasUnstorableCharacters(cell)) collector.noteUnstorable(columns[i], offset + 2);
			texts[i] = serverText(cell);
			if (!isBlankText(texts[i])) blank = false;
		}
		if (!collector.addRow(offset + 2, blank, (columnIndex) => texts[columnIndex])) break;
	}
	// Unlike a file's trailing empty rows, every item is written as a row: blank items at the end are sent too, and
	// CommCare skips them silently like any blank row, so report them.
	collector.addTrailingBlankRows(items.length + 1);
	return collector.finish([opts.sheetName], null);
}

function toReadable(input: NodeJS.ReadableStream | Buffer): Readable {
	// In slices, so that a reader that stops early (or a zip parser that is behind) reads no more than it needs.
	if (Buffer.isBuffer(input)) return Readable.from(bufferSlices(input, 64 * 1024), { objectMode: false });
	if (input instanceof Readable) return input;
	return new Readable().wrap(input);
}

function* bufferSlices(buffer: Buffer, size: number): Generator<Buffer> {
	for (let start = 0; start < buffer.length; start += size) yield buffer.subarray(start, start + size);
}

interface HeaderCell {
	text: string | null;
	kind: HeaderKind;
}

/** CommCare's importer takes at most this many data rows (`MAX_CASE_IMPORTER_ROWS`, docs/…): reading stops after. */
export const MAX_DATA_ROWS = 100_000;
/** Rows under a blank header listed at most per column (the count says how many there are). */
const LISTED_ROWS = 5;

/**
 * Accumulates an inspection row by row, whatever the source. Keeps only the requested columns' values (each cut to
 * what the checks need, see `storedValue`); blank rows are held as a count until a non-blank row shows they are not
 * trailing. Its memory is bounded whatever the file holds: at most MAX_DATA_ROWS rows are kept, and `addRow` says
 * when to stop reading.
 */
class RowCollector {
	private headers: HeaderCell[] = [];
	private headerSeen = false;
	private blankHeaderIndexes: number[] = [];
	private readonly valueColumnIndexes = new Map<string, number>();
	private readonly values: Record<string, (string | null)[]> = {};
	private lastDataRow = 1;
	private readonly blankRows: number[] = [];
	private rowsAfterGap: { firstRow: number; count: number } | null = null;
	private readonly blankHeaderData = new Map<number, { rows: number[]; count: number }>();
	private rowLimitExceeded: { firstRow: number } | null = null;
	private readonly unstorable = new Map<string, number[]>();

	/** `searchColumn`: its values are read with the server's search-id rule (`searchCellText`). */
	constructor(
		private readonly format: SheetInspection['format'],
		private readonly valueColumns: string[],
		private readonly searchColumn?: string,
	) {}

	setHeader(cells: HeaderCell[]): void {
		let last = cells.length;
		while (last > 0 && cells[last - 1].kind === 'blank') last--;
		this.headers = cells.slice(0, last).map((cell) => ({ text: detached(cell.text), kind: cell.kind }));
		this.headerSeen = true;
		this.blankHeaderIndexes = this.headers.flatMap((cell, index) => (cell.kind === 'blank' ? [index] : []));
		for (const column of this.valueColumns) {
			// With duplicate headers, the first one's values (the preflight reports the duplicates anyway).
			const index = this.headers.findIndex((cell) => cell.kind !== 'blank' && cell.text === column);
			if (index >= 0 && !this.valueColumnIndexes.has(column)) {
				this.valueColumnIndexes.set(column, index);
				this.values[column] = [];
			}
		}
	}

	/**
	 * `rowNumber` counts from 1 = header; rows never seen (absent from the file) are blank. `valueAt` gives a cell's
	 * value as read (a number, a boolean, a Date, text; null when empty). `cellCount` and `isBlankAt` let it notice
	 * data in columns without a header. Returns false when reading should stop: the sheet has more rows than
	 * CommCare imports, and nothing after that changes what the checks say.
	 */
	addRow(
		rowNumber: number,
		blank: boolean,
		valueAt: (columnIndex: number) => unknown,
		cellCount = 0,
		isBlankAt?: (columnIndex: number) => boolean,
	): boolean {
		if (!this.headerSeen) this.setHeader([]);
		if (blank) return true;
		const gap = rowNumber - this.lastDataRow - 1;
		if (this.rowsAfterGap || (this.format !== 'csv' && gap >= SERVER_EMPTY_ROW_LIMIT)) {
			if (this.rowsAfterGap) this.rowsAfterGap.count++;
			else this.rowsAfterGap = { firstRow: rowNumber, count: 1 };
			return true;
		}
		if (rowNumber > MAX_DATA_ROWS + 1) {
			this.rowLimitExceeded = { firstRow: rowNumber };
			return false;
		}
		if (isBlankAt) this.noteDataWithoutHeader(rowNumber, cellCount, isBlankAt);
		for (let row = this.lastDataRow + 1; row < rowNumber; row++) {
			this.blankRows.push(row);
			for (const column of this.valueColumnIndexes.keys()) this.values[column].push(null);
		}
		for (const [column, index] of this.valueColumnIndexes) {
			const value = valueAt(index);
			const text = column === this.searchColumn ? searchCellText(value, this.format) : serverText(value);
			this.values[column].push(storedValue(text));
		}
		this.lastDataRow = rowNumber;
		return true;
	}

	/** Items source: a value of `column` in `row` holds characters the writer drops (they are not stored). */
	noteUnstorable(column: string, row: number): void {
		const rows = this.unstorable.get(column);
		if (rows) rows.push(row);
		else this.unstorable.set(column, [row]);
	}

	/** Data in a column whose header is blank, or beyond the last header: CommCare drops such a column. */
	private noteDataWithoutHeader(
		rowNumber: number,
		cellCount: number,
		isBlankAt: (columnIndex: number) => boolean,
	): void {
		const note = (index: number) => {
			if (isBlankAt(index)) return;
			const seen = this.blankHeaderData.get(index) ?? { rows: [], count: 0 };
			if (seen.rows.length < LISTED_ROWS) seen.rows.push(rowNumber);
			seen.count += 1;
			this.blankHeaderData.set(index, seen);
		};
		for (const index of this.blankHeaderIndexes) if (index < cellCount) note(index);
		for (let index = this.headers.length; index < cellCount; index++) note(index);
	}

	/**
	 * Counts rows after the last data row, up to `lastRowNumber`, as blank data rows (rows that are sent). With no
	 * data row at all nothing changes: the sheet stays empty, as the checks expect.
	 */
	addTrailingBlankRows(lastRowNumber: number): void {
		if (this.rowsAfterGap || this.lastDataRow === 1 || this.rowLimitExceeded) return;
		for (let row = this.lastDataRow + 1; row <= Math.min(lastRowNumber, MAX_DATA_ROWS + 1); row++) {
			this.blankRows.push(row);
			for (const column of this.valueColumnIndexes.keys()) this.values[column].push(null);
		}
		this.lastDataRow = Math.max(this.lastDataRow, Math.min(lastRowNumber, MAX_DATA_ROWS + 1));
		if (lastRowNumber > MAX_DATA_ROWS + 1) this.rowLimitExceeded = { firstRow: MAX_DATA_ROWS + 2 };
	}

	finish(sheetNames: string[], limitation: string | null): SheetInspection {
		return {
			format: this.format,
			limitation,
			sheetNames,
			headers: this.headers.map((cell) => cell.text),
			headerKinds: this.headers.map((cell) => cell.kind),
			dataRowCount: this.lastDataRow - 1,
			blankRowNumbers: this.blankRows,
			rowsAfterGap: this.rowsAfterGap,
			values: this.values,
			dataWithoutHeader: [...this.blankHeaderData]
				.sort(([a], [b]) => a - b)
				.map(([column, seen]) => ({ column, ...seen })),
			rowLimitExceeded: this.rowLimitExceeded,
			unstorableCharacters: Object.fromEntries(this.unstorable),
		};
	}
}

/**
 * A copy of `text` that does not keep its source alive. Parsers hand out substrings of the chunk they read, and V8
 * keeps the whole chunk for as long as any substring of it lives: stored as is, the values of 100,000 rows would
 * hold most of the file's text in memory.
 */
function detached(text: string | null): string | null {
	return text === null ? null : (' ' + text).slice(1);
}

/** Stored values keep this many characters at most (code points): the checks' longest test is "over 255". */
export const MAX_STORED_VALUE_LENGTH = MAX_ID_LENGTH_CHECKED + 2;

/**
 * A value as the checks keep it: detached from its source, and cut to MAX_STORED_VALUE_LENGTH code points (the
 * checks ask of a long value only that it is long), so that 100,000 rows of long notes cost what ids do.
 */
function storedValue(text: string | null): string | null {
	if (text === null) return null;
	if (text.length <= MAX_STORED_VALUE_LENGTH) return detached(text);
	let kept = '';
	let count = 0;
	for (const char of text) {
		if (count === MAX_STORED_VALUE_LENGTH) break;
		kept += char;
		count += 1;
	}
	return kept;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading an .xlsx for the checks
//
// exceljs's WorkbookReader is not used, only parts of exceljs (its zip reader unzipper, its XML parser saxes, its
// styles and date rules), for three reasons found with large and with uncompressed files:
// - its loop over the zip's entries stops when unzipper emits 'end', which unzipper does as soon as its input is
//   consumed, while entries it has already parsed still wait to be read. Small uncompressed files (what SheetJS, and so
//   n8n's Convert to File node, writes) lost their workbook part about one time in three, and were refused as
//   unreadable. Node's own iterator over the zip reads what is waiting first.
// - it keeps every shared string in memory (see SharedStringTable);
// - it builds a Row and a Cell object per value, garbage that V8 promotes faster than it collects (see readSheetXml).

/** exceljs's dependencies and helpers, resolved from exceljs's folder (like fast-csv): the copies exceljs uses. */
const requireFromExcelJs = createRequire(require.resolve('exceljs'));

/** exceljs's own date rules, so that dates are told from numbers as exceljs (and the emulator, built on it) tells them. */
interface ExcelJsUtils {
	isDateFmt(format: string | undefined): boolean;
	excelToDate(serial: number, date1904?: boolean): Date;
}

const excelJsUtils = requireFromExcelJs('./lib/utils/utils') as ExcelJsUtils;

/** exceljs's reader of `xl/styles.xml`: gives each cell style (`s` attribute) its number format. */
interface StylesReader {
	parseStream(xml: Iterable<Buffer>): Promise<unknown>;
	getStyleModel(id: number): { numFmt?: string } | null;
}

interface ZipEntry extends Readable {
	path: string;
	autodrain(): unknown;
	/** What the entry's local header declares (sizes are 0 when the writer put them after the data). */
	vars?: { compressedSize: number; uncompressedSize: number };
}

type ZipParser = NodeJS.WritableStream &
	AsyncIterable<ZipEntry> & {
		destroy(error?: Error): void;
		destroyed: boolean;
		write(chunk: Buffer, callback: (error?: Error | null) => void): boolean;
		once(event: 'close', listener: () => void): unknown;
	};

function createZipParser(): ZipParser {
	const unzipper = requireFromExcelJs('unzipper') as { Parse(options: { forceStream: boolean }): ZipParser };
	return unzipper.Parse({ forceStream: true });
}

/** Temporary folders are named `n8n-commcare-<process id>-<random>`: an operator can tell whose one is. */
export function temporaryFolderPrefix(): string {
	return `n8n-commcare-${pid}-`;
}

/** A temporary folder made when first needed. */
class ScratchFolder {
	private folder: string | null = null;

	path(fileName: string): string {
		this.folder ??= mkdtempSync(join(tmpdir(), temporaryFolderPrefix()));
		return join(this.folder, fileName);
	}

	remove(): void {
		if (this.folder) rmSync(this.folder, { recursive: true, force: true });
		this.folder = null;
	}
}

const RELATIONSHIP_TYPES = {
	worksheet: '/relationships/worksheet',
	sharedStrings: '/relationships/sharedStrings',
	styles: '/relationships/styles',
};

/** A `<sheet>`'s `r:id`, whatever prefix the writer bound to the relationships namespace. */
function relationshipIdOf(attributes: Record<string, string>): string {
	return attributes['r:id'] ?? Object.entries(attributes).find(([key]) => key.endsWith(':id'))?.[1] ?? '';
}

/** The parts of an .xlsx that reading its first sheet needs, filled in as the zip's entries arrive (in any order). */
class WorkbookParts {
	/** `xl/workbook.xml`: every sheet, in workbook order. */
	sheets: Array<{ name: string; relationshipId: string }> | null = null;
	date1904 = false;
	/** `xl/_rels/workbook.xml.rels`: relationship id → part name and type. */
	private relationships: Map<string, { part: string; type: string }> | null = null;
	private styles: StylesReader | null = null;
	private stringsRead = false;
	private readonly dateStyles = new Map<number, boolean>();
	readonly strings: SharedStringTable;

	constructor(scratch: ScratchFolder) {
		this.strings = new SharedStringTable(scratch);
	}

	async readWorkbook(xml: AsyncIterable<Buffer>): Promise<void> {
		const sheets: Array<{ name: string; relationshipId: string }> = [];
		await parseXml(xml, {
			open: (name, attributes) => {
				if (name === 'sheet')
					sheets.push({ name: attributes.name ?? '', relationshipId: relationshipIdOf(attributes) });
				if (name === 'workbookPr') this.date1904 = attributes.date1904 === '1' || attributes.date1904 === 'true';
			},
		});
		this.sheets = sheets;
	}

	async readRelationships(xml: AsyncIterable<Buffer>): Promise<void> {
		const relationships = new Map<string, { part: string; type: string }>();
		await parseXml(xml, {
			open: (name, attributes) => {
				if (name !== 'Relationship' || !attributes.Id || !attributes.Target) return;
				// Targets are relative to xl/, or absolute from the package root.
				const target = attributes.Target;
				relationships.set(attributes.Id, {
					part: target.startsWith('/') ? target.slice(1) : `xl/${target}`,
					type: attributes.Type ?? '',
				});
			},
		});
		this.relationships = relationships;
	}

	async readStyles(xml: AsyncIterable<Buffer>): Promise<void> {
		// Read whole first: exceljs stops reading at the closing root tag, and an entry left unread stalls the zip.
		const chunks: Buffer[] = [];
		let size = 0;
		for await (const chunk of xml) {
			size += chunk.length;
			if (size > XLSX_READ_LIMITS.stylesBytes) {
				throw new SpreadsheetReadError(
					`The .xlsx file's styles part is larger than ${megabytes(XLSX_READ_LIMITS.stylesBytes)}: possibly not a real spreadsheet. Nothing was uploaded.`,
				);
			}
			chunks.push(chunk);
		}
		const StylesXform = requireFromExcelJs('./lib/xlsx/xform/style/styles-xform') as new () => StylesReader;
		const styles = new StylesXform();
		await styles.parseStream(chunks);
		this.styles = styles;
	}

	/** `xl/sharedStrings.xml`: each `<si>`'s text (all its runs, not its phonetic guides) into `strings`. */
	async readSharedStrings(xml: AsyncIterable<Buffer>): Promise<void> {
		let text = '';
		let collecting = false;
		let inPhonetic = false;
		await parseXml(xml, {
			open: (name) => {
				if (name === 'si') text = '';
				else if (name === 'rPh') inPhonetic = true;
				else if (name === 't' && !inPhonetic) collecting = true;
			},
			text: (value) => {
				if (collecting) text = appendCapped(text, value);
			},
			close: (name) => {
				if (name === 't') collecting = false;
				else if (name === 'rPh') inPhonetic = false;
				else if (name === 'si') this.strings.add(text === '' ? null : text);
			},
		});
		this.stringsRead = true;
	}

	/** The part of the first worksheet in workbook order (the one the server imports); undefined while not known. */
	firstSheetPart(): string | null | undefined {
		if (!this.sheets || !this.relationships) return undefined;
		for (const sheet of this.sheets) {
			const relationship = this.relationships.get(sheet.relationshipId);
			if (relationship?.type.endsWith(RELATIONSHIP_TYPES.worksheet)) return relationship.part;
		}
		return null;
	}

	/** Whether every part a sheet's cells refer to (shared strings, styles) has been read, or the workbook has none. */
	readyForSheets(): boolean {
		if (!this.relationships) return false;
		const types = [...this.relationships.values()].map((relationship) => relationship.type);
		const has = (suffix: string) => types.some((type) => type.endsWith(suffix));
		return (
			(this.stringsRead || !has(RELATIONSHIP_TYPES.sharedStrings)) &&
			(this.styles !== null || !has(RELATIONSHIP_TYPES.styles))
		);
	}

	isDateStyle(styleId: number): boolean {
		let isDate = this.dateStyles.get(styleId);
		if (isDate === undefined) {
			isDate = excelJsUtils.isDateFmt(this.styles?.getStyleModel(styleId)?.numFmt);
			this.dateStyles.set(styleId, isDate);
		}
		return isDate;
	}
}

async function inspectXlsx(input: Readable, collector: RowCollector): Promise<SheetInspection> {
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
 * What reading an .xlsx may inflate. A real sheet of CommCare's largest size (100,000 rows) stays well below; a
 * file made to inflate without end (a "zip bomb") is refused as soon as it passes one of these.
 */
export const XLSX_READ_LIMITS = {
	/** Inflated bytes of one part (a worksheet, the shared strings). */
	partBytes: 1024 * 1024 * 1024,
	/** Inflated bytes of everything read (parts read or skipped on the way to the first sheet). */
	totalBytes: 1536 * 1024 * 1024,
	/**
	 * Inflated bytes per compressed byte. Spreadsheet XML compresses about 10 times (12 for a sheet of one repeated
	 * value, measured with this writer); deflate can reach 1,000. Checked once `ratioAfterBytes` are inflated.
	 */
	ratio: 200,
	ratioAfterBytes: 32 * 1024 * 1024,
	/** A stretch of XML without `<` or `>` (one text or attribute): Excel's longest cell, escaped, is far shorter. */
	markuplessRun: 1024 * 1024,
	/** `xl/styles.xml` is read whole (exceljs's reader needs it so): real ones are well under a megabyte. */
	stylesBytes: 16 * 1024 * 1024,
};

/** Counts compressed bytes in and inflated bytes out; refuses a file past XLSX_READ_LIMITS. */
class InflateBudget {
	compressedBytes = 0;
	inflatedBytes = 0;

	/**
	 * `entry` as it is read, counted, failing once a limit is passed. Sizes the zip declares for the entry are
	 * checked first, so a declared bomb is refused before anything is inflated.
	 */
	async *meter(entry: ZipEntry, part: string): AsyncIterable<Buffer> {
		const declared = entry.vars;
		if (declared && declared.uncompressedSize > XLSX_READ_LIMITS.partBytes) {
			throw this.refusal(
				`its part '${part}' says it inflates to ${megabytes(declared.uncompressedSize)}, more than ${megabytes(XLSX_READ_LIMITS.partBytes)}`,
			);
		}
		if (
			declared &&
			declared.compressedSize > 0 &&
			declared.uncompressedSize > XLSX_READ_LIMITS.ratioAfterBytes &&
			declared.uncompressedSize > XLSX_READ_LIMITS.ratio * declared.compressedSize
		) {
			throw this.refusal(
				`its part '${part}' says it inflates ${Math.round(declared.uncompressedSize / declared.compressedSize)} times (${megabytes(declared.uncompressedSize)} from ${megabytes(declared.compressedSize)}), which no real spreadsheet does`,
			);
		}
		let partBytes = 0;
		for await (const chunk of entry) {
			partBytes += chunk.length;
			this.inflatedBytes += chunk.length;
			if (partBytes > XLSX_READ_LIMITS.partBytes)
				throw this.refusal(`its part '${part}' inflates to more than ${megabytes(XLSX_READ_LIMITS.partBytes)}`);
			if (this.inflatedBytes > XLSX_READ_LIMITS.totalBytes)
				throw this.refusal(`it inflates to more than ${megabytes(XLSX_READ_LIMITS.totalBytes)}`);
			if (
				this.inflatedBytes > XLSX_READ_LIMITS.ratioAfterBytes &&
				this.inflatedBytes > XLSX_READ_LIMITS.ratio * Math.max(1, this.compressedBytes)
			) {
				throw this.refusal(
					`it inflates more than ${XLSX_READ_LIMITS.ratio} times (${megabytes(this.inflatedBytes)} from ${megabytes(this.compressedBytes)} read so far), which no real spreadsheet does`,
				);
			}
			yield chunk;
		}
	}

	private refusal(why: string): SpreadsheetReadError {
		return new SpreadsheetReadError(
			`The .xlsx file was not read to the end: ${why}. It is possibly not a real spreadsheet; nothing was uploaded.`,
		);
	}
}

function megabytes(bytes: number): string {
	if (bytes >= 1024 * 1024 * 1024) return `${Math.round((bytes / 1024 / 1024 / 1024) * 10) / 10} GB`;
	if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
	return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** Reads an entry to its end without keeping it (counted like any other: a bomb can hide in a part we skip). */
async function drain(entry: AsyncIterable<Buffer>): Promise<void> {
	for await (const _chunk of entry) {
		// Only its bytes are counted.
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

/** Handlers for `parseXml`; tag names without their namespace prefix (`x:row` → `row`). */
interface XmlHandlers {
	open?(name: string, attributes: Record<string, string>): void;
	close?(name: string): void;
	text?(text: string): void;
}

/** saxes, the XML parser inside exceljs. */
interface XmlParser {
	on(event: 'opentag', handler: (tag: { name: string; attributes: Record<string, string> }) => void): void;
	on(event: 'closetag', handler: (tag: { name: string }) => void): void;
	on(event: 'text', handler: (text: string) => void): void;
	on(event: 'error', handler: (error: Error) => void): void;
	write(chunk: string): unknown;
	close(): unknown;
}

/**
 * Parses XML bytes as they stream in. UTF-8 is decoded across chunk boundaries (exceljs's own parsing decodes each
 * chunk alone, which garbles a character split between two chunks). saxes reports a self-closing tag as an opening
 * and a closing one.
 */
async function parseXml(xml: AsyncIterable<Buffer | string>, handlers: XmlHandlers): Promise<void> {
	const saxes = requireFromExcelJs('saxes') as { SaxesParser: new () => XmlParser };
	const parser = new saxes.SaxesParser();
	let failure: Error | undefined;
	parser.on('error', (error) => (failure ??= error));
	const { open, close, text } = handlers;
	if (open) parser.on('opentag', (tag) => open(localName(tag.name), tag.attributes));
	if (close) parser.on('closetag', (tag) => close(localName(tag.name)));
	if (text) parser.on('text', text);
	const decoder = new TextDecoder('utf-8');
	const markup = new MarkupGuard(XLSX_READ_LIMITS.markuplessRun);
	for await (const chunk of xml) {
		const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
		markup.check(text);
		parser.write(text);
		if (failure) throw failure;
	}
	parser.write(decoder.decode());
	parser.close();
	if (failure) throw failure;
}

/**
 * Fails once a stretch of XML without `<` or `>` grows past `max` characters: the XML parser holds a whole text (or
 * attribute) until it ends, so without this one endless text would fill the memory.
 */
class MarkupGuard {
	private run = 0;

	constructor(private readonly max: number) {}

	check(text: string): void {
		const first = firstMarkup(text);
		if (first === -1) {
			this.run += text.length;
		} else {
			if (this.run + first > this.max) throw this.refusal();
			// Inside one chunk a run cannot be longer than the chunk.
			if (text.length > this.max && new RegExp(`[^<>]{${this.max + 1}}`).test(text)) throw this.refusal();
			this.run = text.length - 1 - Math.max(text.lastIndexOf('<'), text.lastIndexOf('>'));
		}
		if (this.run > this.max) throw this.refusal();
	}

	private refusal(): SpreadsheetReadError {
		return new SpreadsheetReadError(
			`The .xlsx file holds a text of more than ${megabytes(this.max)} in one piece, which no spreadsheet cell can: possibly not a real spreadsheet. Nothing was uploaded.`,
		);
	}
}

function firstMarkup(text: string): number {
	const open = text.indexOf('<');
	const close = text.indexOf('>');
	return open === -1 ? close : close === -1 ? open : Math.min(open, close);
}

/** `x:row` → `row`: some writers prefix the spreadsheet namespace. */
function localName(name: string): string {
	const colon = name.indexOf(':');
	return colon === -1 ? name : name.slice(colon + 1);
}

/** Shared strings kept in memory up to this many bytes (UTF-8); the rest go to a temporary file. */
const SHARED_STRINGS_IN_MEMORY_BYTES = 4 * 1024 * 1024;
/** Bytes of shared strings collected before each write to the temporary file. */
const SHARED_STRINGS_WRITE_BYTES = 256 * 1024;

/**
 * The workbook's shared strings (`xl/sharedStrings.xml`), where Excel, LibreOffice and Google Sheets put every text
 * cell. Kept as JavaScript strings (as exceljs does), a 100 MB workbook of long notes takes half a gigabyte. The checks
 * need, for every cell, only whether it is blank, and the text of a few columns; so this keeps one bit per string
 * (blank or not) and the texts as UTF-8 bytes: in memory up to SHARED_STRINGS_IN_MEMORY_BYTES, after that in a
 * temporary file, read back only for the cells whose text the checks use. Call `close()` when done.
 */
class SharedStringTable {
	private count = 0;
	/** End of string i in the table's bytes; string i starts where string i - 1 ends. 64-bit only past 4 GB. */
	private ends: Uint32Array | Float64Array = new Uint32Array(1024);
	private blanks = new Uint8Array(128);
	private memory = Buffer.alloc(0);
	private memoryUsed = 0;
	/** Set once the memory is full: the bytes after `spilledFrom` are in the file. */
	private spill: { fd: number; spilledFrom: number; pending: Buffer; pendingUsed: number } | null = null;

	constructor(private readonly scratch: ScratchFolder) {}

	get size(): number {
		return this.count;
	}

	/** Appends the next string (its text as the server reads it; null when empty). */
	add(text: string | null): void {
		const index = this.count++;
		if (index === this.ends.length) this.ends = grown(this.ends);
		if (index >> 3 === this.blanks.length) this.blanks = grown(this.blanks);
		if (isBlankText(text)) this.blanks[index >> 3] |= 1 << (index & 7);
		const start = index === 0 ? 0 : this.ends[index - 1];
		const byteLength = text ? Buffer.byteLength(text, 'utf8') : 0;
		if (byteLength > 0) this.store(text as string, byteLength);
		if (start + byteLength > 0xffff_ffff && this.ends instanceof Uint32Array) this.ends = Float64Array.from(this.ends);
		this.ends[index] = start + byteLength;
	}

	isBlank(index: number): boolean {
		return (this.blanks[index >> 3] & (1 << (index & 7))) !== 0;
	}

	/** The text of string `index`; null for an empty one or an index the table does not have (as the server reads it). */
	text(index: number): string | null {
		if (!(index >= 0 && index < this.count)) return null;
		const start = index === 0 ? 0 : this.ends[index - 1];
		const end = this.ends[index];
		if (end === start) return null;
		if (!this.spill || end <= this.spill.spilledFrom) return this.memory.toString('utf8', start, end);
		this.flush();
		const bytes = Buffer.allocUnsafe(end - start);
		readSync(this.spill.fd, bytes, 0, bytes.length, start - this.spill.spilledFrom);
		return bytes.toString('utf8');
	}

	/** Closes the temporary file, if there is one (the scratch folder's owner removes it). */
	close(): void {
		if (!this.spill) return;
		closeSync(this.spill.fd);
		this.spill = null;
	}

	private store(text: string, byteLength: number): void {
		if (!this.spill && this.memoryUsed + byteLength <= SHARED_STRINGS_IN_MEMORY_BYTES) {
			if (this.memoryUsed + byteLength > this.memory.length) {
				const size = Math.min(SHARED_STRINGS_IN_MEMORY_BYTES, Math.max(64 * 1024, 2 * (this.memoryUsed + byteLength)));
				const larger = Buffer.allocUnsafe(size);
				this.memory.copy(larger, 0, 0, this.memoryUsed);
				this.memory = larger;
			}
			this.memoryUsed += this.memory.write(text, this.memoryUsed, 'utf8');
			return;
		}
		if (!this.spill) {
			const fd = openSync(this.scratch.path('shared-strings.bin'), 'w+');
			this.spill = {
				fd,
				spilledFrom: this.memoryUsed,
				pending: Buffer.allocUnsafe(SHARED_STRINGS_WRITE_BYTES),
				pendingUsed: 0,
			};
		}
		const spill = this.spill;
		if (spill.pendingUsed + byteLength > spill.pending.length) this.flush();
		if (byteLength > spill.pending.length) {
			writeSync(spill.fd, Buffer.from(text, 'utf8'));
			return;
		}
		spill.pendingUsed += spill.pending.write(text, spill.pendingUsed, 'utf8');
	}

	private flush(): void {
		const spill = this.spill;
		if (!spill || spill.pendingUsed === 0) return;
		writeSync(spill.fd, spill.pending, 0, spill.pendingUsed);
		spill.pendingUsed = 0;
	}
}

function grown<T extends Uint8Array | Uint32Array | Float64Array>(array: T): T {
	const larger = new (array.constructor as new (length: number) => T)(array.length * 2);
	larger.set(array);
	return larger;
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

/** `text + more`, stopped at Excel's cell limit: a cell's text is never held longer than MAX_CELL_LENGTH. */
function appendCapped(text: string, more: string): string {
	if (text.length >= MAX_CELL_LENGTH) return text;
	return text.length + more.length <= MAX_CELL_LENGTH
		? text + more
		: text + more.slice(0, MAX_CELL_LENGTH - text.length);
}

/** Thrown from inside the sheet reader when the checks have read all they need (see RowCollector.addRow). */
class StopReading extends Error {
	constructor() {
		super('enough rows read');
		this.name = 'StopReading';
	}
}

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

/** fast-csv's parser: a Transform from bytes to arrays of field texts. */
type CsvParser = InstanceType<typeof Transform>;

/**
 * fast-csv is the CSV engine inside exceljs (exceljs's own CSV reader builds the whole sheet in memory, so we use its
 * parser directly, streaming). Resolved from exceljs's folder so it is exactly the copy exceljs depends on.
 */
function createCsvParser(): CsvParser {
	const fastCsv = requireFromExcelJs('fast-csv') as { parse(options: object): CsvParser };
	return fastCsv.parse({ headers: false, ignoreEmpty: false, trim: false });
}

async function inspectCsv(input: Readable, collector: RowCollector): Promise<SheetInspection> {
	const parser = createCsvParser();
	const lines = new CsvChunker();
	input.on('error', (error) => parser.emit('error', error));
	lines.on('error', (error) => parser.emit('error', error));
	input.pipe(lines).pipe(parser);
	try {
		await readCsvRows(parser as AsyncIterable<string[]>, collector, lines).catch((error: Error) =>
			Promise.reject(
				error instanceof SpreadsheetReadError
					? error
					: new SpreadsheetReadError(`The .csv file could not be read (${error.message}).`),
			),
		);
	} finally {
		// Reading may stop early (enough rows): release the rest of the file.
		input.unpipe(lines);
		input.destroy();
		lines.destroy();
	}
	return collector.finish([], null);
}

/**
 * The longest a .csv line (and a row, which a quoted field may spread over several lines) may be: far beyond any
 * real row (300 columns of notes), and short enough that no single row costs seconds.
 */
export const MAX_CSV_ROW_BYTES = 8 * 1024 * 1024;
/** The chunker hands the CSV parser at least this much at a time (or what is left at the end). */
const CSV_CHUNK_BYTES = 1024 * 1024;

/**
 * Regroups a .csv's bytes into chunks that end at a line break, at least CSV_CHUNK_BYTES each. fast-csv (the parser
 * exceljs uses) parses an unfinished row again from its start with every chunk it is given, so a long row arriving
 * in 64 KB pieces costs time quadratic in its length (8 MB: half a minute): given whole rows, it parses each once.
 * Fails once a line, or a row (the parser says when one ends: `rowEnded`), passes MAX_CSV_ROW_BYTES.
 */
class CsvChunker extends Transform {
	private pending: Buffer[] = [];
	private pendingBytes = 0;
	private sinceLineBreak = 0;
	private sinceRowEnded = 0;

	/** Called by the reader for each row the parser gives. */
	rowEnded(): void {
		this.sinceRowEnded = 0;
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
		const lastBreak = chunk.lastIndexOf(10);
		this.sinceLineBreak = lastBreak === -1 ? this.sinceLineBreak + chunk.length : chunk.length - lastBreak - 1;
		this.sinceRowEnded += chunk.length;
		if (this.sinceLineBreak > MAX_CSV_ROW_BYTES) return done(this.tooLong('line'));
		if (this.sinceRowEnded > MAX_CSV_ROW_BYTES + CSV_CHUNK_BYTES * 2) return done(this.tooLong('row'));
		this.pending.push(chunk);
		this.pendingBytes += chunk.length;
		if (lastBreak !== -1 && this.pendingBytes >= CSV_CHUNK_BYTES) {
			const all = Buffer.concat(this.pending);
			const cut = this.pendingBytes - (chunk.length - lastBreak - 1);
			this.push(all.subarray(0, cut));
			this.pending = cut < all.length ? [all.subarray(cut)] : [];
			this.pendingBytes = all.length - cut;
		}
		done();
	}

	override _flush(done: (error?: Error | null) => void): void {
		if (this.pendingBytes > 0) this.push(Buffer.concat(this.pending));
		this.pending = [];
		done();
	}

	private tooLong(what: 'line' | 'row'): SpreadsheetReadError {
		return new SpreadsheetReadError(
			`The .csv file has a ${what} longer than ${MAX_CSV_ROW_BYTES / 1024 / 1024} MB: possibly not a real spreadsheet. Nothing was uploaded.`,
		);
	}
}

async function readCsvRows(
	parser: AsyncIterable<string[]>,
	collector: RowCollector,
	chunker: CsvChunker,
): Promise<void> {
	let rowNumber = 0;
	for await (const fields of parser) {
		chunker.rowEnded();
		rowNumber++;
		if (rowNumber === 1) {
			if (fields.length > 0) fields[0] = fields[0].replace(/^\uFEFF/, '');
			collector.setHeader(fields.map((text) => (text === '' ? { text: null, kind: 'blank' } : { text, kind: 'text' })));
			continue;
		}
		const blank = fields.every((text) => isBlankText(text));
		const more = collector.addRow(
			rowNumber,
			blank,
			(columnIndex) => fields[columnIndex] ?? null,
			fields.length,
			(columnIndex) => isBlankText(fields[columnIndex] ?? null),
		);
		if (!more) return;
	}
}
