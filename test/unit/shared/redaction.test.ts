/**
 * The redactor that every node output and error passes through last (nodes/shared/redaction.ts): what it finds, in
 * which forms, and what it leaves alone. Each case is one of the shapes in which a secret reached a message before.
 */
import { NodeApiError, NodeOperationError, type INode } from 'n8n-workflow';

import { credentialSecrets, REDACTED, Redactor, safeExcerpt, SHAPE_REDACTOR } from '../../../nodes/shared/redaction';
import { commCareCredentialsFrom } from '../../../nodes/shared/transport/credentials';
import { SECRET_CREDENTIAL } from '../../support/unitCredentials';

const USER = 'night-runner@example.org';
const KEY = 'ak-SECRET-3f9c1e7d5b20-night';
const PASSWORD = 'pw-SEC  RET\tb81d/0c4a&97e6';
const node = { name: 'CommCare', type: 'test', typeVersion: 1, position: [0, 0], parameters: {} } as unknown as INode;

const apiKeyRedactor = Redactor.forCredential({ username: USER, apiKey: KEY, authType: 'apiKey' });
const basicRedactor = Redactor.forCredential({ username: USER, password: PASSWORD, authType: 'basicAuth' });
const basicHeaderValue = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');

describe('Redactor: what it finds', () => {
	it.each<[string, string]>([
		['the key itself', `bad key ${KEY} here`],
		['the whole ApiKey header', `Authorization: ApiKey ${USER}:${KEY}`],
		['a prefix left by a cut (≥ 8 characters)', `…title for ${KEY.slice(0, 12)}…`],
		['a suffix', `…${KEY.slice(-9)} refused`],
		['a piece between two tags', `<b>${KEY.slice(0, 6)}</b>${KEY.slice(6)}`],
		['the key JSON-escaped', JSON.stringify({ message: `key ${KEY}` })],
		['the key percent-encoded', `https://x.org/login?next=%2Fa%2F${encodeURIComponent(KEY)}`],
	])('finds %s', (_label, text) => {
		const redacted = apiKeyRedactor.text(text);
		expect(redacted).toContain(REDACTED);
		for (let i = 0; i + 8 <= KEY.length; i++) expect(redacted).not.toContain(KEY.slice(i, i + 8));
	});

	it.each<[string, string]>([
		['as written', `password ${PASSWORD} refused`],
		['with its whitespace collapsed', `password ${PASSWORD.replace(/\s+/g, ' ')} refused`],
		['with its runs of whitespace turned into line breaks', `password ${PASSWORD.replace(/\s+/g, '\n')} refused`],
		['HTML-escaped', `<p>password ${PASSWORD.replace(/&/g, '&amp;')}</p>`],
		['inside a Basic header', `Authorization: Basic ${basicHeaderValue}`],
		['as a cut Basic header value', `got ${basicHeaderValue.slice(0, 20)}`],
	])('finds a password (double space, tab, / and &) %s', (_label, text) => {
		const redacted = basicRedactor.text(text);
		expect(redacted).toContain(REDACTED);
		const collapsed = redacted.replace(/\s+/g, ' ');
		for (const secret of [PASSWORD.replace(/\s+/g, ' '), basicHeaderValue]) {
			for (let i = 0; i + 8 <= secret.length; i++) expect(collapsed).not.toContain(secret.slice(i, i + 8));
		}
	});

	it('removes the shapes of a credential it was not told about', () => {
		expect(SHAPE_REDACTOR.text('sent ApiKey someone@x.org:0123abcd, got 401')).toBe(`sent ApiKey ${REDACTED}, got 401`);
		expect(SHAPE_REDACTOR.text('Authorization: Basic c29tZW9uZTpzZWNyZXQ=')).toBe(`Authorization: Basic ${REDACTED}`);
		expect(SHAPE_REDACTOR.text('see https://me:pa/ss?w@host.org/x')).toBe(`see https://${REDACTED}@host.org/x`);
		expect(SHAPE_REDACTOR.text('https://x.org/a/?api_key=k123&x=1')).toBe(`https://x.org/a/?api_key=${REDACTED}&x=1`);
	});
});

describe('Redactor: what it leaves alone', () => {
	it('ordinary words, the username, and "Basic authentication"', () => {
		const text = `Check the username and API key of user '${USER}' (Basic authentication also works).`;
		expect(apiKeyRedactor.text(text)).toBe(text);
		expect(SHAPE_REDACTOR.text(text)).toBe(text);
	});

	it("a key's pieces that are part of the username (the username is not secret)", () => {
		const redactor = Redactor.forCredential({ username: 'outsider@example.org', apiKey: 'outsider-key-77' });
		expect(redactor.text("CommCare user 'outsider@example.org' must be a member")).toBe(
			"CommCare user 'outsider@example.org' must be a member",
		);
		// The key is still found by its other pieces: only the part it shares with the username may show.
		expect(redactor.text('the key outsider-key-77 was refused')).toBe(`the key o${REDACTED} was refused`);
	});

	it('pieces shorter than 8 characters', () => {
		expect(apiKeyRedactor.text(`prefix ${KEY.slice(0, 7)}…`)).toBe(`prefix ${KEY.slice(0, 7)}…`);
	});

	it('a password made of common words is still removed wherever its pieces appear, even in ordinary text', () => {
		// The trade-off of "any piece of 8 or more characters": safety first, even at the cost of a word.
		const redactor = Redactor.forCredential({ username: USER, password: 'letmein-password' });
		expect(redactor.text('check the password')).toBe(`check the ${REDACTED}`);
	});
});

describe('Redactor: values, errors and outputs', () => {
	it('copies only what changes and never modifies its input', () => {
		const clean = { a: 'fine', nested: { b: ['ok'] } };
		expect(apiKeyRedactor.value(clean)).toBe(clean);
		const leaky = { a: 'fine', nested: { b: [`key ${KEY}`], c: 'ok' } };
		const redacted = apiKeyRedactor.value(leaky);
		expect(redacted).not.toBe(leaky);
		expect(redacted.nested.b).toEqual([`key ${REDACTED}`]);
		expect(redacted.nested.c).toBe('ok');
		expect(leaky.nested.b[0]).toBe(`key ${KEY}`);
	});

	it('redacts every own field of an error, its stack and cause included, but never the node', () => {
		const error = new NodeApiError(
			node,
			{ message: `echo ${KEY}`, config: { headers: { Authorization: `ApiKey ${USER}:${KEY}` } } } as never,
			{
				message: `failed for ${KEY}`,
				description: `see ${KEY.slice(0, 14)}`,
			},
		);
		apiKeyRedactor.error(error);
		const everything = JSON.stringify(
			Object.getOwnPropertyNames(error).map((name) => (name === 'node' ? null : (error as never)[name])),
		);
		expect(everything).toContain(REDACTED);
		for (let i = 0; i + 8 <= KEY.length; i++) expect(everything).not.toContain(KEY.slice(i, i + 8));
		expect(error.stack).not.toContain('3f9c1e7d');
		expect(error.node).toBe(node);
	});

	it("keeps an output item's record (the user's row as sent) and redacts the rest, error items included", () => {
		const error = new NodeOperationError(node, `upload failed: ${KEY}`);
		const outputs = apiKeyRedactor.outputs([
			[
				{ json: { status_url: `https://x.org/s?api_key=${KEY}`, record: { note: 'the row as sent' } } },
				{ json: { message: `upload failed: ${KEY}` }, error },
			],
		]);
		expect(outputs[0][0].json).toEqual({
			status_url: `https://x.org/s?api_key=${REDACTED}`,
			record: { note: 'the row as sent' },
		});
		expect(outputs[0][1].json.message).toBe(`upload failed: ${REDACTED}`);
		expect(error.message).toBe(`upload failed: ${REDACTED}`);
	});

	it('redacts an object shared by many items once, into one copy that stays shared and frozen', () => {
		const upload = Object.freeze({ comment: `sent with ${KEY}`, rowCount: 2 });
		const outputs = apiKeyRedactor.outputs([[{ json: { row: 2, upload } }, { json: { row: 3, upload } }]]);
		const [first, second] = outputs[0].map((item) => item.json.upload);
		expect(first).toEqual({ comment: `sent with ${REDACTED}`, rowCount: 2 });
		expect(second).toBe(first);
		expect(Object.isFrozen(first)).toBe(true);
		// The input stays as it was.
		expect(upload.comment).toBe(`sent with ${KEY}`);
	});
});

describe('safeExcerpt', () => {
	it('redacts before cutting, so a cut never leaves a piece of the secret, and never cuts inside the marker', () => {
		const title = `Error for ${KEY} on the server`;
		const cut = safeExcerpt(title, 14, apiKeyRedactor);
		expect(cut).toBe('Error for …');
		expect(safeExcerpt(title, 40, apiKeyRedactor)).toBe(`Error for ${REDACTED} on the server`);
	});
});

describe('credentialSecrets', () => {
	it('knows the key, the password and both base64 header values, trimmed; the username is public', () => {
		const secrets = credentialSecrets({ username: ` ${USER} `, apiKey: ` ${KEY} `, password: PASSWORD });
		expect(secrets.fragments).toEqual([
			KEY,
			PASSWORD.trim(),
			Buffer.from(`${USER}:${PASSWORD}`).toString('base64'),
			Buffer.from(`${USER}:${KEY}`).toString('base64'),
		]);
		expect(secrets.whole).toEqual([`${USER}:${KEY}`]);
		expect(secrets.public).toEqual([USER]);
	});
});

describe('secrets', () => {
	const credentials = commCareCredentialsFrom(SECRET_CREDENTIAL);

	it('redacts secrets in nested values and secret-named keys, without changing the original', () => {
		const leaked = {
			message: 'Authorization: ApiKey me@example.org:0123456789abcdef0123456789abcdef01234567 failed',
			headers: { Authorization: 'Basic xyz', 'X-COMMCAREHQ-OTP': '123456', Accept: 'application/json' },
			list: ['password was hunter2-Zq7x!Pw', 42, null],
			form: { api_key: 'k', username: 'me@example.org' },
		};
		const clean = credentials.redactor.value(leaked);
		const text = JSON.stringify(clean);
		expect(text).not.toContain('0123456789abcdef');
		expect(text).not.toContain('hunter2');
		expect(clean.headers).toEqual({
			Authorization: REDACTED,
			'X-COMMCAREHQ-OTP': REDACTED,
			Accept: 'application/json',
		});
		expect(clean.form).toEqual({ api_key: REDACTED, username: 'me@example.org' });
		expect(clean.list).toEqual([`password was ${REDACTED}`, 42, null]);
		expect(leaked.headers.Authorization).toBe('Basic xyz');
	});

	it('redacts an ApiKey header value even for a key it was not told about', () => {
		expect(SHAPE_REDACTOR.text('sent ApiKey someone:abcdef123456, got 401')).toBe(`sent ApiKey ${REDACTED}, got 401`);
	});
});
