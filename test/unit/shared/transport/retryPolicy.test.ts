/**
 * The retry rules every request and status poll follows (shared/transport/retryPolicy.ts): which statuses and network
 * failures are retried, Retry-After, back-off, and the frozen default policy.
 */
import {
	backoffDelayMs,
	DEFAULT_RETRY_POLICY,
	isRetryableStatus,
	NO_RETRIES,
	parseRetryAfterMs,
	retryPolicyWith,
	shouldRetryNetworkFailure,
} from '../../../../nodes/shared/transport/retryPolicy';

describe('retry rules', () => {
	it('retries transient statuses for idempotent requests only, and 429/503 for the upload', () => {
		for (const status of [429, 502, 503, 504]) expect(isRetryableStatus(status, true)).toBe(true);
		for (const status of [200, 301, 400, 401, 403, 404, 405, 500]) expect(isRetryableStatus(status, true)).toBe(false);
		expect([429, 502, 503, 504].filter((s) => isRetryableStatus(s, false))).toEqual([429, 503]);
	});

	it('resends the upload only when it certainly was not received', () => {
		expect(shouldRetryNetworkFailure('notSent', false)).toBe(true);
		expect(shouldRetryNetworkFailure('maybeSent', false)).toBe(false);
		expect(shouldRetryNetworkFailure('maybeSent', true)).toBe(true);
		for (const kind of ['hostNotFound', 'certificate', 'cancelled'] as const) {
			expect(shouldRetryNetworkFailure(kind, true)).toBe(false);
		}
	});

	it('parses Retry-After in seconds and as an HTTP date', () => {
		const now = Date.parse('2026-01-01T00:00:00Z');
		expect(parseRetryAfterMs('120', now)).toBe(120_000);
		expect(parseRetryAfterMs(' 0 ', now)).toBe(0);
		expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
		expect(parseRetryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
		expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
		expect(parseRetryAfterMs('soon', now)).toBeUndefined();
		expect(parseRetryAfterMs('-5', now)).toBeUndefined();
	});

	it('backs off exponentially between half and all of the ceiling, capped', () => {
		const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1000, maxDelayMs: 5000 };
		expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, policy, () => 1))).toEqual([1000, 2000, 4000, 5000]);
		expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, policy, () => 0))).toEqual([500, 1000, 2000, 2500]);
	});

	it('the default policy is frozen: nothing can change it for everyone', () => {
		expect(Object.isFrozen(DEFAULT_RETRY_POLICY)).toBe(true);
		expect(Object.isFrozen(NO_RETRIES)).toBe(true);
		expect(() => Object.assign(DEFAULT_RETRY_POLICY, { baseDelayMs: 1 })).toThrow(TypeError);
		expect(retryPolicyWith({ maxAttempts: 2 })).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 2 });
	});
});
