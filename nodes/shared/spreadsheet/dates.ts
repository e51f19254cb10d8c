/** Dates as the value rules write them: ISO text read by its digits, a JS `Date` on the workflow's clock, Excel's range. */
import { clockText, dateText } from '../cellText';

/**
 * A function giving, for a moment, a Date whose UTC clock shows the wall clock of `timeZone` at that moment (the
 * digits a person there reads). UTC, or an unknown zone, gives the moment itself.
 */
export function wallClockIn(timeZone: string | undefined): (date: Date) => Date {
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
export const EARLIEST_EXCEL_DATE = Date.UTC(1900, 2, 1);
/** Excel (and Python's `datetime`) stop at year 9999. */
export const END_OF_EXCEL_DATES = Date.UTC(10000, 0, 1);

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

export function mod(n: number, m: number): number {
	return ((n % m) + m) % m;
}

// Writing items as .xlsx

// Reading dates from a user's .xlsx as CommCare's reader does

/** A date, date-time or time cell as CommCare's reader gives it, printed by Python's `str()`. */
export interface PythonTemporal {
	readonly pythonType: 'date' | 'datetime' | 'time';
	readonly text: string;
}

const DAY_MS = 86_400_000;
const WINDOWS_EPOCH = Date.UTC(1899, 11, 30);
const MAC_EPOCH = Date.UTC(1904, 0, 1);
/** Python's dates run from year 1 to 9999. */
const FIRST_PYTHON_DATE = new Date(0).setUTCFullYear(1, 0, 1);

/** Python's `round()`: halves to even. */
function roundHalfEven(value: number): number {
	const floor = Math.floor(value);
	const difference = value - floor;
	if (difference !== 0.5) return difference > 0.5 ? floor + 1 : floor;
	return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * openpyxl's `from_excel` of a date-styled number, then CommCare's rule that a date-time at midnight is a date
 * (docs/commcare-api.md §6.1a): below 1 a time; otherwise days from 1899-12-30 (1904-01-01 in 1904-based workbooks),
 * with Excel's 1900 leap-year bug for serials under 60; milliseconds rounded. Outside Python's years openpyxl reads
 * the cell as the error `#VALUE!`.
 */
export function excelSerialAsRead(serial: number, date1904: boolean): PythonTemporal | string {
	const day = Math.floor(serial);
	const ms = roundHalfEven((serial - day) * 86_400 * 1000);
	if (serial >= 0 && serial < 1 && ms < DAY_MS) return { pythonType: 'time', text: clockText(ms) };
	const epoch = date1904 ? MAC_EPOCH : WINDOWS_EPOCH;
	const time = epoch + (serial > 0 && serial < 60 && !date1904 ? day + 1 : day) * DAY_MS + ms;
	if (!(time >= FIRST_PYTHON_DATE && time < END_OF_EXCEL_DATES)) return '#VALUE!';
	return temporalOf(new Date(time));
}

/** openpyxl's `from_ISO8601` for `t="d"` cells (a date, a date-time or a time); null where it raises. */
export function isoCellAsRead(text: string): PythonTemporal | null {
	const match = /^(?:(\d{4})-(\d{2})-(\d{2}))?T?(?:(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?)?Z?/.exec(text);
	if (!match || (match[1] === undefined && match[4] === undefined)) return null;
	const [, year, month, dayOfMonth, hour, minute, second, fraction] = match;
	const ms =
		((Number(hour ?? 0) * 60 + Number(minute ?? 0)) * 60 + Number(second ?? 0)) * 1000 +
		(fraction ? Math.round(Number(fraction) * 1000) : 0);
	if (year === undefined) return { pythonType: 'time', text: clockText(ms) };
	const date = new Date(Date.UTC(2000, Number(month) - 1, Number(dayOfMonth)) + ms);
	date.setUTCFullYear(Number(year));
	return temporalOf(date);
}

/** A date (at midnight) or date-time, as Python prints it. */
function temporalOf(date: Date): PythonTemporal {
	const text = dateText(date);
	return { pythonType: text.length === 10 ? 'date' : 'datetime', text };
}
