/**
 * CommCare re-types every CSV cell before importing it (`format_str_to_its_type` in
 * `corehq/util/workbook_reading/adapters/utils.py`, docs/commcare-api.md §6.1 CSV bullet), in this order: empty → blank; a Python
 * number literal → number (integral values become ints, so `2.0` → `2`); something dateutil parses → date, time
 * or date-time; true/t/yes/y and false/f/no/n → booleans; `50%` → 0.5; anything else stays text.
 * Dates cover the common shapes dateutil reads (ISO, slashes month-first, month names, times), not all of them.
 */
import { boolCell, dateTimeCell, numberCell, timeCell, type Cell } from './cells';
import { pythonFloatRepr } from './pythonFormat';

const DIGITS = String.raw`\d(?:_?\d)*`;
// literal_eval strips leading spaces and tabs; trailing whitespace is fine for the parser.
const INT_LITERAL = new RegExp(
	String.raw`^[ \t]*[+-]?(?:0(?:_?0)*|[1-9](?:_?\d)*|0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+)\s*$`,
);
const FLOAT_LITERAL = new RegExp(
	String.raw`^[ \t]*[+-]?(?:(?:${DIGITS})?\.${DIGITS}(?:[eE][+-]?${DIGITS})?|${DIGITS}\.(?:[eE][+-]?${DIGITS})?|${DIGITS}[eE][+-]?${DIGITS})\s*$`,
);

function intLiteralValue(text: string): bigint {
	const clean = text.trim().replace(/_/g, '');
	const negative = clean.startsWith('-');
	const body = clean.replace(/^[+-]/, '');
	const value = /^0[oO]/.test(body) ? BigInt(`0o${body.slice(2)}`) : BigInt(body.replace(/^0+(?=\d)/, ''));
	return negative ? -value : value;
}

/** `ast.literal_eval` restricted to what makes `int(n) == float(n)` work: int and float literals, True/False. */
function pythonNumberLiteral(text: string): Cell | undefined {
	const trimmedEnd = text.replace(/\s+$/, '');
	if (trimmedEnd === 'True' || trimmedEnd === 'False') return numberCell(trimmedEnd === 'True' ? 1 : 0);
	if (INT_LITERAL.test(text)) {
		const value = intLiteralValue(text);
		const asFloat = Number(value);
		// Python compares int and float exactly: ints too large for a double come back as floats.
		if (Number.isFinite(asFloat) && BigInt(asFloat) === value)
			return { kind: 'int', text: value.toString(), number: asFloat };
		return { kind: 'float', text: pythonFloatRepr(asFloat), number: asFloat };
	}
	if (FLOAT_LITERAL.test(text)) {
		const value = Number(text.trim().replace(/_/g, ''));
		if (!Number.isFinite(value)) return undefined; // int(inf) raises on the server; keep it as text here
		if (Number.isInteger(value)) return { kind: 'int', text: BigInt(value).toString(), number: value };
		return { kind: 'float', text: pythonFloatRepr(value), number: value };
	}
	return undefined;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const TIME = String.raw`(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?\s*(am|pm)?`;

interface ParsedDateTime {
	y: number;
	m: number;
	d: number;
	H: number;
	M: number;
	S: number;
	us: number;
}

function monthIndex(name: string): number | undefined {
	if (!isMonthName(name)) return undefined;
	return MONTHS.indexOf(name.slice(0, 3).toLowerCase()) + 1;
}

const MONTH_NAMES = [
	'january',
	'february',
	'march',
	'april',
	'may',
	'june',
	'july',
	'august',
	'september',
	'october',
	'november',
	'december',
	'sept',
];

/** A word dateutil takes for a month: the full name or its first three letters (and "sept"). */
function isMonthName(word: string): boolean {
	const lower = word.toLowerCase();
	return MONTH_NAMES.includes(lower) || MONTHS.includes(lower);
}

/** dateutil turns a two-digit year into the year within 50 years of today. */
function fullYear(year: string): number {
	if (year.length > 2) return Number(year);
	const now = new Date().getFullYear();
	let candidate = Math.floor(now / 100) * 100 + Number(year);
	if (candidate >= now + 50) candidate -= 100;
	else if (candidate < now - 50) candidate += 100;
	return candidate;
}

function validDate(y: number, m: number, d: number): boolean {
	if (m < 1 || m > 12 || d < 1) return false;
	return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function applyTime(
	base: { y: number; m: number; d: number },
	groups: Array<string | undefined>,
): ParsedDateTime | undefined {
	const [hour, minute, second, fraction, meridiem] = groups;
	if (hour === undefined) return { ...base, H: 0, M: 0, S: 0, us: 0 };
	let H = Number(hour);
	const M = Number(minute);
	const S = second ? Number(second) : 0;
	if (meridiem) {
		if (H < 1 || H > 12) return undefined;
		H = (H % 12) + (meridiem.toLowerCase() === 'pm' ? 12 : 0);
	}
	if (H > 23 || M > 59 || S > 59) return undefined;
	const us = fraction ? Number(fraction.padEnd(6, '0')) : 0;
	return { ...base, H, M, S, us };
}

/**
 * Digit-only text that is not a Python literal (it has leading zeros): dateutil reads 6 digits as MMDDYY, 8 as
 * YYYYMMDD, and a shorter number as a day of the current month (up to 31) or else a year.
 */
function parseDigits(digits: string, today: Date): { y: number; m: number; d: number } | undefined {
	if (digits.length === 6) {
		let m = Number(digits.slice(0, 2));
		let d = Number(digits.slice(2, 4));
		if (m > 12) [m, d] = [d, m];
		return { y: fullYear(digits.slice(4)), m, d };
	}
	if (digits.length === 8) {
		return { y: Number(digits.slice(0, 4)), m: Number(digits.slice(4, 6)), d: Number(digits.slice(6)) };
	}
	if (digits.length > 5) return undefined;
	const value = Number(digits);
	if (value <= 31) return { y: today.getFullYear(), m: today.getMonth() + 1, d: value };
	const y = value < 100 ? fullYear(String(value).padStart(2, '0')) : value;
	return { y, m: today.getMonth() + 1, d: today.getDate() };
}

function parseDateLike(text: string): ParsedDateTime | undefined {
	const value = text.trim();
	const today = new Date();
	if (/^\d+$/.test(value)) {
		const base = parseDigits(value, today);
		return base && validDate(base.y, base.m, base.d) ? { ...base, H: 0, M: 0, S: 0, us: 0 } : undefined;
	}
	const timeSuffix = String.raw`(?:[T ]\s*${TIME})?`;
	let match = new RegExp(String.raw`^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})${timeSuffix}$`, 'i').exec(value);
	if (match) {
		const base = { y: Number(match[1]), m: Number(match[3]), d: Number(match[4]) };
		return validDate(base.y, base.m, base.d) ? applyTime(base, match.slice(5)) : undefined;
	}
	match = new RegExp(String.raw`^(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})${timeSuffix}$`, 'i').exec(value);
	if (match) {
		let m = Number(match[1]);
		let d = Number(match[3]);
		if (m > 12) [m, d] = [d, m]; // month first unless the first number cannot be a month
		const y = fullYear(match[4]);
		return validDate(y, m, d) ? applyTime({ y, m, d }, match.slice(5)) : undefined;
	}
	match = new RegExp(String.raw`^(\d{1,2})(?:st|nd|rd|th)?[ -]([a-z]{3,9})\.?,?[ -](\d{4})${timeSuffix}$`, 'i').exec(
		value,
	);
	if (match && monthIndex(match[2])) {
		const base = { y: Number(match[3]), m: monthIndex(match[2]) as number, d: Number(match[1]) };
		return validDate(base.y, base.m, base.d) ? applyTime(base, match.slice(4)) : undefined;
	}
	match = new RegExp(String.raw`^([a-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})${timeSuffix}$`, 'i').exec(value);
	if (match && monthIndex(match[1])) {
		const base = { y: Number(match[3]), m: monthIndex(match[1]) as number, d: Number(match[2]) };
		return validDate(base.y, base.m, base.d) ? applyTime(base, match.slice(4)) : undefined;
	}
	match = /^(\d{1,2})([-/.])(\d{1,2})$/.exec(value);
	if (match) {
		let m = Number(match[1]);
		let d = Number(match[3]);
		if (m > 12) [m, d] = [d, m];
		const y = today.getFullYear();
		return validDate(y, m, d) ? { y, m, d, H: 0, M: 0, S: 0, us: 0 } : undefined;
	}
	// A month name with a day or a year but not both: the missing part comes from today.
	match = /^([a-z]{3,9})\.?,? (\d{1,4})$/i.exec(value) ?? /^(\d{1,2})(?:st|nd|rd|th)? ([a-z]{3,9})\.?$/i.exec(value);
	if (match) {
		const [first, second] = /^\d/.test(match[1]) ? [match[2], match[1]] : [match[1], match[2]];
		const m = monthIndex(first);
		if (!m) return undefined;
		const isYear = second.length > 2;
		const base = { y: isYear ? Number(second) : today.getFullYear(), m, d: isYear ? today.getDate() : Number(second) };
		return validDate(base.y, base.m, base.d) ? { ...base, H: 0, M: 0, S: 0, us: 0 } : undefined;
	}
	match = /^([a-z]{3,9})\.?$/i.exec(value);
	if (match && monthIndex(match[1]) && isMonthName(match[1])) {
		const base = { y: today.getFullYear(), m: monthIndex(match[1]) as number, d: today.getDate() };
		return validDate(base.y, base.m, base.d) ? { ...base, H: 0, M: 0, S: 0, us: 0 } : undefined;
	}
	const todayBase = { y: today.getFullYear(), m: today.getMonth() + 1, d: today.getDate() };
	match = new RegExp(String.raw`^${TIME}$`, 'i').exec(value);
	if (match) return applyTime(todayBase, match.slice(1));
	match = /^(\d{1,2})\s*(am|pm)$/i.exec(value);
	if (match) return applyTime(todayBase, [match[1], '0', undefined, undefined, match[2]]);
	return undefined;
}

/** The date/time/date-time decision of `format_str_to_its_type` (a parsed time of midnight is usually a date). */
function dateLikeCell(text: string): Cell | undefined {
	const parsed = parseDateLike(text);
	if (!parsed) return undefined;
	const today = new Date();
	const isMidnight = parsed.H === 0 && parsed.M === 0 && parsed.S === 0 && parsed.us === 0;
	const isToday = parsed.y === today.getFullYear() && parsed.m === today.getMonth() + 1 && parsed.d === today.getDate();
	const longText = text.length > 10;
	if (isMidnight) {
		if (text.toLowerCase().includes('am') || text.includes('00:00')) {
			return longText ? datetimeText(parsed) : timeCell(0, 0, 0);
		}
		return dateTimeCell(parsed);
	}
	if (isToday && !longText) return timeCell(parsed.H, parsed.M, parsed.S);
	return datetimeText(parsed);
}

/** A date-time even at midnight (dateTimeCell would shorten it to a date). */
function datetimeText(p: ParsedDateTime): Cell {
	const cell = dateTimeCell({ ...p, us: p.us || 0 });
	if (cell.kind === 'date') return { kind: 'datetime', text: `${cell.text} 00:00:00` };
	return cell;
}

function percentCell(text: string): Cell | undefined {
	if (!text.includes('%')) return undefined;
	const withoutSign = text.replace(/%/g, '');
	const numeric = withoutSign.trim().replace(/_/g, '');
	if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(numeric)) return undefined;
	const decimals = withoutSign.includes('.') ? withoutSign.split('.').pop()!.length + 2 : 2;
	const value = Number((Number(numeric) / 100).toFixed(Math.min(decimals, 100)));
	return { kind: 'float', text: pythonFloatRepr(value), number: value };
}

export function csvCellValue(text: string): Cell | null {
	if (text === '') return null;
	const number = pythonNumberLiteral(text);
	if (number) return number;
	const date = dateLikeCell(text);
	if (date) return date;
	const lower = text.toLowerCase();
	if (['true', 't', 'yes', 'y'].includes(lower)) return boolCell(true);
	if (['false', 'f', 'no', 'n'].includes(lower)) return boolCell(false);
	return percentCell(text) ?? { kind: 'str', text };
}
