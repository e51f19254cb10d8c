/**
 * Spreadsheet bytes, with exceljs and its parts only (its streaming writer; its zip reader, XML and CSV parsers): which
 * columns items become, how an item value becomes a cell, writing items as an `.xlsx` row by row, and reading a user's
 * file just enough for the checks made before upload (`../checks/`), streaming, in bounded memory.
 *
 * ## Value rules (items → cells)
 * How each kind of item value becomes a cell, and what CommCare then stores (docs/commcare-api.md §6.1: non-text cells
 * go through Python `str()`): the table is docs/bulk-import.md#value-rules-input-items, and the conformance tests check
 * its examples against CommCare's own reader. Every row is written full width (writer.ts), so each cell is read as
 * written (docs/commcare-api.md §6.1a).
 *
 * Why these rules:
 * - Booleans are written as Excel booleans so CommCare stores its own convention, `"True"`/`"False"`: the same text
 *   the server makes of a boolean in any `.xlsx` or of `true`/`yes` in a `.csv`, so case data does not depend on the
 *   path it came by. (Note `close` needs the exact text `yes`; a boolean does not close a case.)
 * - Dates: the wall-clock digits the user wrote are the digits CommCare stores. Strings without an offset, or in UTC,
 *   are converted from their digits (never through the machine's time zone); a string with another offset stays text,
 *   because picking a zone for it would change its digits. Seconds are the finest unit kept: milliseconds are dropped,
 *   so CommCare stores `YYYY-MM-DD HH:MM:SS` as docs/commcare-api.md §6.1 says. Dates before 1900-03-01 or after 9999 (outside what
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
import type { IDataObject } from 'n8n-workflow';
import {
	EARLIEST_EXCEL_DATE,
	END_OF_EXCEL_DATES,
	mod,
	parseIsoDateText,
	wallClockIn,
} from '../../shared/spreadsheet/dates';
import {
	dateText,
	describeUnstorable,
	hasUnstorableCharacters,
	booleanText,
	pythonTextOfWrittenNumber,
} from '../../shared/cellText';
import type { CellValue } from '../../shared/spreadsheet/exceljsInternals';
import { MAX_CELL_LENGTH } from '../../shared/spreadsheet/sheetReading';

/** The longest name or external id CommCare takes (255 characters): the longest a check needs to see past. */
export const MAX_ID_LENGTH_CHECKED = 255;

/** A cell as written. A string is always a plain string cell, never a formula. */

export type CellProblem = 'nested' | 'tooLong' | 'notFiniteNumber' | 'invalidDate' | 'unstorableCharacters';

/**
 * An item value that cannot become a cell. The message names the key and the item (counted from 1, as a person
 * does) so the user can find it; the description says what to do.
 */
export class CellValueError extends Error {
	constructor(
		readonly column: string,
		readonly itemIndex: number,
		readonly problem: CellProblem,
		message: string,
		readonly description: string,
	) {
		super(message);
		this.name = 'CellValueError';
	}
}

/** What to do about a value the rules refuse, whatever it is. */
const LEAVE_OUT = 'or leave the column out (Options → Columns to Exclude)';

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
					throw this.error(
						itemIndex,
						'notFiniteNumber',
						`holds ${String(value)}, which a spreadsheet cannot store`,
						`Give it a number, ${LEAVE_OUT}.`,
					);
				}
				// Below 1e-4 CommCare's reader would print the number its own way (`0.00005` as `5e-05`): written as the
				// text the rule promises instead.
				if (
					this.opts.asText ||
					(value !== 0 && Math.abs(value) < 1e-4 && pythonTextOfWrittenNumber(value) !== String(value))
				) {
					return String(value);
				}
				return value;
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
					`holds characters a spreadsheet cannot store (${describeUnstorable(text)})`,
					'As an id it would change without a trace. Remove them from the id.',
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
		if (Number.isNaN(date.getTime())) {
			throw this.error(itemIndex, 'invalidDate', 'holds an invalid date', `Give it a valid date, ${LEAVE_OUT}.`);
		}
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
				`is ${text.length} characters long; a spreadsheet cell holds at most ${MAX_CELL_LENGTH}`,
				`Shorten it, ${LEAVE_OUT}.`,
			);
		}
		return text;
	}

	private nestedError(itemIndex: number, what: string): CellValueError {
		return this.error(
			itemIndex,
			'nested',
			`holds ${what}, which a spreadsheet cell cannot hold`,
			'Flatten it (e.g. with a Set node), exclude the column, or turn on Options → Write Nested Values as JSON to write it as JSON text.',
		);
	}

	private error(itemIndex: number, problem: CellProblem, what: string, toDo: string): CellValueError {
		return new CellValueError(
			this.column,
			itemIndex,
			problem,
			`Key '${this.column}' of item ${itemIndex + 1} ${what}`,
			toDo,
		);
	}
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

/**
 * The converters of a sheet's columns, and which columns need an own-property lookup: built the same way for the
 * writer and for the checks, so the checks see the cells that will be written.
 */
export function columnConverters(
	columns: string[],
	opts: { textColumns: string[]; nestedAsJson: boolean; timeZone?: string },
): { converters: ColumnConverter[]; ownLookup: boolean[] } {
	const textColumns = new Set(opts.textColumns);
	const converters = columns.map(
		(column) =>
			new ColumnConverter(column, {
				asText: textColumns.has(column),
				nestedAsJson: opts.nestedAsJson,
				timeZone: opts.timeZone,
			}),
	);
	return { converters, ownLookup: columns.map(needsOwnLookup) };
}

/** One value to one cell; see the table at the top. */
export function toCell(value: unknown, column: string, itemIndex: number, opts: CellOptions): CellValue {
	return new ColumnConverter(column, opts).convert(value, itemIndex);
}

interface LuxonLike {
	isLuxonDateTime: true;
	toISO(): string | null;
}

function isLuxonDateTime(value: object): value is LuxonLike {
	return (value as Partial<LuxonLike>).isLuxonDateTime === true && typeof (value as LuxonLike).toISO === 'function';
}
