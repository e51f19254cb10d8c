/**
 * How CommCare reads ids and blanks (docs/commcare-api.md §6.1, §6.2): the id it searches a row by
 * (`_parse_search_id`: `int(float(x))` when Python's `float()` takes the text), the text an ID cell is written as (and
 * so the external id a case it creates carries), and which stored values count as blank. Bulk Import's checks predict
 * them; Import Status looks cases up by them.
 */

/**
 * What Python's `str.isspace()` calls whitespace, which `float()` skips around a number and `str.strip()` removes. Not
 * JavaScript's `\s`: Python also counts U+001C to U+001F and U+0085, and not U+FEFF.
 */
const PYTHON_SPACE = /[\t\n\v\f\r\u001C-\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]/;
const PYTHON_SPACES_AROUND = new RegExp(`^${PYTHON_SPACE.source}+|${PYTHON_SPACE.source}+$`, 'g');

/** Python's `text.strip()`. */
function pythonStrip(text: string): string {
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
