/**
 * One abort-aware sleep for the whole package (retry back-off in transport/, polling in the status node).
 *
 * Why not n8n-workflow's `sleepWithAbort`: the host n8n supplies n8n-workflow at run time, and that export is missing
 * from some supported hosts (2.40.x). Node's own promise timers take an AbortSignal and clear the timer on abort, so
 * a stopped execution neither waits nor leaves a timer behind.
 */
import { setTimeout as wait } from 'timers/promises';

/** The longest delay Node's timers take (2^31 - 1 ms, about 24.8 days): a longer one would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A duration a timer can hold: not negative, not NaN, at most MAX_TIMER_MS. Every user-given duration goes through it. */
export function clampTimerMs(ms: number): number {
	if (Number.isNaN(ms) || ms <= 0) return 0;
	return Math.min(Math.round(ms), MAX_TIMER_MS);
}

/** Waits `ms` milliseconds; rejects at once (with an AbortError) when `signal` is or becomes aborted. */
export async function sleepUnlessCancelled(ms: number, signal?: AbortSignal): Promise<void> {
	if (signal?.aborted) throw abortError();
	const delay = clampTimerMs(ms);
	if (delay === 0) return;
	await wait(delay, undefined, signal ? { signal } : undefined);
}

/** True for the errors an aborted wait or an aborted request produce (timers, fetch, axios). */
export function isAbortError(error: unknown): boolean {
	if (!error || typeof error !== 'object') return false;
	const { name, code } = error as { name?: unknown; code?: unknown };
	return name === 'AbortError' || name === 'CanceledError' || code === 'ABORT_ERR' || code === 'ERR_CANCELED';
}

function abortError(): Error {
	const error = new Error('The operation was aborted');
	error.name = 'AbortError';
	return error;
}
