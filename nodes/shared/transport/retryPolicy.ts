/**
 * What is retried, how often and how long to wait: the one set of retry rules every request and every status poll
 * follows. A policy is a frozen value passed to the caller that retries (transport, or the polling loop with its
 * pace); its budgets are per call (attempts, total waiting) on top of the call's wall-clock deadline.
 */
import type { NetworkFailureKind } from './networkFailure';

export interface RetryPolicy {
	/** Requests at most, the first one included. */
	readonly maxAttempts: number;
	/** First back-off; doubles per retry. */
	readonly baseDelayMs: number;
	/** Longest single back-off. */
	readonly maxDelayMs: number;
	/** A longer Retry-After ends the retrying (the caller reports it) instead of blocking the workflow. */
	readonly maxRetryAfterMs: number;
	/** Total waiting across all retries of one call. */
	readonly maxTotalWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
	maxAttempts: 5,
	baseDelayMs: 1000,
	maxDelayMs: 30_000,
	maxRetryAfterMs: 120_000,
	maxTotalWaitMs: 180_000,
});

/** One attempt, no retry: for a caller that retries itself (the polling loop). */
export const NO_RETRIES: RetryPolicy = retryPolicyWith({ maxAttempts: 1 });

/** The default policy with some budgets changed, frozen like it. */
export function retryPolicyWith(changes: Partial<RetryPolicy>): RetryPolicy {
	return Object.freeze({ ...DEFAULT_RETRY_POLICY, ...changes });
}

/** `Retry-After` as milliseconds from `now` (seconds or an HTTP date; never negative), or undefined. */
export function parseRetryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
	if (value === undefined) return undefined;
	const text = value.trim();
	if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
	if (!/[a-z]/i.test(text)) return undefined;
	const date = Date.parse(text);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential back-off with jitter for the n-th retry (1-based): between half and all of base·2^(n-1), capped. */
export function backoffDelayMs(
	retry: number,
	policy: RetryPolicy = DEFAULT_RETRY_POLICY,
	random: () => number = Math.random,
): number {
	const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
	return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/**
 * HTTP statuses worth another try. Idempotent requests: 429, 502, 503, 504. The upload POST: only 429 and 503,
 * where the server refused the request before processing it (a 502/504 gateway may have passed it on).
 */
export function isRetryableStatus(status: number, idempotent: boolean): boolean {
	return idempotent ? [429, 502, 503, 504].includes(status) : status === 429 || status === 503;
}

export function shouldRetryNetworkFailure(kind: NetworkFailureKind, idempotent: boolean): boolean {
	return kind === 'notSent' || (idempotent && kind === 'maybeSent');
}
