/**
 * Every HTTP call to CommCare goes through `commCareRequest`. It owns:
 *  - where requests may go: the credential's Base URL, and only its origin (`checkedRequestUrl`);
 *  - authentication: always through n8n's `httpRequestWithAuthentication`, so n8n applies the credential;
 *  - redirects: n8n follows them by default and, by default, re-sends the credential to another origin. We switch
 *    that off and decide ourselves: same-origin redirects of idempotent GETs are followed (a few), anything else is
 *    an error that says what to fix;
 *  - retries: idempotent requests retry transient failures with back-off; the upload POST retries only when the
 *    server certainly did not receive it, so an import is never queued twice;
 *  - response bodies: object, string or Buffer (it depends on the n8n version) become one `CommCareResponse`.
 * Messages for failures live in errors.ts.
 */
import {
	NodeOperationError,
	type ICredentialDataDecryptedObject,
	type IExecuteFunctions,
	type IHttpRequestOptions,
} from 'n8n-workflow';
import type { Readable } from 'stream';

import {
	InvalidInputError,
	errorForInvalidLocation,
	errorForNetworkFailure,
	errorForRedirect,
	type CommCareOperation,
} from './errors';
import { Redactor } from './redaction';
import { clampTimerMs, isAbortError, sleepUnlessCancelled } from './sleep';
import { CREDENTIAL_TYPE } from './types';

export const DEFAULT_BASE_URL = 'https://www.commcarehq.org';

// ─── Base URL and URL builders ──────────────────────────────────────────────────────────────────────────────────

/**
 * A user-typed or server-given address, fit for a message: without its query or fragment (they may carry tokens)
 * and without anything before an `@` (a `user:password@`, even one whose password holds `/` or `?`).
 */
export function addressForMessage(text: string): string {
	let shown = text.trim();
	const query = shown.search(/[?#]/);
	if (query !== -1) shown = `${shown.slice(0, query)}${shown[query]}…`;
	const at = shown.lastIndexOf('@');
	if (at !== -1) {
		const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(shown)?.[0] ?? '';
		shown = `${scheme}…${shown.slice(at)}`;
	}
	return shown.length > 120 ? `${shown.slice(0, 119)}…` : shown;
}

/** `decodeURIComponent` that gives the text back as it is when its %-escapes are malformed. */
export function decodeSafely(text: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}

/** A `%` not followed by two hex digits: an address no server reads as intended. */
const MALFORMED_ESCAPE = /%(?![0-9a-f]{2})/i;

/**
 * Checks and tidies the credential's Base URL: trims it and strips trailing slashes. http and https only; no
 * user:password, query or fragment. A path prefix is kept (a self-hosted server may live under one, e.g.
 * `https://example.org/commcare`), but a path into a project space (`/a/<name>/…`) is refused, since the project
 * space is a node parameter. Plain http is allowed (test servers); see `insecureBaseUrlWarning`. Messages never
 * repeat a password or a query the user typed.
 */
export function normalizeBaseUrl(raw: unknown): string {
	const text = String(raw ?? '').trim();
	if (!text) {
		throw new InvalidInputError(
			'The CommCare API credential has no Base URL',
			`Type the address of your CommCare HQ server, e.g. ${DEFAULT_BASE_URL}`,
		);
	}
	const shown = addressForMessage(text);
	const beforeQuery = text.split(/[?#]/)[0];
	if (beforeQuery.includes('@')) {
		throw new InvalidInputError(
			'The Base URL must not contain a user name or password',
			"Put the server address only in Base URL (e.g. https://www.commcarehq.org) and the login in the credential's own fields.",
		);
	}
	if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
		throw new InvalidInputError(
			`The Base URL '${shown}' does not start with https://`,
			`Type the full address, e.g. https://${shown.replace(/^\/+/, '')}`,
		);
	}
	if (text.includes('?') || text.includes('#')) {
		throw new InvalidInputError(
			`The Base URL '${shown}' contains a query or fragment (? or #)`,
			`Use the server address only, e.g. ${addressForMessage(beforeQuery).replace(/\/+$/, '')}`,
		);
	}
	if (MALFORMED_ESCAPE.test(text)) {
		throw new InvalidInputError(
			`The Base URL '${shown}' has a '%' that is not followed by two hex digits`,
			`Type the server address as it appears in your browser, e.g. ${DEFAULT_BASE_URL}`,
		);
	}
	const url = parseUrl(text);
	if (!url)
		throw new InvalidInputError(`The Base URL '${shown}' is not a valid web address`, `e.g. ${DEFAULT_BASE_URL}`);
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		throw new InvalidInputError(
			`The Base URL must start with https:// (found '${url.protocol}//')`,
			`CommCare HQ is reached over https, e.g. ${DEFAULT_BASE_URL}`,
		);
	}
	const path = url.pathname.replace(/\/+$/, '');
	const project = /^(.*?)\/a\/([^/]+)/.exec(path);
	if (project) {
		throw new InvalidInputError(
			`The Base URL '${shown}' points into project space '${decodeSafely(project[2])}'`,
			`Use the server address only (${url.origin}${project[1]}) and type the project space in the node.`,
		);
	}
	return `${url.origin}${path}`;
}

const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * A warning to surface when the Base URL uses plain http to a non-loopback host (the API key and the data travel
 * unencrypted), or undefined.
 */
export function insecureBaseUrlWarning(baseUrl: string): string | undefined {
	const url = new URL(baseUrl);
	if (url.protocol !== 'http:' || LOOPBACK_HOSTS.test(url.hostname)) return undefined;
	return `The credential's Base URL uses plain http (${url.origin}): the API key and the case data travel unencrypted. Use https unless this is a test server.`;
}

/** Legacy CommCare names may also hold `.`, `_` or `:`; new ones are lower-case letters, digits and hyphens. */
const PROJECT_SPACE = /^[a-z0-9][a-z0-9._:-]*$/;

function describeCharacters(text: string): string {
	const found = new Set<string>();
	for (const char of text) {
		if (!/[a-z0-9._:-]/.test(char)) found.add(/\s/.test(char) ? 'a space' : `'${char}'`);
	}
	if (text.includes('..')) found.add("'..'");
	return [...found].join(', ');
}

/**
 * Checks a project space name ("domain") and returns it trimmed. Refuses empty names, names with `/`, `..`,
 * spaces or upper case, saying what was found and what to type instead.
 */
export function validateProjectSpace(raw: unknown): string {
	const text = String(raw ?? '').trim();
	const rule =
		'Project space names use lower-case letters, digits and hyphens, as in the address https://www.commcarehq.org/a/your-project/.';
	if (!text) throw new InvalidInputError('The project space is empty', rule);
	const inUrl = /\/a\/([^/?#\s]+)/.exec(text);
	if (inUrl) {
		throw new InvalidInputError(
			`The project space '${addressForMessage(text)}' looks like an address: type just the name, '${decodeSafely(inUrl[1])}'`,
			rule,
		);
	}
	if (PROJECT_SPACE.test(text) && !text.includes('..')) return text;
	const suggestion = text
		.toLowerCase()
		.replace(/\s+/g, '-')
		.replace(/[^a-z0-9._:-]/g, '')
		.replace(/\.{2,}/g, '.');
	const tryThis = PROJECT_SPACE.test(suggestion) ? ` Did you mean '${suggestion}'?` : '';
	if (/[A-Z]/.test(text) && PROJECT_SPACE.test(text.toLowerCase())) {
		throw new InvalidInputError(
			`The project space '${text}' has upper-case letters; CommCare project space names are lower case: type '${text.toLowerCase()}'`,
			rule,
		);
	}
	const found = describeCharacters(text.toLowerCase()) || 'characters that cannot start a name';
	throw new InvalidInputError(
		`The project space '${text}' is not a CommCare project space name (found ${found}).${tryThis}`,
		rule,
	);
}

/** `POST` target of the Bulk Upload Case Data API. The trailing slash matters (spec §1). */
export function bulkUploadUrl(baseUrl: string, projectSpace: string): string {
	return `${normalizeBaseUrl(baseUrl)}/a/${encodeURIComponent(validateProjectSpace(projectSpace))}/importer/excel/bulk_upload_api/`;
}

/** Why an address is never requested: it is not a usable address, or it is on another server. */
export class RefusedAddressError extends InvalidInputError {
	constructor(
		readonly reason: 'invalid' | 'otherOrigin',
		message: string,
		description?: string,
	) {
		super(message, description);
		this.name = 'RefusedAddressError';
	}
}

/**
 * The absolute address a request may go to, or an InvalidInputError saying why not (nothing is sent then):
 * - a path on the server (`/a/demo/…`, as a proxy may rewrite it) is resolved against the Base URL's origin;
 * - it must be a valid http(s) address with well-formed %-escapes and no `user:password@`;
 * - it must be on the Base URL's origin: the credential only goes there.
 * Messages never repeat a query string (it may carry a token). `what` names the address in messages.
 */
export function checkedRequestUrl(raw: unknown, baseUrl: string, what = 'The status URL'): string {
	const base = new URL(normalizeBaseUrl(baseUrl));
	const text = String(raw ?? '').trim();
	const shown = addressForMessage(text);
	if (text === '') throw new RefusedAddressError('invalid', `${what} is empty`);
	if (MALFORMED_ESCAPE.test(text)) {
		throw new RefusedAddressError(
			'invalid',
			`${what} '${shown}' is not a valid address: it has a '%' that is not followed by two hex digits`,
		);
	}
	const absolute = /^[a-z][a-z0-9+.-]*:/i.test(text);
	if (!absolute && !text.startsWith('/')) {
		throw new RefusedAddressError(
			'invalid',
			`${what} '${shown}' is not a web address: it must be absolute (https://…) or a path on the CommCare server (/a/…)`,
		);
	}
	// A path (`/a/…`, as a proxy may rewrite it) is resolved against the Base URL's server.
	const target = parseUrl(text, absolute ? undefined : base.origin);
	if (!target) throw new RefusedAddressError('invalid', `${what} '${shown}' is not a valid web address`);
	if (target.protocol !== 'http:' && target.protocol !== 'https:') {
		throw new RefusedAddressError('invalid', `${what} '${shown}' is not an http(s) address`);
	}
	if (target.username || target.password) {
		throw new RefusedAddressError(
			'invalid',
			`${what} '${shown}' contains a user name or password`,
			'The credential is sent in a header, never in the address: an address with a login in it is never requested.',
		);
	}
	if (target.origin !== base.origin) {
		throw new RefusedAddressError(
			'otherOrigin',
			`Refusing to send the CommCare credential to ${target.origin}: it is only sent to ${base.origin}, the origin of the credential's Base URL`,
			'A status URL on another server is never followed. If your CommCare server is reached under another address, set the Base URL to that address.',
		);
	}
	return target.href;
}

/** The project space named in a CommCare URL (`…/a/<name>/…`), if any. */
export function projectSpaceFromUrl(url: string): string | undefined {
	const match = /\/a\/([^/]+)/.exec(parseUrl(url)?.pathname ?? '');
	return match ? decodeSafely(match[1]) : undefined;
}

function parseUrl(text: string, base?: string): URL | undefined {
	try {
		return new URL(text, base);
	} catch {
		return undefined;
	}
}

// ─── Credentials ────────────────────────────────────────────────────────────────────────────────────────────────

export interface CommCareCredentials {
	/** Normalised (see `normalizeBaseUrl`). */
	baseUrl: string;
	authType: 'apiKey' | 'basicAuth';
	username: string;
	/** Removes this credential's secrets (and anything shaped like a credential) from text: see redaction.ts. */
	redactor: Redactor;
}

/** Reads the decrypted `commCareApi` data; throws InvalidInputError for a bad Base URL. */
export function commCareCredentialsFrom(data: ICredentialDataDecryptedObject): CommCareCredentials {
	const username = String(data.username ?? '').trim();
	const authType = data.authType === 'basicAuth' ? 'basicAuth' : 'apiKey';
	return { baseUrl: normalizeBaseUrl(data.baseUrl), authType, username, redactor: Redactor.forCredential(data) };
}

export async function getCommCareCredentials(ctx: IExecuteFunctions, itemIndex = 0): Promise<CommCareCredentials> {
	const data = await ctx.getCredentials(CREDENTIAL_TYPE, itemIndex);
	try {
		return commCareCredentialsFrom(data);
	} catch (error) {
		const input = error as InvalidInputError;
		throw new NodeOperationError(ctx.getNode(), `CommCare API credential: ${input.message}`, {
			description: input.description,
			itemIndex,
		});
	}
}

// ─── Responses ──────────────────────────────────────────────────────────────────────────────────────────────────

export interface CommCareResponse {
	statusCode: number;
	/** Lower-case names; repeated headers joined with ", ". */
	headers: Record<string, string>;
	/** The parsed body when it is JSON. */
	json?: unknown;
	/** The body as text ('' when empty). */
	text: string;
	/** The body is an HTML page (never show it raw). */
	isHtml: boolean;
	/** The URL that gave this answer (after same-origin redirects). */
	url: string;
	/** Requests sent for this call, retries and redirects included. */
	attempts: number;
	/** The body was longer than the call's byte limit: `text` holds its start only. */
	truncated: boolean;
}

function headersFrom(raw: unknown): Record<string, string> {
	const source =
		raw && typeof (raw as { toJSON?: unknown }).toJSON === 'function'
			? (raw as { toJSON: () => Record<string, unknown> }).toJSON()
			: ((raw ?? {}) as Record<string, unknown>);
	const headers: Record<string, string> = {};
	for (const [name, value] of Object.entries(source)) {
		if (value === undefined || value === null) continue;
		headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
	}
	return headers;
}

/**
 * Turns what `httpRequestWithAuthentication(..., { returnFullResponse: true })` resolved to into a CommCareResponse.
 * The body may be a parsed object, a string, a Buffer or an ArrayBuffer depending on the n8n version and options.
 */
export function normalizeResponse(raw: unknown, url: string, attempts = 1): CommCareResponse {
	const full = (raw ?? {}) as { body?: unknown; headers?: unknown; statusCode?: unknown; status?: unknown };
	const headers = headersFrom(full.headers);
	const statusCode = Number(full.statusCode ?? full.status ?? 0);
	let body = full.body;
	if (body instanceof ArrayBuffer) body = Buffer.from(body);
	let text = '';
	let json: unknown;
	if (Buffer.isBuffer(body)) text = body.toString('utf8');
	else if (typeof body === 'string') text = body;
	else if (body !== undefined && body !== null) {
		json = body;
		text = JSON.stringify(body);
	}
	const contentType = headers['content-type'] ?? '';
	const trimmed = text.trim();
	if (json === undefined && trimmed && (/json/i.test(contentType) || /^[[{]/.test(trimmed))) {
		try {
			json = JSON.parse(trimmed);
		} catch {
			json = undefined;
		}
	}
	const isHtml =
		json === undefined && (/text\/html/i.test(contentType) || /^<(!doctype\s+html|html[\s>])/i.test(trimmed));
	return { statusCode, headers, json, text, isHtml, url, attempts, truncated: false };
}

// ─── Retry policy ───────────────────────────────────────────────────────────────────────────────────────────────

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

/**
 * - `notSent`: the connection was never made (refused, DNS hiccup, unreachable): safe to resend anything.
 * - `maybeSent`: the connection broke or timed out after the request may have been received.
 * - `hostNotFound`, `certificate`: nothing was sent, and retrying will not help.
 * - `cancelled`: the user stopped the execution.
 */
export type NetworkFailureKind = 'notSent' | 'maybeSent' | 'hostNotFound' | 'certificate' | 'cancelled';

export interface NetworkFailure {
	kind: NetworkFailureKind;
	/** The system / axios error code, e.g. ECONNREFUSED. */
	code: string;
	/** The original error text (may name the address; redact before showing). */
	message: string;
}

export function shouldRetryNetworkFailure(kind: NetworkFailureKind, idempotent: boolean): boolean {
	return kind === 'notSent' || (idempotent && kind === 'maybeSent');
}

const NOT_SENT_CODES = ['ECONNREFUSED', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'];
const MAYBE_SENT_CODES = [
	'ECONNRESET',
	'ETIMEDOUT',
	'ECONNABORTED',
	'ESOCKETTIMEDOUT',
	'EPIPE',
	'ERR_STREAM_PREMATURE_CLOSE',
];
const CERTIFICATE_CODES = [
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'CERT_HAS_EXPIRED',
	'CERT_NOT_YET_VALID',
	'ERR_TLS_CERT_ALTNAME_INVALID',
];
const KNOWN_CODES = ['ENOTFOUND', ...NOT_SENT_CODES, ...MAYBE_SENT_CODES, ...CERTIFICATE_CODES];

/** Collects error codes and texts from an error, its causes and (n8n's NodeApiError) `httpCode` / `messages`. */
function collectClues(error: unknown): { codes: string[]; texts: string[]; aborted: boolean } {
	const codes: string[] = [];
	const texts: string[] = [];
	let aborted = false;
	const seen = new Set<unknown>();
	const visit = (value: unknown, depth: number) => {
		if (!value || typeof value !== 'object' || seen.has(value) || depth > 5) return;
		seen.add(value);
		if (isAbortError(value)) aborted = true;
		const record = value as Record<string, unknown>;
		for (const key of ['code', 'httpCode', 'errno']) {
			if (typeof record[key] === 'string') codes.push((record[key] as string).toUpperCase());
		}
		for (const key of ['message', 'description'])
			if (typeof record[key] === 'string') texts.push(record[key] as string);
		if (Array.isArray(record.messages))
			texts.push(...record.messages.filter((m): m is string => typeof m === 'string'));
		visit(record.cause, depth + 1);
		if (Array.isArray(record.errors)) for (const inner of record.errors) visit(inner, depth + 1);
	};
	visit(error, 0);
	return { codes, texts, aborted };
}

/**
 * Classifies an error thrown by n8n's request helper (usually a NodeApiError wrapping an axios error, whose code
 * survives in `httpCode` and `messages`), or returns undefined when it is not a network failure.
 */
export function classifyNetworkError(error: unknown): NetworkFailure | undefined {
	const { codes, texts, aborted } = collectClues(error);
	const message = texts[texts.length - 1] ?? (error instanceof Error ? error.message : String(error));
	if (aborted || codes.includes('ERR_CANCELED')) return { kind: 'cancelled', code: 'ERR_CANCELED', message };
	let code = codes.find((c) => KNOWN_CODES.includes(c));
	if (!code) {
		const joined = texts.join(' ');
		code = KNOWN_CODES.find((c) => new RegExp(`\\b${c}\\b`).test(joined));
		if (!code && /socket hang up/i.test(joined)) code = 'ECONNRESET';
		if (!code && /timeout of \d+ms exceeded/i.test(joined)) code = 'ECONNABORTED';
		if (!code) code = codes.find((c) => c.startsWith('ERR_TLS_') || c.startsWith('CERT_'));
	}
	if (!code) return undefined;
	if (code === 'ENOTFOUND') return { kind: 'hostNotFound', code, message };
	if (NOT_SENT_CODES.includes(code)) return { kind: 'notSent', code, message };
	if (MAYBE_SENT_CODES.includes(code)) return { kind: 'maybeSent', code, message };
	return { kind: 'certificate', code, message };
}

// ─── The request ────────────────────────────────────────────────────────────────────────────────────────────────

export type RequestBody = IHttpRequestOptions['body'];

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
	retry?: Partial<RetryPolicy>;
	/** Same-origin redirects followed at most (idempotent requests only). */
	maxRedirects?: number;
}

const REDIRECT_STATUSES = [301, 302, 303, 307, 308];
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Sends one logical request to CommCare and returns its answer, whatever the HTTP status (map unexpected ones
 * with `errorForResponse` from errors.ts). Throws NodeOperationError when the URL is not one a request may go to
 * (nothing sent), and NodeApiError for refused redirects, network failures that outlast the retries, the deadline,
 * or cancellation.
 *
 * The deadline is kept by n8n's own request: the helper takes its abort signal from the context it is called on
 * (`this.getExecutionCancelSignal()`, in n8n-core 1.x and 2.x alike), so it is called on a context whose cancel
 * signal also fires at the deadline. The wait for it is raced against the same signal, so the deadline holds even
 * on a host that ignored it.
 */
export async function commCareRequest(
	ctx: IExecuteFunctions,
	credentials: CommCareCredentials,
	options: CommCareRequestOptions,
): Promise<CommCareResponse> {
	const node = ctx.getNode();
	const context = { operation: options.operation, projectSpace: options.projectSpace, itemIndex: options.itemIndex };
	let url: string;
	try {
		url = checkedRequestUrl(options.url, credentials.baseUrl, 'The address');
	} catch (error) {
		const input = error as InvalidInputError;
		throw credentials.redactor.error(
			new NodeOperationError(node, input.message, {
				description: input.description,
				itemIndex: options.itemIndex,
			}),
		);
	}
	const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
	const maxRedirects = options.maxRedirects ?? 5;
	const timeoutMs = clampTimerMs(options.timeoutMs ?? (options.method === 'GET' ? 60_000 : 300_000));
	const deadline = Date.now() + timeoutMs;
	const cancel = ctx.getExecutionCancelSignal?.();
	const failureContext = () => ({ ...context, url, attempts, timeoutMs });
	let attempts = 0;
	let retries = 0;
	let redirects = 0;
	let waitedMs = 0;

	/** Waits before retry n; false when the policy or the deadline says stop. */
	const waitBeforeRetry = async (retryAfterMs?: number): Promise<boolean> => {
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
			throw errorForNetworkFailure(node, credentials, cancelled(), failureContext());
		}
		return true;
	};

	for (;;) {
		if (cancel?.aborted) throw errorForNetworkFailure(node, credentials, cancelled(), failureContext());
		const remainingMs = deadline - Date.now();
		if (remainingMs <= 0) throw errorForNetworkFailure(node, credentials, deadlinePassed(), failureContext());
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
			}) as IExecuteFunctions;
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
				throw credentials.redactor.error(new NodeOperationError(node, message, { itemIndex: options.itemIndex }));
			}
			failure.message = credentials.redactor.text(failure.message);
			if (shouldRetryNetworkFailure(failure.kind, options.idempotent) && (await waitBeforeRetry())) continue;
			throw errorForNetworkFailure(node, credentials, failure, failureContext());
		}

		if (REDIRECT_STATUSES.includes(response.statusCode) && response.headers.location) {
			const target = redirectTarget(response.headers.location, url);
			if (!target.ok) throw errorForInvalidLocation(node, credentials, response, target.problem, context);
			const location = new URL(target.url);
			const sameOrigin = location.origin === new URL(credentials.baseUrl).origin;
			if (!options.idempotent || !sameOrigin || redirects >= maxRedirects) {
				throw errorForRedirect(node, credentials, response, location, context);
			}
			redirects += 1;
			url = location.href;
			continue;
		}
		if (isRetryableStatus(response.statusCode, options.idempotent)) {
			const retryAfterMs = parseRetryAfterMs(response.headers['retry-after']);
			if (await waitBeforeRetry(retryAfterMs)) continue;
		}
		return response;
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
