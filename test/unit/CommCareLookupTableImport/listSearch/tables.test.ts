/**
 * The Table list, run the way n8n runs a list-search method (a load-options context over real sockets, a loopback
 * server answering CommCare's `lookup_table` shape): what it lists, the filter, the project space read from the
 * parameter, and failures that say what to grant and that typing the table id works.
 */
import type { INodeListSearchResult } from 'n8n-workflow';

import { CommCareBulkImport } from '../../../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { searchLookupTables } from '../../../../nodes/CommCareLookupTableImport/listSearch/tables';
import { createLoadOptionsContext } from '../../../support/n8nContext';
import { API_KEY, json, startServer, type TestServer } from '../../../support/unitLoopbackCommCare';

// Any node with a Project Space parameter gives the context n8n would; the list only reads that parameter.
const node = new CommCareBulkImport();

const table = (tag: string, isGlobal: boolean, fields: string[]) => ({
	id: `${tag.padEnd(32, '0').slice(0, 32)}`,
	tag,
	is_global: isGlobal,
	fields: fields.map((name) => ({ field_name: name, properties: [] })),
	item_attributes: [],
});

let server: TestServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
});

async function list(
	handler: Parameters<typeof startServer>[0],
	projectSpace: unknown = { __rl: true, mode: 'list', value: 'demo' },
	filter?: string,
): Promise<INodeListSearchResult> {
	server = await startServer(handler);
	const { context } = createLoadOptionsContext({
		node,
		parameters: { projectSpace },
		credentials: { baseUrl: server.url, authType: 'apiKey', username: 'me@example.org', apiKey: API_KEY },
	});
	return await searchLookupTables(context, filter);
}

async function listFailure(...args: Parameters<typeof list>) {
	const error = await list(...args).then(
		() => undefined,
		(thrown: unknown) => thrown as { message: string; description?: string },
	);
	if (!error) throw new Error('the list did not fail');
	expect(`${error.message} ${error.description}`).not.toContain(API_KEY.slice(0, 12));
	// The editor shows only the message: it ends with the way out, in the Table locator's typing mode.
	expect(error.message).toMatch(/\. You can still choose "By ID" and type it\.$/);
	expect(error.description).toContain('You can still choose "By ID" and type it.');
	return error;
}

/** Tables over two pages, as CommCare pages them. */
const TABLES = [
	table('village', false, ['id']),
	table('district', true, ['id', 'name']),
	table('crop', true, ['name']),
];
const paged = (req: { url?: string }, res: Parameters<typeof json>[0]) => {
	const url = new URL(req.url ?? '/', 'http://x');
	if (url.pathname !== '/a/demo/api/lookup_table/v1/') return json(res, 404, { error: 'no' });
	const offset = Number(url.searchParams.get('offset'));
	const objects = offset === 0 ? TABLES.slice(0, 2) : TABLES.slice(2);
	json(res, 200, { meta: { total_count: 3, next: offset === 0 ? '?offset=2' : null }, objects });
};

describe('searchLookupTables', () => {
	test('every table of the project space, by table id, owned ones marked, with their number of fields', async () => {
		const { results } = await list(paged);
		expect(results).toEqual([
			{ name: 'crop (1 field)', value: 'crop' },
			{ name: 'district (2 fields)', value: 'district' },
			{ name: 'village (owned, 1 field)', value: 'village' },
		]);
		expect(server!.hits.map((hit) => hit.path)).toEqual([
			'/a/demo/api/lookup_table/v1/?limit=1000&offset=0',
			'/a/demo/api/lookup_table/v1/?limit=1000&offset=2',
		]);
		expect(server!.hits[0].authorization).toBe(`ApiKey me@example.org:${API_KEY}`);
	});

	test('the filter; the project space typed as plain text', async () => {
		expect((await list(paged, 'demo', 'DIS')).results.map((entry) => entry.value)).toEqual(['district']);
	});

	test('no project space chosen yet: says so', async () => {
		const error = await listFailure(paged, { __rl: true, mode: 'list', value: '' });
		expect(error.message).toBe(
			'Choose the project space first: The project space is empty. You can still choose "By ID" and type it.',
		);
		expect(server!.hits).toHaveLength(0);
	});

	test('403: the "Access APIs" permission, and that typing the table id works', async () => {
		const error = await listFailure((_req, res) => res.writeHead(403).end());
		expect(error.message).toMatch(
			/^Could not list the lookup tables of project space 'demo': user 'me@example.org' is not a web user .* "Access APIs"/,
		);
		expect(error.description).toMatch(/^Type the table id instead/);
	});

	test('a plan without API access', async () => {
		const error = await listFailure((_req, res) =>
			json(res, 401, { error: 'Your current subscription does not have access to this feature' }),
		);
		expect(error.message).toMatch(/project space 'demo''s CommCare plan does not include API access/);
	});

	test('no tables yet: the upload creates one', async () => {
		const error = await listFailure((_req, res) => json(res, 200, { meta: { next: null }, objects: [] }));
		expect(error.message).toBe(
			'Project space \'demo\' has no lookup tables yet. You can still choose "By ID" and type it.',
		);
		expect(error.description).toMatch(/creates a table that does not exist yet/);
	});

	test('anything else is shown, redacted', async () => {
		const error = await listFailure((_req, res) => json(res, 500, { error: `boom ${API_KEY}` }));
		expect(error.message).toMatch(/CommCare answered HTTP 500, .*\[redacted\]/);
	});
});
