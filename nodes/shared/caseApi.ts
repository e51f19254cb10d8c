/**
 * The Case API v2 reads the case lookup needs (docs/commcare-api.md §9), sent through transport/: bulk fetch by case ids
 * or external ids, in requests of at most 5,000 ids at a bounded concurrency (429 Retry-After honoured by transport's
 * retries), and the external-id GET that reads the database and lists every case sharing an external id.
 * - Every request, its retries and Retry-After waits included, ends by the lookup's one deadline ("Case Lookup
 *   Wait"); one that would need longer ends the lookup at once (`timedOut`, or `rateLimited` for a long Retry-After).
 * - An answer counts only for the id it names: a bulk-fetch entry is taken for the id in its own `case_id` /
 *   `external_id`, whatever its position, and a case from the external-id GET only when its external id is the one
 *   asked. Anything else is "not found".
 * Any answer that stops the lookup becomes a `CaseLookupUnavailable` that says what to grant or fix; the import's
 * outcome never depends on it.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import type { CaseIndexJson, CaseSummaryJson } from './outputContract';
import { describeBody } from './responseText';
import { type CommCareCredentials } from './transport/credentials';
import { sendRequest } from './transport/request';
import { type CommCareResponse } from './transport/response';
import { parseRetryAfterMs, type RetryPolicy } from './transport/retryPolicy';
import { forEachLimited, throwIfCancelled } from './concurrency';

/** CommCare refuses more ids than this in one bulk fetch, duplicates included (docs/commcare-api.md §9.3). */
export const MAX_IDS_PER_REQUEST = 5000;
/** An answer longer than this is cut and its ids asked again in halves. 5,000 cases of these fields are ~2 MB. */
export const MAX_LOOKUP_BODY_BYTES = 32 * 1024 * 1024;
const MIN_IDS_PER_REQUEST = 100;
const REQUEST_TIMEOUT_MS = 120_000;

/** The case fields asked for (`fields=`): what a record item carries, so answers stay small. */
export const CASE_FIELDS = [
	'case_id',
	'case_type',
	'case_name',
	'external_id',
	'owner_id',
	'closed',
	'date_opened',
	'date_closed',
	'server_last_modified',
	'indices',
] as const;

export type CaseSummary = CaseSummaryJson;

export type ExternalIdAnswer =
	| { kind: 'one'; found: CaseSummary }
	| { kind: 'none' }
	/** Several cases share it; their ids as CommCare listed them (maybe none, when the message could not be read). */
	| { kind: 'multiple'; caseIds: string[] };

/** What the lookup needs of CommCare; `caseApiThroughTransport` is the real one, tests may script another. */
export interface CaseApi {
	/** One entry per id, in order: the case, or null when CommCare's search index has none. */
	bulkFetch(by: 'case_ids' | 'external_ids', ids: string[]): Promise<Array<CaseSummary | null>>;
	/** The external-id GET: the database, any case type, no index lag. */
	byExternalId(externalId: string): Promise<ExternalIdAnswer>;
}

export type UnavailableReason =
	| 'permission'
	| 'plan'
	| 'credentials'
	| 'rateLimited'
	| 'unsupported'
	| 'failed'
	/** "Case Lookup Wait" ended before the lookup did. */
	| 'timedOut';

/** The lookup cannot run: the message says why and what to do. */
export class CaseLookupUnavailable extends Error {
	constructor(
		readonly reason: UnavailableReason,
		message: string,
	) {
		super(message);
		this.name = 'CaseLookupUnavailable';
	}
}

export interface CaseApiOptions {
	/** `https://…` up to and including `/a/<project>/api` (no trailing slash). */
	apiBase: string;
	projectSpace: string;
	concurrency: number;
	/** The execution's cancel signal. */
	signal?: AbortSignal;
	/** When the whole lookup must be over (Date.now() scale): "Case Lookup Wait" from its start. */
	deadline: number;
	/** "Case Lookup Wait", for messages. */
	waitSeconds: number;
	retry?: RetryPolicy;
	/** What the lookup is called in messages, and what to do to go without it (the case lookup's, by default). */
	wording?: LookupWording;
}

export interface LookupWording {
	/** "case lookup", "parent check". */
	name: string;
	/** The parameter holding its deadline, in quotes ("Case Lookup Wait"), or how long it may take. */
	wait: string;
	/** The closing sentence: what happened instead, and how to skip the lookup. */
	skip: string;
}

const CASE_LOOKUP_WORDING: LookupWording = {
	name: 'case lookup',
	wait: '"Case Lookup Wait"',
	skip: 'Case IDs were not looked up; the import outcome is unchanged. Switch "Look Up Case IDs" off to skip this.',
};

export function caseApiThroughTransport(
	ctx: IExecuteFunctions,
	credentials: CommCareCredentials,
	options: CaseApiOptions,
): CaseApi {
	const space = `project space '${options.projectSpace}'`;
	const { name, wait: waitName, skip: TURN_OFF } = options.wording ?? CASE_LOOKUP_WORDING;
	const refusal = (response: CommCareResponse): CaseLookupUnavailable => {
		const status = response.statusCode;
		const said = describeBody(response, credentials.redactor);
		if (status === 403) {
			return new CaseLookupUnavailable(
				'permission',
				`CommCare refused the ${name} (HTTP 403): user '${credentials.username}' needs the "Access APIs" permission (as well as "Edit Data") in ${space}. A project administrator grants it in CommCare HQ → Users → Roles & Permissions, on the user's role. ${TURN_OFF}`,
			);
		}
		if (status === 402 || (response.isHtml && status >= 200 && status < 300)) {
			return new CaseLookupUnavailable(
				'plan',
				`CommCare answered the ${name} with ${status === 402 ? 'HTTP 402' : 'a web page'} (${said}) instead of cases: ${space}'s CommCare plan probably does not include API access ("Upgrade Required"). See Project Settings → Subscription in CommCare HQ. ${TURN_OFF}`,
			);
		}
		if (status === 401) {
			return new CaseLookupUnavailable(
				'credentials',
				`CommCare refused the credential for the ${name} (HTTP 401): the Case API accepts an API key or a password sent with Basic auth, like the upload. ${TURN_OFF}`,
			);
		}
		if (status === 429) {
			const retryAfterMs = parseRetryAfterMs(response.headers['retry-after']);
			const wait = retryAfterMs === undefined ? '' : `, Retry-After: ${Math.ceil(retryAfterMs / 1000)} s`;
			const why =
				retryAfterMs !== undefined && Date.now() + retryAfterMs >= options.deadline
					? `: waiting that long would pass ${waitName} (${options.waitSeconds} s), so the ${name} stopped at once`
					: ` after ${response.attempts} attempts`;
			return new CaseLookupUnavailable(
				'rateLimited',
				`CommCare's API rate limit stopped the ${name} (HTTP 429${wait})${why}. ${TURN_OFF}`,
			);
		}
		if (status === 404 || status === 405) {
			return new CaseLookupUnavailable(
				'unsupported',
				`This CommCare server has no Case API v2 bulk fetch (HTTP ${status}, ${said}). ${TURN_OFF}`,
			);
		}
		return new CaseLookupUnavailable('failed', `The ${name} failed (HTTP ${status}, ${said}). ${TURN_OFF}`);
	};

	const outOfTime = () =>
		new CaseLookupUnavailable(
			'timedOut',
			`The ${name} did not finish within ${waitName} (${options.waitSeconds} s).${options.wording ? '' : ' Raise it to give CommCare longer.'} ${TURN_OFF}`,
		);
	const request = async (
		method: 'GET' | 'POST',
		path: string,
		body?: string,
		stop?: AbortSignal,
	): Promise<CommCareResponse> => {
		const remainingMs = options.deadline - Date.now();
		if (remainingMs <= 0) throw outOfTime();
		const answer = await sendRequest(ctx, credentials, {
			method,
			url: `${options.apiBase}${path}`,
			idempotent: true, // a read: sending it twice is harmless
			operation: 'caseLookup',
			projectSpace: options.projectSpace,
			headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
			body: body === undefined ? undefined : () => body,
			timeoutMs: Math.min(REQUEST_TIMEOUT_MS, remainingMs),
			maxBodyBytes: MAX_LOOKUP_BODY_BYTES,
			retry: options.retry,
			signal: stop,
		});
		throwIfCancelled(options.signal);
		if (answer.kind === 'noAnswer' && Date.now() >= options.deadline) throw outOfTime();
		if (answer.kind !== 'response') {
			throw new CaseLookupUnavailable('failed', `The ${name} got no answer: ${answer.error.message}. ${TURN_OFF}`);
		}
		return answer.response;
	};

	const fetchChunk = async (
		by: 'case_ids' | 'external_ids',
		ids: string[],
		stop: AbortSignal,
	): Promise<Array<CaseSummary | null>> => {
		const response = await request(
			'POST',
			`/case/v2/bulk-fetch/?fields=${CASE_FIELDS.join(',')}`,
			JSON.stringify({ [by]: ids }),
			stop,
		);
		if (response.truncated && ids.length > MIN_IDS_PER_REQUEST) {
			const half = Math.ceil(ids.length / 2);
			return [...(await fetchChunk(by, ids.slice(0, half), stop)), ...(await fetchChunk(by, ids.slice(half), stop))];
		}
		if (response.statusCode !== 200 || response.isHtml) throw refusal(response);
		const cases = (response.json as { cases?: unknown } | undefined)?.cases;
		if (!Array.isArray(cases) || cases.length !== ids.length) {
			throw new CaseLookupUnavailable(
				'failed',
				`CommCare's bulk fetch answer does not list one entry per id asked (${ids.length} asked, it answered ${describeBody(response, credentials.redactor)}). ${TURN_OFF}`,
			);
		}
		return casesByTheIdTheyName(cases, by === 'case_ids' ? 'case_id' : 'external_id', ids);
	};

	return {
		async bulkFetch(by, ids) {
			const distinct = [...new Set(ids)];
			const chunks: string[][] = [];
			for (let start = 0; start < distinct.length; start += MAX_IDS_PER_REQUEST) {
				chunks.push(distinct.slice(start, start + MAX_IDS_PER_REQUEST));
			}
			const answers = await forEachLimited(chunks, options.concurrency, options.signal, (chunk, stop) =>
				fetchChunk(by, chunk, stop),
			);
			const byId = new Map<string, CaseSummary | null>();
			chunks.forEach((chunk, index) => chunk.forEach((id, position) => byId.set(id, answers[index][position])));
			return ids.map((id) => byId.get(id) ?? null);
		},

		async byExternalId(externalId) {
			const response = await request(
				'GET',
				`/case/v2/ext/${encodeURIComponent(externalId)}/?fields=${CASE_FIELDS.join(',')}`,
			);
			const error = (response.json as { error?: unknown } | undefined)?.error;
			if (response.statusCode === 200 && !response.isHtml) {
				const found = caseSummary(response.json);
				// A case that does not carry the id asked is not its case, whatever else it is.
				if (found) return found.external_id === externalId ? { kind: 'one', found } : { kind: 'none' };
			}
			if (response.statusCode === 404 && typeof error === 'string') return { kind: 'none' };
			if (response.statusCode === 400 && typeof error === 'string' && /^Multiple cases found/.test(error)) {
				const listed = error.slice(error.lastIndexOf(': ') + 2);
				return {
					kind: 'multiple',
					caseIds: listed
						.split(',')
						.map((id) => id.trim())
						.filter((id) => id !== ''),
				};
			}
			throw refusal(response);
		},
	};
}

/**
 * Each id's case in a bulk-fetch answer: the entry that names the id under `key`, wherever it stands; null when no
 * entry names it, or when two name it with different cases. An entry without the key (or with `null`) names no id.
 */
function casesByTheIdTheyName(
	entries: unknown[],
	key: 'case_id' | 'external_id',
	ids: string[],
): Array<CaseSummary | null> {
	const named = new Map<string, CaseSummary | 'ambiguous'>();
	for (const entry of entries) {
		const found = caseSummary(entry);
		const id = found?.[key];
		if (!found || typeof id !== 'string') continue;
		const before = named.get(id);
		named.set(
			id,
			before === undefined || (before !== 'ambiguous' && before.case_id === found.case_id) ? found : 'ambiguous',
		);
	}
	return ids.map((id) => {
		const found = named.get(id);
		return found === undefined || found === 'ambiguous' ? null : found;
	});
}

/** A bulk-fetch entry or single answer read as a case; null for a not-found stub or anything unreadable. */
export function caseSummary(entry: unknown): CaseSummary | null {
	if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return null;
	const json = entry as Record<string, unknown>;
	if ('error' in json || typeof json.case_id !== 'string' || json.case_id === '') return null;
	const text = (key: string): string | null => (typeof json[key] === 'string' ? (json[key] as string) : null);
	return {
		case_id: json.case_id,
		case_type: text('case_type'),
		case_name: text('case_name'),
		external_id: text('external_id'),
		owner_id: text('owner_id'),
		closed: typeof json.closed === 'boolean' ? json.closed : null,
		date_opened: text('date_opened'),
		date_closed: text('date_closed'),
		server_last_modified: text('server_last_modified'),
		indices: indicesOf(json.indices),
	};
}

/** A case's `indices` (docs/commcare-api.md §9.7): the entries that name a case by a string `case_id`; {} else. */
function indicesOf(value: unknown): Record<string, CaseIndexJson> {
	const indices: Record<string, CaseIndexJson> = {};
	if (value === null || typeof value !== 'object' || Array.isArray(value)) return indices;
	for (const [identifier, entry] of Object.entries(value as Record<string, unknown>)) {
		if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) continue;
		const index = entry as Record<string, unknown>;
		if (typeof index.case_id !== 'string' || index.case_id === '') continue;
		const text = (key: string): string | null => (typeof index[key] === 'string' ? (index[key] as string) : null);
		indices[identifier] = { case_id: index.case_id, case_type: text('case_type'), relationship: text('relationship') };
	}
	return indices;
}
