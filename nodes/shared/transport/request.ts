/**
 * Every HTTP call to CommCare goes through `sendRequest`, which answers instead of throwing (`RequestAnswer`). It owns:
 *  - where requests may go: the credential's Base URL, and only its origin (`checkedRequestUrl`);
 *  - authentication: always through n8n's `httpRequestWithAuthentication`, so n8n applies the credential;
 *  - redirects: n8n follows them by default and, by default, re-sends the credential to another origin. We switch
 *    that off and decide ourselves: same-origin redirects of idempotent GETs are followed (a few), anything else is
 *    refused with a message that says what to fix;
 *  - retries, by the one policy of retryPolicy.ts (passed in; the frozen default otherwise): idempotent requests
 *    retry transient failures with back-off; the upload POST retries only when the server certainly did not receive
 *    it, so an import is never queued twice;
 *  - a wall-clock deadline for the whole call, and bodies read within a byte limit.
 * `commCareRequest` is the same call for callers that want the answer's failures thrown. Messages live in errors.ts.
 */
import {
	NodeOperationError,
	type IExecuteFunctions,
	type IHttpRequestOptions,
	type ILoadOptionsFunctions,
	type NodeApiError,
} from 'n8n-workflow';
import type { Readable } from 'stream';
import { errorForInvalidLocation, errorForNetworkFailure, errorForRedirect, type CommCareOperation } from '../errors';
import { InvalidInputError } from '../invalidInputError';
import { clampTimerMs, sleepUnlessCancelled } from '../sleep';
import { CREDENTIAL_TYPE } from './credentialType';
import { MALFORMED_ESCAPE, checkedRequestUrl, parseUrl } from './addresses';
import type { CommCareCredentials } from './credentials';
import { type NetworkFailure, classifyNetworkError } from './networkFailure';
import { type CommCareResponse, normalizeResponse } from './response';
import {
	DEFAULT_RETRY_POLICY,
	type RetryPolicy,
	backoffDelayMs,
	isRetryableStatus,
	parseRetryAfterMs,
	shouldRetryNetworkFailure,
} from './retryPolicy';

export type RequestBody = IHttpRequestOptions['body'];

/** Who may send: a node's execution, or the editor filling a list (which has no cancel signal of its own). */
export type RequestContext = IExecuteFunctions | ILoadOptionsFunctions;

export interface CommCareRequestOptions {
	method: 'GET' | 'POST';
	/** Absolute URL, or relative to the Base URL; must be on the Base URL's origin (`checkedRequestUrl`). */
	url: string;
	/** Builds the body; called before every attempt, so a streamed body is fresh each time. */
	body?: () => RequestBody | Promise<RequestBody>;
	headers?: Record<string, string>;
	/**
	 * A wall-clock deadline for the whole call, retries and redirects included: at that time the request in flight
	 * is aborted, however slowly the server is still sending. Default 60 s for GET, 300 s otherwise.
	 */
	timeoutMs?: number;
	/** The body is read up to this many bytes (the rest is dropped and `truncated` set). Default 1 MiB. */
	maxBodyBytes?: number;
	/**
	 * True when sending twice is harmless (GETs). False for the upload: then a request that may have reached the
	 * server is never resent, and a redirect is an error.
	 */
	idempotent: boolean;
	/** For messages. */
	operation: CommCareOperation;
	projectSpace?: string;
	itemIndex?: number;
	/** The retry policy; DEFAULT_RETRY_POLICY unless given (the polling loop passes NO_RETRIES: it retries itself). */
	retry?: RetryPolicy;
	/** Same-origin redirects followed at most (idempotent requests only). */
	maxRedirects?: number;
	/**
	 * Stops the call like the execution's cancel does (no further attempt, the request in flight aborted): for a caller
	 * that ends its own work early, e.g. parallel requests after one of them failed.
	 */
	signal?: AbortSignal;
}

const REDIRECT_STATUSES = [301, 302, 303, 307, 308];
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * What one logical request came to (retries and same-origin redirects included):
 * - `response`: an HTTP answer, whatever its status (map an unexpected one with `errorForResponse`);
 * - `noAnswer`: a network failure that outlasted the retries, the deadline, or the execution's cancel;
 * - `refused`: nothing worth waiting for: the address is not one a request may go to, or n8n could not send it
 *   (`sent: false`), or the server redirected where we do not follow (`sent: true`, with its status).
 * Each failure carries the error to show, already worded and redacted.
 */
export type RequestAnswer =
	| { kind: 'response'; response: CommCareResponse }
	| { kind: 'noAnswer'; failure: NetworkFailure; error: NodeApiError }
	| { kind: 'refused'; sent: boolean; httpStatus: number | null; error: NodeApiError | NodeOperationError };

/**
 * Closes a file body opened for one attempt (a stream; a Buffer needs nothing): an upload opens its file afresh for
 * each attempt, so a retried request gets an unread body, and closes what it opened once the call is over.
 */
export function closeIfStream(content: Buffer | NodeJS.ReadableStream | undefined): void {
	if (content && !Buffer.isBuffer(content)) (content as { destroy?: () => void }).destroy?.();
}

/** Like `sendRequest`, with its failures thrown (NodeOperationError: nothing sent; NodeApiError otherwise). */
export async function commCareRequest(
	ctx: RequestContext,
	credentials: CommCareCredentials,
	options: CommCareRequestOptions,
): Promise<CommCareResponse> {
	const answer = await sendRequest(ctx, credentials, options);
	if (answer.kind === 'response') return answer.response;
	throw answer.error;
}

/**
 * Sends one logical request to CommCare and says what came of it; never throws for the server's or the network's
 * doing.
 *
 * The deadline is kept by n8n's own request: the helper takes its abort signal from the context it is called on
 * (`this.getExecutionCancelSignal()`, in n8n-core 1.x and 2.x alike), so it is called on a context whose cancel
 * signal also fires at the deadline. The wait for it is raced against the same signal, so the deadline holds even
 * on a host that ignored it.
 */
export async function sendRequest(
	ctx: RequestContext,
	credentials: CommCareCredentials,
	options: CommCareRequestOptions,
): Promise<RequestAnswer> {
	const node = ctx.getNode();
	const context = { operation: options.operation, projectSpace: options.projectSpace, itemIndex: options.itemIndex };
	let url: string;
	try {
		url = checkedRequestUrl(options.url, credentials.baseUrl, 'The address');
	} catch (error) {
		const input = error as InvalidInputError;
		const refusal = new NodeOperationError(node, input.message, {
			description: input.description,
			itemIndex: options.itemIndex,
		});
		return { kind: 'refused', sent: false, httpStatus: null, error: credentials.redactor.error(refusal) };
	}
	const policy = options.retry ?? DEFAULT_RETRY_POLICY;
	const maxRedirects = options.maxRedirects ?? 5;
	const timeoutMs = clampTimerMs(options.timeoutMs ?? (options.method === 'GET' ? 60_000 : 300_000));
	const deadline = Date.now() + timeoutMs;
	const executionCancel = 'getExecutionCancelSignal' in ctx ? ctx.getExecutionCancelSignal?.() : undefined;
	const cancel =
		executionCancel && options.signal
			? AbortSignal.any([executionCancel, options.signal])
			: (executionCancel ?? options.signal);
	const failureContext = () => ({ ...context, url, attempts, timeoutMs });
	const noAnswer = (failure: NetworkFailure): RequestAnswer => ({
		kind: 'noAnswer',
		failure,
		error: errorForNetworkFailure(node, credentials, failure, failureContext()),
	});
	let attempts = 0;
	let retries = 0;
	let redirects = 0;
	let waitedMs = 0;

	/** Waits before retry n; false when the policy or the deadline says stop; null when cancelled meanwhile. */
	const waitBeforeRetry = async (retryAfterMs?: number): Promise<boolean | null> => {
		if (attempts >= policy.maxAttempts) return false;
		if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) return false;
		const delay = retryAfterMs ?? backoffDelayMs(retries + 1, policy);
		if (waitedMs + delay > policy.maxTotalWaitMs || Date.now() + delay >= deadline) return false;
		retries += 1;
		waitedMs += delay;
		ctx.logger?.debug?.(`CommCare request: retry ${retries} in ${delay} ms`, { url: new URL(url).pathname });
		try {
			await sleepUnlessCancelled(delay, cancel);
		} catch {
			// The wait only ends early when the execution is cancelled.
			return null;
		}
		return true;
	};

	for (;;) {
		if (cancel?.aborted) return noAnswer(cancelled());
		const remainingMs = deadline - Date.now();
		if (remainingMs <= 0) return noAnswer(deadlinePassed());
		attempts += 1;
		const attemptSignal = signalAtDeadline(cancel, remainingMs);
		const request: IHttpRequestOptions = {
			method: options.method,
			url,
			headers: { Accept: 'application/json', ...(options.headers ?? {}) },
			// axios's own timeout only notices a silent socket: a backstop, set later than the deadline (`attemptSignal`)
			// so that the deadline is what ends a slow request, and says so.
			timeout: clampTimerMs(remainingMs + 5_000),
			// The body is read here, within a byte limit and the deadline, not whole into memory by axios.
			encoding: 'stream',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			disableFollowRedirect: true,
			// Belt and braces for hosts that know the option: never carry the credential elsewhere.
			sendCredentialsOnCrossOriginRedirect: false,
			abortSignal: attemptSignal,
		};
		if (options.body) request.body = await options.body();

		let response: CommCareResponse;
		try {
			const requester = Object.create(ctx, {
				getExecutionCancelSignal: { value: () => attemptSignal },
			}) as RequestContext;
			const sent = ctx.helpers.httpRequestWithAuthentication.call(requester, CREDENTIAL_TYPE, request);
			const raw = await untilAborted(sent, attemptSignal, discardBody);
			response = await readResponse(raw, url, attempts, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, attemptSignal);
		} catch (error) {
			const failure = cancel?.aborted
				? cancelled()
				: attemptSignal.aborted
					? deadlinePassed()
					: classifyNetworkError(error);
			if (!failure) {
				// Not a network failure (e.g. no credential set): pass n8n's own error on, secrets removed.
				const message = error instanceof Error ? error.message : String(error);
				const refusal = new NodeOperationError(node, message, { itemIndex: options.itemIndex });
				return { kind: 'refused', sent: false, httpStatus: null, error: credentials.redactor.error(refusal) };
			}
			failure.message = credentials.redactor.text(failure.message);
			if (shouldRetryNetworkFailure(failure.kind, options.idempotent)) {
				const retrying = await waitBeforeRetry();
				if (retrying === null) return noAnswer(cancelled());
				if (retrying) continue;
			}
			return noAnswer(failure);
		}

		if (REDIRECT_STATUSES.includes(response.statusCode) && response.headers.location) {
			const target = redirectTarget(response.headers.location, url);
			const refused = (error: NodeApiError): RequestAnswer => ({
				kind: 'refused',
				sent: true,
				httpStatus: response.statusCode,
				error,
			});
			if (!target.ok) return refused(errorForInvalidLocation(node, credentials, response, target.problem, context));
			const location = new URL(target.url);
			const sameOrigin = location.origin === new URL(credentials.baseUrl).origin;
			if (!options.idempotent || !sameOrigin || redirects >= maxRedirects) {
				return refused(errorForRedirect(node, credentials, response, location, context));
			}
			redirects += 1;
			url = location.href;
			continue;
		}
		if (isRetryableStatus(response.statusCode, options.idempotent)) {
			const retryAfterMs = parseRetryAfterMs(response.headers['retry-after']);
			const retrying = await waitBeforeRetry(retryAfterMs);
			if (retrying === null) return noAnswer(cancelled());
			if (retrying) continue;
		}
		return { kind: 'response', response };
	}
}

/**
 * Where a redirect points, checked like any address a request may go to (a redirect to another origin is reported
 * by the caller, which knows what to suggest): an invalid Location is a problem to report, not a network error.
 */
function redirectTarget(location: string, from: string): { ok: true; url: string } | { ok: false; problem: string } {
	if (MALFORMED_ESCAPE.test(location))
		return { ok: false, problem: "it has a '%' that is not followed by two hex digits" };
	const target = parseUrl(location.trim(), from);
	if (!target) return { ok: false, problem: 'it is not a valid web address' };
	if (target.protocol !== 'http:' && target.protocol !== 'https:')
		return { ok: false, problem: 'it is not an http(s) address' };
	if (target.username || target.password) return { ok: false, problem: 'it contains a user name or password' };
	return { ok: true, url: target.href };
}

/** An AbortSignal that fires when the execution is cancelled or `ms` milliseconds have passed. */
function signalAtDeadline(cancel: AbortSignal | undefined, ms: number): AbortSignal {
	const deadline = AbortSignal.timeout(clampTimerMs(ms));
	return cancel ? AbortSignal.any([cancel, deadline]) : deadline;
}

/** `work`, or a rejection as soon as `signal` aborts; a late result is handed to `onLate` (to release it). */
async function untilAborted<T>(work: Promise<T>, signal: AbortSignal, onLate: (value: T) => void): Promise<T> {
	let onAbort: (() => void) | undefined;
	const aborted = new Promise<never>((_resolve, reject) => {
		onAbort = () => reject(signal.reason ?? new Error('aborted'));
		if (signal.aborted) onAbort();
		else signal.addEventListener('abort', onAbort, { once: true });
	});
	try {
		return await Promise.race([work, aborted]);
	} finally {
		signal.removeEventListener('abort', onAbort!);
		if (signal.aborted) work.then(onLate, () => undefined);
	}
}

function isReadable(value: unknown): value is Readable {
	return !!value && typeof (value as Readable).on === 'function' && typeof (value as Readable).read === 'function';
}

/** Releases the connection of an answer nobody will read. */
function discardBody(raw: unknown): void {
	const body = (raw as { body?: unknown } | undefined)?.body;
	if (isReadable(body)) body.destroy();
}

/**
 * Reads the answer n8n's helper resolved to into a CommCareResponse. A streamed body (what `encoding: 'stream'`
 * gives) is read up to `maxBytes` and stopped at the deadline; hosts that ignore `encoding` give it already read.
 */
async function readResponse(
	raw: unknown,
	url: string,
	attempts: number,
	maxBytes: number,
	signal: AbortSignal,
): Promise<CommCareResponse> {
	const full = (raw ?? {}) as { body?: unknown };
	if (!isReadable(full.body)) return normalizeResponse(raw, url, attempts);
	const stream = full.body;
	const chunks: Buffer[] = [];
	let size = 0;
	let truncated = false;
	const stop = () => stream.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
	signal.addEventListener('abort', stop, { once: true });
	try {
		for await (const chunk of stream) {
			const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
			if (size + bytes.length > maxBytes) {
				chunks.push(bytes.subarray(0, maxBytes - size));
				size = maxBytes;
				truncated = true;
				break;
			}
			chunks.push(bytes);
			size += bytes.length;
		}
	} finally {
		signal.removeEventListener('abort', stop);
		if (truncated) stream.destroy();
	}
	if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
	return { ...normalizeResponse({ ...full, body: Buffer.concat(chunks) }, url, attempts), truncated };
}

function cancelled(): NetworkFailure {
	return { kind: 'cancelled', code: 'ERR_CANCELED', message: 'cancelled' };
}

/** The wall-clock deadline passed with the request unanswered (or its answer unfinished). */
function deadlinePassed(): NetworkFailure {
	return { kind: 'maybeSent', code: 'ETIMEDOUT', message: 'the deadline passed' };
}
