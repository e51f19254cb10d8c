/** What a server's answer says, fit for a message (shared/responseText.ts): a body described, HTML as plain text. */
import { SHAPE_REDACTOR } from '../../../nodes/shared/redaction';
import { describeBody, htmlToPlainText } from '../../../nodes/shared/responseText';

describe('describeBody', () => {
	it('describes bodies without dumping HTML', () => {
		const page = '<html><head><title>Server Error (500)</title></head><body><script>secret()</script></body></html>';
		expect(describeBody({ text: page, isHtml: true, json: undefined }, SHAPE_REDACTOR)).toBe(
			'an HTML page titled "Server Error (500)"',
		);
		expect(describeBody({ text: '', isHtml: false, json: undefined }, SHAPE_REDACTOR)).toBe('an empty body');
		expect(
			describeBody({ text: 'x'.repeat(1000), isHtml: false, json: undefined }, SHAPE_REDACTOR).length,
		).toBeLessThan(310);
	});
});

describe('htmlToPlainText', () => {
	it('turns an HTML message into plain text that keeps the link address', () => {
		expect(htmlToPlainText('See <a target="_blank" href="https://x.org/doc">case property names</a>. Fix: a b.')).toBe(
			'See case property names (https://x.org/doc). Fix: a b.',
		);
	});
});
