/**
 * Python formatting rules the real server's output follows (it is a Django app): `json.dumps` with its default
 * separators and ASCII escaping, `repr()` of strings and floats, and `str()` of values. Byte-exact bodies depend on
 * these, so they live in one place.
 */

/** Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16 on. */
export function pythonFloatRepr(value: number): string {
	if (Number.isNaN(value)) return 'nan';
	if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
	if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
	const [mantissa, exponentText] = value.toExponential().split('e');
	const exponent = Number(exponentText);
	if (exponent < -4 || exponent >= 16) {
		const sign = exponent < 0 ? '-' : '+';
		return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
	}
	// In this range JavaScript prints the same digits in positional form.
	const positional = String(value);
	return positional.includes('.') ? positional : `${positional}.0`;
}

/** Python's `repr(str)`: single quotes unless the text holds a single quote and no double quote. */
export function pythonStrRepr(text: string): string {
	const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
	let out = '';
	for (const ch of text) {
		const code = ch.codePointAt(0) as number;
		if (ch === '\\') out += '\\\\';
		else if (ch === quote) out += `\\${quote}`;
		else if (ch === '\n') out += '\\n';
		else if (ch === '\r') out += '\\r';
		else if (ch === '\t') out += '\\t';
		else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
		else out += ch;
	}
	return `${quote}${out}${quote}`;
}

/** Python's `repr(bytes)` of a short prefix, as in xlrd's "found b'...'" message. */
export function pythonBytesRepr(bytes: Uint8Array): string {
	let out = '';
	const hasSingle = bytes.includes(0x27);
	const hasDouble = bytes.includes(0x22);
	const quote = hasSingle && !hasDouble ? '"' : "'";
	for (const byte of bytes) {
		if (byte === 0x5c) out += '\\\\';
		else if (byte === quote.charCodeAt(0)) out += `\\${quote}`;
		else if (byte === 0x0a) out += '\\n';
		else if (byte === 0x0d) out += '\\r';
		else if (byte === 0x09) out += '\\t';
		else if (byte < 0x20 || byte >= 0x7f) out += `\\x${byte.toString(16).padStart(2, '0')}`;
		else out += String.fromCharCode(byte);
	}
	return `b${quote}${out}${quote}`;
}

function pythonJsonString(text: string): string {
	let out = '"';
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		const code = text.charCodeAt(i);
		if (ch === '"') out += '\\"';
		else if (ch === '\\') out += '\\\\';
		else if (ch === '\n') out += '\\n';
		else if (ch === '\r') out += '\\r';
		else if (ch === '\t') out += '\\t';
		else if (ch === '\b') out += '\\b';
		else if (ch === '\f') out += '\\f';
		// ensure_ascii: every other control or non-ASCII UTF-16 unit becomes \uXXXX (surrogates stay pairs).
		else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
		else out += ch;
	}
	return `${out}"`;
}

/**
 * Python's `json.dumps(value)` with default settings: `", "` and `": "` separators, ASCII-only output.
 * `sortKeys` mirrors tastypie's serializer (used by the identity endpoints).
 */
export function pythonJsonDumps(value: unknown, sortKeys = false): string {
	if (value === null || value === undefined) return 'null';
	if (typeof value === 'boolean') return value ? 'true' : 'false';
	if (typeof value === 'number') {
		if (Number.isInteger(value)) return String(value);
		if (Number.isNaN(value)) return 'NaN';
		if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
		return pythonFloatRepr(value);
	}
	if (typeof value === 'string') return pythonJsonString(value);
	if (Array.isArray(value)) return `[${value.map((item) => pythonJsonDumps(item, sortKeys)).join(', ')}]`;
	if (typeof value === 'object') {
		const keys = Object.keys(value as object);
		if (sortKeys) keys.sort();
		const entries = keys.map(
			(key) => `${pythonJsonString(key)}: ${pythonJsonDumps((value as Record<string, unknown>)[key], sortKeys)}`,
		);
		return `{${entries.join(', ')}}`;
	}
	throw new TypeError(`cannot serialise ${typeof value}`);
}
