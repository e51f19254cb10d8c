/**
 * CommCare's lookup-table messages, made readable. Its success and warning texts are post-processed with a Python
 * `re.split` that also splits between characters, so "Successfully uploaded 1 tables." arrives one character per
 * line, each original line break a blank line. Such a text is put back together; any other is kept as it is. It
 * comes from a Django template, which escapes quotes and angle brackets (`&#x27;`): those are put back too. The text
 * is for reading only: outcomes come from `code` and the status keys, never from these words.
 */

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Undoes Django's escaping (`&#x27;`, `&#39;`, `&quot;`, `&amp;` …); an unknown entity stays as it is. */
function unescaped(text: string): string {
	return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity: string, name: string) => {
		if (name[0] !== '#') return ENTITIES[name.toLowerCase()] ?? entity;
		const code = name[1].toLowerCase() === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
		return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
	});
}

/** Whether every non-empty line is one character long (and there are several): the split shape. */
function looksSplit(text: string): boolean {
	const lines = text.split('\n').filter((line) => line !== '');
	return lines.length > 1 && lines.every((line) => [...line].length === 1);
}

export function readableMessage(text: string): string {
	if (!looksSplit(text)) return unescaped(text.trim());
	const joined = text
		.split('\n\n')
		.map((line) => line.replace(/\n/g, ''))
		.join('\n')
		.trim();
	return unescaped(joined);
}

/** The lines after "However, we ran into the following problems:" (the owners CommCare could not find), if any. */
export function reportedProblems(message: string): string[] {
	const lines = message.split('\n').map((line) => line.trim());
	const start = lines.findIndex((line) => /^However, we ran into the following problems:?$/i.test(line));
	if (start < 0) return [];
	const end = lines.findIndex((line, index) => index > start && /^Additional information:?$/i.test(line));
	return lines.slice(start + 1, end < 0 ? undefined : end).filter((line) => line !== '');
}
