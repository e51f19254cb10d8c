/**
 * Pure logic of nodes/shared/transport/ and errors.ts: URL building and validation, the same-origin rule,
 * response normalisation, retry classification, Retry-After, back-off and secret redaction.
 */
import { NodeApiError } from 'n8n-workflow';

import { n8nHttpRequest } from '../support/n8nContext';
import { describeBody, htmlToPlainText } from '../../nodes/shared/responseText';
import { REDACTED, SHAPE_REDACTOR } from '../../nodes/shared/redaction';
import { validateProjectSpace } from '../../nodes/CommCareBulkImport/projectSpace';
import {
	checkedRequestUrl,
	bulkUploadUrl,
	insecureBaseUrlWarning,
	normalizeBaseUrl,
	projectSpaceFromUrl,
} from '../../nodes/shared/transport/addresses';
import { commCareCredentialsFrom } from '../../nodes/shared/transport/credentials';
import { classifyNetworkError } from '../../nodes/shared/transport/networkFailure';
import { normalizeResponse } from '../../nodes/shared/transport/response';
import {
	backoffDelayMs,
	DEFAULT_RETRY_POLICY,
	isRetryableStatus,
	parseRetryAfterMs,
	shouldRetryNetworkFailure,
} from '../../nodes/shared/transport/retryPolicy';
import http from 'http';
import type { AddressInfo } from 'net';

const node = {
	id: '1',
	name: 'CommCare Bulk Import',
	type: 'test',
	typeVersion: 1,
	position: [0, 0] as [number, number],
	parameters: {},
};

describe('normalizeBaseUrl', () => {
	it.each([
		['https://www.commcarehq.org', 'https://www.commcarehq.org'],
		['  https://www.commcarehq.org/// ', 'https://www.commcarehq.org'],
		['HTTPS://India.CommCareHQ.org/', 'https://india.commcarehq.org'],
		['https://example.org:8443/commcare/', 'https://example.org:8443/commcare'],
		['https://example.org:443/', 'https://example.org'],
		['http://127.0.0.1:8000', 'http://127.0.0.1:8000'],
	])('%s -> %s', (raw, expected) => {
		expect(normalizeBaseUrl(raw)).toBe(expected);
	});

	it.each([
		['', /no Base URL/],
		['www.commcarehq.org', /does not start with https:\/\/.*/],
		['ftp://example.org', /must start with https:\/\/ \(found 'ftp:\/\/'\)/],
		['https://example.org/?x=1', /query or fragment/],
		['https://example.org/#top', /query or fragment/],
		['https://www.commcarehq.org/a/demo/dashboard/', /points into project space 'demo'/],
		['https://exa mple.org', /not a valid web address/],
	])('refuses %j', (raw, message) => {
		expect(() => normalizeBaseUrl(raw)).toThrow(message);
	});

	it('suggests the https form when the scheme is missing', () => {
		expect(() => normalizeBaseUrl('www.commcarehq.org')).toThrow(
			expect.objectContaining({ description: expect.stringContaining('https://www.commcarehq.org') }),
		);
	});

	it('refuses user:password in the URL without echoing the password', () => {
		let message = '';
		try {
			normalizeBaseUrl('https://me:s3cret-pass@example.org');
		} catch (error) {
			message = (error as Error).message + String((error as { description?: string }).description);
		}
		expect(message).toMatch(/must not contain a user name or password/);
		expect(message).not.toContain('s3cret-pass');
	});

	it('warns about plain http except on loopback', () => {
		expect(insecureBaseUrlWarning('http://commcare.example.org')).toMatch(/plain http/);
		expect(insecureBaseUrlWarning('https://commcare.example.org')).toBeUndefined();
		expect(insecureBaseUrlWarning('http://127.0.0.1:9000')).toBeUndefined();
		expect(insecureBaseUrlWarning('http://localhost:9000')).toBeUndefined();
	});
});

describe('project space and upload URL', () => {
	it('builds the upload URL with its trailing slash, keeping a path prefix', () => {
		expect(bulkUploadUrl(normalizeBaseUrl('https://www.commcarehq.org/'), validateProjectSpace('demo'))).toBe(
			'https://www.commcarehq.org/a/demo/importer/excel/bulk_upload_api/',
		);
		expect(
			bulkUploadUrl(normalizeBaseUrl('https://example.org/commcare'), validateProjectSpace(' my-project-2 ')),
		).toBe('https://example.org/commcare/a/my-project-2/importer/excel/bulk_upload_api/');
	});

	it('accepts legacy names with dots and underscores', () => {
		expect(validateProjectSpace('old_project.v1')).toBe('old_project.v1');
	});

	it('suggests the lower-case form of an upper-case name', () => {
		expect(() => validateProjectSpace('MyProject')).toThrow(
			"has upper-case letters; CommCare project space names are lower case: type 'myproject'",
		);
	});

	it('names the characters found and suggests a name for spaces', () => {
		expect(() => validateProjectSpace('My Project')).toThrow(/found a space\)\. Did you mean 'my-project'\?/);
	});

	it.each([
		['', /is empty/],
		['   ', /is empty/],
		['demo/../admin', /found '\/', '\.\.'/],
		['..', /found '\.\.'/],
		['-demo', /not a CommCare project space name/],
	])('refuses %j', (raw, message) => {
		expect(() => validateProjectSpace(raw)).toThrow(message);
	});

	it('recognises a pasted CommCare address and names the project space in it', () => {
		expect(() => validateProjectSpace('https://www.commcarehq.org/a/demo/dashboard/')).toThrow(
			"looks like an address: type just the name, 'demo'",
		);
	});

	it('reads the project space from a status URL', () => {
		expect(projectSpaceFromUrl('https://x.org/a/demo/importer/history/uploads/abc/status')).toBe('demo');
		expect(projectSpaceFromUrl('https://x.org/api/identity/v1/')).toBeUndefined();
		expect(projectSpaceFromUrl('not a url')).toBeUndefined();
	});
});

describe('checkedRequestUrl', () => {
	const base = normalizeBaseUrl('https://www.commcarehq.org');

	it('accepts URLs on the Base URL origin, default port or not', () => {
		expect(checkedRequestUrl('https://www.commcarehq.org/a/demo/x/status', base)).toBe(
			'https://www.commcarehq.org/a/demo/x/status',
		);
		expect(checkedRequestUrl('https://WWW.commcarehq.org:443/a/demo/', base)).toBe(
			'https://www.commcarehq.org/a/demo/',
		);
	});

	it("resolves a path on the server against the Base URL's origin", () => {
		expect(checkedRequestUrl('/a/demo/status', base)).toBe('https://www.commcarehq.org/a/demo/status');
		expect(checkedRequestUrl('/a/demo/status', normalizeBaseUrl('https://example.org/commcare'))).toBe(
			'https://example.org/a/demo/status',
		);
	});

	it.each([
		[
			'https://evil.example.org/a/demo/status',
			/Refusing to send the CommCare credential to https:\/\/evil\.example\.org/,
		],
		[
			'http://www.commcarehq.org/a/demo/status',
			/Refusing to send the CommCare credential to http:\/\/www\.commcarehq\.org/,
		],
		['https://www.commcarehq.org:8443/a/demo/status', /Refusing/],
		['file:///etc/passwd', /not an http\(s\) address/],
		['http://[::1', /is not a valid web address/],
		[
			'not a url',
			/is not a web address: it must be absolute \(https:\/\/…\) or a path on the CommCare server \(\/a\/…\)/,
		],
		['//evil.example.org/a/demo/status', /Refusing to send the CommCare credential to https:\/\/evil\.example\.org/],
		['https://www.commcarehq.org/a/demo/%zz/status', /'%' that is not followed by two hex digits/],
		['https://me:pw@www.commcarehq.org/a/demo/status', /contains a user name or password/],
	])('refuses %s', (url, message) => {
		expect(() => checkedRequestUrl(url, base)).toThrow(message);
	});

	it('never repeats a query or a password in its message', () => {
		for (const url of [
			'https://evil.example.org/x?api_key=k-123456789',
			'https://me:pa/ss-9876543@www.commcarehq.org/x',
		]) {
			let message = '';
			try {
				checkedRequestUrl(url, base);
			} catch (error) {
				message = `${(error as Error).message} ${(error as { description?: string }).description ?? ''}`;
			}
			expect(message).not.toBe('');
			expect(message).not.toContain('k-123456789');
			expect(message).not.toContain('9876543');
		}
	});
});

describe('normalizeResponse', () => {
	const url = 'https://x.org/a/demo/';

	it('takes a parsed object as JSON', () => {
		const response = normalizeResponse(
			{ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: { code: 200 } },
			url,
		);
		expect(response).toMatchObject({
			statusCode: 200,
			json: { code: 200 },
			text: '{"code":200}',
			isHtml: false,
			url,
			attempts: 1,
		});
		expect(response.headers['content-type']).toBe('application/json');
	});

	it('parses a JSON string and a JSON Buffer', () => {
		const body = '{"code": 500, "message": "Error: x"}';
		expect(
			normalizeResponse({ statusCode: 500, headers: { 'content-type': 'application/json' }, body }, url).json,
		).toEqual({ code: 500, message: 'Error: x' });
		expect(normalizeResponse({ statusCode: 500, headers: {}, body: Buffer.from(body) }, url).json).toEqual({
			code: 500,
			message: 'Error: x',
		});
		const arrayBuffer = new Uint8Array(Buffer.from(body)).buffer;
		expect(normalizeResponse({ statusCode: 500, headers: {}, body: arrayBuffer }, url).text).toBe(body);
	});

	it('marks HTML pages and never parses them', () => {
		const page = '<!DOCTYPE html><html><head><title>403 Forbidden</title></head><body>No</body></html>';
		const response = normalizeResponse(
			{ statusCode: 403, headers: { 'content-type': 'text/html; charset=utf-8' }, body: page },
			url,
		);
		expect(response).toMatchObject({ isHtml: true, json: undefined, text: page });
		expect(normalizeResponse({ statusCode: 500, headers: {}, body: page }, url).isHtml).toBe(true);
	});

	it('handles empty bodies and header objects with toJSON (AxiosHeaders)', () => {
		const headers = { toJSON: () => ({ Allow: 'POST', 'Set-Cookie': ['a=1', 'b=2'] }) };
		const response = normalizeResponse({ statusCode: 405, headers, body: '' }, url);
		expect(response).toMatchObject({ text: '', json: undefined, isHtml: false });
		expect(response.headers).toEqual({ allow: 'POST', 'set-cookie': 'a=1, b=2' });
	});
});

describe('retry rules', () => {
	it('retries transient statuses for idempotent requests only, and 429/503 for the upload', () => {
		for (const status of [429, 502, 503, 504]) expect(isRetryableStatus(status, true)).toBe(true);
		for (const status of [200, 301, 400, 401, 403, 404, 405, 500]) expect(isRetryableStatus(status, true)).toBe(false);
		expect([429, 502, 503, 504].filter((s) => isRetryableStatus(s, false))).toEqual([429, 503]);
	});

	it('resends the upload only when it certainly was not received', () => {
		expect(shouldRetryNetworkFailure('notSent', false)).toBe(true);
		expect(shouldRetryNetworkFailure('maybeSent', false)).toBe(false);
		expect(shouldRetryNetworkFailure('maybeSent', true)).toBe(true);
		for (const kind of ['hostNotFound', 'certificate', 'cancelled'] as const) {
			expect(shouldRetryNetworkFailure(kind, true)).toBe(false);
		}
	});

	it('parses Retry-After in seconds and as an HTTP date', () => {
		const now = Date.parse('2026-01-01T00:00:00Z');
		expect(parseRetryAfterMs('120', now)).toBe(120_000);
		expect(parseRetryAfterMs(' 0 ', now)).toBe(0);
		expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
		expect(parseRetryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
		expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
		expect(parseRetryAfterMs('soon', now)).toBeUndefined();
		expect(parseRetryAfterMs('-5', now)).toBeUndefined();
	});

	it('backs off exponentially between half and all of the ceiling, capped', () => {
		const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1000, maxDelayMs: 5000 };
		expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, policy, () => 1))).toEqual([1000, 2000, 4000, 5000]);
		expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, policy, () => 0))).toEqual([500, 1000, 2000, 2500]);
	});
});

describe('classifyNetworkError', () => {
	/** A real axios error from n8n's request path, wrapped the way httpRequestWithAuthentication wraps it. */
	async function realFailure(url: string, timeout?: number): Promise<unknown> {
		try {
			await n8nHttpRequest({ url, method: 'GET', timeout });
		} catch (error) {
			return new NodeApiError(node, error as never);
		}
		throw new Error('the request unexpectedly succeeded');
	}

	async function withServer(handler: http.RequestListener, run: (url: string) => Promise<void>) {
		const server = http.createServer(handler);
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		try {
			await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
		} finally {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		}
	}

	it('connection refused: not sent', async () => {
		const server = http.createServer();
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const port = (server.address() as AddressInfo).port;
		await new Promise((resolve) => server.close(resolve));
		expect(classifyNetworkError(await realFailure(`http://127.0.0.1:${port}/`))).toMatchObject({
			kind: 'notSent',
			code: 'ECONNREFUSED',
		});
	});

	it('socket hang up: maybe sent', async () => {
		await withServer(
			(req) => req.socket.destroy(),
			async (url) => {
				expect(classifyNetworkError(await realFailure(url))).toMatchObject({ kind: 'maybeSent', code: 'ECONNRESET' });
			},
		);
	});

	it('timeout: maybe sent', async () => {
		await withServer(
			() => undefined,
			async (url) => {
				expect(classifyNetworkError(await realFailure(url, 50))).toMatchObject({
					kind: 'maybeSent',
					code: 'ECONNABORTED',
				});
			},
		);
	});

	it('recognises DNS, certificate and cancellation errors, unwrapped or in a cause', () => {
		const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
		expect(classifyNetworkError(withCode('getaddrinfo ENOTFOUND x.invalid', 'ENOTFOUND'))?.kind).toBe('hostNotFound');
		expect(classifyNetworkError(withCode('getaddrinfo EAI_AGAIN x', 'EAI_AGAIN'))?.kind).toBe('notSent');
		expect(
			classifyNetworkError(
				Object.assign(new Error('wrapped'), {
					cause: withCode('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'),
				}),
			)?.kind,
		).toBe('certificate');
		expect(classifyNetworkError(withCode('canceled', 'ERR_CANCELED'))?.kind).toBe('cancelled');
		expect(
			classifyNetworkError(Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }))?.kind,
		).toBe('cancelled');
	});

	it('leaves other errors alone', () => {
		expect(
			classifyNetworkError(new Error('Node does not have any credentials of type "commCareApi" set')),
		).toBeUndefined();
		expect(classifyNetworkError(new TypeError('x is not a function'))).toBeUndefined();
	});
});

describe('secrets', () => {
	const credentials = commCareCredentialsFrom({
		baseUrl: 'https://www.commcarehq.org/',
		authType: 'apiKey',
		username: ' me@example.org ',
		apiKey: ' 0123456789abcdef0123456789abcdef01234567 ',
		password: 'hunter2-Zq7x!Pw',
	});

	it('tidies the Base URL and username, and knows the key and password to redact', () => {
		expect(credentials.baseUrl).toBe('https://www.commcarehq.org');
		expect(credentials.username).toBe('me@example.org');
		const text = credentials.redactor.text(
			`key 0123456789abcdef0123456789abcdef01234567, password hunter2-Zq7x!Pw, basic ${Buffer.from('me@example.org:hunter2-Zq7x!Pw').toString('base64')}`,
		);
		expect(text).toBe(`key ${REDACTED}, password ${REDACTED}, basic ${REDACTED}`);
	});

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

	it('turns an HTML message into plain text that keeps the link address', () => {
		expect(htmlToPlainText('See <a target="_blank" href="https://x.org/doc">case property names</a>. Fix: a b.')).toBe(
			'See case property names (https://x.org/doc). Fix: a b.',
		);
	});
});
