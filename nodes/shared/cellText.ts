/**
 * What CommCare stores for a value, in one place (docs/commcare-api.md §6.1, §6.1a, §6.2):
 * - the id it searches a row by (`_parse_search_id`), from a text, a record's value or a cell as read;
 * - the text it keeps for a cell: Python's `str()` of what its reader gives;
 * - which values count as blank;
 * - what a text becomes in the `.xlsx` Bulk Import writes (characters no `.xlsx` can hold are dropped).
 * Bulk Import's writer and checks predict them; Import Status looks cases up and judges records by them. The emulator
 * keeps rules of its own, written apart (emulator/cells.ts); one table test holds both to the same answers.
 */
// Search ids and blanks of text (what both nodes compare).

/**
 * What Python's `str.isspace()` calls whitespace, which `float()` skips around a number and `str.strip()` removes. Not
 * JavaScript's `\s`: Python also counts U+001C to U+001F and U+0085, and not U+FEFF.
 */
const PYTHON_SPACE = /[\t\n\v\f\r\u001C-\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]/;
const PYTHON_SPACES_AROUND = new RegExp(`^${PYTHON_SPACE.source}+|${PYTHON_SPACE.source}+$`, 'g');

/** Python's `text.strip()`. */
export function pythonStrip(text: string): string {
	return text.replace(PYTHON_SPACES_AROUND, '');
}

const ASCII_ONLY = /^[\u0000-\u007E]*$/;

/** A decimal digit of any script (Unicode category Nd), which Python's `float()` and `int()` read like 0-9. */
const UNICODE_DIGIT = /\p{Nd}/u;

/**
 * The ASCII digit of a decimal digit of any script. Unicode keeps each script's digits 0 to 9 in one run of ten code
 * points, and runs of the same category sit next to each other only in whole runs, so the distance from the start of
 * the run of digits gives the value.
 */
function asciiDigit(char: string): string {
	const code = char.codePointAt(0) as number;
	let start = code;
	while (UNICODE_DIGIT.test(String.fromCodePoint(start - 1))) start--;
	return String((code - start) % 10);
}

/**
 * The text Python's number parsers see (`_PyUnicode_TransformDecimalAndSpaceToASCII`, then the strip of ASCII
 * whitespace): ASCII stays as it is; outside ASCII, whitespace becomes a space and a digit of any script its ASCII
 * digit, and any other character ends the text with a `?` (which no number holds).
 */
function asciiNumberText(text: string): string {
	// Most ids are ASCII already: nothing to transform.
	if (ASCII_ONLY.test(text)) return text.trim();
	let ascii = '';
	for (const char of text) {
		if (char.charCodeAt(0) < 127) ascii += char;
		else if (PYTHON_SPACE.test(char)) ascii += ' ';
		else if (UNICODE_DIGIT.test(char)) ascii += asciiDigit(char);
		else return '?';
	}
	// JavaScript's trim of ASCII is Python's: tab, line feed, vertical tab, form feed, carriage return and space.
	return ascii.trim();
}

/** Digits with single underscores between them (PEP 515, as Python's `float()` and `int()` take them). */
const DIGITS = String.raw`\d(?:_?\d)*`;
const PYTHON_FLOAT_TEXT = new RegExp(
	String.raw`^[+-]?(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`,
);
const PYTHON_INT_TEXT = new RegExp(String.raw`^[+-]?${DIGITS}$`);
const PYTHON_FLOAT_WORD = /^[+-]?(?:inf|infinity|nan)$/i;

/**
 * Python's `float(text)`: the number, or null when Python raises ValueError. Surrounding whitespace, underscores
 * between digits and digits of other scripts are accepted (`' 12 '`, `'1_000'`, `'١٢٣'`); so are `inf` and `nan`.
 * Both languages round a decimal text to the nearest double, so the value is Python's.
 */
export function pythonFloat(text: string): number | null {
	const ascii = asciiNumberText(text);
	if (PYTHON_FLOAT_TEXT.test(ascii)) return Number(ascii.replace(/_/g, ''));
	if (!PYTHON_FLOAT_WORD.test(ascii)) return null;
	const word = ascii.replace(/^[+-]/, '').toLowerCase();
	if (word === 'nan') return NaN;
	return ascii.startsWith('-') ? -Infinity : Infinity;
}

/** Python's `int(text)` (base 10): the exact integer, or null when Python raises ValueError. */
export function pythonInt(text: string): bigint | null {
	const ascii = asciiNumberText(text);
	return PYTHON_INT_TEXT.test(ascii) ? BigInt(ascii.replace(/_/g, '')) : null;
}

/** `str(int(x))` of a finite double: its exact integer part. Null for infinities and NaN, where Python's `int()` raises. */
export function truncatedText(value: number): string | null {
	return Number.isFinite(value) ? BigInt(Math.trunc(value)).toString() : null;
}

/**
 * The search id of a text cell (`_parse_search_id`): '' for a blank cell; `str(int(float(text)))` when Python reads
 * the text as a finite number (`'00123'` → `'123'`, `'12.9'` → `'12'`, `' 12 '` → `'12'`, `'1e3'` → `'1000'`,
 * `'12345678901234567890'` → `'12345678901234567168'`, as a double holds it); otherwise the text itself, `'---'`
 * and surrounding spaces included.
 */
export function searchIdOfText(text: string | null): string {
	if (text === null || text === '') return '';
	const number = pythonFloat(text);
	return (number === null ? null : truncatedText(number)) ?? text;
}

/**
 * The text of an ID cell as Bulk Import writes it (every value of the ID column is written as text,
 * docs/bulk-import.md value rules): text as it is, a number as JavaScript prints it, a boolean as `True` / `False`;
 * null for a blank cell and for values without a text form here (dates, objects). It is what CommCare stores, and so
 * the external id a case it creates from the row carries (docs/commcare-api.md §6.1).
 */
export function idCellText(value: unknown): string | null {
	if (typeof value === 'string') return value === '' ? null : value;
	if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
	if (typeof value === 'boolean') return value ? 'True' : 'False';
	return null;
}

/** The search id CommCare takes from a record's value in the ID column: `searchIdOfText` of its cell. */
export function searchIdOfValue(value: unknown): string {
	return searchIdOfText(idCellText(value));
}

/**
 * Blank for the importer (docs/commcare-api.md §6.1, §6.2): no value, an empty text, or a text that is `---` once
 * stripped (the case export's "no value" marker, stored as an empty value). A row whose every mapped value is blank is
 * skipped; a blank value clears its property on update. Search ids follow their own rule (`searchIdOfText`).
 */
export function isBlankText(text: string | null): boolean {
	return text === null || text === '' || isBlankMarker(text);
}

/** A text CommCare turns into an empty value: `---` once stripped of Python's whitespace. */
export function isBlankMarker(text: string): boolean {
	return text.length >= 3 && text.includes('---') && pythonStrip(text) === '---';
}

// Text as Bulk Import writes it.

/**
 * Characters no `.xlsx` can store: control characters other than tab, line feed and carriage return; U+FFFE and
 * U+FFFF; unpaired surrogates (which become U+FFFD). The writer drops (or replaces) them.
 */
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE = new RegExp(`${XML_INVALID.source}|${LONE_SURROGATE.source}`);

/** Any control character, surrogate or U+FFFE/U+FFFF: a cheap first test (a surrogate pair, e.g. an emoji, is fine). */
const MAYBE_UNSTORABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

export function hasUnstorableCharacters(text: string): boolean {
	// Run for every text cell of the checks: the exact pattern (with its lookbehind) only when needed. (A loop over
	// char codes was measured slower than V8's regular expression.)
	return MAYBE_UNSTORABLE.test(text) && UNSTORABLE.test(text);
}

/** What the writer makes of a text with unstorable characters, and so what CommCare reads: those characters dropped, unpaired surrogates U+FFFD. */
export function textAsWritten(text: string): string {
	return text
		.replace(new RegExp(XML_INVALID.source, 'g'), '')
		.replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
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
 * Whether a record's value reaches CommCare as a blank cell (docs/commcare-api.md §6.1, §6.2): no value, an empty
 * text, a text of unstorable characters only (dropped by the writer), or CommCare's `---` "no value" marker.
 */
export function isWrittenBlank(value: unknown): boolean {
	if (value === null || value === undefined) return true;
	if (typeof value !== 'string') return false;
	return isBlankText(hasUnstorableCharacters(value) ? textAsWritten(value) : value);
}

// Cells as CommCare's reader gives them.

const MS_PER_DAY = 86_400_000;

/** Python's `str()` of a date or datetime: `YYYY-MM-DD` at midnight, else `YYYY-MM-DD HH:MM:SS[.ffffff]`. UTC clock. */
export function dateText(date: Date): string {
	const day = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
	const msOfDay = ((date.getTime() % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
	return msOfDay === 0 ? day : `${day} ${clockText(msOfDay)}`;
}

/** Python's `str()` of a time of day: `HH:MM:SS`, with `.ffffff` when there are fractions. */
export function clockText(msOfDay: number): string {
	const seconds = Math.floor(msOfDay / 1000);
	const fraction = msOfDay % 1000;
	const hms = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
	return fraction ? `${hms}.${pad(fraction, 3)}000` : hms;
}

function pad(n: number, width = 2): string {
	return String(n).padStart(width, '0');
}

/** Python's `repr(float)` (and `str()`): shortest round-trip digits, exponent form below 1e-4 and from 1e16 on. */
export function pythonFloatRepr(value: number): string {
	if (Number.isNaN(value)) return 'nan';
	if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
	if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
	const [mantissa, exponentText] = value.toExponential().split('e');
	const exponent = Number(exponentText);
	if (exponent < -4 || exponent >= 16) {
		return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
	}
	// In this range JavaScript prints the same digits in positional form.
	const positional = String(value);
	return positional.includes('.') ? positional : `${positional}.0`;
}

/**
 * A numeric cell as CommCare's reader (openpyxl's `_cast_number`) takes it: a Python int when its text has no `.`,
 * `e` or `E` (exact, any size), else a float. `text` is what Python's `str()` prints.
 */
export interface PythonNumber {
	readonly pythonType: 'int' | 'float';
	readonly text: string;
	/** The value as a double (for an int beyond 2^53, the nearest one, as Python's `float()` of it gives). */
	readonly value: number;
}

/** A number read from a sheet; its text is printed only when asked for (most cells are only tested for truth). */
class ReadNumber implements PythonNumber {
	private printed: string | undefined;

	constructor(
		readonly pythonType: 'int' | 'float',
		readonly value: number,
		exactText?: string,
	) {
		this.printed = exactText;
	}

	get text(): string {
		this.printed ??= pythonFloatRepr(this.value);
		return this.printed;
	}
}

/** Numbers as writers print them: whole ones small enough for a double to hold exactly, and plain decimals. */
const PLAIN_INT = /^-?(?:0|[1-9]\d{0,14})$/;
const PLAIN_DECIMAL = /^-?\d+\.\d+$/;
const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?$/;

/** Whether a plainly printed number (`12`, `-0`, `61.5`) is zero; null for any other text (read it in full). */
export function plainNumberIsZero(text: string): boolean | null {
	return PLAIN_NUMBER.test(text) ? Number(text) === 0 : null;
}

/** Reads a numeric cell's `<v>` text as openpyxl does; null where Python's `int()` or `float()` raises. */
export function pythonNumberOfCellText(text: string): PythonNumber | null {
	if (PLAIN_INT.test(text)) {
		const value = Number(text);
		return new ReadNumber('int', value, value === 0 ? '0' : text);
	}
	if (PLAIN_DECIMAL.test(text)) return new ReadNumber('float', Number(text));
	if (/[.eE]/.test(text)) {
		const value = pythonFloat(text);
		return value === null ? null : new ReadNumber('float', value);
	}
	const value = pythonInt(text);
	return value === null ? null : new ReadNumber('int', Number(value), value.toString());
}

export function isPythonNumber(value: unknown): value is PythonNumber {
	const type = (value as Partial<PythonNumber> | null)?.pythonType;
	return type === 'int' || type === 'float';
}

/**
 * The text a number Bulk Import writes reads back as on CommCare's side (openpyxl casts the text JavaScript
 * printed). It differs from JavaScript's own text only for numbers below 1e-4: `0.00005` is read as `5e-05`.
 */
export function pythonTextOfWrittenNumber(value: number): string {
	const written = String(value);
	return pythonNumberOfCellText(written)?.text ?? written;
}

/**
 * The text CommCare stores for a cell value (docs/commcare-api.md §6.1): text as it is; other values through Python's
 * `str()`. Takes what our readers give (PythonNumber, PythonTemporal, text, booleans, error values) and what the
 * value rules write (JavaScript numbers, whose text the writer keeps equal to Python's, and Dates). `null` for a
 * blank cell.
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
			if ('pythonType' in value) return (value as unknown as { text: string }).text;
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

/**
 * The search id CommCare takes from a cell (`_parse_search_id`, docs/commcare-api.md §6.1): `row[column] or ''` (a
 * numeric 0 or a false boolean is blank), then `int(float(x))` where Python takes it: text by Python's `float()`
 * grammar, an int through a double (a 20-digit int loses digits), `True` as 1; dates stay as they print. In a `.csv`
 * every cell is text that the server first turns into a number where it can, so numeric text equal to 0 is blank
 * there too.
 */
export function searchIdOfCell(value: unknown, fromCsv = false): string {
	if (value === null || value === undefined || value === false) return '';
	if (value === true) return '1';
	if (typeof value === 'number') return value === 0 ? '' : (truncatedText(value) ?? pythonFloatRepr(value));
	if (isPythonNumber(value)) {
		if (value.value === 0) return '';
		// float() of an int beyond a double's range raises OverflowError, and the int stays as it is.
		return truncatedText(value.value) ?? value.text;
	}
	if (typeof value === 'string' && fromCsv && pythonFloat(value) === 0) return '';
	const text = serverText(value);
	if (typeof value === 'object' && value !== null && 'pythonType' in value) return text ?? '';
	return searchIdOfText(text);
}

/** Python's truth value of a cell as read (what CommCare's row counting tests): false for blank, 0 and False. */
export function isTruthyCell(value: unknown): boolean {
	if (value === null || value === undefined || value === '' || value === false || value === 0) return false;
	if (isPythonNumber(value)) return value.value !== 0;
	return true;
}

export function booleanText(value: boolean): string {
	return value ? 'True' : 'False';
}
