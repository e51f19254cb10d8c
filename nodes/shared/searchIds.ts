/**
 * The search id CommCare matches a row on (docs/commcare-api.md §6.1): Bulk Import's checks predict it, Import Status looks
 * the case up by it.
 */

/** The search id the server matches on (docs/commcare-api.md §6.1): text that Python's `float()` accepts becomes `str(int(...))`. */
export function serverSearchId(text: string | null): string {
	if (isBlankText(text)) return '';
	const id = text as string;
	if (!PYTHON_FLOAT.test(id)) return id;
	const number = Number(id.replace(/_/g, '').trim());
	if (!Number.isFinite(number)) return id;
	return BigInt(Math.trunc(number)).toString();
}

/** Text Python's `float()` reads: digits with optional underscores between them, a fraction, an exponent. */
export const PYTHON_FLOAT =
	/^\s*[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?\s*$/;

/** Blank for the server: nothing, an empty string, or `---` (the case export's "no value" marker, docs/commcare-api.md §6.1). */
export function isBlankText(text: string | null): boolean {
	return text === null || text === '' || text.trim() === '---';
}

/**
 * The search id of a record item's value, as CommCare reads it from the .xlsx Bulk Import writes: a number as
 * Python's `str()` (0 is blank: the server reads `row[column] or ''`), `true` as 1, text as it is; then the
 * numeric rule above.
 */
export function searchIdOfValue(value: unknown): string {
	if (typeof value === 'number') return value === 0 || !Number.isFinite(value) ? '' : serverSearchId(String(value));
	if (typeof value === 'boolean') return value ? '1' : '';
	if (typeof value === 'string') return serverSearchId(value);
	return '';
}
