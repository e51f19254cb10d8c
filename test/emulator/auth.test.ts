/**
 * The emulator's authentication and permission answers (docs/commcare-api.md §2) and the identity endpoints, over real HTTP.
 */
import { userIdOf, type Emulator } from '../../emulator';
import { apiKeyHeader, postUpload, send, uploadForm, uploadUrl, xlsxFile, useEmulator } from '../support/emulator';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const basic = (user: string, password: string): Record<string, string> => ({
	Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

async function validParts(): Promise<{ file: { name: string; data: Buffer }; fields: Record<string, string> }> {
	return {
		file: {
			name: 'cases.xlsx',
			data: await xlsxFile([
				['case_id', 'name'],
				['', 'Alice'],
			]),
		},
		fields: { case_type: 'patient', create_new_cases: 'on' },
	};
}

describe('upload endpoint: method, then authentication, then permission', () => {
	test('a GET is refused with 405 and Allow: POST before credentials are looked at', async () => {
		const answer = await send(uploadUrl(emulator));
		expect(answer.status).toBe(405);
		expect(answer.headers.get('allow')).toBe('POST');
		expect(answer.text).toBe('');
	});

	test('no credentials: 401 with a Digest challenge and a non-JSON body', async () => {
		const answer = await postUpload(emulator, await validParts(), { headers: {} });
		expect(answer.status).toBe(401);
		expect(answer.headers.get('www-authenticate')).toMatch(/^Digest /);
		expect(() => JSON.parse(answer.text)).toThrow();
	});

	test('a wrong API key: empty 401 without a challenge', async () => {
		const answer = await postUpload(emulator, await validParts(), {
			headers: { Authorization: `ApiKey ${emulator.username}:wrong-key` },
		});
		expect(answer.status).toBe(401);
		expect(answer.text).toBe('');
		expect(answer.headers.get('www-authenticate')).toBeNull();
	});

	test('an unknown user with an API key: empty 401', async () => {
		const answer = await postUpload(emulator, await validParts(), {
			headers: { Authorization: 'ApiKey nobody@example.org:x' },
		});
		expect(answer.status).toBe(401);
		expect(answer.text).toBe('');
	});

	test('the ApiKey scheme keyword is case-insensitive and the key is split on the first colon', async () => {
		const answer = await postUpload(emulator, await validParts(), {
			headers: { Authorization: `aPiKeY ${emulator.username}:${emulator.apiKey}` },
		});
		expect(answer.status).toBe(200);
	});

	test('an ApiKey header without a colon: 400 "Bad HTTP_AUTHORIZATION header"', async () => {
		const answer = await postUpload(emulator, await validParts(), { headers: { Authorization: 'ApiKey just-a-key' } });
		expect(answer.status).toBe(400);
		expect(answer.text.startsWith('Bad HTTP_AUTHORIZATION header')).toBe(true);
	});

	test('Basic with the real password is accepted', async () => {
		const answer = await postUpload(emulator, await validParts(), {
			headers: basic(emulator.username, emulator.password),
		});
		expect(answer.status).toBe(200);
	});

	test('Basic with the API key as password is refused: empty 401 with a Basic challenge', async () => {
		const answer = await postUpload(emulator, await validParts(), {
			headers: basic(emulator.username, emulator.apiKey),
		});
		expect(answer.status).toBe(401);
		expect(answer.text).toBe('');
		expect(answer.headers.get('www-authenticate')).toBe('Basic realm=""');
	});

	test('a Bearer token (not supported here): empty 401', async () => {
		const answer = await postUpload(emulator, await validParts(), { headers: { Authorization: 'Bearer abc' } });
		expect(answer.status).toBe(401);
		expect(answer.text).toBe('');
	});

	test('username and api_key as multipart fields work when no Authorization header is sent', async () => {
		const parts = await validParts();
		parts.fields = { ...parts.fields, username: emulator.username, api_key: emulator.apiKey };
		const answer = await postUpload(emulator, parts, { headers: {} });
		expect(answer.status).toBe(200);
	});

	test('username and api_key in the query string work too', async () => {
		const query = `?username=${encodeURIComponent(emulator.username)}&api_key=${emulator.apiKey}`;
		const answer = await send(uploadUrl(emulator) + query, { method: 'POST', body: uploadForm(await validParts()) });
		expect(answer.status).toBe(200);
	});

	test('wrong api_key in form fields: empty 401', async () => {
		const parts = await validParts();
		parts.fields = { ...parts.fields, username: emulator.username, api_key: 'nope' };
		const answer = await postUpload(emulator, parts, { headers: {} });
		expect(answer.status).toBe(401);
		expect(answer.text).toBe('');
	});

	test('a user who is not a member of the project: empty 403', async () => {
		const answer = await postUpload(emulator, await validParts(), {
			headers: { Authorization: 'ApiKey outsider@example.org:outsider-key' },
		});
		expect(answer.status).toBe(403);
		expect(answer.text).toBe('');
		expect(emulator.imports.size).toBe(0);
	});

	test('unauthenticated uploads are recorded as requests only', async () => {
		await postUpload(emulator, await validParts(), { headers: { Authorization: 'ApiKey nobody:x' } });
		expect(emulator.requests).toHaveLength(1);
		expect(emulator.uploads).toHaveLength(0);
	});

	test('a project space that does not exist: empty 403', async () => {
		const answer = await postUpload(emulator, await validParts(), { domain: 'no-such-project' });
		expect(answer.status).toBe(403);
		expect(answer.text).toBe('');
	});

	test('a member without Edit Data: 403 HTML page', async () => {
		const answer = await postUpload(emulator, await validParts(), {
			headers: { Authorization: 'ApiKey viewer@example.org:viewer-key' },
		});
		expect(answer.status).toBe(403);
		expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
		expect(answer.text).toMatch(/<html/i);
		// authenticated, so recorded; but nothing was imported
		expect(emulator.uploads).toHaveLength(1);
		expect(emulator.uploads[0].status).toBe(403);
		expect(emulator.imports.size).toBe(0);
	});

	test('a member without Edit Data, XHR request: the plain-text sentence', async () => {
		const answer = await postUpload(emulator, await validParts(), {
			headers: { Authorization: 'ApiKey viewer@example.org:viewer-key', 'X-Requested-With': 'XMLHttpRequest' },
		});
		expect(answer.status).toBe(403);
		expect(answer.text).toBe("Sorry, you don't have permission to do this action!");
	});

	test('a mobile worker with Edit Data may upload; the cases it creates are owned by it', async () => {
		const answer = await postUpload(emulator, await validParts(), {
			headers: { Authorization: 'ApiKey worker@demo.commcarehq.org:worker-key' },
		});
		expect(answer.status).toBe(200);
		const [created] = emulator.cases.all('demo');
		expect(created.owner_id).toBe(userIdOf('worker@demo.commcarehq.org'));
	});

	test('the upload path without its trailing slash: Django APPEND_SLASH HTML 500 on POST', async () => {
		const answer = await send(uploadUrl(emulator).replace(/\/$/, ''), {
			method: 'POST',
			body: uploadForm(await validParts()),
			headers: apiKeyHeader(emulator),
		});
		expect(answer.status).toBe(500);
		expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
		expect(answer.text).toContain('APPEND_SLASH');
		expect(emulator.uploads).toHaveLength(0);
		expect(emulator.imports.size).toBe(0);
	});
});

describe('status endpoint: authentication, then method, then permission', () => {
	const someId = '0b6f8d1e-3c1a-4d2b-9f4e-2a1b3c4d5e6f';
	const statusUrl = (domain = 'demo') => `${emulator.baseUrl}/a/${domain}/importer/history/uploads/${someId}/status`;

	test('no credentials: 401 Digest challenge even for a POST (auth comes before the method check)', async () => {
		const answer = await send(statusUrl(), { method: 'POST' });
		expect(answer.status).toBe(401);
		expect(answer.headers.get('www-authenticate')).toMatch(/^Digest /);
	});

	test('authenticated POST: 405 with Allow: GET', async () => {
		const answer = await send(statusUrl(), { method: 'POST', headers: apiKeyHeader(emulator) });
		expect(answer.status).toBe(405);
		expect(answer.headers.get('allow')).toBe('GET');
		expect(answer.text).toBe('');
	});

	test('a non-member POSTing gets 403 (membership is part of authentication)', async () => {
		const answer = await send(statusUrl(), {
			method: 'POST',
			headers: { Authorization: 'ApiKey outsider@example.org:outsider-key' },
		});
		expect(answer.status).toBe(403);
	});

	test('a member without Edit Data POSTing gets 405 (method before permission), GETting gets 403 HTML', async () => {
		const viewer = { Authorization: 'ApiKey viewer@example.org:viewer-key' };
		expect((await send(statusUrl(), { method: 'POST', headers: viewer })).status).toBe(405);
		const answer = await send(statusUrl(), { headers: viewer });
		expect(answer.status).toBe(403);
		expect(answer.text).toMatch(/<html/i);
	});

	test('an unknown upload id: empty 404', async () => {
		const answer = await send(statusUrl(), { headers: apiKeyHeader(emulator) });
		expect(answer.status).toBe(404);
		expect(answer.text).toBe('');
	});
});

describe('identity endpoints', () => {
	test('a web user gets exactly id, username, first_name, last_name, email (tastypie sorts keys)', async () => {
		const answer = await send(`${emulator.baseUrl}/api/identity/v1/`, { headers: apiKeyHeader(emulator) });
		expect(answer.status).toBe(200);
		expect(answer.headers.get('content-type')).toBe('application/json');
		const body = JSON.parse(answer.text);
		expect(Object.keys(body).sort()).toEqual(['email', 'first_name', 'id', 'last_name', 'username']);
		expect(body.username).toBe(emulator.username);
		expect(answer.text).toBe(
			`{"email": "demo@example.org", "first_name": "Demo", "id": "${body.id}", "last_name": "User", "username": "demo@example.org"}`,
		);
	});

	test('the v0.5 path answers the same, and Basic auth works there', async () => {
		const answer = await send(`${emulator.baseUrl}/api/v0.5/identity/`, {
			headers: basic(emulator.username, emulator.password),
		});
		expect(answer.status).toBe(200);
		expect(JSON.parse(answer.text).username).toBe(emulator.username);
	});

	test('a mobile worker with valid credentials gets an empty 401', async () => {
		const answer = await send(`${emulator.baseUrl}/api/identity/v1/`, {
			headers: { Authorization: 'ApiKey worker@demo.commcarehq.org:worker-key' },
		});
		expect(answer.status).toBe(401);
		expect(answer.text).toBe('');
	});

	test.each([
		['no credentials', {}],
		['a wrong key', { Authorization: 'ApiKey demo@example.org:wrong' }],
		['a malformed ApiKey header', { Authorization: 'ApiKey demo@example.org' }],
	])('%s: empty 401', async (_label, headers) => {
		const answer = await send(`${emulator.baseUrl}/api/identity/v1/`, { headers });
		expect(answer.status).toBe(401);
		expect(answer.text).toBe('');
	});

	test('identity does not check project membership or permissions', async () => {
		const answer = await send(`${emulator.baseUrl}/api/identity/v1/`, {
			headers: { Authorization: 'ApiKey outsider@example.org:outsider-key' },
		});
		expect(answer.status).toBe(200);
	});

	test('query-string credentials work on identity', async () => {
		const answer = await send(
			`${emulator.baseUrl}/api/identity/v1/?format=json&username=${encodeURIComponent(emulator.username)}&api_key=${emulator.apiKey}`,
		);
		expect(answer.status).toBe(200);
	});
});
