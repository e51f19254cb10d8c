/**
 * CommCare Import Status against the emulator over loopback: every route to Success / Warning / Error / Not Finished
 * (a node added today, version 1.2; what older versions keep: test/integration/versions/), the polling rules (one
 * loop for all imports, transient failures, Retry-After, cancellation) and the origin rule.
 * Imports are created by POSTing real .xlsx files to the emulator (test/support/emulator.ts).
 * Counts, not durations: the assertions are on requests seen by the emulator and items on each output.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ICredentialDataDecryptedObject, INodeExecutionData } from 'n8n-workflow';

import { CommCareImportStatus } from '../../../nodes/CommCareImportStatus/CommCareImportStatus.node';
import type { ImportOutcomeJson } from '../../../nodes/shared/outputContract';
import { ERROR_TEXT, startEmulator, type Emulator } from '../../../emulator';
import {
	emulatorCredential,
	uploadResultItem,
	uploadToEmulator,
	type SheetRow,
	useEmulator,
} from '../../support/emulator';
import { runNode } from '../../support/n8nContext';
import { CREATION_OFF } from '../../../nodes/shared/wording';

const node = new CommCareImportStatus();
/**
 * Fast polling against a local server; the timeout only bounds a broken test. Simplify off: the assertions read the
 * full outcome (counts, state, polls, the case lookup), which Simplify, on by default, leaves out.
 */
const FAST = { pollInterval: 0.05, timeout: 1, simplify: false };

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 1, runningPolls: 1 } });

function credentials(overrides: ICredentialDataDecryptedObject = {}) {
	return emulatorCredential(emulator, overrides);
}

function statusRequests(target: Emulator = emulator) {
	return target.requests.filter((request) => request.method === 'GET' && request.path.endsWith('/status'));
}

function uploadIdOf(path: string): string {
	return /uploads\/([\w-]+)\/status/.exec(path)?.[1] ?? '';
}

type Outputs = INodeExecutionData[][];
const jsonOf = (items: INodeExecutionData[]) => items.map((item) => item.json as ImportOutcomeJson);

const OUTCOMES = ['success', 'warning', 'error', 'notFinished'];

/** Every item on our outputs must be an outcome, never something n8n would take for an error item. */
function expectWellFormed(outputs: Outputs, inputCount: number) {
	expect(outputs).toHaveLength(4);
	const all = outputs.flat();
	expect(all).toHaveLength(inputCount);
	for (const item of all) {
		expect(item.pairedItem).toEqual({ item: expect.any(Number) });
		expect(Object.keys(item.json)).not.toContain('error');
		expect(OUTCOMES).toContain(item.json.outcome);
	}
	outputs.forEach((items, index) => {
		for (const item of items) expect(item.json.outcome).toBe(OUTCOMES[index]);
	});
	expect(all.map((item) => (item.pairedItem as { item: number }).item).sort((a, b) => a - b)).toEqual(
		Array.from({ length: inputCount }, (_, i) => i),
	);
}

const people = (names: string[], extra: SheetRow = {}): SheetRow[] =>
	names.map((name) => ({ case_id: '', name, ...extra }));

describe('routes', () => {
	it('Success: state 2 without errors, with counts, polls and the upload kept', async () => {
		const upload = await uploadToEmulator(emulator, { rows: people(['Asha', 'Ben', 'Chidi']) });
		const input = uploadResultItem(upload);
		const { outputs } = await runNode({ node, credentials: credentials(), parameters: FAST, items: [input] });
		expectWellFormed(outputs, 1);
		const [success] = jsonOf(outputs[0]);
		expect(success).toMatchObject({
			outcome: 'success',
			reason: 'imported',
			status_url: upload.statusUrl,
			state: 2,
			percent: 100,
			created_count: 3,
			match_count: 0,
			num_chunks: 1,
			skipped_count: 0,
			errors: [],
			timedOut: false,
			polls: 3,
			upload: input.json,
			description: null,
			warnings: [],
		});
		expect(success.summary).toBe('3 patient cases created, 0 updated');
		expect(statusRequests()).toHaveLength(3);
		expect(
			statusRequests().every((r) => r.headers.authorization === `ApiKey ${emulator.username}:${emulator.apiKey}`),
		).toBe(true);
	});

	it('Warning: state 2 with real Invalid Owner row errors', async () => {
		const rows: SheetRow[] = [
			{ case_id: '', name: 'Asha', owner_id: 'owner-chw-1' },
			{ case_id: '', name: 'Ben', owner_id: 'nobody-here' },
			{ case_id: '', name: 'Chidi', owner_id: '' },
			{ case_id: '', name: 'Dana', owner_id: 'not-an-owner' },
		];
		const upload = await uploadToEmulator(emulator, { rows });
		const { outputs } = await runNode({
			node,
			credentials: credentials(),
			parameters: FAST,
			items: [uploadResultItem(upload)],
		});
		expectWellFormed(outputs, 1);
		const [warning] = jsonOf(outputs[1]);
		expect(warning).toMatchObject({
			outcome: 'warning',
			reason: 'rowErrors',
			state: 2,
			created_count: 2,
			match_count: 0,
			skipped_count: 0,
		});
		expect(warning.errors).toEqual([{ ...ERROR_TEXT.invalidOwner, column: 'owner_id', rows: [3, 5] }]);
		expect(warning.summary).toBe('2 patient cases created, 0 updated; 2 sheet rows not imported (Invalid Owner)');
		expect(warning.description).toBe(
			'Fix the sheet rows errors lists and send them again; the other rows were imported.',
		);
	});

	it('Error: state 3 for a reserved "type" header, with the server description in errors', async () => {
		const upload = await uploadToEmulator(emulator, { rows: [{ case_id: '', name: 'Asha', type: 'x' }] });
		const { outputs } = await runNode({
			node,
			credentials: credentials(),
			parameters: FAST,
			items: [uploadResultItem(upload)],
		});
		expectWellFormed(outputs, 1);
		const [error] = jsonOf(outputs[2]);
		expect(error).toMatchObject({ outcome: 'error', reason: 'failed', state: 3, timedOut: false, created_count: null });
		expect(error.summary).toBe('Import of patient cases failed');
		expect(error.errors).toEqual([expect.objectContaining({ description: 'Error: Field name "type" is reserved' })]);
		expect(error.description).toBe(
			'CommCare may have applied some rows before it failed: check the patient cases in CommCare (or Data → Import Cases from Excel in CommCare HQ) before sending the rows again.',
		);
	});

	it('Error: state 3 when the search column is missing from the sheet', async () => {
		const upload = await uploadToEmulator(emulator, { rows: [{ name: 'Asha' }] });
		const { outputs } = await runNode({
			node,
			credentials: credentials(),
			parameters: FAST,
			items: [uploadResultItem(upload)],
		});
		expect(jsonOf(outputs[2])[0]).toMatchObject({
			summary: 'Import of patient cases failed',
			errors: [expect.objectContaining({ description: "'case_id'" })],
		});
	});

	it('Not Finished: timeout 0 looks once and reports the last state and percent', async () => {
		emulator.setTimeline({ queuedPolls: 0, runningPolls: 4 });
		const upload = await uploadToEmulator(emulator, { rows: people(['Asha']) });
		const { outputs } = await runNode({
			node,
			credentials: credentials(),
			parameters: { pollInterval: 0.05, timeout: 0, simplify: false },
			items: [uploadResultItem(upload)],
		});
		expectWellFormed(outputs, 1);
		const [notFinished] = jsonOf(outputs[3]);
		expect(notFinished).toMatchObject({
			outcome: 'notFinished',
			reason: 'notFinished',
			timedOut: true,
			state: 1,
			percent: 20,
			polls: 1,
			errors: [],
		});
		expect(notFinished.summary).toBe('Not finished yet: running, 20% done (checked once)');
		expect(notFinished.description).toBe(
			'It may still finish: do not send these rows again yet. Check again later: connect Not Finished to a Wait node and back into CommCare Import Status, or raise Timeout.',
		);
		expect(statusRequests()).toHaveLength(1);
	});

	it('Not Finished: a queued import is asked until the timeout, and the polls are counted', async () => {
		emulator.setTimeline({ queuedPolls: 100_000, runningPolls: 1 });
		const upload = await uploadToEmulator(emulator, { rows: people(['Asha']) });
		const timeoutMinutes = 0.004; // 0.24 s
		const { outputs } = await runNode({
			node,
			credentials: credentials(),
			parameters: { pollInterval: 0.05, timeout: timeoutMinutes, simplify: false },
			items: [uploadResultItem(upload)],
		});
		const [notFinished] = jsonOf(outputs[3]);
		expect(notFinished).toMatchObject({ outcome: 'notFinished', timedOut: true, state: -1, percent: null });
		expect(notFinished.polls).toBeGreaterThanOrEqual(2);
		expect(notFinished.polls).toBe(statusRequests().length);
		expect(notFinished.waitedSeconds).toBeGreaterThanOrEqual(0.2);
		expect(notFinished.summary).toMatch(/^Not finished yet: still queued after [\d.]+ s$/);
		// Why it can stay queued for hours, said once, in what to do.
		expect(notFinished.description).toContain('CommCare runs one import at a time per project space');
	});

	it('a Not Finished item sent back in (a Wait loop) is checked again and accounted like the upload item', async () => {
		emulator.setTimeline({ queuedPolls: 1, runningPolls: 0 });
		const upload = await uploadToEmulator(emulator, { rows: people(['Asha', 'Ben']) });
		const uploadItem = uploadResultItem(upload);
		const first = await runNode({
			node,
			credentials: credentials(),
			parameters: { pollInterval: 0.05, timeout: 0, simplify: false },
			items: [uploadItem],
		});
		const [notFinished] = first.outputs[3];
		expect(notFinished.json).toMatchObject({ reason: 'notFinished', state: -1 });

		const again = await runNode({ node, credentials: credentials(), parameters: FAST, items: [notFinished] });
		const direct = await runNode({ node, credentials: credentials(), parameters: FAST, items: [uploadItem] });
		expectWellFormed(again.outputs, 1);
		const [success] = jsonOf(again.outputs[0]);
		expect(success).toMatchObject({ outcome: 'success', created_count: 2, match_count: 0 });
		// The outcome of the loop is the outcome of the upload: same counts, same upload kept, no nested outcome.
		const comparable = (json: ImportOutcomeJson) => ({ ...json, polls: 0, waitedSeconds: 0 });
		expect(comparable(success)).toEqual(comparable(jsonOf(direct.outputs[0])[0]));
		expect(success.upload).toEqual(uploadItem.json);
	});

	it('Error: 404 says the import was not found and why', async () => {
		const upload = await uploadToEmulator(emulator, { rows: people(['Asha']) });
		emulator.faults.statusGone(upload.uploadId);
		const { outputs } = await runNode({
			node,
			credentials: credentials(),
			parameters: FAST,
			items: [uploadResultItem(upload)],
		});
		expectWellFormed(outputs, 1);
		const [error] = jsonOf(outputs[2]);
		expect(error).toMatchObject({ outcome: 'error', reason: 'notFound', polls: 1, state: null, timedOut: false });
		expect(error.summary).toBe('Import not found: CommCare answered 404 for its status URL');
		expect(error.description).toMatch(/unknown, belongs to another project space, or the upload is hidden/);
	});

	it('Error: an upstream item without status_url keeps the upstream error and sends nothing', async () => {
		const upstream = { error: 'Error: Your spreadsheet is empty. Please try again with a different spreadsheet.' };
		const { outputs, sent } = await runNode({
			node,
			credentials: credentials(),
			parameters: FAST,
			items: [{ json: upstream }],
		});
		expectWellFormed(outputs, 1);
		const [error] = jsonOf(outputs[2]);
		expect(error).toMatchObject({
			outcome: 'error',
			reason: 'noStatusUrl',
			status_url: null,
			polls: 0,
			upload: upstream,
		});
		expect(error.summary).toBe('No import to check: the upload failed upstream');
		expect(error.description).toBe(
			'CommCare Bulk Import said: Error: Your spreadsheet is empty. Please try again with a different spreadsheet. Fix that, then run the upload again.',
		);
		expect(sent).toHaveLength(0);
		expect(emulator.requests).toHaveLength(0);
	});

	it.each([
		['401 (wrong API key)', { apiKey: 'wrong-key' }, /^CommCare rejected the credential \(HTTP 401\)/],
		[
			'403 (no Edit Data)',
			{ username: 'viewer@example.org', apiKey: 'viewer-key' },
			/^No access to project space 'demo' \(HTTP 403\)/,
		],
		['403 (not a member)', { username: 'outsider@example.org', apiKey: 'outsider-key' }, /HTTP 403/],
	])('Error: %s ends the wait at once for every import', async (_label, credentialOverrides, message) => {
		emulator.setTimeline({ queuedPolls: 5, runningPolls: 5 });
		const first = await uploadToEmulator(emulator, { rows: people(['Asha']) });
		const second = await uploadToEmulator(emulator, { rows: people(['Ben']) });
		const { outputs } = await runNode({
			node,
			credentials: credentials(credentialOverrides),
			parameters: FAST,
			items: [uploadResultItem(first), uploadResultItem(second)],
		});
		expectWellFormed(outputs, 2);
		for (const error of jsonOf(outputs[2])) {
			expect(error).toMatchObject({ outcome: 'error', reason: 'denied', polls: 1, timedOut: false });
			expect(error.summary).toMatch(/^Status check refused: /);
			expect(error.summary.replace('Status check refused: ', '')).toMatch(message);
			expect(error.description).toContain('The import itself may have finished or may still finish');
			expect(JSON.stringify(error)).not.toContain('wrong-key');
		}
		expect(statusRequests()).toHaveLength(2);
	});
});

describe('silent skips', () => {
	it('a blank row (only a case_id) is counted as skipped and makes a Warning saying why', async () => {
		const rows: SheetRow[] = [
			{ case_id: '', name: 'Asha' },
			{ case_id: 'abc123', name: '' },
			{ case_id: '', name: 'Chidi' },
		];
		const upload = await uploadToEmulator(emulator, { rows });
		const { outputs } = await runNode({
			node,
			credentials: credentials(),
			parameters: FAST,
			items: [uploadResultItem(upload)],
		});
		const [warning] = jsonOf(outputs[1]);
		expect(warning).toMatchObject({
			outcome: 'warning',
			reason: 'skippedRows',
			created_count: 2,
			match_count: 0,
			skipped_count: 1,
			errors: [],
		});
		expect(warning.summary).toBe('2 patient cases created, 0 updated; 1 sheet row skipped silently');
		// The multi-sheet clause only when the checks warned of multi-sheet mode: here they did not.
		expect(warning.description).toBe(
			'CommCare skips blank rows (every mapped cell empty) without saying which. Use One Item per Record in CommCare Bulk Import to see which rows they were, with Look Up Case IDs on here.',
		);
	});

	it('unmatched rows while creation is off are counted as skipped, and the sentence names that reason', async () => {
		const existing = emulator.cases.add(emulator.domain, { case_type: 'patient', name: 'Old' });
		const rows: SheetRow[] = [
			{ case_id: existing.case_id, name: 'Renamed' },
			{ case_id: 'no-such-case', name: 'Ghost' },
		];
		const upload = await uploadToEmulator(emulator, { rows, createNewCases: false });
		const { outputs } = await runNode({
			node,
			credentials: credentials(),
			parameters: FAST,
			items: [uploadResultItem(upload)],
		});
		const [warning] = jsonOf(outputs[1]);
		expect(warning).toMatchObject({ created_count: 0, match_count: 1, skipped_count: 1 });
		expect(warning.description).toContain(`rows whose ID matches no case while ${CREATION_OFF}`);
	});
});

describe('polling', () => {
	it('polls 5 imports together: every round asks each import once before any is asked again', async () => {
		emulator.setTimeline({ queuedPolls: 2, runningPolls: 2 });
		const uploads = [];
		for (let i = 0; i < 5; i++) uploads.push(await uploadToEmulator(emulator, { rows: people([`P${i}`]) }));
		const { outputs } = await runNode({
			node,
			credentials: credentials(),
			parameters: FAST,
			items: uploads.map((u) => uploadResultItem(u)),
		});
		expectWellFormed(outputs, 5);
		expect(jsonOf(outputs[0]).map((o) => o.polls)).toEqual([5, 5, 5, 5, 5]);
		const order = statusRequests().map((r) => uploadIdOf(r.path));
		expect(order).toHaveLength(25);
		const ids = uploads.map((u) => u.uploadId).sort();
		for (let round = 0; round < 5; round++) expect(order.slice(round * 5, round * 5 + 5).sort()).toEqual(ids);
	});

	it('asks a status URL shared by several items once per round', async () => {
		const upload = await uploadToEmulator(emulator, { rows: people(['Asha']) });
		const { outputs } = await runNode({
			node,
			credentials: credentials(),
			parameters: FAST,
			items: [uploadResultItem(upload), uploadResultItem(upload)],
		});
		expectWellFormed(outputs, 2);
		expect(statusRequests()).toHaveLength(3);
	});

	it('rides out network drops, 429, 502, 503, 504 and truncated JSON without ending the wait', async () => {
		emulator.setTimeline({ queuedPolls: 0, runningPolls: 0 });
		const upload = await uploadToEmulator(emulator, { rows: people(['Asha']) });
		emulator.faults.dropConnection('status', 1);
		emulator.faults.respond('status', 1, { status: 429 });
		emulator.faults.respond('status', 1, { status: 502, html: true });
		emulator.faults.respond('status', 1, { status: 503 });
		emulator.faults.respond('status', 1, { status: 504 });
		emulator.faults.malformedJson('status', 1);
		const parameters = { ...FAST, options: { maxPollInterval: 0.2 } };
		const { outputs } = await runNode({
			node,
			credentials: credentials(),
			parameters,
			items: [uploadResultItem(upload)],
		});
		const [success] = jsonOf(outputs[0]);
		expect(success).toMatchObject({ outcome: 'success', created_count: 1 });
		expect(statusRequests()).toHaveLength(7);
		expect(success.polls).toBe(7);
	});

	it('never asks again before Retry-After', async () => {
		emulator.setTimeline({ queuedPolls: 0, runningPolls: 0 });
		const upload = await uploadToEmulator(emulator, { rows: people(['Asha']) });
		emulator.faults.respond('status', 1, { status: 503, retryAfter: 1 });
		const { outputs } = await runNode({
			node,
			credentials: credentials(),
			parameters: FAST,
			items: [uploadResultItem(upload)],
		});
		expect(jsonOf(outputs[0])[0]).toMatchObject({ outcome: 'success', polls: 2 });
		const [refused, answered] = statusRequests();
		expect(answered.at - refused.at).toBeGreaterThanOrEqual(1000);
	});

	it('a cancelled execution stops polling at once: execute rejects and nothing more is sent', async () => {
		emulator.setTimeline({ queuedPolls: 100_000, runningPolls: 1 });
		const upload = await uploadToEmulator(emulator, { rows: people(['Asha']) });
		const controller = new AbortController();
		// A 60 s interval: the run can only end within the test's time if the cancel cuts the sleep short.
		const running = runNode({
			node,
			credentials: credentials(),
			parameters: { pollInterval: 60, timeout: 30, simplify: false },
			items: [uploadResultItem(upload)],
			cancelSignal: controller.signal,
		});
		while (statusRequests().length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
		controller.abort();
		await expect(running).rejects.toThrow('The execution was cancelled while waiting for the import status');
		const seenAtCancel = statusRequests().length;
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(statusRequests()).toHaveLength(seenAtCancel);
		expect(seenAtCancel).toBe(1);
	});

	it('a cancel while requests are in flight with fast polling also stops everything', async () => {
		emulator.setTimeline({ queuedPolls: 100_000, runningPolls: 1 });
		const uploads = [];
		for (let i = 0; i < 3; i++) uploads.push(await uploadToEmulator(emulator, { rows: people([`P${i}`]) }));
		const controller = new AbortController();
		const running = runNode({
			node,
			credentials: credentials(),
			parameters: FAST,
			items: uploads.map((u) => uploadResultItem(u)),
			cancelSignal: controller.signal,
		});
		while (statusRequests().length < 6) await new Promise((resolve) => setImmediate(resolve));
		controller.abort();
		await expect(running).rejects.toThrow(/cancelled/);
		const seenAtCancel = statusRequests().length;
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(statusRequests()).toHaveLength(seenAtCancel);
	});
});

describe('the credential stays home', () => {
	let other: Server;
	let otherOrigin: string;
	const otherRequests: Array<{ url?: string; headers: IncomingHttpHeaders }> = [];

	beforeAll(async () => {
		other = createServer((request, response) => {
			otherRequests.push({ url: request.url, headers: request.headers });
			response.writeHead(200, { 'Content-Type': 'application/json' });
			response.end(
				'{"state": 2, "progress": {"percent": 0}, "result": {"match_count": 0, "created_count": 1, "num_chunks": 1, "errors": []}}',
			);
		});
		await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
		otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
	});
	afterAll(async () => {
		await new Promise((resolve) => other.close(resolve));
	});

	it('a status URL handed out on another origin is never requested; its item goes to Error saying why', async () => {
		const elsewhere = await startEmulator({
			publicBaseUrl: otherOrigin,
			timeline: { queuedPolls: 0, runningPolls: 0 },
		});
		try {
			const foreign = await uploadToEmulator(elsewhere, { rows: people(['Asha']) });
			expect(foreign.statusUrl.startsWith(`${otherOrigin}/`)).toBe(true);
			const home = await uploadToEmulator(emulator, { rows: people(['Ben']) });
			const { outputs, sent } = await runNode({
				node,
				credentials: credentials(),
				parameters: FAST,
				items: [uploadResultItem(foreign), uploadResultItem(home)],
			});
			expectWellFormed(outputs, 2);
			expect(otherRequests).toHaveLength(0);
			expect(otherRequests.filter((r) => r.headers.authorization !== undefined)).toHaveLength(0);
			const [refused] = jsonOf(outputs[2]);
			expect(outputs[2][0].pairedItem).toEqual({ item: 0 });
			expect(refused).toMatchObject({ outcome: 'error', reason: 'refused', status_url: foreign.statusUrl, polls: 0 });
			expect(refused.summary).toBe(
				`Status URL not requested: Refusing to send the CommCare credential to ${otherOrigin}: it is only sent to ${emulator.baseUrl}, the origin of the credential's Base URL`,
			);
			expect(refused.description).toBe(
				'A status URL on another server is never followed. If your CommCare server is reached under another address, set the Base URL to that address.',
			);
			// The other import was polled as usual, and nothing else went out.
			expect(jsonOf(outputs[0])[0]).toMatchObject({ status_url: home.statusUrl, outcome: 'success' });
			expect(sent.every((request) => request.options.url?.startsWith(`${emulator.baseUrl}/`))).toBe(true);
			expect(statusRequests(elsewhere)).toHaveLength(0);
		} finally {
			await elsewhere.close();
		}
	});

	it('the same host under another name or scheme is another origin too', async () => {
		const upload = await uploadToEmulator(emulator, { rows: people(['Asha']) });
		const variants = [
			upload.statusUrl.replace('127.0.0.1', 'localhost'),
			upload.statusUrl.replace('http://', 'https://'),
			'ftp://example.org/status',
			'not a url',
		];
		const { outputs, sent } = await runNode({
			node,
			credentials: credentials(),
			parameters: FAST,
			items: variants.map((status_url) => ({ json: { status_url } })),
		});
		expectWellFormed(outputs, 4);
		expect(jsonOf(outputs[2]).map((o) => o.polls)).toEqual([0, 0, 0, 0]);
		expect(jsonOf(outputs[2]).every((o) => o.summary.startsWith('Status URL not requested: '))).toBe(true);
		expect(sent).toHaveLength(0);
		expect(emulator.requests.filter((r) => r.method === 'GET')).toHaveLength(0);
	});
});
