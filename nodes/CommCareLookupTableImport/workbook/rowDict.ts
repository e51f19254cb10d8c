/**
 * How CommCare's workbook reader turns a sheet's header and a row into the dictionary its lookup-table upload reads:
 * the header grammar (`a: b` nests, `name N` makes a list that skips blanks, `name?` is a yes/no value, anything
 * else is a plain key that may appear once) and each cell's text as CommCare stores it.
 */
import { isPythonNumber, pythonStrip } from '../../shared/cellText';

/** One header cell, parsed. `key` identifies where its value goes (two plain cells with one key repeat a field). */
export type HeaderPath =
	| { kind: 'plain'; key: string; name: string; boolean: boolean }
	| { kind: 'list'; key: string; name: string }
	| { kind: 'nested'; key: string; outer: string; inner: HeaderPath };

/** A row as CommCare reads it: texts, lists of texts (blanks left out), nested dictionaries. */
export interface RowDict {
	[key: string]: string | string[] | RowDict;
}

/** Python's `str.split()` on white space. */
const words = (text: string) =>
	pythonStrip(text)
		.split(/[\t\n\v\f\r\u001C-\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+/)
		.filter(Boolean);

/** Parses a header cell's text as CommCare's `set_field_value` does. */
export function headerPath(text: string): HeaderPath {
	const parts = text.split(':');
	if (parts.length === 2) {
		const outer = pythonStrip(parts[0]);
		const inner = headerPath(pythonStrip(parts[1]));
		return { kind: 'nested', key: `${outer}:${inner.key}`, outer, inner };
	}
	const split = words(text);
	if (split.length === 2) return { kind: 'list', key: `${split[0]}[]`, name: split[0] };
	const boolean = text.endsWith('?');
	const name = boolean ? text.slice(0, -1) : text;
	return { kind: 'plain', key: name, name, boolean };
}

/** A yes/no cell's value, as CommCare reads `name?` columns; null where it refuses the text. */
export function yesNo(text: string): boolean | null {
	const lower = text.toLowerCase();
	if (lower === 'yes' || lower === 'true') return true;
	if (lower === 'no' || lower === 'false' || lower === '') return false;
	return null;
}

/** The row dictionary of `texts` under `paths`; `badBoolean` is told of a `?` cell CommCare refuses. */
export function rowDict(
	paths: HeaderPath[],
	texts: string[],
	badBoolean?: (column: number, text: string) => void,
): RowDict {
	const dict: RowDict = {};
	paths.forEach((path, column) => place(dict, path, texts[column] ?? '', column, badBoolean));
	return dict;
}

function place(
	dict: RowDict,
	path: HeaderPath,
	text: string,
	column: number,
	badBoolean?: (column: number, text: string) => void,
): void {
	if (path.kind === 'nested') {
		const inner = dict[path.outer];
		const target = typeof inner === 'object' && !Array.isArray(inner) ? inner : (dict[path.outer] = {});
		place(target, path.inner, text, column, badBoolean);
	} else if (path.kind === 'list') {
		const existing = dict[path.name];
		const list = Array.isArray(existing)
			? existing
			: (dict[path.name] = typeof existing === 'string' ? [existing] : []);
		if (text !== '') list.push(text);
	} else if (path.boolean) {
		const value = yesNo(text);
		if (value === null) badBoolean?.(column, text);
		dict[path.name] = value ? 'yes' : 'no';
	} else dict[path.name] = text;
}

/**
 * A cell's value as CommCare stores it in a lookup table (Python's `str()` after its reader's conversions): text
 * stripped; a whole float as an int (`5.0` → `5`); other numbers as Python prints them (`5e-05`); `True`/`False`; a
 * date as a date-time (`2024-03-05 00:00:00`); a time as `14:30:00`; an error value as its text; a blank as ''.
 */
export function storedCellText(value: unknown): string {
	if (value === null || value === undefined) return '';
	if (typeof value === 'string') return pythonStrip(value);
	if (typeof value === 'boolean') return value ? 'True' : 'False';
	if (isPythonNumber(value)) {
		if (value.pythonType === 'float' && Number.isInteger(value.value)) return BigInt(value.value).toString();
		return value.text;
	}
	if (typeof value === 'object') {
		const temporal = value as { pythonType?: string; text?: string; error?: string };
		if (temporal.pythonType === 'date') return `${temporal.text} 00:00:00`;
		if (typeof temporal.text === 'string') return temporal.text;
		if (typeof temporal.error === 'string') return temporal.error;
	}
	return String(value);
}
