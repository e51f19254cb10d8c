/** A parameter that lists names (columns, fields): comma-separated text, or an array from an expression. */

/** `"a, b,,c"` or `['a', ' b ']` → `['a', 'b', 'c']`: each name trimmed, blank ones dropped. */
export function nameList(value: unknown): string[] {
	const parts = Array.isArray(value) ? value.map(String) : String(value ?? '').split(',');
	return parts.map((part) => part.trim()).filter((part) => part !== '');
}
