/**
 * Reading what CommCare holds, over real sockets: a loopback server answering CommCare's lookup-table shapes and a
 * node context as n8n builds it. Definitions paged, rows from the fixture API or (refused, or a table it flattens)
 * from the item API, the item API's count check, and every refusal worded with what to grant, the key never shown.
 */
import type http from 'http';

import {
	readCurrentTables,
	TableReadUnavailable,
	type ReadTablesOptions,
} from '../../../../nodes/CommCareLookupTableImport/current/tableReader';
import type { ProjectSpace } from '../../../../nodes/shared/transport/addresses';
import { API_KEY, fastRetry, json, setup, startServer, type TestServer } from '../../../support/unitLoopbackCommCare';

const DISTRICT_ID = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const CROP_ID = 'bbbbbbbbbbbb4bbb8bbbbbbbbbbbbbbb';
const uid = (n: number) => `${n.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
const hex = (n: number) => uid(n).replace(/-/g, '');

const TABLES = [
	{
		id: DISTRICT_ID,
		tag: 'district',
		is_global: true,
		fields: [
			{ field_name: 'id', properties: [] },
			{ field_name: 'name', properties: [] },
		],
		item_attributes: [],
	},
	{
		id: CROP_ID,
		tag: 'crop',
		is_global: false,
		fields: [{ field_name: 'name', properties: ['lang'] }],
		item_attributes: ['season'],
	},
];

/** Item API rows of both tables, out of order as CommCare may give them. */
const ITEMS = [
	{
		id: uid(2),
		data_type_id: DISTRICT_ID,
		fields: fieldList({ id: 'd2', name: 'Two' }),
		item_attributes: {},
		sort_key: 5,
	},
	{
		id: uid(10),
		data_type_id: CROP_ID,
		fields: { name: { field_list: [{ field_value: 'Maize', properties: { lang: 'en' } }] } },
		item_attributes: { season: 'wet' },
		sort_key: 0,
	},
	{
		id: uid(1),
		data_type_id: DISTRICT_ID,
		fields: fieldList({ id: 'd1', name: 'One' }),
		item_attributes: {},
		sort_key: 0,
	},
];

function fieldList(values: Record<string, string>) {
	return Object.fromEntries(
		Object.entries(values).map(([name, value]) => [name, { field_list: [{ field_value: value, properties: {} }] }]),
	);
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => boolean | void;

/** A CommCare with TABLES and ITEMS; `override` answers first when it returns true. */
function commCare(override: Handler = () => false, items = ITEMS) {
	return (req: http.IncomingMessage, res: http.ServerResponse) => {
		const url = new URL(req.url ?? '/', 'http://x');
		if (override(req, res, url)) return;
		const limit = Number(url.searchParams.get('limit') ?? 1000);
		const offset = Number(url.searchParams.get('offset') ?? 0);
		const page = (all: unknown[], size = limit) =>
			json(res, 200, {
				meta: { limit: size, offset, total_count: all.length, next: offset + size < all.length ? 'next' : null },
				objects: all.slice(offset, offset + size),
			});
		if (url.pathname === '/a/demo/api/lookup_table/v1/') return page(TABLES, 1); // one per page: paging is followed
		if (url.pathname === '/a/demo/api/lookup_table_item/v1/') return page(items, 2);
		if (url.pathname === '/a/demo/api/fixture/v1/' && url.searchParams.get('fixture_type') === 'district') {
			return json(res, 200, {
				meta: { limit: 0, offset: 0, total_count: 2, next: null },
				objects: [
					{ id: uid(1), fixture_type: 'district', fields: { id: 'd1', name: 'One' } },
					{
						id: uid(2),
						fixture_type: 'district',
						fields: { id: 'd2', name: { field_list: fieldList({ x: 'Two' }).x.field_list } },
					},
				],
			});
		}
		json(res, 404, { error: 'not here' });
	};
}

let server: TestServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
});

async function read(
	handler: Parameters<typeof startServer>[0],
	tags: string[],
	options: Partial<ReadTablesOptions> = {},
) {
	server = await startServer(handler);
	const { context, credentials } = setup(server.url);
	return await readCurrentTables(context, credentials, 'demo' as ProjectSpace, tags, {
		withRows: () => true,
		retry: fastRetry,
		...options,
	});
}

async function failure(handler: Parameters<typeof startServer>[0], options: Partial<ReadTablesOptions> = {}) {
	const error = await read(handler, ['district'], options).then(
		() => undefined,
		(thrown: unknown) => thrown,
	);
	expect(error).toBeInstanceOf(TableReadUnavailable);
	const unavailable = error as TableReadUnavailable;
	expect(`${unavailable.message} ${unavailable.description}`).not.toContain(API_KEY.slice(0, 12));
	return unavailable;
}

const paths = () => server!.hits.map((hit) => hit.path);

describe('readCurrentTables', () => {
	test('definitions over every page; a tag CommCare does not have is null; rows only when asked', async () => {
		const tables = await read(commCare(), ['district', 'crop', 'missing'], { withRows: () => false });
		expect(tables.get('missing')).toBeNull();
		expect(tables.get('district')).toEqual({
			id: DISTRICT_ID,
			definition: { tag: 'district', isGlobal: true, fields: ['id', 'name'], fieldProperties: {}, itemAttributes: [] },
			rows: null,
			rowSource: null,
		});
		expect(tables.get('crop')?.definition).toMatchObject({
			isGlobal: false,
			fieldProperties: { name: ['lang'] },
			itemAttributes: ['season'],
		});
		expect(paths()).toEqual([
			'/a/demo/api/lookup_table/v1/?limit=1000&offset=0',
			'/a/demo/api/lookup_table/v1/?limit=1000&offset=1',
		]);
	});

	test('rows from the fixture API: in its order, UIDs without hyphens, both value shapes', async () => {
		const tables = await read(commCare(), ['district']);
		const district = tables.get('district');
		expect(district?.rowSource).toBe('fixture');
		expect(district?.rows).toEqual([
			{
				uid: hex(1),
				fields: { id: [{ value: 'd1', properties: {} }], name: [{ value: 'One', properties: {} }] },
				attributes: {},
				position: 0,
			},
			{
				uid: hex(2),
				fields: { id: [{ value: 'd2', properties: {} }], name: [{ value: 'Two', properties: {} }] },
				attributes: {},
				position: 1,
			},
		]);
		expect(paths()).toContain('/a/demo/api/fixture/v1/?fixture_type=district');
		expect(paths().some((path) => path.includes('lookup_table_item'))).toBe(false);
	});

	test('a table with field properties or row attributes is read from the item API (the fixture API drops them)', async () => {
		const tables = await read(commCare(), ['crop']);
		expect(tables.get('crop')).toMatchObject({
			rowSource: 'items',
			rows: [
				{
					uid: hex(10),
					fields: { name: [{ value: 'Maize', properties: { lang: 'en' } }] },
					attributes: { season: 'wet' },
					position: 0,
				},
			],
		});
		expect(paths().some((path) => path.includes('/fixture/'))).toBe(false);
	});

	test('fixture API refused (no "Edit Apps"): every table from one walk of the item API, by sort_key', async () => {
		const refuseFixture: Handler = (_req, res, url) => {
			if (url.pathname !== '/a/demo/api/fixture/v1/') return false;
			res.writeHead(403).end();
			return true;
		};
		const tables = await read(commCare(refuseFixture), ['district', 'crop']);
		expect(tables.get('district')?.rowSource).toBe('items');
		expect(tables.get('district')?.rows?.map((row) => [row.uid, row.position])).toEqual([
			[hex(1), 0],
			[hex(2), 5],
		]);
		expect(tables.get('crop')?.rows).toHaveLength(1);
		expect(paths().filter((path) => path.includes('/fixture/'))).toHaveLength(1);
		expect(paths().filter((path) => path.includes('lookup_table_item'))).toEqual([
			'/a/demo/api/lookup_table_item/v1/?limit=1000&offset=0',
			'/a/demo/api/lookup_table_item/v1/?limit=1000&offset=2',
		]);
	});

	test('the fixture API failing (HTTP 500) falls back to the item API too', async () => {
		const crash: Handler = (_req, res, url) => {
			if (url.pathname !== '/a/demo/api/fixture/v1/') return false;
			res.writeHead(500, { 'Content-Type': 'text/html' }).end('<html><title>Server Error</title></html>');
			return true;
		};
		const tables = await read(commCare(crash), ['district']);
		expect(tables.get('district')?.rowSource).toBe('items');
	});

	test('fixture pages that repeat rows (a server ignoring the offset): the item API is read instead', async () => {
		const repeating: Handler = (_req, res, url) => {
			if (url.pathname !== '/a/demo/api/fixture/v1/') return false;
			const row = { id: uid(1), fixture_type: 'district', fields: { id: 'd1', name: 'One' } };
			json(res, 200, { meta: { next: 'next' }, objects: [row] });
			return true;
		};
		const tables = await read(commCare(repeating), ['district']);
		expect(tables.get('district')?.rowSource).toBe('items');
		expect(paths().filter((path) => path.includes('/fixture/'))).toEqual([
			'/a/demo/api/fixture/v1/?fixture_type=district',
			'/a/demo/api/fixture/v1/?fixture_type=district&limit=1000&offset=1',
		]);
	});

	test('item pages that shift (a row seen twice, one missed): the walk is repeated, then refused', async () => {
		let walks = 0;
		const shifting: Handler = (_req, res, url) => {
			if (url.pathname === '/a/demo/api/fixture/v1/') {
				res.writeHead(403).end();
				return true;
			}
			if (url.pathname !== '/a/demo/api/lookup_table_item/v1/') return false;
			const offset = Number(url.searchParams.get('offset'));
			if (offset === 0) walks += 1;
			// Page 2 repeats a row of page 1: three rows counted, two seen.
			const objects = offset === 0 ? ITEMS.slice(0, 2) : [ITEMS[0]];
			json(res, 200, { meta: { total_count: 3, next: offset === 0 ? 'next' : null }, objects });
			return true;
		};
		const error = await failure(commCare(shifting));
		expect(walks).toBe(2);
		expect(error.reason).toBe('unreadable');
		expect(error.message).toMatch(/pages held 2 different rows where it counts 3, twice/);
		expect(error.description).toMatch(/"Edit Apps"/);
	});

	test('a row on two pages is counted once (de-duplicated on id) and the count then matches: one walk', async () => {
		let walks = 0;
		const overlapping: Handler = (_req, res, url) => {
			if (url.pathname === '/a/demo/api/fixture/v1/') {
				res.writeHead(403).end();
				return true;
			}
			if (url.pathname !== '/a/demo/api/lookup_table_item/v1/') return false;
			const offset = Number(url.searchParams.get('offset'));
			if (offset === 0) walks += 1;
			const objects = offset === 0 ? ITEMS.slice(0, 2) : ITEMS.slice(1, 3);
			json(res, 200, { meta: { total_count: 3, next: offset === 0 ? 'next' : null }, objects });
			return true;
		};
		const tables = await read(commCare(overlapping), ['district', 'crop']);
		expect(walks).toBe(1);
		expect(tables.get('district')?.rows?.map((row) => row.uid)).toEqual([hex(1), hex(2)]);
		expect(tables.get('crop')?.rows?.map((row) => row.uid)).toEqual([hex(10)]);
	});
});

describe('readCurrentTables: refusals say what CommCare answered and what to do', () => {
	const answer =
		(status: number, body?: unknown, headers: Record<string, string> = {}): Handler =>
		(_req, res) => {
			if (body === undefined) res.writeHead(status, headers).end();
			else if (typeof body === 'string') res.writeHead(status, { 'Content-Type': 'text/html', ...headers }).end(body);
			else json(res, status, body, headers);
			return true;
		};

	test('403: "Access APIs" to grant', async () => {
		const error = await failure(commCare(answer(403)));
		expect(error.reason).toBe('denied');
		expect(error.message).toBe(
			"Could not list the lookup tables of project space 'demo': CommCare refused user 'me@example.org' (HTTP 403, an empty body)",
		);
		expect(error.description).toMatch(/needs the "Access APIs" permission in project space 'demo'/);
	});

	test('401 with the subscription message, 402, or a web page: the plan', async () => {
		const subscription = { error: 'Your current subscription does not have access to this feature' };
		for (const handler of [
			answer(401, subscription),
			answer(402, { error: 'x' }),
			answer(200, '<!DOCTYPE html><html><title>Upgrade Required</title></html>'),
		]) {
			const error = await failure(commCare(handler));
			expect(error.reason).toBe('plan');
			expect(error.description).toMatch(/plan probably does not include API access/);
			await server?.close();
			server = undefined;
		}
	});

	test('401: the credential', async () => {
		const error = await failure(commCare(answer(401)));
		expect(error.reason).toBe('denied');
		expect(error.description).toMatch(/API key \(or password\) of the CommCare API credential/);
	});

	test('429 after the retries: throttled, with Retry-After', async () => {
		const error = await failure(commCare(answer(429, undefined, { 'Retry-After': '0' })));
		expect(error.reason).toBe('throttled');
		expect(error.message).toMatch(/rate limit stopped the read \(HTTP 429, Retry-After: 0 s\) after 5 attempts/);
	});

	test('anything else: unreadable, the answer shown redacted', async () => {
		const error = await failure(commCare(answer(400, { error: `bad key ${API_KEY}` })));
		expect(error.reason).toBe('unreadable');
		expect(error.message).toMatch(
			/^Could not list the lookup tables of project space 'demo': CommCare answered HTTP 400, /,
		);
		expect(error.message).toContain('[redacted]');
	});

	test('a server too slow for the deadline: timeout, for the whole read', async () => {
		const slow: Handler = () => true; // never answers
		const started = Date.now();
		const error = await failure(commCare(slow), { deadlineMs: 300 });
		expect(error.reason).toBe('timeout');
		expect(error.message).toMatch(/within 0.3 s: CommCare answered too slowly/);
		expect(Date.now() - started).toBeLessThan(5000);
	});
});
