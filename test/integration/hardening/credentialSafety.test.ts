/**
 * The credential goes only to the Base URL's origin (not to another origin's status URL, not
 * across a redirect), never shows up in a message, output item, error field or log line (every run here and in the
 * other hardening suites is searched: harness.ts), and TLS certificates are verified unless the credential says
 * otherwise. A second loopback server plays "another origin" and records whatever reaches it; a TLS proxy with a
 * self-signed certificate made at test time (openssl) plays a self-hosted CommCare.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

import type { IDataObject } from 'n8n-workflow';

import type { Emulator } from '../../../emulator';
import { uploadResultItem, uploadToEmulator, xlsxFile, type CreatedUpload } from '../../support/emulator';
import { binaryItem } from '../../support/n8nContext';
import {
	apiKeyCredential,
	basicCredential,
	bulkImport,
	exposedText,
	FAST_POLLING,
	importStatus,
	onlyItem,
	received,
	runScenario,
	SECRET_USER,
	selfSignedCertificate,
	startSecretEmulator,
	thrown,
} from './harness';
import { outcomeTable, plural } from './outcomeTable';

const table = outcomeTable('credentialSafety');
const AREA = 'Credential safety';

let emulator: Emulator;

/** "Another origin": answers everything with a finished status, and records each request with its headers. */
let elsewhere: http.Server;
let elsewhereOrigin: string;
const elsewhereRequests: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders }> = [];

beforeAll(async () => {
	emulator = await startSecretEmulator({ timeline: { queuedPolls: 0, runningPolls: 0 } });
	elsewhere = http.createServer((request, response) => {
		elsewhereRequests.push({ method: request.method, url: request.url, headers: request.headers });
		request.resume();
		response.writeHead(200, { 'Content-Type': 'application/json' });
		response.end(
			'{"code": 200, "message": "success", "status_url": "http://127.0.0.1:1/x", "state": 2, "progress": {"percent": 0}, "result": {"match_count": 0, "created_count": 1, "num_chunks": 1, "errors": []}}',
		);
	});
	await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
	elsewhereOrigin = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
});
afterEach(() => {
	emulator.reset();
	elsewhereRequests.length = 0;
});
afterAll(async () => {
	table.finish();
	await emulator.close();
	elsewhere.closeAllConnections();
	await new Promise((resolve) => elsewhere.close(resolve));
});

const patients = [
	['case_id', 'name'],
	['', 'Asha'],
];

async function upload(credentials: IDataObject = apiKeyCredential(emulator)) {
	return await runScenario({
		node: bulkImport,
		credentials: credentials as never,
		items: [binaryItem(await xlsxFile(patients), 'patients.xlsx')],
		parameters: { projectSpace: 'demo', caseType: 'patient', searchField: 'case_id', unmatchedRows: 'create' },
	});
}

async function queueImport(): Promise<CreatedUpload> {
	const access = {
		baseUrl: emulator.baseUrl,
		domain: 'demo',
		username: SECRET_USER.username,
		apiKey: SECRET_USER.apiKey,
	};
	return await uploadToEmulator(access, { rows: [{ case_id: '', name: 'Asha' }] });
}

function elsewhereLine(): string {
	const withAuth = elsewhereRequests.filter((r) => r.headers.authorization !== undefined).length;
	return `other origin: ${plural(elsewhereRequests.length, 'request')} (${withAuth} with Authorization)`;
}

describe('the credential only goes to the Base URL origin', () => {
	it.each([
		['API key', () => apiKeyCredential(emulator)],
		['Basic', () => basicCredential(emulator)],
	])('a status URL on another origin is never requested (%s)', async (label, credentials) => {
		const upload = await queueImport();
		const foreign = upload.statusUrl.replace(emulator.baseUrl, elsewhereOrigin);
		const result = await runScenario({
			node: importStatus,
			credentials: credentials() as never,
			items: [uploadResultItem({ ...upload, statusUrl: foreign })],
			parameters: FAST_POLLING,
		});
		const json = onlyItem(result, 2);
		expect(json.summary).toBe(
			`Status URL not requested: Refusing to send the CommCare credential to ${elsewhereOrigin}: it is only sent to ${emulator.baseUrl}, the origin of the credential's Base URL`,
		);
		expect(json.description).toBe(
			'A status URL on another server is never followed. If your CommCare server is reached under another address, set the Base URL to that address.',
		);
		expect(elsewhereRequests).toHaveLength(0);
		expect(received(emulator).statusGets).toBe(0);
		table.record({
			id: `credential.foreignStatusUrl.${label === 'Basic' ? 'basic' : 'apiKey'}`,
			area: AREA,
			case: `A status_url on another origin (${label} credential)`,
			userSees: `Error output: ${String(json.summary).split(emulator.baseUrl).join('BASE').split(elsewhereOrigin).join('OTHER')}`,
			advice: json.description as string,
			server: elsewhereLine(),
			lost: 'nothing: the item is on Error saying why; the credential stayed home',
			alsoCoveredBy: [
				'test/integration/CommCareImportStatus/uploadItems.test.ts › a status URL handed out on another origin is never requested; its item goes to Error saying why',
			],
		});
	});

	it('a status poll redirected to another origin: not followed, Error at once', async () => {
		const upload = await queueImport();
		emulator.faults.respond('status', 1, {
			status: 302,
			headers: { Location: `${elsewhereOrigin}/a/demo/importer/history/uploads/${upload.uploadId}/status` },
		});
		const json = onlyItem(
			await runScenario({
				node: importStatus,
				credentials: apiKeyCredential(emulator) as never,
				items: [uploadResultItem(upload)],
				parameters: FAST_POLLING,
			}),
			2,
		);
		expect(json.summary).toBe(
			`Status check failed (HTTP 302): CommCare redirected to another server (${elsewhereOrigin})`,
		);
		expect(json.description).toBe(
			`The credential is only sent to ${emulator.baseUrl}, so the redirect was not followed. If your CommCare server moved, set the credential's Base URL to ${elsewhereOrigin}. The import itself may have finished or may still finish: check CommCare HQ → Data → Import Cases from Excel before uploading the same rows again.`,
		);
		expect(json.polls).toBe(1);
		expect(elsewhereRequests).toHaveLength(0);
		table.record({
			id: 'credential.statusRedirectElsewhere',
			area: AREA,
			case: 'A status poll answered 302 to another origin',
			userSees: `Error output: ${String(json.summary).split(emulator.baseUrl).join('BASE').split(elsewhereOrigin).join('OTHER')}`,
			advice: String(json.description).split(emulator.baseUrl).join('BASE').split(elsewhereOrigin).join('OTHER'),
			server: elsewhereLine(),
			lost: 'nothing: the item is on Error; the credential stayed home',
			alsoCoveredBy: [
				'test/unit/shared/transport/request.test.ts › never follows a redirect to another origin, so the credential stays home',
			],
		});
	});

	it('a status poll redirected within the origin is followed, with the credential', async () => {
		const upload = await queueImport();
		emulator.faults.respond('status', 1, { status: 302, headers: { Location: new URL(upload.statusUrl).pathname } });
		const json = onlyItem(
			await runScenario({
				node: importStatus,
				credentials: apiKeyCredential(emulator) as never,
				items: [uploadResultItem(upload)],
				parameters: FAST_POLLING,
			}),
			0,
		);
		expect(json.summary).toBe('1 patient case created, 0 updated');
		const statusGets = emulator.requests.filter((r) => r.path.endsWith('/status'));
		expect(statusGets).toHaveLength(2);
		expect(
			statusGets.every((r) => r.headers.authorization === `ApiKey ${SECRET_USER.username}:${SECRET_USER.apiKey}`),
		).toBe(true);
		table.record({
			id: 'credential.statusRedirectSameOrigin',
			area: AREA,
			case: 'A status poll answered 302 to a path on the same origin',
			userSees: `Success output: ${json.summary}`,
			server: `${plural(statusGets.length, 'status request')} to the Base URL origin, both authenticated; ${elsewhereLine()}`,
			lost: 'nothing',
		});
	});

	it.each([
		[307, 'another origin', () => `${elsewhereOrigin}/a/demo/importer/excel/bulk_upload_api/`],
		[308, 'the same origin', () => '/a/demo-moved/importer/excel/bulk_upload_api/'],
	])('an upload redirected (HTTP %i) to %s is not followed', async (status, where, location) => {
		emulator.faults.respond('upload', 1, { status, headers: { Location: location() } });
		const error = thrown(await upload());
		const target = new URL(location(), emulator.baseUrl).href;
		if (where === 'another origin') {
			expect(error.message).toBe(
				`CommCare redirected the upload (HTTP ${status}) to ${target}. A redirected upload is not followed: it would arrive as a GET without the file.`,
			);
			expect(error.description).toBe(
				`The server seems to live at ${elsewhereOrigin}: set the credential's Base URL to ${elsewhereOrigin}.`,
			);
		} else {
			expect(error.message).toBe(
				`CommCare redirected the upload (HTTP ${status}) to ${target} instead of accepting it. A redirected upload is not followed: it would arrive as a GET without the file.`,
			);
		}
		expect(elsewhereRequests).toHaveLength(0);
		expect(received(emulator)).toMatchObject({ uploadPosts: 1, importsQueued: 0 });
		const hide = (text: string | null | undefined) =>
			(text ?? '').split(emulator.baseUrl).join('BASE').split(elsewhereOrigin).join('OTHER');
		table.record({
			id: `credential.uploadRedirect.${status}`,
			area: AREA,
			case: `The upload answered ${status} to ${where}`,
			userSees: hide(error.message),
			advice: hide(error.description),
			server: `${plural(received(emulator).uploadPosts, 'upload request')} to the Base URL, 0 imports; ${elsewhereLine()}`,
			lost: 'nothing: nothing was queued, and the credential stayed home',
			alsoCoveredBy: [
				'test/unit/shared/transport/request.test.ts › treats a redirect of the upload as an error and suggests the Base URL from the Location',
			],
		});
	});
});

describe('secrets never appear in what the user or the logs see', () => {
	const header = `ApiKey ${SECRET_USER.username}:${SECRET_USER.apiKey}`;
	const basic = `Basic ${Buffer.from(`${SECRET_USER.username}:${SECRET_USER.password}`).toString('base64')}`;

	it.each([
		[
			'a JSON 500 whose message quotes the Authorization header and the key',
			'apiKey',
			{ status: 500, body: `{"code": 500, "message": "Bad header ${header}; key ${SECRET_USER.apiKey} refused"}` },
		],
		[
			'an HTML 500 page whose title holds the key',
			'apiKey',
			{
				status: 500,
				html: true,
				body: `<!DOCTYPE html><html><head><title>Error for ${SECRET_USER.apiKey}</title></head><body>${header}</body></html>`,
			},
		],
		[
			'a plain-text 400 echoing the Basic header and the password',
			'basicAuth',
			{ status: 400, body: `Rejected: Authorization: ${basic} (password ${SECRET_USER.password})` },
		],
	])('an upload answered with %s: redacted', async (label, authType, response) => {
		emulator.faults.respond('upload', 1, response);
		const result = await upload(authType === 'basicAuth' ? basicCredential(emulator) : apiKeyCredential(emulator));
		const error = thrown(result);
		expect(`${error.message} ${error.description}`).toContain('[redacted]');
		// runScenario already searched everything this run exposed; this checks the search saw the message.
		expect(exposedText(result)).toContain(error.message);
		table.record({
			id: `credential.echoedSecret.${label.split(' ')[1]}${authType === 'basicAuth' ? '.basic' : ''}`,
			area: AREA,
			case: `The upload answered with ${label}`,
			userSees: error.message,
			advice: error.description,
			server: `${plural(received(emulator).uploadPosts, 'upload request')}, 0 imports`,
			lost: 'nothing: the secret is replaced by [redacted] in message, description, error fields and logs',
		});
	});

	it('a status poll answered with a JSON 500 quoting the key: redacted in the Error item', async () => {
		const upload = await queueImport();
		emulator.faults.respond('status', 1, { status: 500, body: `{"code": 500, "message": "boom for ${header}"}` });
		const json = onlyItem(
			await runScenario({
				node: importStatus,
				credentials: apiKeyCredential(emulator) as never,
				items: [uploadResultItem(upload)],
				parameters: FAST_POLLING,
			}),
			2,
		);
		expect(json.summary).toBe('Status check failed (HTTP 500): boom for ApiKey [redacted]');
		table.record({
			id: 'credential.echoedSecret.status',
			area: AREA,
			case: 'A status poll answered with a JSON 500 quoting the Authorization header',
			userSees: `Error output: ${json.summary}`,
			advice: json.description as string,
			server: `${plural(received(emulator).statusGets, 'status request')}`,
			lost: 'nothing: the secret is replaced by [redacted]',
		});
	});

	it('the upload faults again with Basic authentication: the password appears nowhere', async () => {
		const faults: Array<[string, () => void]> = [
			['reset before the body', () => emulator.faults.dropConnection('upload', 1)],
			['reset after queueing', () => emulator.faults.dropConnection('upload', 1, { afterBodyReceived: true })],
			['HTTP 429 every time', () => emulator.faults.respond('upload', 5, { status: 429 })],
			['HTTP 502', () => emulator.faults.respond('upload', 1, { status: 502, html: true })],
			['HTTP 500 page', () => emulator.faults.respond('upload', 1, { status: 500, html: true })],
			['truncated JSON', () => emulator.faults.malformedJson('upload', 1)],
			['wrong password (401)', () => undefined],
		];
		const seen: string[] = [];
		for (const [label, arm] of faults) {
			emulator.reset();
			arm();
			const password = label.startsWith('wrong password') ? `${SECRET_USER.password}-WRONG` : SECRET_USER.password;
			// runScenario searches the error, the outputs and the logs of each run for the password and the header.
			const error = thrown(await upload(basicCredential(emulator, { password })));
			seen.push(`${label}: ${error.message.slice(0, 40)}…`);
		}
		expect(seen).toHaveLength(faults.length);
		table.record({
			id: 'credential.basicUnderFaults',
			area: AREA,
			case: `Basic authentication through ${faults.map(([label]) => label).join(', ')}`,
			userSees: 'The same messages as with an API key; the password and the Basic header value appear in none of them',
			server: 'as in the upload fault rows',
			lost: 'nothing: no secret in any message, description, error field, output item or log line',
		});
	});

	it('a wrong key (401) and a Base URL carrying a password: neither secret is shown', async () => {
		const wrongKey = `${SECRET_USER.apiKey}-WRONG`;
		const denied = thrown(await upload(apiKeyCredential(emulator, { apiKey: wrongKey })));
		expect(denied.message).toBe('CommCare rejected the credential (HTTP 401)');
		expect(denied.description).toContain(`(user '${SECRET_USER.username}')`);
		const withPassword = emulator.baseUrl.replace(
			'http://',
			`http://${encodeURIComponent(SECRET_USER.username)}:${SECRET_USER.password}@`,
		);
		const refused = thrown(await upload(apiKeyCredential(emulator, { baseUrl: withPassword })));
		expect(refused.message).toBe('CommCare API credential: The Base URL must not contain a user name or password');
		expect(received(emulator).uploadPosts).toBe(1);
		table.record({
			id: 'credential.wrongKeyAndUrlPassword',
			area: AREA,
			case: 'A wrong API key; a Base URL with user:password@ in it',
			userSees: `${denied.message} / ${refused.message}`,
			advice: refused.description,
			server: '1 upload request (refused with 401, nothing queued); none for the Base URL with a password',
			lost: 'nothing',
			alsoCoveredBy: [
				'test/integration/CommCareBulkImport/fileSource.test.ts › says the credential was rejected on 401, never showing the key',
			],
		});
	});
});

describe('TLS: certificates are verified unless the credential says otherwise', () => {
	let certificate: ReturnType<typeof selfSignedCertificate>;
	let proxy: https.Server;
	let proxyOrigin: string;
	let tlsEmulator: Emulator;
	let proxiedRequests = 0;
	let connections = 0;

	beforeAll(async () => {
		certificate = selfSignedCertificate();
		// A self-hosted CommCare behind TLS: a proxy with the self-signed certificate in front of an emulator.
		let target = '';
		proxy = https.createServer({ key: certificate.key, cert: certificate.cert }, (request, response) => {
			proxiedRequests += 1;
			const upstream = http.request(
				`${target}${request.url}`,
				{ method: request.method, headers: request.headers },
				(answer) => {
					response.writeHead(answer.statusCode ?? 502, answer.headers);
					answer.pipe(response);
				},
			);
			upstream.on('error', () => response.destroy());
			request.pipe(upstream);
		});
		proxy.on('connection', () => {
			connections += 1;
		});
		await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
		proxyOrigin = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
		tlsEmulator = await startSecretEmulator({
			publicBaseUrl: proxyOrigin,
			timeline: { queuedPolls: 0, runningPolls: 0 },
		});
		target = tlsEmulator.baseUrl;
	});
	beforeEach(() => {
		proxiedRequests = 0;
		connections = 0;
		tlsEmulator.reset();
	});
	afterAll(async () => {
		await tlsEmulator.close();
		proxy.closeAllConnections();
		await new Promise((resolve) => proxy.close(resolve));
		certificate.remove();
	});

	it('a self-signed certificate is refused by default: a clear message, no request sent', async () => {
		const error = thrown(await upload(apiKeyCredential({ baseUrl: proxyOrigin })));
		expect(error.message).toBe(`Could not verify the TLS certificate of ${proxyOrigin} (DEPTH_ZERO_SELF_SIGNED_CERT).`);
		expect(error.description).toBe(
			"For a self-hosted CommCare server with a private certificate, turn on 'Ignore SSL Issues (Insecure)' in the CommCare API credential.",
		);
		// The connection was made, the certificate refused during the handshake: no HTTP request, so no header, went out.
		expect(connections).toBe(1);
		expect(proxiedRequests).toBe(0);
		expect(tlsEmulator.requests).toHaveLength(0);
		table.record({
			id: 'tls.selfSigned.upload',
			area: AREA,
			case: 'Upload to an https server with a self-signed certificate, Ignore SSL Issues off',
			userSees: error.message.replace(proxyOrigin, 'https://127.0.0.1:PORT'),
			advice: error.description,
			server: `${plural(connections, 'TLS connection')} abandoned at the certificate, ${plural(proxiedRequests, 'HTTP request')} (the key never left)`,
			lost: 'nothing: nothing was sent',
			alsoCoveredBy: [
				'test/unit/credentials/CommCareApi.credentials.test.ts › skips certificate checks only when asked to',
			],
		});
	});

	it('a self-signed certificate on status polls: Error at once, not retried until the timeout', async () => {
		const upload = await uploadToEmulator(
			{ baseUrl: tlsEmulator.baseUrl, domain: 'demo', username: SECRET_USER.username, apiKey: SECRET_USER.apiKey },
			{ rows: [{ case_id: '', name: 'Asha' }] },
		);
		expect(upload.statusUrl.startsWith(`${proxyOrigin}/`)).toBe(true);
		const result = await runScenario({
			node: importStatus,
			credentials: apiKeyCredential({ baseUrl: proxyOrigin }) as never,
			items: [uploadResultItem(upload)],
			parameters: { ...FAST_POLLING, timeout: 1 },
		});
		const json = onlyItem(result, 2);
		expect(json).toMatchObject({ polls: 1, timedOut: false });
		expect(json.summary).toBe(
			`Status check failed: Could not verify the TLS certificate of ${proxyOrigin} (DEPTH_ZERO_SELF_SIGNED_CERT)`,
		);
		// What to do, as the upload says it: the credential's switch for a private certificate.
		expect(json.description).toMatch(
			/^For a self-hosted CommCare server with a private certificate, turn on 'Ignore SSL Issues \(Insecure\)'/,
		);
		expect(connections).toBe(1);
		expect(proxiedRequests).toBe(0);
		table.record({
			id: 'tls.selfSigned.status',
			area: AREA,
			case: 'Status polls to an https server with a self-signed certificate, Ignore SSL Issues off',
			userSees: `Error output: ${String(json.summary).replace(proxyOrigin, 'https://127.0.0.1:PORT')}`,
			advice: json.description as string,
			server: `${plural(connections, 'TLS connection')} abandoned at the certificate, ${plural(proxiedRequests, 'HTTP request')}`,
			lost: 'nothing: the item is on Error at once (before this fix it was polled until the timeout)',
		});
	});

	it('with Ignore SSL Issues on, the same server is used: upload and status succeed', async () => {
		const credentials = apiKeyCredential({ baseUrl: proxyOrigin }, { allowUnauthorizedCerts: true });
		const uploaded = await upload(credentials);
		expect(uploaded.error).toBeUndefined();
		expect(uploaded.outputs![0][0].json.status_url).toEqual(
			expect.stringMatching(new RegExp(`^${proxyOrigin}/a/demo/`)),
		);
		const json = onlyItem(
			await runScenario({
				node: importStatus,
				credentials: credentials as never,
				items: uploaded.outputs![0],
				parameters: FAST_POLLING,
			}),
			0,
		);
		expect(json.summary).toBe('1 patient case created, 0 updated');
		expect(tlsEmulator.uploads).toHaveLength(1);
		expect(tlsEmulator.cases.all('demo')).toHaveLength(1);
		table.record({
			id: 'tls.selfSigned.allowed',
			area: AREA,
			case: 'The same server with Ignore SSL Issues (Insecure) on',
			userSees: `Success output: ${json.summary}`,
			server: `${plural(tlsEmulator.uploads.length, 'upload')}, ${plural(proxiedRequests - tlsEmulator.uploads.length, 'status request')} over TLS`,
			lost: 'nothing',
		});
	});
});
