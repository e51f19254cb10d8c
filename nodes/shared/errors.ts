/**
 * Every message a user sees when talking to CommCare goes wrong, in one place, plus the guard that keeps secrets out
 * of them. transport/ decides WHAT happened (status, network failure, redirect); this file says it in words.
 *
 * Rules: name what was found and what to do; never dump an HTML page; never show an API key, password or
 * Authorization header. Server text is redacted before it is cut (redaction.ts); each node redacts everything it
 * throws or outputs once more as its very last step.
 */
import { NodeApiError, NodeOperationError, type INode, type JsonObject } from 'n8n-workflow';
import { InvalidInputError } from './invalidInputError';
import { safeExcerpt, SHAPE_REDACTOR, type Redactor } from './redaction';
import type { CommCareCredentials } from './transport/credentials';
import type { NetworkFailure } from './transport/networkFailure';
import type { CommCareResponse } from './transport/response';
import { describeBody, displayUrl, htmlToPlainText } from './responseText';

/** Where to look when it is unclear whether CommCare queued an upload. */
export const CHECK_IMPORT_HISTORY =
	'Before running this again, open CommCare HQ → Data → Import Cases from Excel and check the recent uploads, so the same rows are not imported twice.';

export type CommCareOperation = 'upload' | 'status' | 'identity' | 'caseLookup' | 'list' | 'tableUpload' | 'tableRead';

export interface FailureContext {
	operation: CommCareOperation;
	/** The project space concerned, when known (the upload's, or the one in a status URL). */
	projectSpace?: string;
	itemIndex?: number;
	/** Requests sent for this call, retries included. */
	attempts?: number;
	/** The per-request timeout, when known (to say how long CommCare had to answer). */
	timeoutMs?: number;
}

/**
 * NodeApiError's constructor rewrites messages that contain words like ECONNREFUSED or a known HTTP status, and
 * looks for a description in the response object. Ours are already written for the user: set them as they are.
 * Everything is redacted after it is set (`Redactor.error`: message, description, details, stack, every own field).
 */
export function commCareApiError(
	node: INode,
	message: string,
	options: {
		description?: string;
		httpCode?: string | number;
		itemIndex?: number;
		details?: JsonObject;
		redactor?: Redactor;
	},
): NodeApiError {
	const redactor = options.redactor ?? SHAPE_REDACTOR;
	const error = new NodeApiError(node, (options.details ?? {}) as JsonObject, {
		message,
		description: options.description,
		httpCode: options.httpCode === undefined ? undefined : String(options.httpCode),
		itemIndex: options.itemIndex,
	});
	error.message = message;
	error.description = options.description;
	return redactor.error(error);
}

function projectSpaceLabel(projectSpace: string | undefined): string {
	return projectSpace ? `project space '${projectSpace}'` : 'this project space';
}

/** ", after 3 attempts" when the call was retried, to go inside the parentheses of a message. */
function attemptsNote(attempts: number | undefined): string {
	return attempts && attempts > 1 ? `, after ${attempts} attempts` : '';
}

/** What the user reads about a failure: one line saying what happened, and what to do. */
export interface FailureWording {
	message: string;
	description?: string;
}

/** The NodeApiError for a CommCare answer that is not the expected success (its words: `messageForResponse`). */
export function errorForResponse(
	node: INode,
	credentials: CommCareCredentials,
	response: CommCareResponse,
	context: FailureContext,
): NodeApiError {
	const { redactor } = credentials;
	const { message, description } = messageForResponse(response, context, credentials);
	const details = {
		statusCode: response.statusCode,
		url: displayUrl(response.url),
		body: describeBody(response, redactor),
		attempts: response.attempts,
	} as JsonObject;
	return commCareApiError(node, message, {
		description,
		httpCode: response.statusCode,
		itemIndex: context.itemIndex,
		details,
		redactor,
	});
}

/**
 * The words for a CommCare answer that is not the expected success, redacted: for a caller that reports it in its
 * own way (the polling loop keeps it as the reason a wait ended) as much as for `errorForResponse`.
 */
export function messageForResponse(
	response: CommCareResponse,
	context: FailureContext,
	credentials: CommCareCredentials,
): FailureWording {
	const status = response.statusCode;
	const { redactor } = credentials;
	const body = describeBody(response, redactor);
	const fail = (message: string, description?: string): FailureWording => ({
		message: redactor.text(message),
		...(description === undefined ? {} : { description: redactor.text(description) }),
	});
	const serverMessage = jsonField(response.json, 'message');
	const serverError = jsonField(response.json, 'error');

	if (status === 401) {
		const what = credentials.authType === 'basicAuth' ? 'username and password' : 'username and API key';
		const where =
			'API keys are under your name (top right in CommCare HQ) → My Account Settings → API Keys. A mobile worker signs in as name@project.commcarehq.org.';
		if (serverError) {
			const said = safeExcerpt(serverError, 300, redactor);
			let advice = `Check the ${what} in the CommCare API credential.`;
			if (/otp/i.test(serverError)) {
				advice =
					'The project requires two-factor authentication, which a password cannot pass here: switch the credential to API Key.';
			} else if (/password attempts/i.test(serverError)) {
				advice =
					'The account is locked after too many failed password attempts: reset the password in CommCare HQ, or use an API key.';
			}
			return fail(`CommCare rejected the credential (HTTP 401): "${said}"`, `${advice} ${where}`);
		}
		return fail(
			`CommCare rejected the credential (HTTP 401)`,
			`Check the ${what} in the CommCare API credential (user '${credentials.username}'). ${where}`,
		);
	}
	if (status === 403) {
		const space = projectSpaceLabel(context.projectSpace);
		return fail(
			`No access to ${space} (HTTP 403)`,
			`CommCare user '${credentials.username}' must be a member of ${space} with a role that has "Edit Data". CommCare also answers 403 when the project space does not exist, so check its spelling (lower case, as in the address https://…/a/your-project/). A superuser still needs to be a member.`,
		);
	}
	if (status === 404) {
		if (context.operation === 'upload') {
			return fail(
				`CommCare has no bulk upload endpoint at ${displayUrl(response.url)} (HTTP 404)`,
				`Check the credential's Base URL (${credentials.baseUrl}) and the project space '${context.projectSpace ?? ''}'. The server answered ${body}.`,
			);
		}
		return fail(
			`CommCare answered HTTP 404 (not found) for ${displayUrl(response.url)}`,
			`The server answered ${body}.`,
		);
	}
	if (status === 405) {
		const allowed = response.headers.allow ? ` (it allows ${response.headers.allow})` : '';
		return fail(
			`CommCare refused the request method at ${displayUrl(response.url)} (HTTP 405${allowed})`,
			`This address is not the endpoint expected: check the credential's Base URL (${credentials.baseUrl}).`,
		);
	}
	if (status >= 500 && serverMessage && !response.isHtml) {
		// Caught upload errors: CommCare's own words, verbatim (docs/commcare-api.md §3). One of them (invalid column names)
		// holds an HTML link, so the description carries a plain-text version. Both are redacted in `fail`, after
		// the tags are gone (a secret split by tags is only whole in the plain text).
		const plain = htmlToPlainText(serverMessage);
		const description =
			plain !== serverMessage
				? plain
				: context.operation === 'upload'
					? 'CommCare refused the file before queueing the import; nothing was imported.'
					: undefined;
		return fail(serverMessage, description);
	}
	if (status === 429 || status === 502 || status === 503 || status === 504) {
		const retryAfter = response.headers['retry-after'];
		const wait = retryAfter ? ` CommCare asked to wait (Retry-After: ${retryAfter}).` : '';
		if (context.operation === 'upload' && (status === 502 || status === 504)) {
			return fail(
				`The upload got HTTP ${status} from a gateway in front of CommCare: the import may or may not have been queued.`,
				CHECK_IMPORT_HISTORY,
			);
		}
		// 429 and 503 refuse a request before it is processed (that is why the upload may be resent after them).
		const nothingImported =
			context.operation === 'upload' ? ' Nothing was imported, so running it again later is safe.' : '';
		return fail(
			`CommCare is busy or unavailable (HTTP ${status}${attemptsNote(response.attempts)}); try again later.${wait}`,
			`The server answered ${body}.${nothingImported}`,
		);
	}
	if (status >= 500) {
		return fail(
			`CommCare failed with an internal error (HTTP ${status}) and sent ${body} instead of a message.`,
			context.operation === 'upload'
				? 'Nothing says whether the import was queued: check CommCare HQ → Data → Import Cases from Excel → recent uploads. If the error repeats, open the file in a spreadsheet program and save it again as .xlsx.'
				: undefined,
		);
	}
	if (response.isHtml && status >= 200 && status < 300) {
		return fail(
			`CommCare answered with a web page (${body}) instead of JSON: the credential's Base URL (${credentials.baseUrl}) probably points at a login page or a proxy, not at CommCare HQ's API.`,
		);
	}
	return fail(`CommCare answered HTTP ${status} with ${body}.`);
}

/** Codes of a request that got no answer before its timeout (axios says ECONNABORTED, sockets ETIMEDOUT). */
const TIMEOUT_CODES = ['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT'];

function formatSeconds(ms: number): string {
	return `${Math.round(ms / 100) / 10} s`;
}

/** The NodeApiError for a request that got no HTTP answer. */
export function errorForNetworkFailure(
	node: INode,
	credentials: CommCareCredentials,
	failure: NetworkFailure,
	context: FailureContext & { url: string },
): NodeApiError {
	const where = new URL(context.url).origin;
	const details = { code: failure.code, url: displayUrl(context.url), error: failure.message } as JsonObject;
	const fail = (message: string, description?: string) =>
		commCareApiError(node, message, {
			description,
			itemIndex: context.itemIndex,
			details,
			redactor: credentials.redactor,
		});
	switch (failure.kind) {
		case 'hostNotFound':
			return fail(
				`The CommCare server ${where} was not found (${failure.code}): check the host name in the credential's Base URL.`,
			);
		case 'certificate':
			return fail(
				`Could not verify the TLS certificate of ${where} (${failure.code}).`,
				"For a self-hosted CommCare server with a private certificate, turn on 'Ignore SSL Issues (Insecure)' in the CommCare API credential.",
			);
		case 'cancelled':
			return fail(
				'The execution was cancelled while talking to CommCare.',
				context.operation === 'upload'
					? `The import may or may not have been queued. ${CHECK_IMPORT_HISTORY}`
					: undefined,
			);
		case 'notSent':
			return fail(
				`Could not connect to CommCare at ${where} (${failure.code}${attemptsNote(context.attempts)}): the server is down or the Base URL is wrong.`,
				context.operation === 'upload' ? 'Nothing was uploaded.' : undefined,
			);
		case 'maybeSent':
		default: {
			const timedOut = TIMEOUT_CODES.includes(failure.code);
			const within = context.timeoutMs ? ` within ${formatSeconds(context.timeoutMs)}` : ' in time';
			if (context.operation === 'upload') {
				if (timedOut) {
					return fail(
						`CommCare did not answer the upload${within} (${failure.code}): the import may or may not have been queued.`,
						`${CHECK_IMPORT_HISTORY} If CommCare is only slow to accept large files, raise the node's Upload Timeout option.`,
					);
				}
				return fail(
					`The connection to CommCare broke during the upload (${failure.code}): the import may or may not have been queued.`,
					CHECK_IMPORT_HISTORY,
				);
			}
			if (timedOut) {
				return fail(`CommCare at ${where} did not answer${within} (${failure.code}${attemptsNote(context.attempts)})`);
			}
			return fail(
				`The connection to CommCare at ${where} failed (${failure.code}${attemptsNote(context.attempts)}); try again later.`,
			);
		}
	}
}

/** The error for a 3xx answer that is not followed (any redirect of the upload; a cross-origin one otherwise). */
export function errorForRedirect(
	node: INode,
	credentials: CommCareCredentials,
	response: CommCareResponse,
	location: URL,
	context: FailureContext,
): NodeApiError {
	const base = new URL(credentials.baseUrl);
	const basePath = base.pathname.replace(/\/+$/, '');
	const target = displayUrl(location.href);
	const details = { statusCode: response.statusCode, url: displayUrl(response.url), location: target } as JsonObject;
	const fail = (message: string, description?: string) =>
		commCareApiError(node, message, {
			description,
			httpCode: response.statusCode,
			itemIndex: context.itemIndex,
			details,
			redactor: credentials.redactor,
		});
	const otherOrigin = location.origin !== base.origin;
	const suggestion = `${location.origin}${basePath}`;
	if (context.operation === 'upload') {
		const why = 'A redirected upload is not followed: it would arrive as a GET without the file.';
		if (otherOrigin) {
			return fail(
				`CommCare redirected the upload (HTTP ${response.statusCode}) to ${target}. ${why}`,
				`The server seems to live at ${location.origin}: set the credential's Base URL to ${suggestion}.`,
			);
		}
		return fail(
			`CommCare redirected the upload (HTTP ${response.statusCode}) to ${target} instead of accepting it. ${why}`,
			`This happens when ${projectSpaceLabel(context.projectSpace)} is inactive or the address is wrong: check the project space name and the credential's Base URL (${credentials.baseUrl}).`,
		);
	}
	if (otherOrigin) {
		return fail(
			`CommCare redirected to another server (${location.origin}); the credential is only sent to ${base.origin}, so the redirect was not followed.`,
			`If your CommCare server moved, set the credential's Base URL to ${suggestion}.`,
		);
	}
	return fail(`CommCare kept redirecting (last: HTTP ${response.statusCode} to ${target}); gave up.`);
}

/**
 * The error for a 3xx answer whose Location cannot be followed at all (not a valid address, bad %-escapes, a
 * login in it). The address is not quoted: it may carry a token.
 */
export function errorForInvalidLocation(
	node: INode,
	credentials: CommCareCredentials,
	response: CommCareResponse,
	problem: string,
	context: FailureContext,
): NodeApiError {
	const upload = context.operation === 'upload';
	return commCareApiError(
		node,
		`CommCare ${upload ? 'redirected the upload' : 'answered with a redirect'} (HTTP ${response.statusCode}) to an address that cannot be followed: ${problem}. The redirect was not followed.`,
		{
			description: upload
				? `${CHECK_IMPORT_HISTORY} Check the credential's Base URL (${credentials.baseUrl}): a proxy in front of CommCare may be rewriting addresses.`
				: `Check the credential's Base URL (${credentials.baseUrl}): a proxy in front of CommCare may be rewriting addresses.`,
			httpCode: response.statusCode,
			itemIndex: context.itemIndex,
			details: { statusCode: response.statusCode, url: displayUrl(response.url) } as JsonObject,
			redactor: credentials.redactor,
		},
	);
}

/**
 * Turns anything thrown while handling one item into an n8n error with the item index, secrets removed (in every
 * field, in place). NodeApiError / NodeOperationError pass through (with the item index added).
 */
export function toNodeError(
	node: INode,
	error: unknown,
	/** The item the error is about; undefined for a setting read once for all items (no "[item 0]" in n8n). */
	itemIndex: number | undefined,
	redactor: Redactor = SHAPE_REDACTOR,
): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		error.context.itemIndex ??= itemIndex;
		return redactor.error(error);
	}
	if (error instanceof InvalidInputError) {
		return redactor.error(new NodeOperationError(node, error.message, { itemIndex, description: error.description }));
	}
	const message = error instanceof Error ? error.message : String(error);
	return redactor.error(new NodeOperationError(node, message, { itemIndex }));
}

function jsonField(json: unknown, key: string): string | undefined {
	if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
	const value = (json as Record<string, unknown>)[key];
	return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
