/**
 * The credential test n8n runs when a user saves a `commCareApi` credential, against the emulator: its request's
 * expressions are resolved with `$credentials`, the credential's `authenticate` is applied, and the request is
 * sent the way n8n's request helper sends it.
 */
import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from 'n8n-workflow';

import { CommCareApi } from '../../credentials/CommCareApi.credentials';
import { startEmulator, type Emulator } from '../../emulator';
import { n8nHttpRequest } from '../helpers/executionContext';

let emulator: Emulator;
beforeAll(async () => {
	emulator = await startEmulator();
});
afterEach(() => emulator.reset());
afterAll(async () => {
	await emulator.close();
});

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

function apiKey(overrides: ICredentialDataDecryptedObject = {}): ICredentialDataDecryptedObject {
	return {
		baseUrl: emulator.baseUrl,
		authType: 'apiKey',
		username: emulator.username,
		apiKey: emulator.apiKey,
		...overrides,
	};
}

describe('credential test request against the emulator', () => {
	it('passes with the right API key and asks the identity endpoint', async () => {
		const result = await testCredential(apiKey());
		expect(result.status).toBe(200);
		expect(result.body).toMatchObject({ username: emulator.username });
		expect(emulator.requests.map((r) => [r.method, r.path])).toEqual([['GET', '/api/identity/v1/']]);
		expect(emulator.requests[0].headers.authorization).toBe(`ApiKey ${emulator.username}:${emulator.apiKey}`);
	});

	it('fails with a wrong API key (401)', async () => {
		expect((await testCredential(apiKey({ apiKey: 'not-the-key' }))).status).toBe(401);
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
