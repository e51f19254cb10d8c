/**
 * The Case API v2 reads next to the upload (docs/commcare-api.md §9): bulk fetch by case ids and external ids, the
 * case-id GET (both read the lagging search index) and the external-id GET (reads the database, no lag). The
 * decorators (auth, permissions, plan) run in server.ts; this file answers once they passed.
 */
import type { InMemoryCaseStore } from './caseStore';
import { serverErrorPage, type EmulatorResponse } from './djangoPages';
import { type CaseSearchIndex, type SerializedCase, serializeCase } from './searchIndex';
import { commCareTimestamp } from './caseStore';
import { jsonResponse } from './uploadView';

/** `MAX_PAGE_SIZE` in CommCare's `get_list.py`, checked by `get_bulk`. */
export const MAX_BULK_FETCH = 5000;

export const CASE_API_MESSAGES = {
	invalidJson: 'Payload must be valid JSON',
	noIds: "Payload must include 'case_ids' or 'external_ids' fields",
	tooMany: `You cannot request more than ${MAX_BULK_FETCH} cases per request.`,
	fieldsAndExclude: "You cannot specify both 'fields' and 'exclude'",
	methodNotAllowed: 'Request method not allowed',
	notFound: (id: string) => `Case '${id}' not found`,
	multiple: (externalId: string, ids: string[]) =>
		`Multiple cases found with external_id '${externalId}': ${ids.join(', ')}`,
} as const;

export interface CaseApiRequest {
	domain: string;
	method: string;
	/** Every query parameter with all its values (field filters may repeat). */
	params: URLSearchParams;
	body: Buffer;
	store: InMemoryCaseStore;
	index: CaseSearchIndex;
	/** Told the ids of a bulk fetch that is answered (not of one refused for its size or shape). */
	onBulkFetch?(caseIds: string[], externalIds: string[]): void;
}

const errorResponse = (status: number, error: string): EmulatorResponse => jsonResponse(status, { error });

type BulkStub = { case_id: unknown; error: 'not found' } | { external_id: unknown; error: 'not found' };

/** `get_bulk`: one entry per requested id, case ids first, in request order, duplicates repeated and counted. */
function bulkResult(
	request: CaseApiRequest,
	caseIds: unknown[],
	externalIds: unknown[],
	filter: FieldFilter,
): EmulatorResponse {
	if (caseIds.length + externalIds.length > MAX_BULK_FETCH) return errorResponse(400, CASE_API_MESSAGES.tooMany);
	request.onBulkFetch?.(caseIds.map(String), externalIds.map(String));
	const cases: Array<Partial<SerializedCase> | BulkStub> = [];
	let matching = 0;
	for (const id of caseIds) {
		const found = request.index.byCaseId(request.domain, String(id));
		if (found) matching += 1;
		cases.push(found ? filter(found) : { case_id: id, error: 'not found' });
	}
	for (const id of externalIds) {
		const found = request.index.byExternalId(request.domain, String(id));
		if (found) matching += 1;
		cases.push(found ? filter(found) : { external_id: id, error: 'not found' });
	}
	return jsonResponse(200, { matching_records: matching, missing_records: cases.length - matching, cases });
}

/** `_handle_bulk_fetch`: any method runs it (docs/commcare-api.md §9.3). */
export function answerBulkFetch(request: CaseApiRequest): EmulatorResponse {
	let data: unknown;
	try {
		data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(request.body));
	} catch {
		return errorResponse(400, CASE_API_MESSAGES.invalidJson);
	}
	if (data === null || typeof data !== 'object' || Array.isArray(data)) return serverErrorPage(); // data.get raises
	const payload = data as Record<string, unknown>;
	if (!isTruthy(payload.case_ids) && !isTruthy(payload.external_ids))
		return errorResponse(400, CASE_API_MESSAGES.noIds);
	const filter = fieldFilter(request.params);
	if (typeof filter === 'string') return errorResponse(400, filter);
	return bulkResult(request, iterated(payload.case_ids), iterated(payload.external_ids), filter);
}

/** `GET case/v2/<case_id>/`: the search index; a comma makes it a bulk GET (docs/commcare-api.md §9.5). */
export function answerCaseById(request: CaseApiRequest, caseId: string): EmulatorResponse {
	if (request.method !== 'GET') return errorResponse(405, CASE_API_MESSAGES.methodNotAllowed);
	const filter = fieldFilter(request.params);
	if (typeof filter === 'string') return errorResponse(400, filter);
	if (caseId.includes(',')) return bulkResult(request, caseId.split(','), [], filter);
	const found = request.index.byCaseId(request.domain, caseId);
	return found ? jsonResponse(200, filter(found)) : errorResponse(404, CASE_API_MESSAGES.notFound(caseId));
}

/** `GET case/v2/ext/<external_id>/`: the database, any type, closed included, no lag (docs/commcare-api.md §9.5). */
export function answerCaseByExternalId(request: CaseApiRequest, externalId: string): EmulatorResponse {
	if (request.method !== 'GET') return errorResponse(405, CASE_API_MESSAGES.methodNotAllowed);
	const filter = fieldFilter(request.params);
	if (typeof filter === 'string') return errorResponse(400, filter);
	const found = request.store.withExternalId(request.domain, externalId);
	if (found.length === 0) return errorResponse(404, CASE_API_MESSAGES.notFound(externalId));
	if (found.length > 1) {
		return errorResponse(
			400,
			CASE_API_MESSAGES.multiple(
				externalId,
				found.map((c) => c.case_id),
			),
		);
	}
	return jsonResponse(200, filter(serializeCase(found[0], commCareTimestamp())));
}

function isTruthy(value: unknown): boolean {
	if (Array.isArray(value) || typeof value === 'string') return value.length > 0;
	if (value !== null && typeof value === 'object') return Object.keys(value).length > 0;
	return Boolean(value);
}

/** Python iterates what it is given: a list item by item, a string character by character, a dict by its keys. */
function iterated(value: unknown): unknown[] {
	if (!isTruthy(value)) return [];
	if (Array.isArray(value)) return value;
	if (typeof value === 'string') return Array.from(value);
	if (typeof value === 'object') return Object.keys(value as object);
	return [];
}

type FieldFilter = (found: SerializedCase) => Partial<SerializedCase>;

/**
 * `get_fields_filter_fn` (docs/commcare-api.md §9.6): parameters named `fields…` keep only the listed paths, `exclude…` drop
 * them; both at once is an error (the text is returned).
 */
function fieldFilter(params: URLSearchParams): FieldFilter | string {
	const keep: string[][] = [];
	const drop: string[][] = [];
	let sawFields = false;
	let sawExclude = false;
	for (const [name, value] of params) {
		const [head, ...rest] = name.split('.').map((part) => part.trim());
		if (head !== 'fields' && head !== 'exclude') continue;
		if (head === 'fields') sawFields = true;
		else sawExclude = true;
		for (const item of value.split(',')) {
			const path = [...rest, ...item.split('.').map((part) => part.trim())];
			if (path.some((part) => part === '')) continue;
			(head === 'fields' ? keep : drop).push(path);
		}
	}
	if (sawFields && sawExclude) return CASE_API_MESSAGES.fieldsAndExclude;
	if (sawFields) return (found) => pick(found, keep) as Partial<SerializedCase>;
	if (sawExclude) return (found) => omit(found, drop) as Partial<SerializedCase>;
	return (found) => found;
}

function pick(value: unknown, paths: string[][]): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	const source = value as Record<string, unknown>;
	const heads = new Map<string, string[][]>();
	for (const [head, ...rest] of paths) heads.set(head, [...(heads.get(head) ?? []), rest]);
	for (const [head, rests] of heads) {
		if (!(head in source)) continue;
		const child = source[head];
		const whole = rests.some((rest) => rest.length === 0);
		if (whole || child === null || typeof child !== 'object') out[head] = child;
		else out[head] = pick(child, rests);
	}
	return out;
}

function omit(value: unknown, paths: string[][]): Record<string, unknown> {
	const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
	for (const [head, ...rest] of paths) {
		if (!(head in out)) continue;
		if (rest.length === 0) delete out[head];
		else if (out[head] !== null && typeof out[head] === 'object') out[head] = omit(out[head], [rest]);
	}
	return out;
}
