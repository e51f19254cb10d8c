/**
 * The text CommCare stores for a cell, and the id it searches a row by (docs/commcare-api.md §6.1, §6.1a): Python's
 * `str()` of the value its reader gives, and `_parse_search_id`. What the checks compare, and what the value rules
 * promise.
 */
import { dateText, type PythonTemporal } from './dates';
import type { SheetFormat } from './formats';
import { pythonFloat, pythonInt, searchIdOfText, truncatedText } from '../../shared/searchIds';

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
			if ('pythonType' in value) return (value as PythonNumber | PythonTemporal).text;
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
export function searchIdOfCell(value: unknown, format?: SheetFormat): string {
	if (value === null || value === undefined || value === false) return '';
	if (value === true) return '1';
	if (typeof value === 'number') return value === 0 ? '' : (truncatedText(value) ?? pythonFloatRepr(value));
	if (isPythonNumber(value)) {
		if (value.value === 0) return '';
		// float() of an int beyond a double's range raises OverflowError, and the int stays as it is.
		return truncatedText(value.value) ?? value.text;
	}
	if (typeof value === 'string' && format === 'csv' && pythonFloat(value) === 0) return '';
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
