/**
 * The polling loop (polling.ts) on a virtual clock: `sleep` advances time instantly and records what was scheduled, so
 * the back-off, Retry-After and timeout rules are checked exactly and without waiting. Requests are scripted per URL.
 * Most cases read the case importer's status bodies (Import Status's reader); the last ones read lookup-table upload
 * bodies with a reader written here, to show the loop needs nothing of a body but what its reader says.
 */
import { PollingCancelledError } from '../../../nodes/shared/concurrency';
import {
	BACKOFF_FACTOR,
	pollStatusUrls,
	type Clock,
	type FetchStatus,
	type StatusAnswer,
	type StatusReader,
} from '../../../nodes/shared/polling';
import { readImportStatus } from '../../../nodes/CommCareImportStatus/statusBody';

class VirtualClock implements Clock {
	time = 1_000_000;
	sleeps: number[] = [];
	/** Called after each sleep, e.g. to abort mid-wait. */
	afterSleep?: () => void;

	now() {
		return this.time;
	}

	async sleep(ms: number, signal?: AbortSignal) {
		if (signal?.aborted) throw new Error('aborted before sleeping');
		this.sleeps.push(ms);
		this.time += ms;
		this.afterSleep?.();
		if (signal?.aborted) throw new Error('aborted while sleeping');
	}
}

const queued = (): StatusAnswer => ok({ state: -1, progress: { percent: null }, result: null });
const running = (percent: number): StatusAnswer => ok({ state: 1, progress: { percent }, result: null });
const done = (created = 1): StatusAnswer =>
	ok({
		state: 2,
		progress: { percent: 0 },
		result: { match_count: 0, created_count: created, num_chunks: 1, errors: [] },
	});
function ok(body: unknown): StatusAnswer {
	return { httpStatus: 200, body, retryAfterMs: null };
}
const http = (httpStatus: number, retryAfterSeconds: number | null = null): StatusAnswer => ({
	httpStatus,
	body: '',
	retryAfterMs: retryAfterSeconds === null ? null : retryAfterSeconds * 1000,
});

/** Answers each URL from its script in order, repeating the last answer; logs every request with its time. */
function scripted(clock: VirtualClock, scripts: Record<string, StatusAnswer[]>) {
	const requests: Array<{ url: string; at: number }> = [];
	const fetchStatus: FetchStatus = async (url) => {
		requests.push({ url, at: clock.now() });
		const script = scripts[url];
		return script.length > 1 ? (script.shift() as StatusAnswer) : script[0];
	};
	return { fetchStatus, requests };
}

/** Jitter pinned at its ceiling so back-off delays are exact. */
const base = { intervalSeconds: 1, maxIntervalSeconds: 10, timeoutSeconds: 600, random: () => 1 };

describe('pollStatusUrls', () => {
	it('polls all imports together in rounds: 5 imports finishing on their third poll take 3 rounds', async () => {
		const clock = new VirtualClock();
		const urls = ['a', 'b', 'c', 'd', 'e'];
		const { fetchStatus, requests } = scripted(
			clock,
			Object.fromEntries(urls.map((u) => [u, [queued(), running(50), done()]])),
		);
		const results = await pollStatusUrls(urls, fetchStatus, { ...base, clock }, readImportStatus);
		expect(requests).toHaveLength(15);
		const rounds = [...new Set(requests.map((r) => r.at))];
		expect(rounds).toHaveLength(3);
		for (const at of rounds)
			expect(
				requests
					.filter((r) => r.at === at)
					.map((r) => r.url)
					.sort(),
			).toEqual(urls);
		for (const url of urls)
			expect(results.get(url)).toMatchObject({ end: { kind: 'finished' }, polls: 3, lastState: 2, lastPercent: 100 });
	});

	it('asks each distinct URL once per round even when listed several times', async () => {
		const clock = new VirtualClock();
		const { fetchStatus, requests } = scripted(clock, { a: [done()] });
		const results = await pollStatusUrls(['a', 'a', 'a'], fetchStatus, { ...base, clock }, readImportStatus);
		expect(requests).toHaveLength(1);
		expect(results.size).toBe(1);
	});

	it('backs off by the factor while nothing changes, up to the cap, and resets when progress moves', async () => {
		const clock = new VirtualClock();
		const script = [
			queued(),
			queued(),
			queued(),
			queued(),
			queued(),
			queued(),
			queued(),
			queued(),
			running(10),
			running(20),
			running(20),
			done(),
		];
		const { fetchStatus } = scripted(clock, { a: script });
		await pollStatusUrls(
			['a'],
			fetchStatus,
			{ intervalSeconds: 1, maxIntervalSeconds: 5, timeoutSeconds: 600, clock },
			readImportStatus,
		);
		const f = BACKOFF_FACTOR;
		// Poll 1 is news (first answer): base. Polls 2-8 unchanged: grow to the cap. Polls 9, 10 moved: base. Poll 11 unchanged.
		expect(clock.sleeps).toEqual([
			1000,
			1000 * f,
			1000 * f * f,
			1000 * f ** 3,
			5000,
			5000,
			5000,
			5000,
			1000,
			1000,
			1000 * f,
		]);
	});

	it('retries transient failures (network, 429, 502, 503, 504, bad JSON) without ending the wait', async () => {
		const clock = new VirtualClock();
		const { fetchStatus, requests } = scripted(clock, {
			a: [{ networkError: 'ECONNRESET' }, http(429), http(502), http(503), http(504), ok('{"state": 2, "pro'), done(7)],
		});
		const results = await pollStatusUrls(['a'], fetchStatus, { ...base, clock }, readImportStatus);
		expect(requests).toHaveLength(7);
		expect(results.get('a')).toMatchObject({
			end: { kind: 'finished', status: { result: { created_count: 7 } } },
			polls: 7,
		});
		// The next try waits for the larger of the round rhythm (x1.5 per quiet round: 1.5, 2.25, 3.375, 5.06 s...)
		// and the URL's own back-off (doubling from the base: 1, 2, 4, 8 s...), both capped at the max interval (10 s).
		expect(requests.slice(1).map((r, i) => r.at - requests[i].at)).toEqual([1500, 2250, 4000, 8000, 10000, 10000]);
	});

	it('honours Retry-After for that URL while the others keep their rhythm', async () => {
		const clock = new VirtualClock();
		const { fetchStatus, requests } = scripted(clock, {
			slow: [http(429, 7), done()],
			other: [queued(), running(1), running(2), running(3), done()],
		});
		const start = clock.now();
		await pollStatusUrls(['slow', 'other'], fetchStatus, { ...base, clock }, readImportStatus);
		const slowTimes = requests.filter((r) => r.url === 'slow').map((r) => r.at - start);
		const otherTimes = requests.filter((r) => r.url === 'other').map((r) => r.at - start);
		expect(slowTimes).toEqual([0, 7000]);
		expect(otherTimes).toEqual([0, 1000, 2000, 3000, 4000]);
	});

	it('keeps retrying through transient failures until the timeout, then reports the last problem', async () => {
		const clock = new VirtualClock();
		const { fetchStatus, requests } = scripted(clock, { a: [queued(), http(503, 30)] });
		const results = await pollStatusUrls(
			['a'],
			fetchStatus,
			{
				intervalSeconds: 1,
				maxIntervalSeconds: 5,
				timeoutSeconds: 100,
				clock,
				random: () => 1,
			},
			readImportStatus,
		);
		const result = results.get('a')!;
		expect(result.end).toEqual({ kind: 'timedOut', lastProblem: 'HTTP 503, Retry-After 30 s' });
		expect(result).toMatchObject({ lastState: -1, waitedSeconds: 100 });
		// queued at 0, then 503 at 1 s, 31 s, 61 s, 91 s; the next Retry-After (121 s) is beyond the deadline.
		expect(requests.map((r) => r.at - requests[0].at)).toEqual([0, 1000, 31000, 61000, 91000]);
	});

	it.each([
		[401, { kind: 'denied', httpStatus: 401, message: null }],
		[403, { kind: 'denied', httpStatus: 403, message: null }],
		[404, { kind: 'notFound' }],
		[500, { kind: 'httpError', httpStatus: 500, message: 'CommCare HQ answered HTTP 500 to the status request' }],
	])('HTTP %i ends the wait for that URL at once', async (status, end) => {
		const clock = new VirtualClock();
		const { fetchStatus, requests } = scripted(clock, { bad: [http(status)], good: [queued(), queued(), done()] });
		const results = await pollStatusUrls(['bad', 'good'], fetchStatus, { ...base, clock }, readImportStatus);
		expect(requests.filter((r) => r.url === 'bad')).toHaveLength(1);
		expect(results.get('bad')).toMatchObject({ end, polls: 1, waitedSeconds: 0 });
		expect(results.get('good')).toMatchObject({ end: { kind: 'finished' }, polls: 3 });
	});

	it('times out with the last state and percent, making a last round at the deadline', async () => {
		const clock = new VirtualClock();
		const { fetchStatus, requests } = scripted(clock, { a: [queued(), running(37)] });
		const results = await pollStatusUrls(
			['a'],
			fetchStatus,
			{
				intervalSeconds: 2,
				maxIntervalSeconds: 2,
				timeoutSeconds: 9,
				clock,
			},
			readImportStatus,
		);
		expect(results.get('a')).toEqual({
			end: { kind: 'timedOut', lastProblem: null },
			lastState: 1,
			lastPercent: 37,
			polls: 6,
			waitedSeconds: 9,
		});
		expect(requests.map((r) => r.at - requests[0].at)).toEqual([0, 2000, 4000, 6000, 8000, 9000]);
	});

	it('timeout 0 looks once and does not wait', async () => {
		const clock = new VirtualClock();
		const { fetchStatus, requests } = scripted(clock, { a: [running(5)], b: [done()] });
		const results = await pollStatusUrls(
			['a', 'b'],
			fetchStatus,
			{ ...base, timeoutSeconds: 0, clock },
			readImportStatus,
		);
		expect(requests).toHaveLength(2);
		expect(clock.sleeps).toEqual([]);
		expect(results.get('a')).toMatchObject({ end: { kind: 'timedOut' }, lastState: 1, lastPercent: 5, polls: 1 });
		expect(results.get('b')).toMatchObject({ end: { kind: 'finished' } });
	});

	it('stops at once when cancelled during a sleep: rejects and sends nothing more', async () => {
		const clock = new VirtualClock();
		const controller = new AbortController();
		const { fetchStatus, requests } = scripted(clock, { a: [queued()], b: [queued()] });
		clock.afterSleep = () => {
			if (clock.sleeps.length === 2) controller.abort();
		};
		await expect(
			pollStatusUrls(['a', 'b'], fetchStatus, { ...base, clock, signal: controller.signal }, readImportStatus),
		).rejects.toBeInstanceOf(PollingCancelledError);
		expect(requests).toHaveLength(4);
	});

	it('stops at once when cancelled during a request: no queued request starts afterwards', async () => {
		const clock = new VirtualClock();
		const controller = new AbortController();
		const requests: string[] = [];
		const fetchStatus: FetchStatus = async (url) => {
			requests.push(url);
			if (requests.length === 3) controller.abort();
			return queued();
		};
		const urls = Array.from({ length: 10 }, (_, i) => `u${i}`);
		await expect(
			pollStatusUrls(
				urls,
				fetchStatus,
				{ ...base, clock, concurrency: 1, signal: controller.signal },
				readImportStatus,
			),
		).rejects.toBeInstanceOf(PollingCancelledError);
		expect(requests).toHaveLength(3);
	});

	it('keeps at most `concurrency` requests in flight', async () => {
		const clock = new VirtualClock();
		let inFlight = 0;
		let maxInFlight = 0;
		const fetchStatus: FetchStatus = async () => {
			inFlight += 1;
			maxInFlight = Math.max(maxInFlight, inFlight);
			await new Promise((resolve) => setImmediate(resolve));
			inFlight -= 1;
			return done();
		};
		const urls = Array.from({ length: 11 }, (_, i) => `u${i}`);
		const results = await pollStatusUrls(urls, fetchStatus, { ...base, clock, concurrency: 4 }, readImportStatus);
		expect(maxInFlight).toBe(4);
		expect([...results.values()].every((r) => r.end.kind === 'finished')).toBe(true);
	});

	it('passes the message of a refused answer on, and ends at once on a failure asking again will not fix', async () => {
		const clock = new VirtualClock();
		const { fetchStatus, requests } = scripted(clock, {
			denied: [{ httpStatus: 401, body: '', retryAfterMs: null, message: 'CommCare rejected the credential' }],
			redirected: [{ fatalError: 'CommCare redirected to another server', httpStatus: 302, sent: true }],
		});
		const results = await pollStatusUrls(['denied', 'redirected'], fetchStatus, { ...base, clock }, readImportStatus);
		expect(requests).toHaveLength(2);
		expect(results.get('denied')!.end).toEqual({
			kind: 'denied',
			httpStatus: 401,
			message: 'CommCare rejected the credential',
		});
		expect(results.get('redirected')!.end).toEqual({
			kind: 'httpError',
			httpStatus: 302,
			message: 'CommCare redirected to another server',
		});
	});

	it('treats a fetch that throws as a transient network failure', async () => {
		const clock = new VirtualClock();
		let calls = 0;
		const fetchStatus: FetchStatus = async () => {
			calls += 1;
			if (calls === 1) throw new Error('socket hang up');
			return done();
		};
		const results = await pollStatusUrls(['a'], fetchStatus, { ...base, clock }, readImportStatus);
		expect(results.get('a')).toMatchObject({ end: { kind: 'finished' }, polls: 2 });
	});
});

describe('pollStatusUrls on the real clock', () => {
	it('a cancel during a long sleep ends the wait at once (the 60 s interval never elapses)', async () => {
		const controller = new AbortController();
		let requests = 0;
		const fetchStatus: FetchStatus = async () => {
			requests += 1;
			setImmediate(() => controller.abort());
			return queued();
		};
		const waiting = pollStatusUrls(
			['a'],
			fetchStatus,
			{
				intervalSeconds: 60,
				maxIntervalSeconds: 60,
				timeoutSeconds: 3600,
				signal: controller.signal,
			},
			readImportStatus,
		);
		await expect(waiting).rejects.toBeInstanceOf(PollingCancelledError);
		expect(requests).toBe(1);
	});
});

/**
 * A second kind of job: CommCare's lookup-table upload. Its status URL always answers HTTP 200; the body says
 * `{"message": "Task in progress. 40% complete", "progress": 40}` (progress null before it starts),
 * `{"complete": true, "message": "Upload complete."}` or `{"error": true, "message": "Upload did not complete. …"}`.
 */
type UploadState = 'inProgress' | 'complete' | 'error';
interface UploadStatus {
	state: UploadState;
	message: string;
}

const readUploadStatus: StatusReader<UploadStatus, UploadState> = (body) => {
	if (typeof body !== 'object' || body === null || typeof (body as { message?: unknown }).message !== 'string') {
		return { ok: false, problem: 'the answer is not a lookup-table upload status' };
	}
	const { message, progress, complete, error } = body as Record<string, unknown>;
	const state: UploadState = error === true ? 'error' : complete === true ? 'complete' : 'inProgress';
	const percent = typeof progress === 'number' ? progress : null;
	return {
		ok: true,
		status: { state, message: message as string },
		state,
		percent,
		progress: state === 'complete' ? 100 : state === 'inProgress' ? percent : null,
		finished: state !== 'inProgress',
	};
};

const uploadRunning = (progress: number | null) =>
	ok({ message: `Task in progress. ${progress === null ? 'None' : progress}% complete`, progress });
const uploadComplete = () => ok({ complete: true, message: 'Upload complete.' });
const uploadFailed = () => ok({ error: true, message: "Upload did not complete. Reason: ''" });

describe('pollStatusUrls with another reader (lookup-table uploads)', () => {
	it('waits through progress null, then 40, until complete, backing off only while nothing moves', async () => {
		const clock = new VirtualClock();
		const { fetchStatus, requests } = scripted(clock, {
			upload: [uploadRunning(null), uploadRunning(null), uploadRunning(40), uploadRunning(40), uploadComplete()],
		});
		const results = await pollStatusUrls(['upload'], fetchStatus, { ...base, clock }, readUploadStatus);
		expect(results.get('upload')).toEqual({
			end: { kind: 'finished', status: { state: 'complete', message: 'Upload complete.' }, problem: null },
			lastState: 'complete',
			lastPercent: 100,
			polls: 5,
			waitedSeconds: 5,
		});
		// First answer: news (base). Null again: grows. 40: moved (base). 40 again: grows.
		expect(clock.sleeps).toEqual([1000, 1000 * BACKOFF_FACTOR, 1000, 1000 * BACKOFF_FACTOR]);
		expect(requests).toHaveLength(5);
	});

	it('an upload that reports an error ends as finished with that status, keeping how far it got', async () => {
		const clock = new VirtualClock();
		const { fetchStatus, requests } = scripted(clock, {
			failing: [uploadRunning(40), uploadFailed()],
			other: [uploadRunning(null), uploadRunning(10), uploadRunning(20), uploadComplete()],
		});
		const results = await pollStatusUrls(['failing', 'other'], fetchStatus, { ...base, clock }, readUploadStatus);
		expect(results.get('failing')).toEqual({
			end: {
				kind: 'finished',
				status: { state: 'error', message: "Upload did not complete. Reason: ''" },
				problem: null,
			},
			lastState: 'error',
			lastPercent: 40,
			polls: 2,
			waitedSeconds: 1,
		});
		expect(results.get('other')).toMatchObject({ end: { kind: 'finished' }, lastState: 'complete', polls: 4 });
		// The failed upload is not asked again once it ended.
		expect(requests.filter((r) => r.url === 'failing')).toHaveLength(2);
	});

	it('asks again after a body that is not a status, until the timeout, naming the problem', async () => {
		const clock = new VirtualClock();
		const { fetchStatus, requests } = scripted(clock, {
			upload: [uploadRunning(null), ok('<html><title>Log in</title></html>'), ok({ detail: 'nothing here' })],
		});
		const results = await pollStatusUrls(
			['upload'],
			fetchStatus,
			{ intervalSeconds: 1, maxIntervalSeconds: 4, timeoutSeconds: 20, clock, random: () => 1 },
			readUploadStatus,
		);
		expect(results.get('upload')).toEqual({
			end: { kind: 'timedOut', lastProblem: 'the answer is not a lookup-table upload status' },
			lastState: 'inProgress',
			lastPercent: null,
			polls: 7,
			waitedSeconds: 20,
		});
		// In progress at 0; then each failure waits for the larger of the quiet-round rhythm (1.5, 2.25, 3.375 s ...)
		// and the URL's own back-off (1, 2, 4 s, capped at 4 s). The next try (20.75 s) would fall past the deadline.
		expect(requests.map((r) => r.at - requests[0].at)).toEqual([0, 1000, 2500, 4750, 8750, 12750, 16750]);
	});
});
