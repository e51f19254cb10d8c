/** The text CommCare stores for a cell, and the search id it matches on: what the checks compare. */
import { dateText } from './dates';
import type { SheetFormat } from './formats';
import { PYTHON_FLOAT } from '../../shared/searchIds';

/**
 * The text CommCare stores for a cell value (docs/commcare-api.md §6.1), also for values read back by exceljs (rich text, hyperlinks,
 * formulas with their cached results, errors). `null` for a blank cell. Numbers are shown as JavaScript prints them,
 * which matches Python's `str()` except for exponent notation of very large or very small numbers.
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
 * The text of a search-column cell as the server's `_parse_search_id` takes it (docs/commcare-api.md §6.1): `row[column] or ''`,
 * so a falsy cell (a numeric 0, a boolean false) is a blank id and `True` is the number 1. `serverSearchId` then
 * gives the id. The emulator applies the same rule to its typed cells. In a `.csv` every cell is text that the
 * server first turns into a number where it can: numeric text equal to 0 is blank as well.
 */
export function searchCellText(value: unknown, format?: SheetFormat): string | null {
	if (typeof value === 'number') return value === 0 ? null : serverText(value);
	if (typeof value === 'boolean') return value ? '1' : null;
	if (
		typeof value === 'string' &&
		format === 'csv' &&
		PYTHON_FLOAT.test(value) &&
		Number(value.replace(/_/g, '').trim()) === 0
	) {
		return null;
	}
	return serverText(value);
}

export function booleanText(value: boolean): string {
	return value ? 'True' : 'False';
}
