/**
 * `commCareRequest` over real loopback sockets, through the stand-in for n8n's request helper: redirects, the
 * same-origin rule, retries (counted, with tiny back-offs), the upload's no-double-send rule, and cancellation.
 * Small purpose-built servers play CommCare here because the emulator does not redirect.
 */
import { validateProjectSpace } from '../../nodes/CommCareBulkImport/projectSpace';
import http from 'http';
import type { AddressInfo } from 'net';
import { Readable } from 'stream';

import { CommCareBulkImport } from '../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { errorForResponse } from '../../nodes/shared/errors';
import { commCareCredentialsFrom } from '../../nodes/shared/transport/credentials';
import { commCareRequest, sendRequest, type CommCareRequestOptions } from '../../nodes/shared/transport/request';
import { DEFAULT_RETRY_POLICY, NO_RETRIES, retryPolicyWith } from '../../nodes/shared/transport/retryPolicy';
import { uploadFileName, uploadSpreadsheet } from '../../nodes/CommCareBulkImport/upload';
import { createExecuteContext } from '../support/n8nContext';
import { SAVED_VERSIONS, savedAt } from '../support/versions';

interface TestServer {
	url: string;
	/** Requests received: method, path, authorization header. */
	hits: Array<{ method: string; path: string; authorization?: string }>;
	close: () => Promise<void>;
}

async function startServer(
	handler: (req: http.IncomingMessage, res: http.ServerResponse, hit: number) => void,
): Promise<TestServer> {
	const hits: TestServer['hits'] = [];
	const server = http.createServer((req, res) => {
		hits.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
		// Read the whole body before answering, as a real server would.
		req.resume();
		req.on('end', () => handler(req, res, hits.length));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		hits,
		close: async () => {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}

const API_KEY = '0123456789abcdef0123456789abcdef01234567';
const fastRetry = retryPolicyWith({ baseDelayMs: 1, maxDelayMs: 5 });

function setup(baseUrl: string, cancelSignal?: AbortSignal) {
	const data = { baseUrl, authType: 'apiKey', username: 'me@example.org', apiKey: API_KEY };
	const test = createExecuteContext({
		node: savedAt(new CommCareBulkImport(), SAVED_VERSIONS.bulkImport),
		credentials: data,
		cancelSignal,
	});
	return { ...test, credentials: commCareCredentialsFrom(data) };
}

function get(url: string, extra: Partial<CommCareRequestOptions> = {}): CommCareRequestOptions {
	return { method: 'GET', url, idempotent: true, operation: 'status', retry: fastRetry, ...extra };
}

function post(url: string, extra: Partial<CommCareRequestOptions> = {}): CommCareRequestOptions {
	return {
		method: 'POST',
		url,
		idempotent: false,
		operation: 'upload',
		projectSpace: 'demo',
		body: () => 'payload',
		retry: fastRetry,
		...extra,
	};
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
	res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
	res.end(JSON.stringify(body));
}

const servers: TestServer[] = [];
async function server(handler: Parameters<typeof startServer>[0]) {
	const started = await startServer(handler);
	servers.push(started);
	return started;
}
afterEach(async () => {
	await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('commCareRequest', () => {
	it('applies the credential and returns status, headers and parsed JSON', async () => {
		const commcare = await server((_req, res) => json(res, 200, { ok: true }, { 'X-Extra': 'yes' }));
		const { context, credentials } = setup(commcare.url);
		const response = await commCareRequest(context, credentials, get(`${commcare.url}/api/identity/v1/`));
		expect(response).toMatchObject({ statusCode: 200, json: { ok: true }, attempts: 1, isHtml: false });
		expect(response.headers['x-extra']).toBe('yes');
		expect(commcare.hits).toEqual([
			{ method: 'GET', path: '/api/identity/v1/', authorization: `ApiKey me@example.org:${API_KEY}` },
		]);
	});

	it('returns non-2xx answers for the caller to map, without retrying them', async () => {
		const commcare = await server((_req, res) => json(res, 500, { code: 500, message: 'Error: boom' }));
		const { context, credentials } = setup(commcare.url);
		const response = await commCareRequest(
			context,
			credentials,
			post(`${commcare.url}/a/demo/importer/excel/bulk_upload_api/`),
		);
		expect(response.statusCode).toBe(500);
		expect(commcare.hits).toHaveLength(1);
		expect(errorForResponse(context.getNode(), credentials, response, { operation: 'upload' }).message).toBe(
			'Error: boom',
		);
	});

	describe('same-origin rule', () => {
		it('refuses a URL on another origin before sending anything', async () => {
			const commcare = await server((_req, res) => json(res, 200, {}));
			const elsewhere = await server((_req, res) => json(res, 200, {}));
			const { context, credentials, sent } = setup(commcare.url);
			await expect(commCareRequest(context, credentials, get(`${elsewhere.url}/a/demo/status`))).rejects.toThrow(
				`Refusing to send the CommCare credential to ${elsewhere.url}`,
			);
			expect(sent).toHaveLength(0);
			expect(elsewhere.hits).toHaveLength(0);
		});
	});

	describe('redirects', () => {
		it('follows a same-origin redirect of a GET, credential applied again', async () => {
			const commcare = await server((req, res) => {
				if (req.url === '/old') {
					res.writeHead(302, { Location: '/new' });
					res.end();
				} else json(res, 200, { moved: true });
			});
			const { context, credentials } = setup(commcare.url);
			const response = await commCareRequest(context, credentials, get(`${commcare.url}/old`));
			expect(response).toMatchObject({ statusCode: 200, json: { moved: true }, url: `${commcare.url}/new` });
			expect(commcare.hits.map((h) => [h.path, Boolean(h.authorization)])).toEqual([
				['/old', true],
				['/new', true],
			]);
		});

		it('never follows a redirect to another origin, so the credential stays home', async () => {
			const elsewhere = await server((_req, res) => json(res, 200, {}));
			const commcare = await server((_req, res) => {
				res.writeHead(301, { Location: `${elsewhere.url}/steal?token=abc` });
				res.end();
			});
			const { context, credentials } = setup(commcare.url);
			const error = await commCareRequest(context, credentials, get(`${commcare.url}/a/demo/status`)).catch(
				(e: Error) => e,
			);
			expect((error as Error).message).toBe(
				`CommCare redirected to another server (${elsewhere.url}); the credential is only sent to ${commcare.url}, so the redirect was not followed.`,
			);
			expect(elsewhere.hits).toHaveLength(0);
			expect(JSON.stringify(error)).not.toContain('token=abc');
		});

		it('stops after a bounded number of same-origin redirects', async () => {
			const commcare = await server((_req, res) => {
				res.writeHead(302, { Location: '/again' });
				res.end();
			});
			const { context, credentials } = setup(commcare.url);
			await expect(
				commCareRequest(context, credentials, get(`${commcare.url}/start`, { maxRedirects: 3 })),
			).rejects.toThrow(/kept redirecting/);
			expect(commcare.hits).toHaveLength(4);
		});

		it('treats a redirect of the upload as an error and suggests the Base URL from the Location', async () => {
			const real = await server((_req, res) => json(res, 200, {}));
			const commcare = await server((_req, res) => {
				res.writeHead(301, { Location: `${real.url}/a/demo/importer/excel/bulk_upload_api/` });
				res.end();
			});
			const { context, credentials } = setup(commcare.url);
			const error = (await commCareRequest(
				context,
				credentials,
				post(`${commcare.url}/a/demo/importer/excel/bulk_upload_api/`),
			).catch((e: unknown) => e)) as { message: string; description: string; httpCode: string };
			expect(error.message).toMatch(
				/^CommCare redirected the upload \(HTTP 301\) to .*A redirected upload is not followed/,
			);
			expect(error.description).toBe(
				`The server seems to live at ${real.url}: set the credential's Base URL to ${real.url}.`,
			);
			expect(error.httpCode).toBe('301');
			expect(commcare.hits).toHaveLength(1);
			expect(real.hits).toHaveLength(0);
		});

		it('explains a same-origin redirect of the upload (inactive project space)', async () => {
			const commcare = await server((_req, res) => {
				res.writeHead(302, { Location: '/domain/select/' });
				res.end();
			});
			const { context, credentials } = setup(commcare.url);
			await expect(
				commCareRequest(context, credentials, post(`${commcare.url}/a/demo/importer/excel/bulk_upload_api/`)),
			).rejects.toMatchObject({
				message: expect.stringContaining(`to ${commcare.url}/domain/select/ instead of accepting it`),
				description: expect.stringContaining("project space 'demo' is inactive"),
			});
			expect(commcare.hits).toHaveLength(1);
		});
	});

	describe('retries', () => {
		it('retries 503 and 502 for a GET, then returns the success', async () => {
			const commcare = await server((_req, res, hit) =>
				hit === 1 ? json(res, 503, {}) : hit === 2 ? json(res, 502, {}) : json(res, 200, { ok: 1 }),
			);
			const { context, credentials } = setup(commcare.url);
			const response = await commCareRequest(context, credentials, get(`${commcare.url}/s`));
			expect(response).toMatchObject({ statusCode: 200, attempts: 3 });
			expect(commcare.hits).toHaveLength(3);
		});

		it('gives up after maxAttempts and returns the last answer', async () => {
			const commcare = await server((_req, res) => json(res, 503, {}));
			const { context, credentials } = setup(commcare.url);
			const response = await commCareRequest(
				context,
				credentials,
				get(`${commcare.url}/s`, { retry: retryPolicyWith({ ...fastRetry, maxAttempts: 3 }) }),
			);
			expect(response).toMatchObject({ statusCode: 503, attempts: 3 });
			expect(commcare.hits).toHaveLength(3);
			expect(errorForResponse(context.getNode(), credentials, response, { operation: 'status' }).message).toBe(
				'CommCare is busy or unavailable (HTTP 503, after 3 attempts); try again later.',
			);
		});

		it('honours Retry-After: 0 and stops when Retry-After asks for longer than allowed', async () => {
			const now = await server((_req, res, hit) =>
				hit === 1 ? json(res, 429, {}, { 'Retry-After': '0' }) : json(res, 200, {}),
			);
			const a = setup(now.url);
			expect((await commCareRequest(a.context, a.credentials, get(`${now.url}/s`))).statusCode).toBe(200);
			expect(now.hits).toHaveLength(2);

			const later = await server((_req, res) => json(res, 429, {}, { 'Retry-After': '3600' }));
			const b = setup(later.url);
			const response = await commCareRequest(b.context, b.credentials, get(`${later.url}/s`));
			expect(response.statusCode).toBe(429);
			expect(later.hits).toHaveLength(1);
			expect(errorForResponse(b.context.getNode(), b.credentials, response, { operation: 'status' }).message).toContain(
				'CommCare asked to wait (Retry-After: 3600)',
			);
		});

		it('retries the upload after 429 and 503 (refused before processing), building a fresh body each time', async () => {
			const commcare = await server((_req, res, hit) =>
				hit === 1 ? json(res, 429, {}) : hit === 2 ? json(res, 503, {}) : json(res, 200, { status_url: 'x' }),
			);
			const { context, credentials } = setup(commcare.url);
			let bodies = 0;
			const response = await commCareRequest(
				context,
				credentials,
				post(`${commcare.url}/a/demo/importer/excel/bulk_upload_api/`, { body: () => `payload ${++bodies}` }),
			);
			expect(response.statusCode).toBe(200);
			expect(commcare.hits).toHaveLength(3);
			expect(bodies).toBe(3);
		});

		it('does not retry the upload after a 502 or 504 (a gateway may have passed it on)', async () => {
			for (const status of [502, 504]) {
				const commcare = await server((_req, res) => json(res, status, {}));
				const { context, credentials } = setup(commcare.url);
				const response = await commCareRequest(
					context,
					credentials,
					post(`${commcare.url}/a/demo/importer/excel/bulk_upload_api/`),
				);
				expect(commcare.hits).toHaveLength(1);
				const error = errorForResponse(context.getNode(), credentials, response, { operation: 'upload' });
				expect(error.message).toBe(
					`The upload got HTTP ${status} from a gateway in front of CommCare: the import may or may not have been queued.`,
				);
				expect(error.description).toMatch(/Data → Import Cases from Excel/);
			}
		});

		it('never resends the upload when the connection broke after sending', async () => {
			const commcare = await server((req) => req.socket.destroy());
			const { context, credentials, sent } = setup(commcare.url);
			const error = (await commCareRequest(
				context,
				credentials,
				post(`${commcare.url}/a/demo/importer/excel/bulk_upload_api/`),
			).catch((e: unknown) => e)) as { message: string; description: string };
			expect(error.message).toBe(
				'The connection to CommCare broke during the upload (ECONNRESET): the import may or may not have been queued.',
			);
			expect(error.description).toMatch(/Import Cases from Excel/);
			expect(commcare.hits).toHaveLength(1);
			expect(sent).toHaveLength(1);
		});

		it('retries a GET whose connection broke', async () => {
			const commcare = await server((req, res, hit) => (hit === 1 ? req.socket.destroy() : json(res, 200, {})));
			const { context, credentials } = setup(commcare.url);
			expect((await commCareRequest(context, credentials, get(`${commcare.url}/s`))).statusCode).toBe(200);
			expect(commcare.hits).toHaveLength(2);
		});

		it('resends the upload when the connection was refused (nothing arrived), then reports it', async () => {
			const gone = await server(() => undefined);
			await gone.close();
			servers.splice(servers.indexOf(gone), 1);
			const { context, credentials, sent } = setup(gone.url);
			await expect(
				commCareRequest(
					context,
					credentials,
					post(`${gone.url}/a/demo/importer/excel/bulk_upload_api/`, {
						retry: retryPolicyWith({ ...fastRetry, maxAttempts: 3 }),
					}),
				),
			).rejects.toMatchObject({
				message: `Could not connect to CommCare at ${gone.url} (ECONNREFUSED, after 3 attempts): the server is down or the Base URL is wrong.`,
				description: 'Nothing was uploaded.',
			});
			expect(sent).toHaveLength(3);
		});
	});

	describe('cancellation', () => {
		it('stops waiting for a retry when the execution is cancelled', async () => {
			const controller = new AbortController();
			const commcare = await server((_req, res) => {
				controller.abort();
				json(res, 503, {}, { 'Retry-After': '100' });
			});
			const { context, credentials } = setup(commcare.url, controller.signal);
			await expect(commCareRequest(context, credentials, get(`${commcare.url}/s`))).rejects.toThrow(
				'The execution was cancelled while talking to CommCare.',
			);
			expect(commcare.hits).toHaveLength(1);
		});

		it('sends nothing once the execution is cancelled', async () => {
			const controller = new AbortController();
			controller.abort();
			const commcare = await server((_req, res) => json(res, 200, {}));
			const { context, credentials, sent } = setup(commcare.url, controller.signal);
			await expect(commCareRequest(context, credentials, get(`${commcare.url}/s`))).rejects.toThrow(/cancelled/);
			expect(commcare.hits).toHaveLength(0);
			expect(sent).toHaveLength(0);
		});
	});

	it('never puts the key into an error', async () => {
		const commcare = await server((_req, res) => {
			res.writeHead(401, { 'Content-Type': 'text/plain' });
			res.end(`bad header ApiKey me@example.org:${API_KEY}`);
		});
		const { context, credentials } = setup(commcare.url);
		const response = await commCareRequest(context, credentials, get(`${commcare.url}/s`));
		const error = errorForResponse(context.getNode(), credentials, response, { operation: 'identity' });
		const everything = JSON.stringify({
			error,
			message: error.message,
			description: error.description,
			context: error.context,
		});
		expect(error.message).toMatch(/^CommCare rejected the credential \(HTTP 401\)/);
		expect(everything).not.toContain(API_KEY);
	});
});

describe('uploadSpreadsheet', () => {
	it('opens a fresh stream for each attempt when the first connection was refused', async () => {
		const probe = await startServer(() => undefined);
		const port = Number(new URL(probe.url).port);
		await probe.close();

		const fileBytes = Buffer.from('case_id,name\n,Asha\n');
		const received: Buffer[] = [];
		const commcare = http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (chunk: Buffer) => chunks.push(chunk));
			req.on('end', () => {
				received.push(Buffer.concat(chunks));
				json(res, 200, {
					code: 200,
					message: 'success',
					status_url: `${probe.url}/a/demo/importer/history/uploads/u1/status`,
				});
			});
		});
		let opens = 0;
		const streams: Readable[] = [];
		const file = {
			fileName: uploadFileName('Rows.CSV'),
			knownLength: fileBytes.length,
			open: async () => {
				opens += 1;
				// The server comes up only after the first (refused) attempt.
				if (opens === 2) await new Promise<void>((resolve) => commcare.listen(port, '127.0.0.1', resolve));
				const stream = Readable.from([fileBytes]);
				streams.push(stream);
				return stream;
			},
		};
		try {
			const { context, credentials } = setup(probe.url);
			const settings = {
				projectSpace: validateProjectSpace('demo'),
				caseType: 'patient',
				searchField: 'case_id' as const,
				searchColumn: 'case_id',
				createNewCases: true,
				nameColumn: 'name',
				comment: '',
			};
			const receipt = await uploadSpreadsheet(context, credentials, settings, file, { retry: fastRetry });
			expect(opens).toBe(2);
			expect(streams[0].destroyed).toBe(true);
			expect(received).toHaveLength(1);
			expect(received[0].includes(fileBytes)).toBe(true);
			expect(received[0].toString()).toContain('filename="Rows.csv"');
			expect(receipt).toMatchObject({ code: 200, message: 'success', fileName: 'Rows.csv', warnings: [] });
		} finally {
			commcare.closeAllConnections();
			await new Promise((resolve) => commcare.close(resolve));
		}
	});
});

describe('sendRequest answers instead of throwing', () => {
	it('an HTTP answer of any status is a response, whatever the status', async () => {
		const commcare = await server((_req, res) => json(res, 404, { error: 'gone' }));
		const { context, credentials } = setup(commcare.url);
		const answer = await sendRequest(context, credentials, get(`${commcare.url}/s`));
		expect(answer.kind).toBe('response');
		expect(answer.kind === 'response' && answer.response.statusCode).toBe(404);
	});

	it('an address off the credential origin is refused, unsent, with the error to show', async () => {
		const commcare = await server((_req, res) => json(res, 200, {}));
		const { context, credentials } = setup(commcare.url);
		const answer = await sendRequest(context, credentials, get('http://elsewhere.example/s'));
		expect(answer).toMatchObject({ kind: 'refused', sent: false, httpStatus: null });
		expect(answer.kind === 'refused' && answer.error.message).toMatch(/Base URL/);
		expect(commcare.hits).toHaveLength(0);
	});

	it('a redirect to another server is refused as sent, with its status, and not followed', async () => {
		const other = await server((_req, res) => json(res, 200, {}));
		const commcare = await server((_req, res) => {
			res.writeHead(302, { Location: `${other.url}/login` });
			res.end();
		});
		const { context, credentials } = setup(commcare.url);
		const answer = await sendRequest(context, credentials, get(`${commcare.url}/s`));
		expect(answer).toMatchObject({ kind: 'refused', sent: true, httpStatus: 302 });
		expect(other.hits).toHaveLength(0);
	});

	it('no server: no answer, after the attempts the policy allows (NO_RETRIES: one)', async () => {
		const gone = await server((_req, res) => json(res, 200, {}));
		const url = gone.url;
		await gone.close();
		servers.splice(servers.indexOf(gone), 1);
		const { context, credentials } = setup(url);
		const answer = await sendRequest(context, credentials, get(`${url}/s`, { retry: NO_RETRIES }));
		expect(answer).toMatchObject({ kind: 'noAnswer', failure: { kind: 'notSent' } });
		expect(answer.kind === 'noAnswer' && answer.error.message).toMatch(/1 attempt|could not connect|refused/i);
	});

	it('the default policy is frozen: nothing can change it for everyone', () => {
		expect(Object.isFrozen(DEFAULT_RETRY_POLICY)).toBe(true);
		expect(Object.isFrozen(NO_RETRIES)).toBe(true);
		expect(() => Object.assign(DEFAULT_RETRY_POLICY, { baseDelayMs: 1 })).toThrow(TypeError);
		expect(retryPolicyWith({ maxAttempts: 2 })).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 2 });
	});
});
