/**
 * CommCare's lookup-table messages arrive one character per line (a Python re.split quirk); readableMessage puts them
 * back together, leaves other texts alone, and reportedProblems finds the owners' warnings in them.
 */
import { readableMessage, reportedProblems } from '../../../../nodes/CommCareLookupTableImport/upload/commCareMessage';

/** What CommCare's `'\n'.join(re.split(r'\n*', message)).strip()` makes of a message on Python 3.7 and later. */
function splitLikeCommCare(message: string): string {
	const parts: string[] = [''];
	for (const line of message.split('\n')) {
		parts.push(...line, '');
	}
	return parts.join('\n').trim();
}

describe('readableMessage', () => {
	it('puts a one-character-per-line message back together', () => {
		expect(splitLikeCommCare('Successfully uploaded 1 tables.')).toMatch(/^S\nu\nc\nc/);
		expect(readableMessage(splitLikeCommCare('Successfully uploaded 1 tables.'))).toBe(
			'Successfully uploaded 1 tables.',
		);
	});

	it("keeps the message's own line breaks", () => {
		const message =
			"Successfully uploaded 1 tables.\nHowever, we ran into the following problems:\nUnknown group: 'North'. But the row is successfully added";
		expect(readableMessage(splitLikeCommCare(message))).toBe(message);
	});

	it("undoes the template's HTML escaping (&#x27; and the like), after putting it together", () => {
		const escaped =
			'Successfully uploaded 1 tables.\nHowever, we ran into the following problems:\nUnknown group: &#x27;North &amp; South&#x27;. &lt;b&gt; &#39;x&#39; &bogus;';
		expect(readableMessage(splitLikeCommCare(escaped))).toBe(
			"Successfully uploaded 1 tables.\nHowever, we ran into the following problems:\nUnknown group: 'North & South'. <b> 'x' &bogus;",
		);
	});

	it('leaves a message that is not split as it is (a fixed CommCare, or a refusal)', () => {
		const refusal =
			'Please fix the following formatting issues in your Excel file: Workbook does not contain a sheet called types';
		expect(readableMessage(refusal)).toBe(refusal);
		expect(readableMessage('a\nb c')).toBe('a\nb c');
	});
});

describe('reportedProblems', () => {
	it('lists the lines after "However, we ran into the following problems:", up to "Additional information:"', () => {
		const message = [
			'Successfully uploaded 1 tables.',
			'However, we ran into the following problems:',
			"Unknown user: 'ghost'. But the row is successfully added",
			"Unknown group: 'North'. But the row is successfully added",
			'Additional information:',
			'something else',
		].join('\n');
		expect(reportedProblems(message)).toEqual([
			"Unknown user: 'ghost'. But the row is successfully added",
			"Unknown group: 'North'. But the row is successfully added",
		]);
	});

	it('finds none in a plain success', () => {
		expect(reportedProblems('Successfully uploaded 2 tables.')).toEqual([]);
	});
});
