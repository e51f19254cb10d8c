/**
 * A flaky network or a struggling CommCare, inflicted on the real nodes through the emulator's fault
 * knobs. The rules checked in every case: the upload is resent only when it certainly did not arrive (connection
 * refused) or was refused before processing (429, 503); otherwise the message says the import may or may not have
 * been queued and how to check. Status polls are asked again until the node's timeout. The emulator counts the
 * uploads it received in every case. Every run is also searched for the secrets (harness.ts).
 */
import type { IDataObject } from 'n8n-workflow';

import { CHECK_IMPORT_HISTORY } from '../../../nodes/shared/errors';
import type { Emulator } from '../../../emulator';
import { uploadResultItem, uploadToEmulator, xlsxFile, type CreatedUpload } from '../../support/emulator';
import { binaryItem } from '../../support/n8nContext';
import {
	apiKeyCredential,
	bulkImport,
	closedPort,
	eventually,
	expectNoMarkup,
	FAST_POLLING,
	importStatus,
	onlyItem,
	received,
	runScenario,
	SECRET_USER,
	startSecretEmulator,
	thrown,
	type ScenarioOptions,
} from './harness';
import { outcomeTable, plural } from './outcomeTable';
import { useEmulator } from '../../support/emulator';

const table = outcomeTable('faults');

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 0, runningPolls: 0 } }, startSecretEmulator);
afterAll(() => table.finish());

const rows = [
	['case_id', 'name', 'village'],
	['', 'Asha', 'Kisumu'],
	['', 'Baraka', 'Siaya'],
];

/** One run of CommCare Bulk Import with one .xlsx (or the given items). */
async function upload(options: Partial<ScenarioOptions> & { parameters?: IDataObject } = {}) {
	return await runScenario({
		node: bulkImport,
		credentials: apiKeyCredential(emulator) as never,
		items: [binaryItem(await xlsxFile(rows), 'patients.xlsx')],
		...options,
		parameters: {
			projectSpace: 'demo',
			caseType: 'patient',
			searchField: 'case_id',
			unmatchedRows: 'create',
			...options.parameters,
		},
	});
}

function uploadsLine(): string {
	const seen = received(emulator);
	return `${plural(seen.uploadPosts, 'upload request')}, ${plural(seen.importsQueued, 'import')} queued`;
}

const UPLOAD_AREA = 'Faults on the upload';
const STATUS_AREA = 'Faults on status polls';
const MAYBE_QUEUED = 'the import may or may not have been queued';
const NOTHING_QUEUED_TOLD = 'nothing: no import was queued, and the message says so';

describe('faults on the upload', () => {
	it('connection refused (nothing listening): retried, then "could not connect", nothing uploaded', async () => {
		const port = await closedPort();
		const result = await upload({ credentials: apiKeyCredential({ baseUrl: `http://127.0.0.1:${port}` }) as never });
		const error = thrown(result);
		expect(error.message).toBe(
			`Could not connect to CommCare at http://127.0.0.1:${port} (ECONNREFUSED, after 5 attempts): the server is down or the Base URL is wrong.`,
		);
		expect(error.description).toBe('Nothing was uploaded.');
		expect(result.logs.filter((line) => line.includes('CommCare request: retry'))).toHaveLength(4);
		expect(received(emulator).all).toBe(0);
		table.record({
			id: 'upload.connectionRefused',
			area: UPLOAD_AREA,
			case: 'Connection refused (nothing listening on the port)',
			userSees: error.message,
			advice: error.description,
			server: '5 connection attempts, none accepted; 0 uploads',
			lost: 'nothing: the file never left; safe to run again',
		});
	});

	it('connection refused at first, then the server comes up: resent, and received exactly once', async () => {
		const port = await closedPort();
		let late: Promise<Emulator> | undefined;
		const result = await upload({
			credentials: apiKeyCredential({ baseUrl: `http://127.0.0.1:${port}` }) as never,
			// The first attempt was refused; the server starts listening before the retry goes out.
			onLog: (line) => {
				if (line.includes('CommCare request: retry 1 ')) late = startSecretEmulator({ port });
			},
		});
		const server = await (late as Promise<Emulator>);
		try {
			expect(result.error).toBeUndefined();
			expect(result.outputs?.[0][0].json.status_url).toEqual(
				expect.stringContaining(`http://127.0.0.1:${port}/a/demo/`),
			);
			expect(server.uploads).toHaveLength(1);
			expect(server.imports.size).toBe(1);
			expect(server.cases.byType('demo', 'patient')).toHaveLength(2);
			table.record({
				id: 'upload.connectionRefusedThenUp',
				area: UPLOAD_AREA,
				case: 'Connection refused on the first attempt, server up for the retry',
				userSees: 'Success: the output item carries the status_url',
				server: `${plural(server.uploads.length, 'upload request')} received, ${plural(server.imports.size, 'import')} queued`,
				lost: 'nothing: both cases created once',
			});
		} finally {
			await server.close();
		}
	});

	it('connection reset before the server read the upload: not resent; "may or may not have been queued"', async () => {
		emulator.faults.dropConnection('upload', 1);
		const error = thrown(await upload());
		expect(error.message).toBe(`The connection to CommCare broke during the upload (ECONNRESET): ${MAYBE_QUEUED}.`);
		expect(error.description).toBe(CHECK_IMPORT_HISTORY);
		expect(received(emulator)).toMatchObject({ uploadPosts: 1, importsQueued: 0 });
		table.record({
			id: 'upload.resetBeforeBody',
			area: UPLOAD_AREA,
			case: 'Connection reset before the server read the upload',
			userSees: error.message,
			advice: error.description,
			server: uploadsLine(),
			lost: 'nothing: no import was queued; the user is told to check before re-running',
		});
	});

	it('connection reset after the server queued the upload: not resent; "may or may not have been queued"', async () => {
		emulator.faults.dropConnection('upload', 1, { afterBodyReceived: true });
		const error = thrown(await upload());
		expect(error.message).toBe(`The connection to CommCare broke during the upload (ECONNRESET): ${MAYBE_QUEUED}.`);
		expect(error.description).toBe(CHECK_IMPORT_HISTORY);
		expect(received(emulator)).toMatchObject({ uploadPosts: 1, importsQueued: 1 });
		expect(emulator.cases.byType('demo', 'patient')).toHaveLength(2);
		table.record({
			id: 'upload.resetAfterBody',
			area: UPLOAD_AREA,
			case: 'Connection reset after the server queued the upload',
			userSees: error.message,
			advice: error.description,
			server: uploadsLine(),
			lost: 'nothing, and no duplicate: the import ran once; the message says to check the import history before re-running',
			alsoCoveredBy: [
				'test/integration/CommCareBulkImport/fileSource.test.ts › does not resend when the connection dropped after the server read the upload',
			],
		});
	});

	it('server slower than the upload timeout, before reading the file: not resent; "did not answer in time"', async () => {
		emulator.faults.delay('upload', 1, 2500);
		const error = thrown(await upload({ parameters: { options: { timeoutSeconds: 1 } } }));
		expect(error.message).toBe(`CommCare did not answer the upload within 1 s (ETIMEDOUT): ${MAYBE_QUEUED}.`);
		expect(error.description).toBe(
			`${CHECK_IMPORT_HISTORY} If CommCare is only slow to accept large files, raise the node's Upload Timeout option.`,
		);
		expect(received(emulator)).toMatchObject({ uploadPosts: 1, importsQueued: 0 });
		table.record({
			id: 'upload.slowBeforeReading',
			area: UPLOAD_AREA,
			case: 'Server slower than the Upload Timeout (1 s), the file not yet read',
			userSees: error.message,
			advice: error.description,
			server: uploadsLine(),
			lost: 'nothing: no import was queued; the user is told to check before re-running',
		});
	});

	it('server slower than the upload timeout after queueing the import: not resent; "did not answer in time"', async () => {
		emulator.faults.delay('upload', 1, 2500, { afterBodyReceived: true });
		const error = thrown(await upload({ parameters: { options: { timeoutSeconds: 1 } } }));
		expect(error.message).toBe(`CommCare did not answer the upload within 1 s (ETIMEDOUT): ${MAYBE_QUEUED}.`);
		await eventually(() => emulator.imports.size === 1, 'the emulator to queue the import');
		expect(received(emulator)).toMatchObject({ uploadPosts: 1, importsQueued: 1 });
		table.record({
			id: 'upload.slowAfterQueueing',
			area: UPLOAD_AREA,
			case: 'Server slower than the Upload Timeout (1 s), the import already queued',
			userSees: error.message,
			advice: error.description,
			server: uploadsLine(),
			lost: 'nothing, and no duplicate: the import ran once; the message says to check before re-running',
		});
	});

	it.each(['headers', 'body'] as const)(
		'a server that trickles its answer (%s) one byte every 400 ms: cut at the 1.2 s Upload Timeout, not held',
		async (phase) => {
			emulator.faults.trickle('upload', 1, { intervalMs: 400, phase });
			const started = Date.now();
			const error = thrown(await upload({ parameters: { options: { timeoutSeconds: 1.2 } } }));
			const elapsedMs = Date.now() - started;
			expect(error.message).toBe(`CommCare did not answer the upload within 1.2 s (ETIMEDOUT): ${MAYBE_QUEUED}.`);
			await eventually(
				() => emulator.faults.trickles[0]?.cutByClient === true,
				'the emulator to notice the client hung up',
			);
			const [trickle] = emulator.faults.trickles;
			// Counted at the server: within 1 s of the deadline, at most (1.2 s + 1 s) / 0.4 s + 1 bytes went out.
			expect(trickle.bytesSent).toBeLessThanOrEqual(6);
			expect(trickle.bytesTotal).toBeGreaterThan(40);
			// A loose bound on the wall clock, to fail a hang (before this fix it held for the whole answer, 40 s and more).
			expect(elapsedMs).toBeLessThan(10_000);
			table.record({
				id: `upload.trickle.${phase}`,
				area: UPLOAD_AREA,
				case: `The server queues the upload, then sends its answer ${phase === 'headers' ? '(status line and headers included)' : '(headers at once, then the body)'} one byte every 400 ms; Upload Timeout 1.2 s`,
				userSees: error.message,
				advice: error.description,
				server: `${uploadsLine()}; the answer cut by the client after ${trickle.bytesSent > 5 ? 'more than 5' : 'at most 5'} of its ${trickle.bytesTotal > 40 ? 'over 40' : trickle.bytesTotal} bytes`,
				lost: 'nothing, and no duplicate: the import runs once; the message says to check before re-running',
			});
		},
	);

	it('an Upload Timeout too long for a timer (9,999,999 s) is a long deadline, not an instant failure', async () => {
		const result = await upload({ parameters: { options: { timeoutSeconds: 9_999_999 } } });
		expect(result.error).toBeUndefined();
		expect(result.outputs![0][0].json.status_url).toEqual(expect.stringContaining('/status'));
		expect(received(emulator)).toMatchObject({ uploadPosts: 1, importsQueued: 1 });
		table.record({
			id: 'upload.timeoutBeyondTimers',
			area: UPLOAD_AREA,
			case: "Upload Timeout 9,999,999 s (beyond what Node's timers hold, 24.8 days)",
			userSees: 'Success: the output item carries the status_url',
			server: uploadsLine(),
			lost: 'nothing: the duration is held at the longest timer instead of overflowing to an instant timeout',
		});
	});

	describe.each([429, 503])('HTTP %i (refused before processing): resent', (status) => {
		it.each([
			['without Retry-After', undefined],
			['with Retry-After: 1', 1],
		])('once %s: resent, imported once', async (label, retryAfter) => {
			emulator.faults.respond('upload', 1, { status, retryAfter });
			const result = await upload();
			expect(result.error).toBeUndefined();
			expect(result.outputs?.[0]).toHaveLength(1);
			expect(received(emulator)).toMatchObject({ uploadPosts: 2, importsQueued: 1 });
			expect(emulator.cases.byType('demo', 'patient')).toHaveLength(2);
			table.record({
				id: `upload.${status}.once.${retryAfter === undefined ? 'noRetryAfter' : 'retryAfter'}`,
				area: UPLOAD_AREA,
				case: `HTTP ${status} once, ${label}`,
				userSees:
					'Success: resent after the refusal' + (retryAfter === undefined ? ' (back-off)' : ' (after Retry-After)'),
				server: uploadsLine(),
				lost: 'nothing: imported once',
				alsoCoveredBy:
					status === 503
						? [
								'test/integration/CommCareBulkImport/fileSource.test.ts › resends the file after a 503 that refused it, and succeeds',
							]
						: [
								'test/integration/CommCareBulkImport/fileSource.test.ts › resends a streamed (filesystem-mode) file after a 429 with a fresh stream',
							],
			});
		});
	});

	it('HTTP 429 every time: 5 attempts, then "busy", and nothing imported', async () => {
		emulator.faults.respond('upload', 50, { status: 429 });
		const error = thrown(await upload());
		expect(error.message).toBe('CommCare is busy or unavailable (HTTP 429, after 5 attempts); try again later.');
		expect(error.description).toBe(
			'The server answered an empty body. Nothing was imported, so running it again later is safe.',
		);
		expect(received(emulator)).toMatchObject({ uploadPosts: 5, importsQueued: 0 });
		table.record({
			id: 'upload.429.always',
			area: UPLOAD_AREA,
			case: 'HTTP 429 on every attempt, without Retry-After',
			userSees: error.message,
			advice: error.description,
			server: uploadsLine(),
			lost: NOTHING_QUEUED_TOLD,
		});
	});

	it('HTTP 503 asking to wait an hour: not waited for, reported with the Retry-After', async () => {
		emulator.faults.respond('upload', 50, { status: 503, retryAfter: 3600 });
		const error = thrown(await upload());
		expect(error.message).toBe(
			'CommCare is busy or unavailable (HTTP 503); try again later. CommCare asked to wait (Retry-After: 3600).',
		);
		expect(error.description).toBe(
			'The server answered an empty body. Nothing was imported, so running it again later is safe.',
		);
		expect(received(emulator)).toMatchObject({ uploadPosts: 1, importsQueued: 0 });
		table.record({
			id: 'upload.503.retryAfterTooLong',
			area: UPLOAD_AREA,
			case: 'HTTP 503 with Retry-After: 3600 (longer than the 120 s the node will wait)',
			userSees: error.message,
			advice: error.description,
			server: uploadsLine(),
			lost: NOTHING_QUEUED_TOLD,
		});
	});

	describe.each([502, 504])('HTTP %i from a gateway (the request may have been passed on): never resent', (status) => {
		it.each([
			['without Retry-After', undefined],
			['with Retry-After: 1', 1],
		])('%s', async (label, retryAfter) => {
			emulator.faults.respond('upload', 5, { status, retryAfter, html: true });
			const error = thrown(await upload());
			expect(error.message).toBe(`The upload got HTTP ${status} from a gateway in front of CommCare: ${MAYBE_QUEUED}.`);
			expect(error.description).toBe(CHECK_IMPORT_HISTORY);
			expectNoMarkup(`${error.message} ${error.description}`);
			expect(received(emulator)).toMatchObject({ uploadPosts: 1, importsQueued: 0 });
			table.record({
				id: `upload.${status}.${retryAfter === undefined ? 'noRetryAfter' : 'retryAfter'}`,
				area: UPLOAD_AREA,
				case: `HTTP ${status} (HTML gateway page), ${label}`,
				userSees: error.message,
				advice: error.description,
				server: uploadsLine(),
				lost: 'nothing: not resent; the user is told to check before re-running',
				alsoCoveredBy: [
					'test/unit/shared/transport/request.test.ts › does not retry the upload after a 502 or 504 (a gateway may have passed it on)',
				],
			});
		});
	});

	it('an HTML 500 page: summarised (title only), never resent', async () => {
		emulator.faults.respond('upload', 5, { status: 500, html: true });
		const error = thrown(await upload());
		expect(error.message).toBe(
			'CommCare failed with an internal error (HTTP 500) and sent an HTML page titled "500 Error" instead of a message.',
		);
		expect(error.description).toMatch(
			/^Nothing says whether the import was queued: check CommCare HQ → Data → Import Cases from Excel/,
		);
		expectNoMarkup(`${error.message} ${error.description}`);
		expect(received(emulator)).toMatchObject({ uploadPosts: 1, importsQueued: 0 });
		table.record({
			id: 'upload.html500',
			area: UPLOAD_AREA,
			case: 'HTTP 500 with an HTML error page',
			userSees: error.message,
			advice: error.description,
			server: uploadsLine(),
			lost: 'nothing: not resent; the user is told to check before re-running',
			alsoCoveredBy: [
				'test/integration/CommCareBulkImport/fileSource.test.ts › summarises an HTML 500 page instead of dumping it',
			],
		});
	});

	it('a 200 whose JSON is cut short: "probably queued", never resent', async () => {
		emulator.faults.malformedJson('upload', 1);
		const error = thrown(await upload());
		expect(error.message).toBe('CommCare accepted the upload (HTTP 200), but its answer has no readable status_url');
		expect(error.description).toMatch(
			new RegExp(
				`^It answered "\\{"code": 200, .*": the import was probably queued, but it cannot be followed from here\\. ${CHECK_IMPORT_HISTORY.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
			),
		);
		expect(received(emulator)).toMatchObject({ uploadPosts: 1, importsQueued: 1 });
		table.record({
			id: 'upload.malformedJson',
			area: UPLOAD_AREA,
			case: 'HTTP 200 whose JSON body is cut in half (status_url unreadable)',
			userSees: error.message,
			advice: error.description,
			server: uploadsLine(),
			lost: 'nothing, and no duplicate: the import ran once; the message says it was probably queued and to check',
		});
	});

	it('three files, two uploads reset after queueing, continue on fail: error items for those, every file queued once', async () => {
		emulator.faults.respond('upload', 1, { status: 503, retryAfter: 0 });
		const items = [];
		for (const name of ['a.xlsx', 'b.xlsx', 'c.xlsx']) items.push(binaryItem(await xlsxFile(rows), name));
		// a: 503 (so resent), then queued and its connection dropped; b: queued and dropped; c: fine.
		emulator.faults.dropConnection('upload', 2, { afterBodyReceived: true });
		const result = await runScenario({
			node: bulkImport,
			credentials: apiKeyCredential(emulator) as never,
			parameters: { projectSpace: 'demo', caseType: 'patient', searchField: 'case_id', unmatchedRows: 'create' },
			items,
			continueOnFail: true,
		});
		const out = result.outputs?.[0] ?? [];
		expect(
			out.map((item) => [item.pairedItem, item.json.fileName, item.json.status_url === undefined ? 'error' : 'ok']),
		).toEqual([
			[{ item: 0 }, 'a.xlsx', 'error'],
			[{ item: 1 }, 'b.xlsx', 'error'],
			[{ item: 2 }, 'c.xlsx', 'ok'],
		]);
		// Every file queued exactly once: the dropped answers were never followed by a second upload.
		expect(emulator.uploads.filter((u) => u.status === 200).map((u) => u.fileName)).toEqual([
			'a.xlsx',
			'b.xlsx',
			'c.xlsx',
		]);
		expect(received(emulator)).toMatchObject({ uploadPosts: 4, importsQueued: 3 });
		expect(out[1].json.error).toBe(`The connection to CommCare broke during the upload (ECONNRESET): ${MAYBE_QUEUED}.`);
		table.record({
			id: 'upload.manyFilesContinueOnFail',
			area: UPLOAD_AREA,
			case: 'Three files; 503 on the first request, connection reset after queueing on the next two; Continue On Fail',
			userSees: `2 error items ("${String(out[1].json.error)}") and 1 upload item, each paired with its input`,
			server: uploadsLine(),
			lost: 'nothing, and no duplicate: each file queued once; each failed item says to check before re-running',
		});
	});
});

// ─── Status polls ───────────────────────────────────────────────────────────────────────────────────────────────

function access() {
	return { baseUrl: emulator.baseUrl, domain: 'demo', username: SECRET_USER.username, apiKey: SECRET_USER.apiKey };
}

async function queueImport(): Promise<CreatedUpload> {
	return await uploadToEmulator(access(), { rows: [{ case_id: '', name: 'Asha' }] });
}

async function checkStatus(
	upload: CreatedUpload,
	options: Partial<ScenarioOptions> & { parameters?: IDataObject } = {},
) {
	return await runScenario({
		node: importStatus,
		credentials: apiKeyCredential(emulator) as never,
		items: [uploadResultItem(upload)],
		...options,
		parameters: { ...FAST_POLLING, ...options.parameters },
	});
}

function statusLine(polls: number): string {
	const seen = received(emulator);
	return `${plural(seen.statusGets, 'status request')} (${plural(polls, 'poll')} reported); ${plural(seen.uploadPosts, 'upload')}, never resent`;
}

const SUCCESS = '1 patient case created, 0 updated';
/** What a Not Finished item says to do, before the last poll's failure (if any). */
const CHECK_AGAIN =
	'It may still finish: do not send these rows again yet. Check again later: connect Not Finished to a Wait node and back into CommCare Import Status, or raise Timeout.';
const NOT_FINISHED = 3;

describe('faults on status polls', () => {
	it('connection refused: asked again until the timeout, then Not Finished saying what the last poll got', async () => {
		const port = await closedPort();
		const upload = await queueImport();
		const deadUrl = upload.statusUrl.replace(emulator.baseUrl, `http://127.0.0.1:${port}`);
		const result = await runScenario({
			node: importStatus,
			credentials: apiKeyCredential({ baseUrl: `http://127.0.0.1:${port}` }) as never,
			items: [uploadResultItem({ ...upload, statusUrl: deadUrl })],
			parameters: FAST_POLLING,
		});
		const json = onlyItem(result, NOT_FINISHED);
		expect(json).toMatchObject({ outcome: 'notFinished', reason: 'notFinished', timedOut: true, state: null });
		expect(json.polls).toBeGreaterThan(1);
		expect(json.summary).toMatch(/^Not finished yet: no status from CommCare after [\d.]+ s$/);
		expect(json.description).toBe(
			`The last check failed: Could not connect to CommCare at http://127.0.0.1:${port} (ECONNREFUSED): the server is down or the Base URL is wrong. ${CHECK_AGAIN}`,
		);
		table.record({
			id: 'status.connectionRefused',
			area: STATUS_AREA,
			case: 'Connection refused on every poll',
			userSees: `Not Finished output: ${json.summary}`,
			advice: json.description as string,
			server: `nothing listening; ${plural(received(emulator).uploadPosts, 'upload')}, never resent`,
			lost: 'nothing: the item is on Not Finished, to be checked again; the import (queued once) is untouched',
		});
	});

	it('connection reset twice, then an answer: Success', async () => {
		const upload = await queueImport();
		emulator.faults.dropConnection('status', 2);
		const result = await checkStatus(upload, { parameters: { timeout: 0.1 } });
		const json = onlyItem(result, 0);
		expect(json).toMatchObject({ outcome: 'success', created_count: 1, polls: 3, summary: SUCCESS });
		expect(received(emulator)).toMatchObject({ statusGets: 3, uploadPosts: 1 });
		table.record({
			id: 'status.resetThenAnswer',
			area: STATUS_AREA,
			case: 'Connection reset on two polls, then a normal answer',
			userSees: `Success output: ${json.summary}`,
			server: statusLine(json.polls as number),
			lost: 'nothing',
			alsoCoveredBy: [
				'test/integration/CommCareImportStatus/uploadItems.test.ts › rides out network drops, 429, 502, 503, 504 and truncated JSON without ending the wait',
			],
		});
	});

	it('server slower than the time left: each poll is cut at the timeout, then Not Finished', async () => {
		const upload = await queueImport();
		emulator.faults.delay('status', 50, 4000);
		// Timeout 0.01 min = 0.6 s; every answer would take 4 s. Before the per-request cap a poll waited up to 60 s.
		const result = await checkStatus(upload, { parameters: { timeout: 0.01 } });
		const json = onlyItem(result, NOT_FINISHED);
		expect(json).toMatchObject({ outcome: 'notFinished', timedOut: true, polls: 1, state: null });
		expect(json.summary).toBe('Not finished yet: no status from CommCare (checked once)');
		expect(json.description).toMatch(
			/^The last check failed: CommCare at http:\/\/127\.0\.0\.1:\d+ did not answer within 1 s \(ETIMEDOUT\)\. It may still finish/,
		);
		expect(received(emulator)).toMatchObject({ statusGets: 1, uploadPosts: 1 });
		table.record({
			id: 'status.slowerThanTimeout',
			area: STATUS_AREA,
			case: 'Every status answer takes 4 s; node timeout 0.6 s (each poll gets the time left, at least 1 s)',
			userSees: `Not Finished output: ${json.summary}`,
			advice: json.description as string,
			server: statusLine(json.polls as number),
			lost: 'nothing: the item is on Not Finished, the import untouched',
		});
	});

	it.each(['headers', 'body'] as const)(
		'a server that trickles the status answer (%s) one byte every 400 ms: the poll is cut at the 1.2 s timeout',
		async (phase) => {
			const upload = await queueImport();
			emulator.faults.trickle('status', 50, { intervalMs: 400, phase });
			const started = Date.now();
			// Timeout 0.02 min = 1.2 s.
			const json = onlyItem(await checkStatus(upload, { parameters: { timeout: 0.02 } }), NOT_FINISHED);
			const elapsedMs = Date.now() - started;
			expect(json).toMatchObject({ outcome: 'notFinished', reason: 'notFinished', timedOut: true, polls: 1 });
			expect(json.summary).toBe('Not finished yet: no status from CommCare (checked once)');
			expect(json.description).toMatch(
				/^The last check failed: CommCare at http:\/\/127\.0\.0\.1:\d+ did not answer within 1\.2 s \(ETIMEDOUT\)\. It may still finish/,
			);
			await eventually(
				() => emulator.faults.trickles[0]?.cutByClient === true,
				'the emulator to notice the client hung up',
			);
			expect(emulator.faults.trickles[0].bytesSent).toBeLessThanOrEqual(6);
			expect(elapsedMs).toBeLessThan(10_000);
			table.record({
				id: `status.trickle.${phase}`,
				area: STATUS_AREA,
				case: `Every status answer is sent ${phase === 'headers' ? '(status line and headers included)' : '(headers at once, then the body)'} one byte every 400 ms; node timeout 1.2 s`,
				userSees: `Not Finished output: ${json.summary}`,
				advice: json.description as string,
				server: `${statusLine(json.polls as number)}; the answer cut by the client after at most 5 bytes`,
				lost: 'nothing: the item is on Not Finished, the import untouched',
			});
		},
	);

	it('durations too long for a timer (Timeout and Max Poll Interval of 10^12) still poll and finish', async () => {
		emulator.setTimeline({ queuedPolls: 1, runningPolls: 0 });
		const upload = await queueImport();
		const json = onlyItem(
			await checkStatus(upload, {
				parameters: { pollInterval: 0.05, timeout: 1e12, options: { maxPollInterval: 1e12 } },
			}),
			0,
		);
		expect(json).toMatchObject({ outcome: 'success', polls: 2, summary: SUCCESS });
		table.record({
			id: 'status.durationsBeyondTimers',
			area: STATUS_AREA,
			case: 'Timeout 10^12 min and Max Poll Interval 10^12 s; the import is queued for one poll',
			userSees: `Success output: ${json.summary}`,
			server: statusLine(json.polls as number),
			lost: 'nothing: every wait is held at the longest timer instead of overflowing to 1 ms',
		});
	});

	describe.each([429, 502, 503, 504])('HTTP %i once', (status) => {
		it.each([
			['without Retry-After', undefined],
			['with Retry-After: 1', 1],
		])('%s: asked again, Success', async (label, retryAfter) => {
			const upload = await queueImport();
			emulator.faults.respond('status', 1, { status, retryAfter, html: status === 502 || status === 504 });
			const result = await checkStatus(upload, { parameters: { timeout: 0.1 } });
			const json = onlyItem(result, 0);
			expect(json).toMatchObject({ outcome: 'success', polls: 2, summary: SUCCESS });
			expect(received(emulator)).toMatchObject({ statusGets: 2, uploadPosts: 1 });
			table.record({
				id: `status.${status}.once.${retryAfter === undefined ? 'noRetryAfter' : 'retryAfter'}`,
				area: STATUS_AREA,
				case: `HTTP ${status} on one poll, ${label}`,
				userSees: `Success output: ${json.summary}`,
				server: statusLine(json.polls as number),
				lost: 'nothing',
				alsoCoveredBy:
					retryAfter === undefined
						? [
								'test/integration/CommCareImportStatus/uploadItems.test.ts › rides out network drops, 429, 502, 503, 504 and truncated JSON without ending the wait',
							]
						: [
								'test/integration/CommCareImportStatus/uploadItems.test.ts › never asks again before Retry-After',
								'test/unit/shared/polling.test.ts › honours Retry-After for that URL while the others keep their rhythm',
							],
			});
		});
	});

	it('HTTP 503 on every poll: Not Finished at the timeout, naming the last answer', async () => {
		const upload = await queueImport();
		emulator.faults.respond('status', 500, { status: 503, retryAfter: 0 });
		const json = onlyItem(await checkStatus(upload), NOT_FINISHED);
		expect(json).toMatchObject({ outcome: 'notFinished', timedOut: true, state: null });
		expect(json.summary).toMatch(/^Not finished yet: no status from CommCare after [\d.]+ s$/);
		expect(json.description).toBe(`The last check failed: HTTP 503, Retry-After 0 s. ${CHECK_AGAIN}`);
		expect(received(emulator).uploadPosts).toBe(1);
		table.record({
			id: 'status.503.always',
			area: STATUS_AREA,
			case: 'HTTP 503 on every poll until the timeout',
			userSees: `Not Finished output: ${json.summary}`,
			advice: json.description as string,
			server: `a poll every back-off step until the timeout; ${plural(received(emulator).uploadPosts, 'upload')}, never resent`,
			lost: 'nothing: the item is on Not Finished, the import untouched',
		});
	});

	it('an HTML 500 page: Error, the page summarised, and the user told the import may have finished', async () => {
		const upload = await queueImport();
		emulator.faults.respond('status', 1, { status: 500, html: true });
		const json = onlyItem(await checkStatus(upload), 2);
		expect(json.summary).toBe(
			'Status check failed: CommCare failed with an internal error (HTTP 500) and sent an HTML page titled "500 Error" instead of a message',
		);
		expect(json.description).toBe(
			'The import itself may have finished or may still finish: check CommCare HQ → Data → Import Cases from Excel before uploading the same rows again.',
		);
		expectNoMarkup(String(json.summary));
		expect(received(emulator)).toMatchObject({ statusGets: 1, uploadPosts: 1 });
		table.record({
			id: 'status.html500',
			area: STATUS_AREA,
			case: 'HTTP 500 with an HTML error page on a poll',
			userSees: `Error output: ${json.summary}`,
			advice: json.description as string,
			server: statusLine(json.polls as number),
			lost: 'nothing: the item is on Error, saying the import may have finished and where to check',
		});
	});

	it('a 200 whose JSON is cut short, every time: asked again, then Not Finished at the timeout', async () => {
		const upload = await queueImport();
		emulator.faults.malformedJson('status', 500);
		const json = onlyItem(await checkStatus(upload), NOT_FINISHED);
		expect(json).toMatchObject({ outcome: 'notFinished', timedOut: true });
		expect(json.polls).toBeGreaterThan(1);
		expect(json.description).toMatch(
			/^The last check failed: the status response was not JSON \(it starts "\{"state": 2, .*"\)\. It may still finish/,
		);
		table.record({
			id: 'status.malformedJson.always',
			area: STATUS_AREA,
			case: 'HTTP 200 with truncated JSON on every poll',
			userSees: `Not Finished output: ${json.summary}`,
			advice: json.description as string,
			server: `a poll every back-off step until the timeout; ${plural(received(emulator).uploadPosts, 'upload')}, never resent`,
			lost: 'nothing: the item is on Not Finished, the import untouched',
			alsoCoveredBy: [
				'test/integration/CommCareImportStatus/uploadItems.test.ts › rides out network drops, 429, 502, 503, 504 and truncated JSON without ending the wait',
			],
		});
	});

	it('a status that stays queued: Not Finished at the timeout, with the last state', async () => {
		emulator.setTimeline({ queuedPolls: 100_000, runningPolls: 1 });
		const upload = await queueImport();
		const json = onlyItem(await checkStatus(upload), NOT_FINISHED);
		expect(json).toMatchObject({ outcome: 'notFinished', timedOut: true, state: -1, errors: [] });
		expect(json.polls).toBeGreaterThan(1);
		expect(json.summary).toMatch(/^Not finished yet: still queued after [\d.]+ s$/);
		expect(json.description).toBe(
			`${CHECK_AGAIN} CommCare runs one import at a time per project space and retries a waiting one every 5 minutes, for up to about 5 hours.`,
		);
		table.record({
			id: 'status.staysQueued',
			area: STATUS_AREA,
			case: 'The import stays queued (state -1) past the timeout',
			userSees: `Not Finished output: ${json.summary}`,
			advice: json.description as string,
			server: `a poll per interval until the timeout; ${plural(received(emulator).uploadPosts, 'upload')}, never resent`,
			lost: 'nothing: the item is on Not Finished; the import may still finish',
			alsoCoveredBy: [
				'test/integration/CommCareImportStatus/uploadItems.test.ts › Not Finished: a queued import is asked until the timeout, and the polls are counted',
			],
		});
	});

	it('a status that turns 404 while being polled: Error "not found", the wait ends at once', async () => {
		emulator.setTimeline({ queuedPolls: 100_000, runningPolls: 1 });
		const upload = await queueImport();
		const running = checkStatus(upload, { parameters: { timeout: 1 } });
		await eventually(() => received(emulator).statusGets >= 2, 'two queued polls');
		emulator.faults.statusGone(upload.uploadId);
		const json = onlyItem(await running, 2);
		expect(json).toMatchObject({ outcome: 'error', timedOut: false, state: -1 });
		expect(json.summary).toBe('Import not found: CommCare answered 404 for its status URL');
		expect(json.description).toBe(
			'The upload ID is unknown, belongs to another project space, or the upload is hidden from this user (users restricted to locations only see their own uploads). Check the status URL and the credential.',
		);
		expect(json.polls).toBe(received(emulator).statusGets);
		table.record({
			id: 'status.turns404',
			area: STATUS_AREA,
			case: 'The status answers "queued", then 404',
			userSees: `Error output: ${json.summary}`,
			advice: json.description as string,
			server: `polls until the 404, none after; ${plural(received(emulator).uploadPosts, 'upload')}, never resent`,
			lost: 'nothing: the item is on Error at once',
			alsoCoveredBy: [
				'test/integration/CommCareImportStatus/uploadItems.test.ts › Error: 404 says the import was not found and why',
			],
		});
	});

	it('HTTP 401 on a poll (key revoked mid-run): Error, naming the user, not the key', async () => {
		const upload = await queueImport();
		emulator.faults.respond('status', 1, { status: 401 });
		const json = onlyItem(await checkStatus(upload), 2);
		expect(json.summary).toBe('Status check refused: CommCare rejected the credential (HTTP 401)');
		expect(json.description).toBe(
			`Check the username and API key in the CommCare API credential (user '${SECRET_USER.username}'). API keys are under your name (top right in CommCare HQ) → My Account Settings → API Keys. A mobile worker signs in as name@project.commcarehq.org. The import itself may have finished or may still finish: check CommCare HQ → Data → Import Cases from Excel before uploading the same rows again.`,
		);
		table.record({
			id: 'status.401',
			area: STATUS_AREA,
			case: 'HTTP 401 on a poll (API key revoked during the run)',
			userSees: `Error output: ${json.summary}`,
			advice: json.description as string,
			server: statusLine(json.polls as number),
			lost: 'nothing: the item is on Error, saying the import may have finished',
		});
	});
});
