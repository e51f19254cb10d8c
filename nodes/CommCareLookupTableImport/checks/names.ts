/**
 * Which names CommCare accepts for a table (`table_id`) and, in its editor, for a field: a name phones can use as an
 * XML element name. CommCare tests that the name is not blank, does not start with `xml` (lower case only, as its
 * test does) and parses as an element (`<name />`, with namespaces, so no `:`).
 */

/** XML 1.0 (fifth edition) name characters, without `:` (a namespace prefix, which CommCare's parser refuses unbound). */
const NAME_START =
	'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const XML_NAME = new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`, 'u');

/** Why `name` is not a name CommCare accepts for a table or field, or null when it is. */
export function identifierProblem(name: string): string | null {
	if (name === '') return 'is blank';
	if (name.startsWith('xml')) return "starts with 'xml'";
	if (/^[0-9]/.test(name)) return 'starts with a digit';
	if (/\s/u.test(name)) return 'contains a space';
	if (name.includes(':')) return "contains ':'";
	if (!XML_NAME.test(name)) return 'contains characters other than letters, digits, _, - and .';
	return null;
}

/** Whether a field name reads as a number (CommCare refuses those in the `types` sheet). */
export function looksNumeric(name: string): boolean {
	const text = name.trim();
	return text !== '' && !Number.isNaN(Number(text)) && /^[+-]?(\d|\.\d)/.test(text);
}
