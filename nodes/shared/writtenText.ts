/**
 * What a text becomes in the `.xlsx` Bulk Import writes, and so what CommCare reads (docs/bulk-import.md value
 * rules): characters no `.xlsx` can hold are dropped or replaced. Bulk Import's writer and checks apply it; Import
 * Status reads records by it (a value of control characters only was written as a blank cell).
 */
import { isBlankText } from './searchIds';

/**
 * Characters no `.xlsx` can store: control characters other than tab, line feed and carriage return; U+FFFE and
 * U+FFFF; unpaired surrogates (which become U+FFFD). The writer drops (or replaces) them.
 */
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE = new RegExp(`${XML_INVALID.source}|${LONE_SURROGATE.source}`);

/** Any control character, surrogate or U+FFFE/U+FFFF: a cheap first test (a surrogate pair, e.g. an emoji, is fine). */
const MAYBE_UNSTORABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

export function hasUnstorableCharacters(text: string): boolean {
	// Run for every text cell of the checks: the exact pattern (with its lookbehind) only when needed. (A loop over
	// char codes was measured slower than V8's regular expression.)
	return MAYBE_UNSTORABLE.test(text) && UNSTORABLE.test(text);
}

/** What the writer makes of a text with unstorable characters, and so what CommCare reads: those characters dropped, unpaired surrogates U+FFFD. */
export function textAsWritten(text: string): string {
	return text
		.replace(new RegExp(XML_INVALID.source, 'g'), '')
		.replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
}

/** `U+0007, U+FFFE`: the unstorable characters of a text, named by code point (they have no visible form). */
export function describeUnstorable(text: string): string {
	const found = new Set<string>();
	for (const match of text.matchAll(new RegExp(UNSTORABLE.source, 'g'))) {
		found.add(`U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
		if (found.size === 3) break;
	}
	return [...found].join(', ');
}

/**
 * Whether a record's value reaches CommCare as a blank cell (docs/commcare-api.md §6.1, §6.2): no value, an empty
 * text, a text of unstorable characters only (dropped by the writer), or CommCare's `---` "no value" marker.
 */
export function isWrittenBlank(value: unknown): boolean {
	if (value === null || value === undefined) return true;
	if (typeof value !== 'string') return false;
	return isBlankText(hasUnstorableCharacters(value) ? textAsWritten(value) : value);
}
