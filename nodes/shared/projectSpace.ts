/** The Project Space parameter, checked once: lower case, digits and `-` (plus `._:` that old names may hold). */
import { InvalidInputError } from './invalidInputError';
import { addressForMessage, decodeSafely, type ProjectSpace } from './transport/addresses';

/** Legacy CommCare names may also hold `.`, `_` or `:`; new ones are lower-case letters, digits and hyphens. */
const PROJECT_SPACE = /^[a-z0-9][a-z0-9._:-]*$/;
/** The same rule as text, for the editor's check as the name is typed ("By Name"). */
export const PROJECT_SPACE_PATTERN = '^\\s*[a-z0-9][a-z0-9._:-]*\\s*$';

function describeCharacters(text: string): string {
	const found = new Set<string>();
	for (const char of text) {
		if (!/[a-z0-9._:-]/.test(char)) found.add(/\s/.test(char) ? 'a space' : `'${char}'`);
	}
	if (text.includes('..')) found.add("'..'");
	return [...found].join(', ');
}

/**
 * Checks a project space name ("domain") and returns it trimmed. Refuses empty names, names with `/`, `..`,
 * spaces or upper case, saying what was found and what to type instead.
 */
export function validateProjectSpace(raw: unknown): ProjectSpace {
	const text = String(raw ?? '').trim();
	const rule =
		'Project space names use lower-case letters, digits and hyphens, as in the address https://www.commcarehq.org/a/your-project/.';
	if (!text) throw new InvalidInputError('The project space is empty', rule);
	const inUrl = /\/a\/([^/?#\s]+)/.exec(text);
	if (inUrl) {
		throw new InvalidInputError(
			`The project space '${addressForMessage(text)}' looks like an address: type just the name, '${decodeSafely(inUrl[1])}'`,
			rule,
		);
	}
	if (PROJECT_SPACE.test(text) && !text.includes('..')) return text as ProjectSpace;
	const suggestion = text
		.toLowerCase()
		.replace(/\s+/g, '-')
		.replace(/[^a-z0-9._:-]/g, '')
		.replace(/\.{2,}/g, '.');
	const tryThis = PROJECT_SPACE.test(suggestion) ? ` Did you mean '${suggestion}'?` : '';
	if (/[A-Z]/.test(text) && PROJECT_SPACE.test(text.toLowerCase())) {
		throw new InvalidInputError(
			`The project space '${text}' has upper-case letters; CommCare project space names are lower case: type '${text.toLowerCase()}'`,
			rule,
		);
	}
	const found = describeCharacters(text.toLowerCase()) || 'characters that cannot start a name';
	throw new InvalidInputError(
		`The project space '${text}' is not a CommCare project space name (found ${found}).${tryThis}`,
		rule,
	);
}
