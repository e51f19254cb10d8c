/**
 * The lookup-table read APIs (tastypie resources): `lookup_table` (the tables), `lookup_table_item` (every row of the
 * project, paged) and `fixture` (one table's rows, sorted, values flattened). The plan's API access is checked before
 * authentication (401 JSON), then GET only, credentials (401, empty), membership and the permission each needs (403,
 * empty): "Access APIs" for the first two, "Edit Apps" for `fixture`.
 */
import type { KnownUser } from '../auth';
import { emptyResponse, escapeHtml, type EmulatorResponse } from '../djangoPages';
import { LIST_MESSAGES } from '../listsView';
import { pythonJsonDumps } from '../pythonFormat';
import { pyInt } from '../pythonNumbers';
import type { EmulatorDomain } from '../types';
import type { LookupTableStore, RowRecord } from './store';

export type ReadResource = 'lookupTable' | 'lookupTableItem' | 'fixture';

/** Tastypie's canned answer to an exception it does not know, and to a missing object (404). */
export const TASTYPIE_CANNED_ERROR = 'Sorry, this request could not be processed. Please try again later.';

const tastypieJson = (status: number, body: unknown): EmulatorResponse => ({
	status,
	headers: { 'Content-Type': 'application/json' },
	body: pythonJsonDumps(body, true),
});

export interface ReadRequest {
	resource: ReadResource;
	method: string;
	domain: string;
	config: EmulatorDomain | undefined;
	user: KnownUser | undefined;
	/** The path asked (resource URIs and paging links are built on it). */
	path: string;
	query: Record<string, string>;
	store: LookupTableStore;
}

export function answerLookupTableRead(request: ReadRequest): EmulatorResponse {
	const { config, user, domain } = request;
	if (!config || config.apiAccess === false) return tastypieJson(401, { error: LIST_MESSAGES.noApiAccess });
	if (request.method !== 'GET') return emptyResponse(405, { Allow: 'GET' });
	if (!user) return emptyResponse(401);
	const permitted = request.resource === 'fixture' ? user.canEditApps : user.canAccessApi;
	if (!user.domains.includes(domain) || !permitted) return emptyResponse(403);
	if (request.resource === 'lookupTable') return listTables(request);
	if (request.resource === 'lookupTableItem') return listItems(request);
	return listFixture(request);
}

function listTables(request: ReadRequest): EmulatorResponse {
	const objects = request.store.tablesOf(request.domain).map((table) => ({
		fields: table.fields.map((field) => ({ field_name: field.name, properties: field.properties })),
		id: table.id,
		is_global: table.isGlobal,
		item_attributes: table.itemAttributes,
		resource_uri: `${request.path}${table.id}/`,
		tag: table.tag,
	}));
	return paginate(objects, request, 20);
}

function itemObject(row: RowRecord, path: string): Record<string, unknown> {
	return {
		data_type_id: row.tableId,
		fields: Object.fromEntries(
			Object.entries(row.fields).map(([name, values]) => [
				name,
				{ field_list: values.map((item) => ({ field_value: item.value, properties: item.properties })) },
			]),
		),
		id: row.id,
		item_attributes: row.itemAttributes,
		resource_uri: `${path}${row.id}/`,
		sort_key: row.sortKey,
	};
}

function listItems(request: ReadRequest): EmulatorResponse {
	return paginate(
		request.store.rowsOfDomain(request.domain).map((row) => itemObject(row, request.path)),
		request,
		20,
	);
}

function listFixture(request: ReadRequest): EmulatorResponse {
	const { store, domain, query } = request;
	let rows: RowRecord[];
	let tagOf: (row: RowRecord) => string;
	const tableFilter = query.fixture_type_id
		? store.tableById(domain, query.fixture_type_id)
		: query.fixture_type !== undefined
			? store.tableByTag(domain, query.fixture_type)
			: null;
	if (tableFilter === undefined) return tastypieJson(404, { error_message: TASTYPIE_CANNED_ERROR });
	if (tableFilter) {
		rows = store.rowsOfTable(tableFilter.id);
		tagOf = () => tableFilter.tag;
	} else {
		rows = store.rowsOfDomain(domain);
		tagOf = (row) => store.tablesOf(domain).find((table) => table.id === row.tableId)?.tag ?? '';
	}
	const objects: unknown[] = [];
	for (const row of rows) {
		const entries = Object.entries(row.fields);
		// `fields_without_attributes`: a field with no value raises IndexError (tastypie's canned 500).
		if (entries.some(([, values]) => values.length === 0)) {
			return tastypieJson(500, { error_message: TASTYPIE_CANNED_ERROR });
		}
		const several = entries.some(([, values]) => values.length > 1);
		objects.push({
			fields: Object.fromEntries(
				entries.map(([name, values]) => [
					name,
					several
						? { field_list: values.map((item) => ({ field_value: item.value, properties: item.properties })) }
						: values[0].value,
				]),
			),
			fixture_type: tagOf(row),
			id: row.id,
			resource_uri: `${request.path}${row.id}/`,
		});
	}
	return paginate(objects, request, 0);
}

/**
 * Tastypie's Paginator: `limit` (the resource's default when absent; at most 1000; the fixture resource's 0 = all),
 * `offset`, and `next` / `previous` as the request's own path and query with both set.
 */
function paginate(objects: unknown[], request: ReadRequest, defaultLimit: number): EmulatorResponse {
	const parse = (name: 'limit' | 'offset', fallback: number): number | EmulatorResponse => {
		const raw = request.query[name];
		if (raw === undefined) return fallback;
		const value = pyInt(raw);
		const text = name === 'limit' ? LIST_MESSAGES.invalidLimit(raw) : LIST_MESSAGES.invalidOffset(raw);
		if (value === null) return tastypieJson(400, { error: escapeHtml(text) });
		if (value < 0n) {
			return tastypieJson(400, {
				error: escapeHtml(`Invalid ${name} '${raw}' provided. Please provide a positive integer >= 0.`),
			});
		}
		return Number(value);
	};
	const asked = parse('limit', defaultLimit);
	if (typeof asked !== 'number') return asked;
	const offset = parse('offset', 0);
	if (typeof offset !== 'number') return offset;
	// 0 asked of a paged resource means its maximum; the fixture resource's own default 0 means everything.
	const limit = asked > 1000 || (asked === 0 && defaultLimit !== 0) ? 1000 : asked;
	const link = (at: number): string => {
		const params = new URLSearchParams();
		for (const [key, value] of Object.entries(request.query)) params.set(key, value);
		params.set('limit', String(limit));
		params.set('offset', String(at));
		return `${request.path}?${params.toString()}`;
	};
	const page = limit === 0 ? objects.slice(offset) : objects.slice(offset, offset + limit);
	return tastypieJson(200, {
		meta: {
			limit,
			next: limit !== 0 && offset + limit < objects.length ? link(offset + limit) : null,
			offset,
			previous: limit !== 0 && offset > 0 ? link(Math.max(0, offset - limit)) : null,
			total_count: objects.length,
		},
		objects: page,
	});
}
