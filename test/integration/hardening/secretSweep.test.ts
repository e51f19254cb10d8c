/**
 * No piece of a secret reaches anything the nodes output, throw or log, on any failure path.
 *
 * Every failure kind of both nodes is driven against the emulator (and a TLS server with a self-signed certificate):
 * 401, 403, 404, 405, 429, 500, 502 and 503 with JSON, HTML, text and empty bodies that echo the credential in every
 * shape seen to leak before (the header, the bare secret with a line break, a run of spaces, a tab, a tag or an
 * entity inside it, a page title long enough to be cut, percent-encoded), redirects whose Location carries it, 200
 * answers that are not what they should be, network and TLS failures, and Base URLs with a login or a key in them;
 * with an API key and with Basic, Continue On Fail on and off. Each run's whole exposure (output items, every own
 * field of the thrown error and of error items, log lines) is searched for every 8-character piece of the key, the
 * password (double space, tab, `/`, `&`, `<`, `"` in it) and both base64 header values.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';

import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { startEmulator, DEFAULT_USERS, type Emulator } from '../../../emulator';
import { emulatorCredential, uploadResultItem, uploadToEmulator, xlsxFile } from '../../support/emulator';
import { binaryItem } from '../../support/n8nContext';
import { secretNeedles } from '../../support/secrets';
import {
	bulkImport,
	closedPort,
	exposedText,
	expectNoSecrets,
	importStatus,
	runCapturing,
	selfSignedCertificate,
	SWEEP_USER,
	type RunResult,
} from './harness';
import { outcomeTable } from './outcomeTable';

const table = outcomeTable('secretSweep');
const AREA = 'Secrets on every failure path';

const USER = SWEEP_USER;
const NEEDLES = secretNeedles(USER);
const BASIC = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`;
const API_KEY_HEADER = `ApiKey ${USER.username}:${USER.apiKey}`;

type AuthKind = 'apiKey' | 'basicAuth';
const AUTH_KINDS: AuthKind[] = ['apiKey', 'basicAuth'];

let emulator: Emulator;
let runs = 0;

beforeAll(async () => {
	emulator = await startEmulator({
		users: [{ ...USER, domains: ['demo'], firstName: 'Sweep', lastName: 'User' }, ...DEFAULT_USERS],
		timeline: { queuedPolls: 0, runningPolls: 0 },
	});
});
afterEach(() => emulator.reset());
afterAll(async () => {
	table.finish();
	await emulator.close();
});

function credential(kind: AuthKind, overrides: IDataObject = {}): IDataObject {
	const fields = overrides as ICredentialDataDecryptedObject;
	return emulatorCredential({ ...USER, baseUrl: emulator.baseUrl }, { authType: kind, ...fields });
}

/** The credential echoed in every shape that leaked before. */
function echoes(kind: AuthKind): string[] {
	const header = kind === 'apiKey' ? API_KEY_HEADER : BASIC;
	const secret = kind === 'apiKey' ? USER.apiKey : USER.password;
	return [
		`Authorization: ${header}`,
		`rejected credential ${secret}`,
		`broken over lines\n${secret.slice(0, 12)}\n${secret.slice(12)}`,
		`spaced    ${header}\t\tand tabbed`,
		`<b>${secret.slice(0, 5)}</b>${secret.slice(5)}`,
		secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'),
		`url-encoded ${encodeURIComponent(secret)}`,
	];
}

type BodyKind = 'json' | 'html' | 'text' | 'empty';
const BODY_KINDS: BodyKind[] = ['json', 'html', 'text', 'empty'];

function body(kind: BodyKind, auth: AuthKind, status: number): { body: string; headers: Record<string, string> } {
	const shapes = echoes(auth);
	const header = auth === 'apiKey' ? API_KEY_HEADER : BASIC;
	switch (kind) {
		case 'json':
			return {
				body: JSON.stringify({ code: status, message: shapes.join(' | '), error: shapes.join(' | ') }),
				headers: { 'Content-Type': 'application/json' },
			};
		case 'html':
			return {
				// The title is long: a 120-character cut before redaction left a prefix of the header.
				body: `<!DOCTYPE html><html><head><title>${'Server trouble '.repeat(7)}${header}</title></head><body><p>${shapes.join('</p><p>')}</p></body></html>`,
				headers: { 'Content-Type': 'text/html; charset=utf-8' },
			};
		case 'text':
			return { body: shapes.join('\n'), headers: { 'Content-Type': 'text/plain' } };
		case 'empty':
			return { body: '', headers: {} };
	}
}

/** Runs a node and fails on any secret piece in what it exposed. */
async function sweep(options: Parameters<typeof runCapturing>[0]): Promise<RunResult> {
	const result = await runCapturing(options);
	runs += 1;
	expectNoSecrets(result, NEEDLES);
	// The search saw what the user sees: a message, or output items.
	expect(exposedText(result).length).toBeGreaterThan(0);
	return result;
}

let patients: Buffer;
beforeAll(async () => {
	patients = await xlsxFile([
		['case_id', 'name'],
		['', 'Asha'],
	]);
});

async function upload(auth: AuthKind, continueOnFail: boolean, overrides: IDataObject = {}): Promise<RunResult> {
	return await sweep({
		node: bulkImport,
		credentials: credential(auth, overrides) as never,
		items: [binaryItem(patients, 'patients.xlsx')],
		parameters: { projectSpace: 'demo', caseType: 'patient', searchField: 'case_id', unmatchedRows: 'create' },
		continueOnFail,
	});
}

async function uploadItems(auth: AuthKind): Promise<RunResult> {
	return await sweep({
		node: bulkImport,
		credentials: credential(auth) as never,
		items: [{ json: { case_id: '', name: 'Asha' } }, { json: { case_id: '', name: 'Bola' } }],
		parameters: {
			projectSpace: 'demo',
			caseType: 'patient',
			searchField: 'case_id',
			unmatchedRows: 'create',
			source: 'items',
			output: 'perRecord',
		},
		continueOnFail: true,
	});
}

async function poll(auth: AuthKind, statusUrl?: string): Promise<RunResult> {
	const queued = await uploadToEmulator(
		{ baseUrl: emulator.baseUrl, domain: 'demo', username: USER.username, apiKey: USER.apiKey },
		{ rows: [{ case_id: '', name: 'Asha' }] },
	);
	return await sweep({
		node: importStatus,
		credentials: credential(auth) as never,
		items: [uploadResultItem({ ...queued, statusUrl: statusUrl ?? queued.statusUrl })],
		// Timeout 0: one look. Transient answers then end the wait at once (as "timed out", with the last problem).
		parameters: { pollInterval: 0.05, timeout: 0, simplify: false },
	});
}

function shown(result: RunResult): string {
	return result.error ? `${result.error.message} ${result.error.description ?? ''}` : JSON.stringify(result.outputs);
}

const STATUSES = [401, 403, 404, 405, 429, 500, 502, 503];

describe('the upload answered with an error that echoes the credential', () => {
	it.each(
		AUTH_KINDS.flatMap((auth) => STATUSES.flatMap((status) => BODY_KINDS.map((kind) => [auth, status, kind] as const))),
	)('%s: HTTP %i with a %s body, Continue On Fail off and on', async (auth, status, kind) => {
		for (const continueOnFail of [false, true]) {
			emulator.reset();
			emulator.faults.respond('upload', 5, { status, ...body(kind, auth, status) });
			const result = await upload(auth, continueOnFail);
			if (continueOnFail) expect(result.outputs?.[0][0].json.error).toEqual(expect.any(String));
			else expect(result.error?.message).toEqual(expect.any(String));
		}
	});

	it('a JSON 500 whose message has a line break, spaces, a tab, a tag and an entity: message and description clean', async () => {
		let requests = 0;
		for (const auth of AUTH_KINDS) {
			emulator.reset();
			emulator.faults.respond('upload', 1, { status: 500, ...body('json', auth, 500) });
			const result = await upload(auth, false);
			expect(shown(result)).toContain('[redacted]');
			requests += emulator.requests.length;
		}
		table.record({
			id: 'secrets.json500.everyShape',
			area: AREA,
			case: 'The upload answered a JSON 500 whose message holds the Authorization header and the secret with a line break, a run of spaces, a tab, a tag and an entity in it (API key and Basic)',
			userSees:
				'CommCare’s message with every piece of the secret as [redacted], in the message and the plain-text description alike',
			server: `${requests} upload requests (one per credential kind), refused`,
			lost: 'nothing: no 8-character piece of the key, the password or the header in any field',
		});
	});

	it('an HTML page whose title, cut at 120 characters, ends inside the header: no prefix of it shows', async () => {
		emulator.faults.respond('upload', 1, { status: 500, ...body('html', 'apiKey', 500) });
		const result = await upload('apiKey', false);
		expect(result.error?.message).toMatch(
			/^CommCare failed with an internal error \(HTTP 500\) and sent an HTML page titled "Server trouble .*(…|\[redacted\])/,
		);
		table.record({
			id: 'secrets.htmlTitleCut',
			area: AREA,
			case: 'The upload answered an HTML 500 page whose <title> runs past the 120 characters shown, ending with the Authorization header',
			userSees: result.error!.message,
			server: '1 upload request, refused',
			lost: 'nothing: the header is redacted before the title is cut',
		});
	});

	it.each(AUTH_KINDS)('%s: items source, per record, Continue On Fail: every error item is clean', async (auth) => {
		for (const status of [401, 500, 503]) {
			emulator.reset();
			emulator.faults.respond('upload', 5, { status, ...body('json', auth, status) });
			const result = await uploadItems(auth);
			expect(result.outputs?.[0]).toHaveLength(2);
		}
	});
});

describe('a status poll answered with an error that echoes the credential', () => {
	it.each(
		AUTH_KINDS.flatMap((auth) => STATUSES.flatMap((status) => BODY_KINDS.map((kind) => [auth, status, kind] as const))),
	)('%s: HTTP %i with a %s body', async (auth, status, kind) => {
		emulator.faults.respond('status', 5, { status, ...body(kind, auth, status) });
		const result = await poll(auth);
		// Asked again until the timeout (429, 502, 503): Not Finished; any other answer ends the wait on Error.
		expect(result.outputs?.[[429, 502, 503].includes(status) ? 3 : 2]).toHaveLength(1);
	});

	it.each(AUTH_KINDS)(
		'%s: a 200 that is not a status (text quoting the secret, an HTML page), or a status whose errors quote it',
		async (auth) => {
			const shapes = echoes(auth);
			const answers = [
				{ status: 200, body: shapes.join('\n'), headers: { 'Content-Type': 'text/plain' } },
				{ status: 200, ...body('html', auth, 200) },
				{
					status: 200,
					headers: { 'Content-Type': 'application/json' },
					body: JSON.stringify({
						state: 2,
						progress: { percent: 0 },
						result: {
							match_count: 0,
							created_count: 0,
							num_chunks: 1,
							errors: [{ title: shapes[0], description: shapes.join(' '), column: shapes[1], rows: [2] }],
						},
					}),
				},
			];
			const summaries: string[] = [];
			for (const answer of answers) {
				emulator.reset();
				emulator.faults.respond('status', 5, answer);
				const result = await poll(auth);
				const { summary, description } = result.outputs!.flat()[0].json;
				summaries.push(description ? `${String(summary)} (${String(description)})` : String(summary));
			}
			if (auth === 'apiKey') {
				table.record({
					id: 'secrets.status200.notAStatus',
					area: AREA,
					case: 'A status poll answered 200 with text starting with the secret; with an HTML page; with a status whose row errors quote the header and the secret',
					userSees: summaries.join(' / '),
					server: '1 status request each',
					lost: 'nothing: the text is not quoted, the page not shown, the row errors redacted',
				});
			}
		},
	);
});

describe('redirects whose Location carries the secret', () => {
	const locations = (secret: string): Array<[string, string]> => [
		[
			'a path and a query on the same server',
			`/a/demo/${encodeURIComponent(secret)}/?api_key=${encodeURIComponent(secret)}`,
		],
		['another server', `http://elsewhere.invalid/${encodeURIComponent(secret)}?api_key=${encodeURIComponent(secret)}`],
		['an invalid address', `http://[::1/${encodeURIComponent(secret)}`],
		['a bad %-escape', `/a/demo/%zz/${encodeURIComponent(secret)}`],
		['a login in it', `http://me:${encodeURIComponent(secret)}@127.0.0.1/x`],
	];

	it.each(AUTH_KINDS)('%s: the upload and a status poll, redirected', async (auth) => {
		const secret = auth === 'apiKey' ? USER.apiKey : USER.password;
		const seen: string[] = [];
		for (const [label, location] of locations(secret)) {
			emulator.reset();
			emulator.faults.respond('upload', 1, { status: 302, headers: { Location: location } });
			const uploaded = await upload(auth, false);
			seen.push(`${label}: ${uploaded.error?.message}`);
			emulator.reset();
			emulator.faults.respond('status', 1, { status: 302, headers: { Location: location } });
			await poll(auth);
		}
		if (auth === 'apiKey') {
			table.record({
				id: 'secrets.redirectLocation',
				area: AREA,
				case: 'The upload and a status poll redirected to a Location holding the key (path and query on the same server, another server, an invalid address, a bad %-escape, a login)',
				userSees: seen.join(' / '),
				server: 'the redirect is never followed with the upload; same-origin status redirects are followed, others not',
				lost: 'nothing: the Location is shown without its query, and the key is redacted from its path',
			});
		}
	});
});

describe('no answer at all', () => {
	let certificate: ReturnType<typeof selfSignedCertificate>;
	let tls: https.Server;
	let tlsOrigin: string;

	beforeAll(async () => {
		certificate = selfSignedCertificate();
		tls = https.createServer({ key: certificate.key, cert: certificate.cert }, (_request, response) => {
			response.end('{}');
		});
		await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
		tlsOrigin = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
	});
	afterAll(async () => {
		tls.closeAllConnections();
		await new Promise((resolve) => tls.close(resolve));
		certificate.remove();
	});

	it.each(AUTH_KINDS)(
		'%s: connection refused, reset, a self-signed certificate; Continue On Fail off and on',
		async (auth) => {
			const refused = `http://127.0.0.1:${await closedPort()}`;
			for (const continueOnFail of [false, true]) {
				await upload(auth, continueOnFail, { baseUrl: refused });
				await upload(auth, continueOnFail, { baseUrl: tlsOrigin });
				emulator.reset();
				emulator.faults.dropConnection('upload', 1);
				await upload(auth, continueOnFail);
			}
			emulator.faults.dropConnection('status', 5);
			await poll(auth);
			await sweep({
				node: importStatus,
				credentials: credential(auth, { baseUrl: tlsOrigin }) as never,
				items: [{ json: { status_url: `${tlsOrigin}/a/demo/x/status` } }],
				parameters: { timeout: 0, simplify: false },
			});
		},
	);
});

describe('a Base URL with a login or a key in it', () => {
	const baseUrls = (secret: string): Array<[string, () => string]> => [
		[
			'a password holding /',
			() => emulator.baseUrl.replace('http://', `http://${encodeURIComponent(USER.username)}:${secret}@`),
		],
		['an api_key query', () => `${emulator.baseUrl}/?api_key=${encodeURIComponent(secret)}`],
		['a login and a bad %-escape', () => emulator.baseUrl.replace('http://', `http://me:${secret}%zz@`)],
	];

	it.each(AUTH_KINDS)('%s: both nodes, Continue On Fail off and on', async (auth) => {
		const secret = auth === 'apiKey' ? USER.apiKey : USER.password;
		const seen: string[] = [];
		for (const [label, baseUrl] of baseUrls(secret)) {
			for (const continueOnFail of [false, true]) {
				const uploaded = await upload(auth, continueOnFail, { baseUrl: baseUrl() });
				if (!continueOnFail) seen.push(`${label}: ${uploaded.error?.message}`);
				await sweep({
					node: importStatus,
					credentials: credential(auth, { baseUrl: baseUrl() }) as never,
					items: [{ json: { status_url: `${emulator.baseUrl}/a/demo/x/status` } }],
					parameters: { timeout: 0, simplify: false },
					continueOnFail,
				});
			}
		}
		expect(emulator.requests).toHaveLength(0);
		if (auth === 'basicAuth') {
			table.record({
				id: 'secrets.baseUrlWithLogin',
				area: AREA,
				case: 'A Base URL with user:password@ (the password holding /), with ?api_key=…, or with a login and a bad %-escape',
				userSees: seen.join(' / '),
				server: 'nothing: refused before any request',
				lost: 'nothing: the address is never repeated with its login or query',
			});
		}
	});
});

describe('the sweep', () => {
	it('reached every path above, and found no piece of a secret anywhere', () => {
		// The sweep is only as good as its reach: it must have run every case above (each run is searched in `sweep`).
		expect(runs).toBeGreaterThan(250);
		table.record({
			id: 'secrets.sweep',
			area: AREA,
			case: 'Both nodes through 401, 403, 404, 405, 429, 500, 502 and 503 with JSON, HTML, text and empty bodies echoing the credential in every shape above; redirects; 200s that are not a status; connection refused and reset; a self-signed certificate; Base URLs with a login or a key; API key and Basic; Continue On Fail on and off',
			userSees: `${runs > 250 ? 'More than 250' : runs} runs: every message, description, error field (cause, context, stack), output item and log line searched for every 8-character piece of the key, the password (double space, tab, /, &, <, " in it) and both base64 header values`,
			server: 'every request answered as listed',
			lost: 'nothing: no piece found on any path',
		});
	});
});
