/**
 * What the editor's lists share: one GET through transport/ (the credential's origin only, a deadline, a bounded
 * body), tastypie pages followed within a bound, and list failures thrown as errors whose message says what to grant
 * and that typing the name ("By Name") still works. n8n shows the message and description inside the list.
 */
import { NodeOperationError, type ILoadOptionsFunctions, type INodeListSearchItems } from 'n8n-workflow';

import type { InvalidInputError } from '../invalidInputError';
import { validateProjectSpace } from '../projectSpace';
import { describeBody } from '../responseText';
import type { ProjectSpace } from '../transport/addresses';
import type { CommCareCredentials } from '../transport/credentials';
import { sendRequest } from '../transport/request';
import type { CommCareResponse } from '../transport/response';
import { retryPolicyWith } from '../transport/retryPolicy';

/** An editor waits on a list: it gets an answer, or this error, within this long. */
const LIST_TIMEOUT_MS = 30_000;
const MAX_LIST_BODY_BYTES = 4 * 1024 * 1024;
/** Pages of 1,000 followed at most: a user in more project spaces (or a project with more case types) types it. */
const MAX_PAGES = 10;
/** Someone is waiting in the editor: one retry of a transient failure, not minutes of back-off. */
const LIST_RETRY = retryPolicyWith({ maxAttempts: 2, maxTotalWaitMs: 5_000 });

/** The sentence every list failure ends with: the value can still be typed, in the locator's typing mode. */
export function typeItInstead(mode = 'By Name'): string {
	return `You can still choose "${mode}" and type it.`;
}

export const TYPE_IT_INSTEAD = typeItInstead();

/**
 * A list could not be filled: `message` names what happened, `description` what to do, `typedMode` the locator's
 * mode for typing the value. The editor shows only the message of a list's error, so the message ends with the way
 * out too.
 */
export function listError(
	ctx: ILoadOptionsFunctions,
	message: string,
	description: string,
	typedMode = 'By Name',
): NodeOperationError {
	const shown = `${message.replace(/[.\s]*$/, '')}. ${typeItInstead(typedMode)}`;
	const error = new NodeOperationError(ctx.getNode(), shown);
	// Set after construction: n8n rewrites messages that mention ECONNREFUSED and the like into vaguer ones.
	error.message = shown;
	error.description = `${description} ${typeItInstead(typedMode)}`.trim();
	return error;
}

/** GETs `url`; an answer (whatever its status), or the transport's error (network, deadline) thrown as a list error. */
export async function getForList(
	ctx: ILoadOptionsFunctions,
	credentials: CommCareCredentials,
	url: string,
	what: string,
): Promise<CommCareResponse> {
	const answer = await sendRequest(ctx, credentials, {
		method: 'GET',
		url,
		idempotent: true,
		operation: 'list',
		timeoutMs: LIST_TIMEOUT_MS,
		maxBodyBytes: MAX_LIST_BODY_BYTES,
		retry: LIST_RETRY,
	});
	if (answer.kind === 'response') return answer.response;
	throw listError(ctx, `Could not list ${what}: ${answer.error.message}`, answer.error.description ?? '');
}

export interface TastypiePage<T> {
	objects: T[];
	next: string | null;
}

/** The `objects` and `meta.next` of a tastypie list answer, or undefined when the body is not one. */
export function tastypiePage<T>(response: CommCareResponse): TastypiePage<T> | undefined {
	if (response.statusCode !== 200 || response.isHtml || response.truncated) return undefined;
	const body = response.json as { objects?: unknown; meta?: { next?: unknown } } | undefined;
	if (!body || !Array.isArray(body.objects)) return undefined;
	return { objects: body.objects as T[], next: typeof body.meta?.next === 'string' ? body.meta.next : null };
}

/**
 * Every object of a paginated tastypie list, asked 1,000 at a time by offset (CommCare's `next` links are relative
 * and their shape is not promised), or the first answer that is not a page.
 */
export async function allPages<T>(
	ctx: ILoadOptionsFunctions,
	credentials: CommCareCredentials,
	listUrl: string,
	what: string,
): Promise<{ objects: T[] } | { refused: CommCareResponse }> {
	const objects: T[] = [];
	for (let pageIndex = 0; pageIndex < MAX_PAGES; pageIndex++) {
		const response = await getForList(ctx, credentials, `${listUrl}?limit=1000&offset=${objects.length}`, what);
		const page = tastypiePage<T>(response);
		if (!page) return { refused: response };
		objects.push(...page.objects);
		if (!page.next || page.objects.length === 0) break;
	}
	return { objects };
}

/** What CommCare answered, for a message: status and a short, redacted excerpt of the body. */
export function answered(response: CommCareResponse, credentials: CommCareCredentials): string {
	return `HTTP ${response.statusCode}, ${describeBody(response, credentials.redactor)}`;
}

/** Keeps the entries whose name or value holds the filter (any case); all of them without a filter. */
export function filtered(items: INodeListSearchItems[], filter: string | undefined): INodeListSearchItems[] {
	const wanted = (filter ?? '').trim().toLowerCase();
	if (!wanted) return items;
	return items.filter(
		(item) => item.name.toLowerCase().includes(wanted) || String(item.value).toLowerCase().includes(wanted),
	);
}

/**
 * The project space the node's Project Space parameter holds, for a list that depends on it; else a list error
 * (`typedMode`: how the list's own value is typed instead).
 */
export function chosenProjectSpace(ctx: ILoadOptionsFunctions, typedMode = 'By Name'): ProjectSpace {
	try {
		return validateProjectSpace(ctx.getNodeParameter('projectSpace', '', { extractValue: true }));
	} catch (error) {
		const input = error as InvalidInputError;
		throw listError(ctx, `Choose the project space first: ${input.message}`, input.description ?? '', typedMode);
	}
}
