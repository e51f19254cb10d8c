/**
 * The credential test n8n runs when a user saves a `commCareApi` credential, against the emulator: its request's
 * expressions are resolved with `$credentials`, the credential's `authenticate` is applied, and the request is
 * sent the way n8n's request helper sends it.
 */
import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from 'n8n-workflow';

import { CommCareApi } from '../../../credentials/CommCareApi.credentials';
import { type Emulator } from '../../../emulator';
import { emulatorCredential, useEmulator } from '../../support/emulator';
import { n8nHttpRequest } from '../../support/n8nContext';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const credential = new CommCareApi();

/** n8n evaluates `={{ … }}` as JavaScript with `$credentials` in scope; plain strings stay as they are. */
function resolve(value: unknown, credentials: ICredentialDataDecryptedObject): unknown {
	if (typeof value !== 'string' || !value.startsWith('=')) return value;
	return value
		.slice(1)
		.replace(/\{\{([\s\S]+?)\}\}/g, (_m, code: string) =>
			String(new Function('$credentials', `return (${code});`)(credentials)),
		);
}

/** Runs the credential's test request and returns the HTTP status it got. */
async function testCredential(credentials: ICredentialDataDecryptedObject): Promise<{ status: number; body: unknown }> {
	const { request } = credential.test;
	const options: IHttpRequestOptions = {
		url: resolve(request.url, credentials) as string,
		baseURL: resolve(request.baseURL, credentials) as string,
		method: request.method,
		headers: request.headers,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
	};
	const authenticated = await credential.authenticate(credentials, options);
	const response = (await n8nHttpRequest(authenticated)) as { statusCode: number; body: unknown };
	return { status: response.statusCode, body: response.body };
}

/** The message n8n shows for a failed test: the first `responseCode` rule for the status (credentials-tester). */
function shownMessage(status: number): string | undefined {
	for (const rule of credential.test.rules ?? []) {
		if (rule.type === 'responseCode' && rule.properties.value === status) return rule.properties.message;
	}
	return undefined;
}

function apiKey(overrides: ICredentialDataDecryptedObject = {}): ICredentialDataDecryptedObject {
	return emulatorCredential(emulator, overrides);
}

describe('credential test request against the emulator', () => {
	it('passes with the right API key and asks the identity endpoint', async () => {
		const result = await testCredential(apiKey());
		expect(result.status).toBe(200);
		expect(result.body).toMatchObject({ username: emulator.username });
		expect(emulator.requests.map((r) => [r.method, r.path])).toEqual([['GET', '/api/identity/v1/']]);
		expect(emulator.requests[0].headers.authorization).toBe(`ApiKey ${emulator.username}:${emulator.apiKey}`);
	});

	it('fails with a wrong API key (401), and n8n shows where to check or make a key', async () => {
		const { status } = await testCredential(apiKey({ apiKey: 'not-the-key' }));
		expect(status).toBe(401);
		expect(shownMessage(status)).toMatch(/^The username and API key do not match \(HTTP 401\)\./);
		expect(shownMessage(status)).toContain('My Account Settings → API Keys');
	});

	it('fails for a project page pasted as the Base URL (404), and n8n says to enter only the server address', async () => {
		const { status } = await testCredential(
			apiKey({ baseUrl: `${emulator.baseUrl}/a/${emulator.domain}/dashboard/project/` }),
		);
		expect(status).toBe(404);
		expect(shownMessage(status)).toMatch(
			/^No CommCare HQ API at this Base URL \(HTTP 404\)\. Enter only the server address/,
		);
		expect(shownMessage(status)).toContain('the project space goes in the node');
	});

	it('has a message for every refusal a test can meet: 401, 403 and 404', () => {
		for (const status of [401, 403, 404]) expect(shownMessage(status)).toContain(`(HTTP ${status})`);
		expect(shownMessage(403)).toContain('Roles & Permissions');
	});

	it('passes with Basic and the right password, fails with a wrong one', async () => {
		const basic = { authType: 'basicAuth', apiKey: '', password: emulator.password };
		expect((await testCredential(apiKey(basic))).status).toBe(200);
		expect((await testCredential(apiKey({ ...basic, password: 'wrong' }))).status).toBe(401);
	});

	it('tolerates spaces and trailing slashes around the Base URL', async () => {
		expect((await testCredential(apiKey({ baseUrl: `  ${emulator.baseUrl}//  ` }))).status).toBe(200);
		expect(emulator.requests[0].path).toBe('/api/identity/v1/');
	});
});
