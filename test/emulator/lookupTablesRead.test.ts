/**
 * The emulator's lookup-table read APIs over real HTTP: `lookup_table` (tables), `lookup_table_item` (every row of
 * the project, paged) and `fixture` (one table's rows, sorted, flattened), with the permission each needs.
 */
import { type Emulator } from '../../emulator';
import { apiKeyHeader, send, useEmulator } from '../support/emulator';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const get = (path: string, headers = apiKeyHeader(emulator)) => send(`${emulator.baseUrl}${path}`, { headers });

function seed() {
	emulator.lookupTables.seed('demo', {
		tag: 'facility',
		fields: ['code', { name: 'name', properties: ['lang'] }],
		item_attributes: ['size'],
		rows: [
			{
				fields: { code: 'f2', name: [{ value: 'Beta', properties: { lang: 'en' } }] },
				sort_key: 5,
				item_attributes: { size: 'big' },
			},
			{ fields: { code: 'f1', name: [{ value: 'Alpha', properties: { lang: 'en' } }] }, sort_key: 1 },
		],
	});
	emulator.lookupTables.seed('demo', {
		tag: 'district',
		fields: ['id'],
		is_global: false,
		rows: [{ fields: { id: 'd1' } }],
	});
}

test('lookup_table lists the tables with tastypie paging (v1 and v0.5)', async () => {
	seed();
	const facility = emulator.lookupTables.table('demo', 'facility');
	for (const path of ['/a/demo/api/lookup_table/v1/', '/a/demo/api/v0.5/lookup_table/']) {
		const answer = await get(`${path}?limit=1`);
		expect(answer.status).toBe(200);
		const body = JSON.parse(answer.text);
		expect(body.meta).toEqual({
			limit: 1,
			next: `${path}?limit=1&offset=1`,
			offset: 0,
			previous: null,
			total_count: 2,
		});
		expect(body.objects).toEqual([
			{
				fields: [
					{ field_name: 'code', properties: [] },
					{ field_name: 'name', properties: ['lang'] },
				],
				id: facility?.id,
				is_global: true,
				item_attributes: ['size'],
				resource_uri: `${path}${facility?.id}/`,
				tag: 'facility',
			},
		]);
	}
});

test('lookup_table_item lists every row of the project (v1, v2, v0.5, v0.6)', async () => {
	seed();
	const facility = emulator.lookupTables.table('demo', 'facility');
	for (const version of [
		'lookup_table_item/v1',
		'lookup_table_item/v2',
		'v0.5/lookup_table_item',
		'v0.6/lookup_table_item',
	]) {
		const body = JSON.parse((await get(`/a/demo/api/${version}/?limit=1000`)).text);
		expect(body.meta.total_count).toBe(3);
		expect(body.objects[0]).toEqual({
			data_type_id: facility?.id,
			fields: {
				code: { field_list: [{ field_value: 'f2', properties: {} }] },
				name: { field_list: [{ field_value: 'Beta', properties: { lang: 'en' } }] },
			},
			id: expect.stringMatching(/^[0-9a-f]{32}$/),
			item_attributes: { size: 'big' },
			resource_uri: expect.stringMatching(/\/[0-9a-f]{32}\/$/),
			sort_key: 5,
		});
	}
});

test('fixture: one table sorted by sort_key, values flattened, all rows at once; an unknown tag is a 404', async () => {
	seed();
	const body = JSON.parse((await get('/a/demo/api/fixture/v1/?fixture_type=facility')).text);
	expect(body.meta).toMatchObject({ limit: 0, total_count: 2, next: null });
	expect(body.objects.map((object: { fields: unknown }) => object.fields)).toEqual([
		{ code: 'f1', name: 'Alpha' },
		{ code: 'f2', name: 'Beta' },
	]);
	expect(body.objects[0]).toMatchObject({ fixture_type: 'facility' });
	const missing = await get('/a/demo/api/fixture/v1/?fixture_type=nope');
	expect(missing.status).toBe(404);
	expect(JSON.parse(missing.text)).toEqual({
		error_message: 'Sorry, this request could not be processed. Please try again later.',
	});
});

test('permissions: fixture needs Edit Apps (dataonly@example.org lacks it), the item API Access APIs', async () => {
	seed();
	const dataonly = { Authorization: 'ApiKey dataonly@example.org:dataonly-key' };
	expect((await get('/a/demo/api/fixture/v1/?fixture_type=facility', dataonly)).status).toBe(403);
	expect((await get('/a/demo/api/lookup_table_item/v1/', dataonly)).status).toBe(200);
	expect((await get('/a/demo/api/lookup_table/v1/', {})).status).toBe(401);
	expect(
		(await get('/a/demo/api/lookup_table/v1/', { Authorization: 'ApiKey outsider@example.org:outsider-key' })).status,
	).toBe(403);
	const badLimit = await get('/a/demo/api/lookup_table/v1/?limit=x');
	expect(badLimit.status).toBe(400);
});

describe('a plan without API access', () => {
	let planless: Emulator;
	useEmulator((started) => (planless = started), {
		domains: { demo: { caseTypes: [], owners: [], apiAccess: false } },
	});

	test('401 JSON before authentication', async () => {
		const answer = await send(`${planless.baseUrl}/a/demo/api/lookup_table/v1/`);
		expect(answer.status).toBe(401);
		expect(JSON.parse(answer.text)).toEqual({
			error: 'Your current subscription does not have access to this feature',
		});
	});
});
