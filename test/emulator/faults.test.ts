/**
 * The emulator's fault knobs: each applies to the next N matching requests and then stops; faulted requests are
 * still recorded.
 */
import { type Emulator } from '../../emulator';
import { apiKeyHeader, pollUntilDone, send, uploadRows, useEmulator } from '../support/emulator';

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 0, runningPolls: 0 } });

const identityUrl = () => `${emulator.baseUrl}/api/identity/v1/`;
const getIdentity = () => send(identityUrl(), { headers: apiKeyHeader(emulator) });
const rows = [
	['case_id', 'name'],
	['', 'Alice'],
];

describe('respond', () => {
	test('answers the next N matching requests with the given status and Retry-After, then stops', async () => {
		emulator.faults.respond('upload', 2, { status: 429, retryAfter: 7 });
		const first = await uploadRows(emulator, rows);
		const second = await uploadRows(emulator, rows);
		const third = await uploadRows(emulator, rows);
		expect([first.status, second.status, third.status]).toEqual([429, 429, 200]);
		expect(first.headers.get('retry-after')).toBe('7');
		expect(first.text).toBe('');
		// nothing was processed for the faulted requests, but all three were recorded
		expect(emulator.uploads).toHaveLength(1);
		expect(emulator.imports.size).toBe(1);
		expect(emulator.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
	});

	test('html gives a Django-like page; body gives a raw body', async () => {
		emulator.faults.respond('identity', 1, { status: 502, html: true });
		emulator.faults.respond('identity', 1, { status: 503, body: 'upstream busy' });
		const html = await getIdentity();
		expect(html.status).toBe(502);
		expect(html.headers.get('content-type')).toMatch(/^text\/html/);
		expect(html.text).toMatch(/<html/i);
		const raw = await getIdentity();
		expect(raw).toMatchObject({ status: 503, text: 'upstream busy' });
		expect((await getIdentity()).status).toBe(200);
	});

	test('only matching targets are affected; "any" matches everything', async () => {
		emulator.faults.respond('status', 1, { status: 500 });
		expect((await getIdentity()).status).toBe(200);
		emulator.faults.clear();
		emulator.faults.respond('any', 1, { status: 504 });
		expect((await getIdentity()).status).toBe(504);
		expect((await getIdentity()).status).toBe(200);
	});

	test('status polls answered by a fault do not advance the timeline', async () => {
		emulator.setTimeline({ queuedPolls: 1, runningPolls: 0 });
		try {
			const upload = await uploadRows(emulator, rows);
			const url = JSON.parse(upload.text).status_url;
			emulator.faults.respond('status', 2, { status: 503, retryAfter: 1 });
			expect((await send(url, { headers: apiKeyHeader(emulator) })).status).toBe(503);
			expect((await send(url, { headers: apiKeyHeader(emulator) })).status).toBe(503);
			const seen = await pollUntilDone(emulator, url);
			expect(seen.map((s) => s.state)).toEqual([-1, 2]);
		} finally {
			emulator.setTimeline({ queuedPolls: 0, runningPolls: 0 });
		}
	});
});

describe('dropConnection', () => {
	test('before the body: the client sees a network error and nothing is processed', async () => {
		emulator.faults.dropConnection('upload', 1);
		await expect(uploadRows(emulator, rows)).rejects.toThrow();
		expect(emulator.uploads).toHaveLength(0);
		expect(emulator.imports.size).toBe(0);
		expect(emulator.requests).toHaveLength(1);
		expect((await uploadRows(emulator, rows)).status).toBe(200);
	});

	test('after the body: the client sees a network error but the upload WAS queued', async () => {
		emulator.faults.dropConnection('upload', 1, { afterBodyReceived: true });
		await expect(uploadRows(emulator, rows)).rejects.toThrow();
		expect(emulator.uploads).toHaveLength(1);
		expect(emulator.uploads[0]).toMatchObject({ status: 200, fault: 'dropConnection' });
		expect(emulator.imports.size).toBe(1);
		expect(emulator.cases.all('demo')).toHaveLength(1);
	});
});

describe('delay', () => {
	test('holds the answer back: a later, undelayed request is answered first', async () => {
		emulator.faults.delay('identity', 1, 1000);
		const order: string[] = [];
		const delayed = getIdentity().then((answer) => order.push(`delayed:${answer.status}`));
		// make sure the delayed request is the one the server saw first
		while (emulator.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
		const prompt = getIdentity().then((answer) => order.push(`prompt:${answer.status}`));
		await Promise.all([delayed, prompt]);
		expect(order).toEqual(['prompt:200', 'delayed:200']);
	});
});

describe('statusGone and malformedJson', () => {
	test("statusGone turns that upload's status into an empty 404 from now on", async () => {
		const upload = await uploadRows(emulator, rows);
		const { status_url: url } = JSON.parse(upload.text);
		const uploadId = emulator.uploads[0].uploadId as string;
		expect((await send(url, { headers: apiKeyHeader(emulator) })).status).toBe(200);
		emulator.faults.statusGone(uploadId);
		for (let i = 0; i < 2; i++) {
			const gone = await send(url, { headers: apiKeyHeader(emulator) });
			expect(gone).toMatchObject({ status: 404, text: '' });
		}
	});

	test('malformedJson: a 200 whose JSON body is cut short, once', async () => {
		emulator.faults.malformedJson('identity', 1);
		const broken = await getIdentity();
		expect(broken.status).toBe(200);
		expect(broken.headers.get('content-type')).toBe('application/json');
		expect(() => JSON.parse(broken.text)).toThrow();
		expect(JSON.parse((await getIdentity()).text).username).toBe(emulator.username);
	});

	test('malformedJson on an upload still queues it', async () => {
		emulator.faults.malformedJson('upload', 1);
		const answer = await uploadRows(emulator, rows);
		expect(answer.status).toBe(200);
		expect(() => JSON.parse(answer.text)).toThrow();
		expect(emulator.imports.size).toBe(1);
		expect(emulator.uploads[0].fault).toBe('malformedJson');
	});

	test('clear() disarms every knob', async () => {
		emulator.faults.respond('any', 5, { status: 500 });
		emulator.faults.dropConnection('any', 5);
		emulator.faults.clear();
		expect((await getIdentity()).status).toBe(200);
	});

	test('reset() clears requests, uploads, imports, cases and faults', async () => {
		await uploadRows(emulator, rows);
		emulator.faults.respond('any', 1, { status: 500 });
		emulator.reset();
		expect([
			emulator.requests.length,
			emulator.uploads.length,
			emulator.imports.size,
			emulator.cases.all().length,
		]).toEqual([0, 0, 0, 0]);
		expect((await getIdentity()).status).toBe(200);
	});
});

describe('request recording', () => {
	test('method, path, query, lower-case headers (authorization included) and arrival time', async () => {
		const before = Date.now();
		await send(`${identityUrl()}?format=json&x=1&x=2`, { headers: { ...apiKeyHeader(emulator), 'X-Custom': 'v' } });
		const [recorded] = emulator.requests;
		expect(recorded).toMatchObject({
			method: 'GET',
			path: '/api/identity/v1/',
			query: { format: 'json', x: '2' },
		});
		expect(recorded.headers.authorization).toBe(`ApiKey ${emulator.username}:${emulator.apiKey}`);
		expect(recorded.headers['x-custom']).toBe('v');
		expect(recorded.at).toBeGreaterThanOrEqual(before);
	});
});
