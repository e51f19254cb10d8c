/**
 * A spreadsheet cell as CommCare's readers hand it to the importer (a Python-typed value and its `str()` text), and
 * what the importer makes of it: the value it stores, and the id it searches a row by. Written from HQ's code, apart
 * from the node's own rules (nodes/shared/cellText.ts); one table test holds both to the same answers.
 */
import { pythonFloatRepr } from './pythonFormat';
import { pyFloat, pyIntOfFloat } from './pythonNumbers';

export type CellKind = 'str' | 'int' | 'float' | 'bool' | 'date' | 'datetime' | 'time';

export interface Cell {
	kind: CellKind;
	/** What Python's `str()` gives for the value (text cells: the text itself). */
	text: string;
	/** Numeric value of int/float/bool cells (an int beyond 2^53 as the nearest double, as Python's `float()` gives it). */
	number?: number;
	/** `str()` of openpyxl's own value where HQ's case reader changed it (a date-time at midnight, read as a date). */
	openpyxlText?: string;
}

/** One worksheet as HQ's importer iterates it, whatever the file's format. */
export interface Sheet {
	title: string;
	/**
	 * rows[i] is spreadsheet row i + 1; null = a cell without a value. As long as the reader makes it: an `.xlsx` row
	 * may be shorter than the header (HQ's row dict then has no key for the missing columns).
	 */
	rows: Array<Array<Cell | null>>;
	/** The reader's row count used by the "spreadsheet is empty" check (HQ's `_max_row` for `.xlsx`: at least 1). */
	maxRow: number;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** A number as a JavaScript reader gives it: whole numbers as Python ints, the rest as floats. */
export function numberCell(value: number): Cell {
	if (Number.isInteger(value) && !String(value).includes('e')) return intCell(BigInt(value));
	return floatCell(value);
}

/** A Python int: any size, printed exactly. */
export function intCell(value: bigint): Cell {
	return { kind: 'int', text: value.toString(), number: Number(value) };
}

/** A Python float, printed by `repr()` (`5e-05`, `30.0`). */
export function floatCell(value: number): Cell {
	return { kind: 'float', text: pythonFloatRepr(value), number: value };
}

export function boolCell(value: boolean): Cell {
	return { kind: 'bool', text: value ? 'True' : 'False', number: value ? 1 : 0 };
}

interface DateParts {
	y: number;
	m: number;
	d: number;
	H: number;
	M: number;
	S: number;
	/** microseconds */
	us: number;
}

/** A spreadsheet date-time: midnight is a date (`YYYY-MM-DD`), anything else `YYYY-MM-DD HH:MM:SS[.ffffff]`. */
export function dateTimeCell(p: DateParts): Cell {
	const date = `${pad(p.y, 4)}-${pad(p.m)}-${pad(p.d)}`;
	if (p.H === 0 && p.M === 0 && p.S === 0 && p.us === 0) return { kind: 'date', text: date };
	const fraction = p.us ? `.${pad(p.us, 6)}` : '';
	return { kind: 'datetime', text: `${date} ${pad(p.H)}:${pad(p.M)}:${pad(p.S)}${fraction}` };
}

export function timeCell(H: number, M: number, S: number, us = 0): Cell {
	return { kind: 'time', text: `${pad(H)}:${pad(M)}:${pad(S)}${us ? `.${pad(us, 6)}` : ''}` };
}

export function utcParts(date: Date): DateParts {
	return {
		y: date.getUTCFullYear(),
		m: date.getUTCMonth() + 1,
		d: date.getUTCDate(),
		H: date.getUTCHours(),
		M: date.getUTCMinutes(),
		S: date.getUTCSeconds(),
		us: date.getUTCMilliseconds() * 1000,
	};
}

/** Python's truth value of a cell's value: what HQ's `if header` and its row counting (`any(row)`) test. */
export function isTruthy(cell: Cell | null): boolean {
	if (cell === null) return false;
	if (cell.kind === 'str') return cell.text !== '';
	if (cell.number !== undefined) return cell.number !== 0;
	return true;
}

/**
 * `_parse_search_id` (docs/commcare-api.md §6.1): `row[search_column] or ''`, then `str(int(float(value)))` when Python
 * takes it. Falsy cells (blank, 0, False) become ''; text goes through Python's `float()` grammar (spaces,
 * underscores, digits of any script); an int cell through a double (`float()` of a 20-digit int loses digits); dates
 * and times stay as they print. `---` is not blank here.
 */
export function searchIdOfCell(cell: Cell | null | undefined): string {
	if (!cell || !isTruthy(cell)) return '';
	switch (cell.kind) {
		case 'str': {
			const value = pyFloat(cell.text);
			const whole = value === null ? null : pyIntOfFloat(value);
			return whole === null ? cell.text : whole.toString();
		}
		case 'int':
		case 'float':
		case 'bool': {
			// float() of a Python int beyond the double range raises OverflowError: the int stays.
			const whole = pyIntOfFloat(cell.number as number);
			return whole === null
				? cell.kind === 'float'
					? pythonFloatRepr(cell.number as number)
					: cell.text
				: whole.toString();
		}
		default:
			return cell.text; // float() refuses dates, times and durations
	}
}

/** A field's value as `_populate_updated_fields` leaves it: null for a blank cell, '' for `---`, else `str()`. */
export function storedValue(cell: Cell | null | undefined): string | null {
	if (!cell) return null;
	if (cell.kind === 'str' && pythonStripped(cell.text) === '---') return '';
	return cell.text;
}

/** Python's `str.strip()`: every character `str.isspace()` accepts, U+001C to U+001F and U+0085 included. */
function pythonStripped(text: string): string {
	return text.replace(
		/^[\t\n\v\f\r\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g,
		'',
	);
}
