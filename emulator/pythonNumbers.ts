/**
 * Python's number parsers as CommCare's stack applies them: `float()` and `int()` on text (openpyxl's `_cast_number`
 * reads every numeric cell with one of them; the importer's `_parse_search_id` runs `int(float(x))` on every search
 * id). Written for the emulator on its own, apart from the node's copy of the rule: the conformance tests hold both
 * to CPython.
 */

/** Code points `str.isspace()` accepts outside ASCII (inside ASCII the parsers skip only tab to carriage return and space). */
const UNICODE_SPACES = new Set([0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]);
for (let code = 0x2000; code <= 0x200a; code++) UNICODE_SPACES.add(code);

/** Every decimal digit outside ASCII (Unicode category Nd) and its value: each script keeps its ten digits in a run. */
const DIGIT_VALUES: Map<number, number> = (() => {
	const values = new Map<number, number>();
	const isDigit = /^\p{Nd}$/u;
	let runStart = -1;
	for (let code = 0x80; code <= 0x1ffff; code++) {
		if (!isDigit.test(String.fromCodePoint(code))) {
			runStart = -1;
			continue;
		}
		if (runStart < 0) runStart = code;
		values.set(code, (code - runStart) % 10);
	}
	return values;
})();

/**
 * CPython's `_PyUnicode_TransformDecimalAndSpaceToASCII` followed by the strip of ASCII whitespace both parsers do;
 * null when a character outside ASCII is neither a space nor a digit (the parse then fails).
 */
function asciiForm(text: string): string | null {
	let out = '';
	for (const char of text) {
		const code = char.codePointAt(0) as number;
		if (code < 127) out += char;
		else if (UNICODE_SPACES.has(code)) out += ' ';
		else if (DIGIT_VALUES.has(code)) out += String(DIGIT_VALUES.get(code));
		else return null;
	}
	return out.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');
}

/** Underscores are allowed only between two digits (PEP 515). */
function withoutUnderscores(text: string): string | null {
	if (!text.includes('_')) return text;
	return /(^|[^0-9])_|_($|[^0-9])/.test(text) ? null : text.replace(/_/g, '');
}

/** Python's `float(text)`; null where Python raises ValueError. */
export function pyFloat(text: string): number | null {
	const ascii = asciiForm(text);
	if (ascii === null) return null;
	const plain = withoutUnderscores(ascii);
	if (plain === null) return null;
	const special = /^([+-]?)(inf|infinity|nan)$/i.exec(plain);
	if (special) {
		if (special[2].toLowerCase() === 'nan') return NaN;
		return special[1] === '-' ? -Infinity : Infinity;
	}
	if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(plain)) return null;
	return Number(plain);
}

/** Python's `int(text)` in base 10; null where Python raises ValueError. */
export function pyInt(text: string): bigint | null {
	const ascii = asciiForm(text);
	if (ascii === null) return null;
	const plain = withoutUnderscores(ascii);
	if (plain === null || !/^[+-]?\d+$/.test(plain)) return null;
	return BigInt(plain);
}

/** `int(x)` of a float: its exact integer part; null for inf and nan, where Python raises. */
export function pyIntOfFloat(value: number): bigint | null {
	return Number.isFinite(value) ? BigInt(Math.trunc(value)) : null;
}
