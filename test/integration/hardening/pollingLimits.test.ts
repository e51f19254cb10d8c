/**
 * A status request never holds the polling loop far past the user's timeout: each one gets the time left (at least
 * MIN_REQUEST_TIMEOUT_MS, at most MAX_REQUEST_TIMEOUT_MS); "look once" (timeout 0) keeps transport's default.
 * Virtual clock: sleeping advances time instantly; each request takes `requestMs` of virtual time.
 */
import {
	MAX_REQUEST_TIMEOUT_MS,
	MIN_REQUEST_TIMEOUT_MS,
	pollStatusUrls,
	type Clock,
	type FetchStatus,
	type StatusAnswer,
} from '../../../nodes/shared/polling';
import { readImportStatus } from '../../../nodes/CommCareImportStatus/statusBody';

function virtualClock(): Clock & { time: number } {
	const clock = {
		time: 0,
		now: () => clock.time,
		sleep: async (ms: number) => {
			clock.time += ms;
		},
	};
	return clock;
}

const queued: StatusAnswer = {
	httpStatus: 200,
	body: { state: -1, progress: { percent: null }, result: null },
	retryAfterMs: null,
};

function recordingFetch(clock: { time: number }, requestMs: number) {
	const limits: Array<number | undefined> = [];
	const fetchStatus: FetchStatus = async (_url, _signal, given) => {
		limits.push(given?.timeoutMs);
		clock.time += requestMs;
		return queued;
	};
	return { fetchStatus, limits };
}

describe('per-request timeout of status polls', () => {
	it('is the time left before the deadline, capped at a minute and never below the floor', async () => {
		const clock = virtualClock();
		const { fetchStatus, limits } = recordingFetch(clock, 0);
		const result = await pollStatusUrls(
			['a'],
			fetchStatus,
			{
				intervalSeconds: 30,
				maxIntervalSeconds: 30,
				timeoutSeconds: 100,
				clock,
				random: () => 1,
			},
			readImportStatus,
		);
		expect(result.get('a')!.end.kind).toBe('timedOut');
		// Polls at 0, 30, 60, 90 s and a last one at the deadline (100 s).
		expect(limits).toEqual([MAX_REQUEST_TIMEOUT_MS, MAX_REQUEST_TIMEOUT_MS, 40_000, 10_000, MIN_REQUEST_TIMEOUT_MS]);
	});

	it('a hung request ends the wait about when the timeout says, with the time a request actually took', async () => {
		const clock = virtualClock();
		// Each request "hangs" until its own timeout.
		const limits: Array<number | undefined> = [];
		const fetchStatus: FetchStatus = async (_url, _signal, given) => {
			limits.push(given?.timeoutMs);
			clock.time += given?.timeoutMs ?? 60_000;
			return { networkError: 'timeout' };
		};
		const result = await pollStatusUrls(
			['a'],
			fetchStatus,
			{
				intervalSeconds: 1,
				maxIntervalSeconds: 1,
				timeoutSeconds: 5,
				clock,
				random: () => 1,
			},
			readImportStatus,
		);
		expect(result.get('a')).toMatchObject({ end: { kind: 'timedOut', lastProblem: 'timeout' }, polls: 1 });
		expect(limits).toEqual([5000]);
		expect(clock.time).toBe(5000);
	});

	it('timeout 0 ("look once") leaves the request its normal timeout', async () => {
		const clock = virtualClock();
		const { fetchStatus, limits } = recordingFetch(clock, 0);
		await pollStatusUrls(
			['a'],
			fetchStatus,
			{ intervalSeconds: 1, maxIntervalSeconds: 1, timeoutSeconds: 0, clock },
			readImportStatus,
		);
		expect(limits).toEqual([undefined]);
	});
});
