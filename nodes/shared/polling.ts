/**
 * Waiting for CommCare's background jobs (case imports, lookup-table uploads): ONE loop polls every distinct status
 * URL of the run together, so N jobs take about one interval, not N. What a status body means is the caller's: a
 * `StatusReader` tells the loop whether the job moved, whether it finished and how far it got; everything else is
 * the same for every job. Rules:
 * - Rounds: each round asks every unfinished job once (at most `concurrency` requests at a time). After a round
 *   in which some job moved (state or percent changed) the interval goes back to the base; after a round in which
 *   nothing moved it grows by BACKOFF_FACTOR up to the cap. Queued and running jobs thus cost few requests.
 * - Transient failures (network errors, 429, 502, 503, 504, a body that is not a status) are asked again later with
 *   their own back-off (transport's `backoffDelayMs`), never before the server's Retry-After, and never end the wait
 *   before the timeout. That is why polls go through `sendRequest` with its own retries off: its retry budget
 *   is per call, while a poll's budget is the user's timeout.
 * - 401/403, 404, an unverifiable TLS certificate and other HTTP errors end the wait for that URL at once.
 * - No single request may outlast the timeout by much: each gets the time left (see MIN/MAX_REQUEST_TIMEOUT_MS).
 * - The timeout ends the wait for what is still unfinished; a last round is made at the deadline. Timeout 0 means
 *   "look once": one round, no waiting.
 * - The execution's cancel signal stops everything at once: the sleep ends, no new request starts (the one in
 *   flight is aborted by n8n through the same signal), and the promise rejects with PollingCancelledError.
 * The HTTP request itself is injected (`fetchStatus`), so the loop knows nothing of credentials or n8n, and tests
 * can drive it with a virtual clock; `fetchStatusThroughTransport` is the real one.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import { messageForResponse } from './errors';
import { sleepUnlessCancelled } from './sleep';
import { forEachLimited, throwIfCancelled } from './concurrency';
import { projectSpaceFromUrl } from './transport/addresses';
import { type CommCareCredentials } from './transport/credentials';
import { sendRequest } from './transport/request';
import {
	backoffDelayMs,
	NO_RETRIES,
	retryPolicyWith,
	type RetryPolicy,
	isRetryableStatus,
	parseRetryAfterMs,
} from './transport/retryPolicy';

/** How the wait for one status URL ended; `S` is the status as the caller's reader gives it. */
export type WaitEnd<S> =
	/** A final state was reached; `status` is that last response, `problem` what of it could not be read. */
	| { kind: 'finished'; status: S; problem?: string | null }
	/** The timeout passed before a final state. `lastProblem` is the last transient failure, if the last poll failed. */
	| { kind: 'timedOut'; lastProblem: string | null }
	| { kind: 'notFound' }
	/** 401 or 403: the credential or its permissions were refused; `message` says what to check, when known. */
	| { kind: 'denied'; httpStatus: 401 | 403; message: string | null; advice?: string }
	/** Any other HTTP answer that retrying will not fix; `advice`: what to do, when the transport said. */
	| { kind: 'httpError'; httpStatus: number | null; message: string; advice?: string }
	/**
	 * Never requested: the URL is not valid, or its origin is not the credential's. `reason` says it all in one text;
	 * `message` (what happened) and `advice` (what to do) are its two parts, when they are known apart.
	 */
	| { kind: 'refused'; reason: string; message?: string; advice?: string }
	/** The input item carries no status URL (the upload failed upstream and the workflow went on). */
	| { kind: 'missingStatusUrl' };

/** Everything known about the wait for one status URL (`State`: the reader's state, e.g. CommCare's number). */
export interface WaitResult<S, State extends JobState = JobState> {
	end: WaitEnd<S>;
	/** Last state the server reported (null when it never answered with a status). */
	lastState: State | null;
	/** How far the job got, as the reader tells it (e.g. last running percent, 100 once done); null when never told. */
	lastPercent: number | null;
	/** Status requests made (including failed ones). */
	polls: number;
	waitedSeconds: number;
}

/** A wait that never happened (no URL, or a URL we refuse to call). */
export function unpolled<S, State extends JobState = JobState>(end: WaitEnd<S>): WaitResult<S, State> {
	return { end, lastState: null, lastPercent: null, polls: 0, waitedSeconds: 0 };
}

/**
 * What one status request produced:
 * - an HTTP answer (any status); `message` is the user-facing text for a status that is not 200;
 * - no answer (network failure): worth asking again;
 * - a failure that asking again will not fix (a redirect to another server, a web page instead of a status);
 *   `sent: false` when no request went out at all (the address was refused): that is not a poll.
 */
export type StatusAnswer =
	| { httpStatus: number; body: unknown; retryAfterMs: number | null; message?: string; advice?: string }
	| { networkError: string }
	| { fatalError: string; httpStatus: number | null; sent: boolean; advice?: string };

/** A job's state as its status body names it: CommCare's number for case imports, a word for others. */
export type JobState = string | number;

/**
 * One status body read by the caller's rules. `state` and `percent` are the body's own, compared with the last
 * reading to tell whether the job moved; `progress` is how far the job got by this reading (what the wait reports as
 * `lastPercent`; null keeps the last one known, e.g. while queued or once failed); `finished` ends the wait with this
 * `status`; `problem` says what in an otherwise valid status could not be read. A body that is no status at all
 * (`ok: false`) is transient: it is asked again until the timeout, `problem` saying why.
 */
export type StatusReading<S, State extends JobState = JobState> =
	| {
			ok: true;
			status: S;
			state: State;
			percent: number | null;
			progress: number | null;
			finished: boolean;
			problem?: string | null;
	  }
	| { ok: false; problem: string };

/** Reads one status body (object, JSON text or Buffer, as `fetchStatus` got it); never throws. */
export type StatusReader<S, State extends JobState = JobState> = (body: unknown) => StatusReading<S, State>;

/** A status body longer than this is not a CommCare status (100,000 row numbers take under 1 MB). */
export const MAX_STATUS_BODY_BYTES = 32 * 1024 * 1024;

/** `timeoutMs`: how long this one request may take (the loop keeps it within the user's timeout). */
export type FetchStatus = (
	url: string,
	signal: AbortSignal | undefined,
	limits?: { timeoutMs?: number },
) => Promise<StatusAnswer>;

export interface Clock {
	now(): number;
	/** Resolves after `ms`, or rejects as soon as `signal` aborts. */
	sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface PollingOptions {
	/** Base interval between rounds, in seconds. */
	intervalSeconds: number;
	/** Cap for the back-off while nothing changes, in seconds (raised to intervalSeconds if lower). */
	maxIntervalSeconds: number;
	/** How long to wait in total, in seconds; 0 = one round only. */
	timeoutSeconds: number;
	/** Status requests in flight at once (default DEFAULT_POLL_CONCURRENCY). */
	concurrency?: number;
	/** The execution's cancel signal. */
	signal?: AbortSignal;
	clock?: Clock;
	/** Jitter source for the transient back-off (tests pin it). */
	random?: () => number;
}

/** Status requests in flight at once when the caller sets no limit. */
export const DEFAULT_POLL_CONCURRENCY = 4;
/** Growth of the interval per round without any change. */
export const BACKOFF_FACTOR = 1.5;
/**
 * One status request may take at most the time left before the user's timeout, but never less than the floor (a
 * last look at the deadline still gets a fair chance) nor more than the ceiling (transport's GET default).
 */
export const MIN_REQUEST_TIMEOUT_MS = 1000;
export const MAX_REQUEST_TIMEOUT_MS = 60_000;

export const systemClock: Clock = { now: () => Date.now(), sleep: sleepUnlessCancelled };

/** The wait for one URL while it runs. */
interface UrlWait<S, State extends JobState> {
	url: string;
	polls: number;
	lastState: State | null;
	lastPercent: number | null;
	/** Raw percent of the last response, to notice movement. */
	lastSeenPercent: number | null;
	/** Earliest time of the next request (Retry-After or transient back-off). */
	notBefore: number;
	consecutiveFailures: number;
	lastProblem: string | null;
	end: WaitEnd<S> | null;
	endedAt: number;
}

/** Polls every URL until each reaches a final state (as `readStatus` tells), fails for good, or the timeout passes. */
export async function pollStatusUrls<S, State extends JobState = JobState>(
	urls: string[],
	fetchStatus: FetchStatus,
	options: PollingOptions,
	readStatus: StatusReader<S, State>,
): Promise<Map<string, WaitResult<S, State>>> {
	const clock = options.clock ?? systemClock;
	const signal = options.signal;
	const baseMs = Math.max(0, options.intervalSeconds * 1000);
	const capMs = Math.max(baseMs, options.maxIntervalSeconds * 1000);
	// Transient failures back off by the transport's rules, paced by the user's intervals; the timeout is the budget.
	const transientBackoff = retryPolicyWith({
		baseDelayMs: baseMs,
		maxDelayMs: capMs,
		maxAttempts: Number.POSITIVE_INFINITY,
		maxTotalWaitMs: Number.POSITIVE_INFINITY,
	});
	const pace: Pace<S, State> = { transientBackoff, random: options.random ?? Math.random, readStatus };
	const concurrency = Math.max(1, options.concurrency ?? DEFAULT_POLL_CONCURRENCY);
	const start = clock.now();
	const deadline = start + Math.max(0, options.timeoutSeconds * 1000);

	const waits = [...new Set(urls)].map<UrlWait<S, State>>((url) => ({
		url,
		polls: 0,
		lastState: null,
		lastPercent: null,
		lastSeenPercent: null,
		notBefore: start,
		consecutiveFailures: 0,
		lastProblem: null,
		end: null,
		endedAt: start,
	}));

	let intervalMs = baseMs;
	for (;;) {
		throwIfCancelled(signal);
		const roundStart = clock.now();
		const due = waits.filter((wait) => wait.end === null && wait.notBefore <= roundStart);
		const moved = await forEachLimited(due, concurrency, signal, async (wait, stop) => {
			let answer: StatusAnswer;
			// Without this a hung request would hold the loop past the user's timeout for up to a minute per batch.
			const timeoutMs =
				options.timeoutSeconds > 0
					? Math.min(MAX_REQUEST_TIMEOUT_MS, Math.max(MIN_REQUEST_TIMEOUT_MS, deadline - clock.now()))
					: undefined;
			try {
				answer = await fetchStatus(wait.url, stop, { timeoutMs });
			} catch (error) {
				// fetchStatus should answer, not throw; anything it throws anyway is treated as "no answer".
				answer = { networkError: error instanceof Error ? error.message : String(error) };
			}
			throwIfCancelled(signal);
			return recordAnswer(wait, answer, clock.now(), pace);
		});

		const pending = waits.filter((wait) => wait.end === null);
		if (pending.length === 0) break;
		const now = clock.now();
		if (now >= deadline) {
			for (const wait of pending) end(wait, { kind: 'timedOut', lastProblem: wait.lastProblem }, now);
			break;
		}
		intervalMs = moved.some(Boolean) ? baseMs : Math.min(intervalMs * BACKOFF_FACTOR, capMs);
		const nextRound = now + intervalMs;
		const wakeAt = Math.min(deadline, ...pending.map((wait) => Math.max(nextRound, wait.notBefore)));
		// The sleep rejects only when the execution is cancelled; the check at the top of the loop then stops it.
		await clock.sleep(Math.max(0, wakeAt - now), signal).catch(() => undefined);
	}

	return new Map(
		waits.map((wait) => [
			wait.url,
			{
				end: wait.end as WaitEnd<S>,
				lastState: wait.lastState,
				lastPercent: wait.lastPercent,
				polls: wait.polls,
				waitedSeconds: Math.round((wait.endedAt - start) / 100) / 10,
			},
		]),
	);
}

/**
 * How answers are taken: the retry policy and the jitter source (tests pin it) for a URL that failed for now, and
 * the caller's reader for a status body.
 */
interface Pace<S, State extends JobState> {
	transientBackoff: RetryPolicy;
	random: () => number;
	readStatus: StatusReader<S, State>;
}

/** Updates one URL's wait with an answer; returns whether the job visibly moved (new state or percent). */
function recordAnswer<S, State extends JobState>(
	wait: UrlWait<S, State>,
	answer: StatusAnswer,
	now: number,
	pace: Pace<S, State>,
): boolean {
	if (!('fatalError' in answer) || answer.sent) wait.polls += 1;
	if ('networkError' in answer) {
		retryLater(wait, answer.networkError, null, now, pace);
		return false;
	}
	if ('fatalError' in answer) {
		const { httpStatus, fatalError: message, advice } = answer;
		end(wait, { kind: 'httpError', httpStatus, message, ...(advice ? { advice } : {}) }, now);
		return false;
	}
	const { httpStatus } = answer;
	if (httpStatus === 200) {
		const reading = pace.readStatus(answer.body);
		if (!reading.ok) {
			retryLater(wait, reading.problem, null, now, pace);
			return false;
		}
		const { state, percent, progress } = reading;
		const moved = state !== wait.lastState || percent !== wait.lastSeenPercent;
		wait.lastState = state;
		wait.lastSeenPercent = percent;
		if (progress !== null) wait.lastPercent = progress;
		wait.consecutiveFailures = 0;
		wait.lastProblem = null;
		wait.notBefore = now;
		if (reading.finished)
			end(wait, { kind: 'finished', status: reading.status, problem: reading.problem ?? null }, now);
		return moved;
	}
	if (isRetryableStatus(httpStatus, true)) {
		retryLater(wait, `HTTP ${httpStatus}`, answer.retryAfterMs, now, pace);
		return false;
	}
	if (httpStatus === 401 || httpStatus === 403) {
		const advice = answer.advice ? { advice: answer.advice } : {};
		end(wait, { kind: 'denied', httpStatus, message: answer.message ?? null, ...advice }, now);
	} else if (httpStatus === 404) {
		end(wait, { kind: 'notFound' }, now);
	} else {
		const message = answer.message ?? `CommCare HQ answered HTTP ${httpStatus} to the status request`;
		end(wait, { kind: 'httpError', httpStatus, message, ...(answer.advice ? { advice: answer.advice } : {}) }, now);
	}
	return false;
}

/** Transient failure: back off (growing from the base interval, capped), and never before Retry-After. */
function retryLater<S, State extends JobState>(
	wait: UrlWait<S, State>,
	problem: string,
	retryAfterMs: number | null,
	now: number,
	pace: Pace<S, State>,
): void {
	wait.consecutiveFailures += 1;
	wait.lastProblem = retryAfterMs !== null ? `${problem}, Retry-After ${retryAfterMs / 1000} s` : problem;
	const backoffMs = backoffDelayMs(wait.consecutiveFailures, pace.transientBackoff, pace.random);
	wait.notBefore = now + Math.max(backoffMs, retryAfterMs ?? 0);
}

function end<S, State extends JobState>(wait: UrlWait<S, State>, how: WaitEnd<S>, now: number): void {
	wait.end = how;
	wait.endedAt = now;
}

/**
 * The real `fetchStatus`: a GET through transport's `sendRequest` (credential applied by n8n, same-origin rule,
 * same-origin redirects only) with no retries of its own, since the loop above owns retrying. Its answer is mapped
 * one to one: an HTTP answer, no answer (worth asking again unless the certificate cannot be verified), or refused.
 */
export function fetchStatusThroughTransport(ctx: IExecuteFunctions, credentials: CommCareCredentials): FetchStatus {
	return async (url, signal, limits) => {
		const projectSpace = projectSpaceFromUrl(url);
		const answer = await sendRequest(ctx, credentials, {
			method: 'GET',
			url,
			idempotent: true,
			operation: 'status',
			projectSpace,
			retry: NO_RETRIES,
			timeoutMs: limits?.timeoutMs,
			maxBodyBytes: MAX_STATUS_BODY_BYTES,
			signal,
		});
		const advice = (error: { description?: string | null }) => (error.description ? { advice: error.description } : {});
		if (answer.kind === 'refused') {
			const { error, httpStatus, sent } = answer;
			return { fatalError: error.message, httpStatus, sent, ...advice(error) };
		}
		if (answer.kind === 'noAnswer') {
			// A certificate that cannot be verified will not verify on the next poll either: say so now, not at the timeout.
			if (answer.failure.kind === 'certificate')
				return { fatalError: answer.error.message, httpStatus: null, sent: true, ...advice(answer.error) };
			return { networkError: answer.error.message };
		}
		const { response } = answer;
		const retryAfterMs = parseRetryAfterMs(response.headers['retry-after']) ?? null;
		const reply = { httpStatus: response.statusCode, body: response.json ?? response.text, retryAfterMs };
		const wording = () => messageForResponse(response, { operation: 'status', projectSpace }, credentials);
		const explain = () => wording().message;
		if (response.truncated) {
			return {
				fatalError: `CommCare's answer to the status request was larger than ${MAX_STATUS_BODY_BYTES / 1024 / 1024} MB, which no import status is: the Base URL (${credentials.baseUrl}) may point at something other than CommCare HQ`,
				httpStatus: response.statusCode,
				sent: true,
			};
		}
		// A login or proxy page does not turn into a status by asking again: say so now, as the upload does.
		if (response.isHtml && response.statusCode >= 200 && response.statusCode < 300) {
			return { fatalError: explain(), httpStatus: response.statusCode, sent: true };
		}
		if (response.statusCode === 200) return reply;
		const { message, description } = wording();
		return { ...reply, message, ...(description ? { advice: description } : {}) };
	};
}
