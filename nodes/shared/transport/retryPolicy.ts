/** What is retried, how often and how long to wait: the one retry policy every request and every poll follows. */
import type { NetworkFailureKind } from './networkFailure';

export interface RetryPolicy {
	/** Requests at most, the first one included. */
	maxAttempts: number;
	/** First back-off; doubles per retry. */
	baseDelayMs: number;
	/** Longest single back-off. */
	maxDelayMs: number;
	/** A longer Retry-After ends the retrying (the caller reports it) instead of blocking the workflow. */
	maxRetryAfterMs: number;
	/** Total waiting across all retries of one call. */
	maxTotalWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
	maxAttempts: 5,
	baseDelayMs: 1000,
	maxDelayMs: 30_000,
	maxRetryAfterMs: 120_000,
	maxTotalWaitMs: 180_000,
};

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
