/**
 * What CommCare holds now for the tables an upload names (docs/lookup-tables.md): their definitions
 * (`lookup_table` API, "Access APIs") and, when asked, their rows. Rows come from the fixture API (one table, sorted;
 * it needs "Edit Apps") or, when it refuses or cannot show a table whole, from the item API: every row of the project
 * space, page by page, kept for the tables asked, de-duplicated on id and counted against CommCare's total, since its
 * pages are not in a stable order. Everything ends by one wall-clock deadline; bodies are read within a byte limit.
 * An answer that stops the read is a `TableReadUnavailable` saying what CommCare answered and what to grant or do.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import { throwIfCancelled } from '../../shared/concurrency';
import { safeExcerpt, type Redactor } from '../../shared/redaction';
import { describeBody } from '../../shared/responseText';
import type { ProjectSpace } from '../../shared/transport/addresses';
import type { CommCareCredentials } from '../../shared/transport/credentials';
import { sendRequest } from '../../shared/transport/request';
import type { CommCareResponse } from '../../shared/transport/response';
import { parseRetryAfterMs, type RetryPolicy } from '../../shared/transport/retryPolicy';
import {
	byPosition,
	fixtureRow,
	itemRow,
	listPage,
	needsItemApi,
	tableDefinition,
	uidOf,
	type CurrentDefinition,
	type CurrentRow,
	type CurrentTable,
} from './apiShapes';

export type { CurrentDefinition, CurrentRow, CurrentTable } from './apiShapes';

export type TableReadReason = 'denied' | 'plan' | 'throttled' | 'timeout' | 'unreadable';

/** The tables could not be read: `message` says what CommCare answered, `description` what to grant or do. */
export class TableReadUnavailable extends Error {
	constructor(
		readonly reason: TableReadReason,
		message: string,
		readonly description: string,
	) {
		super(message);
		this.name = 'TableReadUnavailable';
	}
}

export interface ReadTablesOptions {
	/** Whether to read a table's rows; asked once its definition is known. */
	withRows: (tag: string, definition: CurrentDefinition) => boolean;
	/** The execution's cancel signal. */
	signal?: AbortSignal;
	/** Wall clock for the whole read, every request and retry included. Default READ_DEADLINE_MS. */
	deadlineMs?: number;
	/** Transport's retry policy (its default unless given). */
	retry?: RetryPolicy;
}

export const READ_DEADLINE_MS = 120_000;
const PAGE_SIZE = 1000;
/** 20,000 tables. */
const MAX_TABLE_PAGES = 20;
/** A million rows in the project space, the fixture API's pages of one table included. */
const MAX_ROW_PAGES = 1000;
const MAX_PAGE_BODY_BYTES = 16 * 1024 * 1024;
/** One table from the fixture API, whole; a longer answer is read from the item API instead, page by page. */
const MAX_FIXTURE_BODY_BYTES = 64 * 1024 * 1024;

/** The tables named by `tags` as CommCare holds them now; null for a tag it has no table for. */
export async function readCurrentTables(
	ctx: IExecuteFunctions,
	credentials: CommCareCredentials,
	projectSpace: ProjectSpace,
	tags: string[],
	options: ReadTablesOptions,
): Promise<Map<string, CurrentTable | null>> {
	const started = Date.now();
	const deadlineMs = options.deadlineMs ?? READ_DEADLINE_MS;
	const deadline = started + deadlineMs;
	const apiBase = `${credentials.baseUrl}/a/${encodeURIComponent(projectSpace)}/api`;
	const space = `project space '${projectSpace}'`;
	const redact = (text: string) => credentials.redactor.text(text);

	const outOfTime = (what: string) =>
		new TableReadUnavailable(
			'timeout',
			`Could not ${what} within ${Math.round(deadlineMs / 100) / 10} s: CommCare answered too slowly`,
			'Nothing was uploaded. Run again later, when CommCare is less busy.',
		);

	const refusal = (response: CommCareResponse, what: string): TableReadUnavailable => {
		const status = response.statusCode;
		const said = describeBody(response, credentials.redactor);
		const error = (response.json as { error?: unknown } | undefined)?.error;
		const fail = (reason: TableReadReason, why: string, description: string) =>
			new TableReadUnavailable(reason, redact(`Could not ${what}: ${why}`), redact(description));
		if (status === 401 && typeof error === 'string' && /subscription/i.test(error)) {
			return fail('plan', `CommCare answered HTTP 401, "${error}"`, planAdvice(space));
		}
		if (status === 401 && typeof error === 'string' && /cut off|too many requests/i.test(error)) {
			return fail(
				'throttled',
				`CommCare answered HTTP 401, "${error}"`,
				'CommCare has cut off API access for this project after too many requests; its support re-enables it.',
			);
		}
		if (status === 401) {
			return fail(
				'denied',
				`CommCare refused the credential (HTTP 401, ${said})`,
				'Check the username and the API key (or password) of the CommCare API credential.',
			);
		}
		if (status === 403) {
			return fail(
				'denied',
				`CommCare refused user '${credentials.username}' (HTTP 403, ${said})`,
				`The user needs the "Access APIs" permission in ${space} (a project administrator grants it in CommCare HQ → Users → Roles & Permissions, on the user's role). With "Edit Apps" as well, rows are read table by table, which is faster.`,
			);
		}
		if (status === 402 || (response.isHtml && status >= 200 && status < 300)) {
			return fail(
				'plan',
				`CommCare answered with ${status === 402 ? 'HTTP 402' : 'a web page'} (${said}) instead of the data`,
				planAdvice(space),
			);
		}
		if (status === 429) {
			const retryAfterMs = parseRetryAfterMs(response.headers['retry-after']);
			const wait = retryAfterMs === undefined ? '' : `, Retry-After: ${Math.ceil(retryAfterMs / 1000)} s`;
			return fail(
				'throttled',
				`CommCare's API rate limit stopped the read (HTTP 429${wait}) after ${response.attempts} attempts`,
				'Nothing was uploaded. Run again in a few minutes.',
			);
		}
		if (response.truncated) {
			return fail('unreadable', `CommCare's answer was longer than the node reads (${said})`, CONTACT);
		}
		return fail('unreadable', `CommCare answered HTTP ${status}, ${said}`, CONTACT);
	};

	const get = async (url: string, what: string, maxBodyBytes: number): Promise<CommCareResponse> => {
		const remainingMs = deadline - Date.now();
		if (remainingMs <= 0) throw outOfTime(what);
		const answer = await sendRequest(ctx, credentials, {
			method: 'GET',
			url,
			idempotent: true,
			operation: 'list',
			projectSpace,
			timeoutMs: remainingMs,
			maxBodyBytes,
			retry: options.retry,
			signal: options.signal,
		});
		throwIfCancelled(options.signal);
		if (answer.kind === 'noAnswer' && Date.now() >= deadline) throw outOfTime(what);
		if (answer.kind !== 'response') {
			throw new TableReadUnavailable(
				'unreadable',
				redact(`Could not ${what}: ${answer.error.message}`),
				redact(answer.error.description ?? 'Nothing was uploaded. Run again later.'),
			);
		}
		return answer.response;
	};

	/** A tastypie page of a 200 JSON answer, or the refusal to throw. */
	const pageOf = (response: CommCareResponse, what: string) => {
		const page = response.statusCode === 200 && !response.truncated ? listPage(response.json) : null;
		if (!page) throw refusal(response, what);
		return page;
	};

	const definitions = async (): Promise<Map<string, { id: string; definition: CurrentDefinition }>> => {
		const what = `list the lookup tables of ${space}`;
		const found = new Map<string, { id: string; definition: CurrentDefinition }>();
		let offset = 0;
		for (let pageIndex = 0; ; pageIndex++) {
			if (pageIndex === MAX_TABLE_PAGES) {
				throw new TableReadUnavailable('unreadable', `Could not ${what}: it has more than ${offset} tables`, CONTACT);
			}
			const url = `${apiBase}/lookup_table/v1/?limit=${PAGE_SIZE}&offset=${offset}`;
			const page = pageOf(await get(url, what, MAX_PAGE_BODY_BYTES), what);
			for (const entry of page.objects) {
				const table = tableDefinition(entry);
				if (table) found.set(table.definition.tag, table);
			}
			offset += page.objects.length;
			if (!page.hasNext || page.objects.length === 0 || (page.total !== null && offset >= page.total)) break;
		}
		return found;
	};

	let fixtureRefused = false;
	/** One table's rows from the fixture API, or null when the item API must be asked instead. */
	const fixtureRows = async (tag: string): Promise<CurrentRow[] | null> => {
		if (fixtureRefused) return null;
		const what = `read the rows of lookup table '${tag}' in ${space}`;
		const rows: CurrentRow[] = [];
		const seen = new Set<string>();
		const query = `fixture_type=${encodeURIComponent(tag)}`;
		for (let pageIndex = 0; pageIndex < MAX_ROW_PAGES; pageIndex++) {
			// The whole table in one answer; pages only if this server pages it anyway.
			const url = `${apiBase}/fixture/v1/?${query}${pageIndex === 0 ? '' : `&limit=${PAGE_SIZE}&offset=${rows.length}`}`;
			const response = await get(url, what, MAX_FIXTURE_BODY_BYTES);
			// 403: no "Edit Apps"; 404: the table went meanwhile; 5xx: e.g. a field without values (the fixture API
			// cannot flatten it); too long to read whole. The item API reads all of these.
			if (response.statusCode === 403) fixtureRefused = true;
			if ([403, 404].includes(response.statusCode) || response.statusCode >= 500 || response.truncated) return null;
			const page = pageOf(response, what);
			for (const entry of page.objects) {
				const row = fixtureRow(entry, rows.length);
				if (!row) throw unreadableRow(what, entry, credentials.redactor);
				// A row given twice: this server's pages are not what they seem; the item API is counted and checked.
				if (seen.has(row.uid)) return null;
				seen.add(row.uid);
				rows.push(row);
			}
			if (!page.hasNext || page.objects.length === 0) return rows;
		}
		return null;
	};

	/** The rows of the tables with these ids (UID form), from the item API; the walk is repeated once if unstable. */
	const itemRows = async (tableIds: Set<string>): Promise<Map<string, CurrentRow[]>> => {
		const what = `read the rows of the lookup tables of ${space}`;
		let seenLast = 0;
		let totalLast = 0;
		for (let walk = 0; walk < 2; walk++) {
			const rowsById = new Map<string, { tableId: string; row: CurrentRow }>();
			const seen = new Set<string>();
			let total: number | null = null;
			let offset = 0;
			for (let pageIndex = 0; ; pageIndex++) {
				if (pageIndex === MAX_ROW_PAGES) {
					throw new TableReadUnavailable(
						'unreadable',
						`Could not ${what}: the project space has more than ${offset} lookup-table rows`,
						'Give the user "Edit Apps" as well, so that each table is read on its own.',
					);
				}
				const url = `${apiBase}/lookup_table_item/v1/?limit=${PAGE_SIZE}&offset=${offset}`;
				const page = pageOf(await get(url, what, MAX_PAGE_BODY_BYTES), what);
				total ??= page.total;
				page.objects.forEach((entry, index) => {
					const id = uidOf((entry as { id?: unknown } | null)?.id);
					if (!id) throw unreadableRow(what, entry, credentials.redactor);
					seen.add(id);
					const found = itemRow(entry, offset + index);
					if (!found) throw unreadableRow(what, entry, credentials.redactor);
					if (tableIds.has(found.tableId)) rowsById.set(id, found);
				});
				offset += page.objects.length;
				if (!page.hasNext || page.objects.length === 0 || (total !== null && offset >= total)) break;
			}
			if (total === null || seen.size === total) {
				const byTable = new Map<string, CurrentRow[]>();
				for (const { tableId, row } of rowsById.values()) {
					const rows = byTable.get(tableId) ?? [];
					rows.push(row);
					byTable.set(tableId, rows);
				}
				return byTable;
			}
			seenLast = seen.size;
			totalLast = total;
		}
		throw new TableReadUnavailable(
			'unreadable',
			`Could not ${what}: CommCare's pages held ${seenLast} different rows where it counts ${totalLast}, twice (its list is not in a stable order, or the rows changed meanwhile)`,
			'Nothing was uploaded. Run again when nobody else is changing lookup tables; giving the user "Edit Apps" lets the node read each table on its own.',
		);
	};

	const known = await definitions();
	const tables = new Map<string, CurrentTable | null>();
	const fromItems: CurrentTable[] = [];
	for (const tag of tags) {
		if (tables.has(tag)) continue;
		const found = known.get(tag);
		if (!found) {
			tables.set(tag, null);
			continue;
		}
		const table: CurrentTable = { id: found.id, definition: found.definition, rows: null, rowSource: null };
		tables.set(tag, table);
		if (!options.withRows(tag, found.definition)) continue;
		const rows = needsItemApi(found.definition) ? null : await fixtureRows(tag);
		if (rows) {
			table.rows = rows;
			table.rowSource = 'fixture';
		} else fromItems.push(table);
	}
	if (fromItems.length > 0) {
		const byTable = await itemRows(new Set(fromItems.map((table) => uidOf(table.id) ?? table.id)));
		for (const table of fromItems) {
			table.rows = (byTable.get(uidOf(table.id) ?? table.id) ?? []).sort(byPosition);
			table.rowSource = 'items';
		}
	}
	return tables;
}

const CONTACT = 'Nothing was uploaded. Run again later; if it keeps failing, CommCare support can say why.';

function planAdvice(space: string): string {
	return `${space[0].toUpperCase()}${space.slice(1)}'s CommCare plan probably does not include API access ("Upgrade Required"): see Project Settings → Subscription in CommCare HQ. Nothing was uploaded.`;
}

function unreadableRow(what: string, entry: unknown, redactor: Redactor): TableReadUnavailable {
	const shown = safeExcerpt(JSON.stringify(entry) ?? String(entry), 200, redactor);
	return new TableReadUnavailable(
		'unreadable',
		redactor.text(`Could not ${what}: CommCare listed a row the node cannot read (${shown})`),
		CONTACT,
	);
}
