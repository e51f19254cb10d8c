/**
 * The emulator's Case API v2 reads (docs/commcare-api.md §9), over real HTTP: routes, decorators, request and
 * answer shapes, the 5,000 limit, the shared-external-id rule and the search index's lag.
 */
import { DEFAULT_USERS, startEmulator, type Emulator } from '../../emulator';
import { apiKeyHeader, send } from '../support/emulator';

let emulator: Emulator;

beforeAll(async () => {
	emulator = await startEmulator({
		domains: {
			demo: { caseTypes: ['patient', 'household'], owners: [] },
			free: { caseTypes: ['patient'], owners: [], apiAccess: false },
		},
		users: [
			{ ...DEFAULT_USERS[0], domains: ['demo', 'free'] },
			{ username: 'noapi@example.org', apiKey: 'noapi-key', domains: ['demo'], canAccessApi: false },
			{ username: 'viewer@example.org', apiKey: 'viewer-key', domains: ['demo'], canEditData: false },
			{ username: 'worker@demo.commcarehq.org', apiKey: 'worker-key', domains: ['demo'], webUser: false },
			{ username: 'outsider@example.org', apiKey: 'outsider-key', domains: [] },
		],
	});
});
afterEach(() => {
	emulator.reset();
	emulator.setIndexLag({});
});
afterAll(() => emulator.close());

const apiBase = (domain = 'demo') => `${emulator.baseUrl}/a/${domain}/api`;
const keyOf = (username: string, apiKey: string) => ({ Authorization: `ApiKey ${username}:${apiKey}` });

function bulkFetch(
	payload: unknown,
	options: { path?: string; headers?: Record<string, string>; method?: string; query?: string } = {},
) {
	return send(`${apiBase()}${options.path ?? '/case/v2/bulk-fetch/'}${options.query ?? ''}`, {
		method: options.method ?? 'POST',
		headers: { 'Content-Type': 'application/json', ...(options.headers ?? apiKeyHeader(emulator)) },
		body: typeof payload === 'string' ? payload : JSON.stringify(payload),
	});
}

function seed() {
	const alice = emulator.cases.add('demo', { case_type: 'patient', name: 'Alice', external_id: 'p-1' });
	const bob = emulator.cases.add('demo', {
		case_type: 'patient',
		name: 'Bob',
		external_id: 'p-2',
		closed: true,
		properties: { dob: '1990-01-02' },
	});
	const home = emulator.cases.add('demo', { case_type: 'household', name: 'Home' });
	return { alice, bob, home };
}

describe('bulk fetch answers', () => {
	test('one entry per id in request order, case ids first, with not-found stubs, duplicates repeated and counted', async () => {
		const { alice, bob } = seed();
		const answer = await bulkFetch({ external_ids: ['p-2', 'nope', 'p-2'], case_ids: [alice.case_id, 'missing'] });
		expect(answer.status).toBe(200);
		expect(answer.headers.get('content-type')).toBe('application/json');
		const body = JSON.parse(answer.text);
		expect(body.matching_records).toBe(3);
		expect(body.missing_records).toBe(2);
		expect(body.cases.map((c: { case_id?: string; external_id?: string }) => c.case_id ?? c.external_id)).toEqual([
			alice.case_id,
			'missing',
			bob.case_id,
			'nope',
			bob.case_id,
		]);
		expect(body.cases[1]).toEqual({ case_id: 'missing', error: 'not found' });
		expect(body.cases[3]).toEqual({ external_id: 'nope', error: 'not found' });
	});

	test('a case has exactly the 14 serialized keys, with CommCare timestamps and a null external id when none', async () => {
		const { bob, home } = seed();
		const body = JSON.parse((await bulkFetch({ case_ids: [bob.case_id, home.case_id] })).text);
		expect(Object.keys(body.cases[0]).sort()).toEqual(
			[
				'domain',
				'case_id',
				'case_type',
				'case_name',
				'external_id',
				'owner_id',
				'date_opened',
				'last_modified',
				'server_last_modified',
				'indexed_on',
				'closed',
				'date_closed',
				'properties',
				'indices',
			].sort(),
		);
		expect(body.cases[0]).toMatchObject({
			case_name: 'Bob',
			closed: true,
			properties: { dob: '1990-01-02' },
			indices: {},
		});
		expect(body.cases[0].date_opened).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
		expect(body.cases[0].date_closed).toMatch(/Z$/);
		expect(body.cases[1].external_id).toBeNull();
		expect(body.cases[1].date_closed).toBeNull();
	});

	test('several cases share an external id: one of them comes back, the others are left out silently', async () => {
		const first = emulator.cases.add('demo', { case_type: 'patient', external_id: 'shared' });
		const second = emulator.cases.add('demo', { case_type: 'household', external_id: 'shared' });
		const body = JSON.parse((await bulkFetch({ external_ids: ['shared'] })).text);
		expect(body.matching_records).toBe(1);
		expect(body.cases).toHaveLength(1);
		expect([first.case_id, second.case_id]).toContain(body.cases[0].case_id);
	});

	test('the 5,000 limit counts duplicates and both lists', async () => {
		const atLimit = await bulkFetch({ case_ids: Array(4000).fill('x'), external_ids: Array(1000).fill('y') });
		expect(atLimit.status).toBe(200);
		const over = await bulkFetch({ case_ids: Array(4000).fill('x'), external_ids: Array(1001).fill('y') });
		expect(over.status).toBe(400);
		expect(JSON.parse(over.text)).toEqual({ error: 'You cannot request more than 5000 cases per request.' });
	});

	test.each([
		['not JSON', 400, '{oops', { error: 'Payload must be valid JSON' }],
		['no id lists', 400, { case_id: ['a'] }, { error: "Payload must include 'case_ids' or 'external_ids' fields" }],
		['empty lists', 400, { case_ids: [] }, { error: "Payload must include 'case_ids' or 'external_ids' fields" }],
	])('%s → %i with its message', async (_name, status, payload, error) => {
		const answer = await bulkFetch(payload);
		expect(answer.status).toBe(status);
		expect(JSON.parse(answer.text)).toEqual(error);
	});

	test('JSON that is not an object is an uncaught error page', async () => {
		const answer = await bulkFetch([1, 2]);
		expect(answer.status).toBe(500);
		expect(answer.headers.get('content-type')).toMatch(/text\/html/);
	});

	test('fields keeps only the listed keys (stubs untouched); exclude drops them; both at once is refused', async () => {
		const { alice } = seed();
		const kept = JSON.parse(
			(await bulkFetch({ case_ids: [alice.case_id, 'gone'] }, { query: '?fields=case_id,case_name' })).text,
		);
		expect(kept.cases).toEqual([
			{ case_id: alice.case_id, case_name: 'Alice' },
			{ case_id: 'gone', error: 'not found' },
		]);
		const dropped = JSON.parse((await bulkFetch({ case_ids: [alice.case_id] }, { query: '?exclude=properties' })).text);
		expect(dropped.cases[0]).not.toHaveProperty('properties');
		expect(dropped.cases[0]).toHaveProperty('indices');
		const both = await bulkFetch({ case_ids: [alice.case_id] }, { query: '?fields=case_id&exclude=closed' });
		expect(both.status).toBe(400);
		expect(JSON.parse(both.text)).toEqual({ error: "You cannot specify both 'fields' and 'exclude'" });
	});

	test('any method runs the bulk fetch; the old v0.6 path is an alias', async () => {
		const { alice } = seed();
		const put = await bulkFetch({ case_ids: [alice.case_id] }, { method: 'PUT' });
		expect(JSON.parse(put.text).matching_records).toBe(1);
		const alias = await bulkFetch({ case_ids: [alice.case_id] }, { path: '/v0.6/case/bulk-fetch/' });
		expect(JSON.parse(alias.text).matching_records).toBe(1);
	});

	test('without its trailing slash the path is a case id: POST gives 405, GET a 404 for case "bulk-fetch"', async () => {
		const post = await bulkFetch({ case_ids: ['a'] }, { path: '/case/v2/bulk-fetch' });
		expect(post.status).toBe(405);
		expect(JSON.parse(post.text)).toEqual({ error: 'Request method not allowed' });
		const get = await send(`${apiBase()}/case/v2/bulk-fetch`, { headers: apiKeyHeader(emulator) });
		expect(get.status).toBe(404);
		expect(JSON.parse(get.text)).toEqual({ error: "Case 'bulk-fetch' not found" });
	});
});

describe('single lookups', () => {
	test('by case id: the case, or 404 naming the id; a comma list is a bulk GET', async () => {
		const { alice, bob } = seed();
		const found = await send(`${apiBase()}/case/v2/${alice.case_id}/`, { headers: apiKeyHeader(emulator) });
		expect(JSON.parse(found.text).case_name).toBe('Alice');
		const missing = await send(`${apiBase()}/case/v2/nothing`, { headers: apiKeyHeader(emulator) });
		expect(missing.status).toBe(404);
		expect(JSON.parse(missing.text)).toEqual({ error: "Case 'nothing' not found" });
		const list = await send(`${apiBase()}/case/v2/${alice.case_id},${bob.case_id}/`, {
			headers: apiKeyHeader(emulator),
		});
		expect(JSON.parse(list.text).matching_records).toBe(2);
	});

	test('by external id: one case, 404, or 400 listing every case that shares it (any type)', async () => {
		const { alice } = seed();
		const one = await send(`${apiBase()}/case/v2/ext/p-1/`, { headers: apiKeyHeader(emulator) });
		expect(JSON.parse(one.text).case_id).toBe(alice.case_id);
		const none = await send(`${apiBase()}/case/v2/ext/zzz/`, { headers: apiKeyHeader(emulator) });
		expect(none.status).toBe(404);
		expect(JSON.parse(none.text)).toEqual({ error: "Case 'zzz' not found" });
		const other = emulator.cases.add('demo', { case_type: 'household', external_id: 'p-1' });
		const many = await send(`${apiBase()}/case/v2/ext/p-1/`, { headers: apiKeyHeader(emulator) });
		expect(many.status).toBe(400);
		expect(JSON.parse(many.text)).toEqual({
			error: `Multiple cases found with external_id 'p-1': ${alice.case_id}, ${other.case_id}`,
		});
	});

	test('an external id with a slash is found when sent as %2F', async () => {
		const slashed = emulator.cases.add('demo', { case_type: 'patient', external_id: 'a/b' });
		const answer = await send(`${apiBase()}/case/v2/ext/a%2Fb/`, { headers: apiKeyHeader(emulator) });
		expect(JSON.parse(answer.text).case_id).toBe(slashed.case_id);
	});
});

describe('decorators, outermost first', () => {
	test('OPTIONS is answered before authentication', async () => {
		const answer = await send(`${apiBase()}/case/v2/bulk-fetch/`, { method: 'OPTIONS' });
		expect(answer.status).toBe(200);
		expect(answer.headers.get('access-control-allow-origin')).toBe('*');
	});

	test('no credentials: 401 Digest challenge; credentials in the query are not accepted', async () => {
		const bare = await bulkFetch({ case_ids: ['a'] }, { headers: {} });
		expect(bare.status).toBe(401);
		expect(bare.headers.get('www-authenticate')).toMatch(/^Digest /);
		const inQuery = await bulkFetch(
			{ case_ids: ['a'] },
			{ headers: {}, query: `?username=${emulator.username}&api_key=${emulator.apiKey}` },
		);
		expect(inQuery.status).toBe(401);
	});

	test('a non-member gets an empty 403; a mobile worker may read', async () => {
		const outsider = await bulkFetch({ case_ids: ['a'] }, { headers: keyOf('outsider@example.org', 'outsider-key') });
		expect(outsider.status).toBe(403);
		expect(outsider.text).toBe('');
		const worker = await bulkFetch({ case_ids: ['a'] }, { headers: keyOf('worker@demo.commcarehq.org', 'worker-key') });
		expect(worker.status).toBe(200);
	});

	test('missing Edit Data or Access APIs: the 403 HTML page', async () => {
		for (const headers of [keyOf('viewer@example.org', 'viewer-key'), keyOf('noapi@example.org', 'noapi-key')]) {
			const answer = await bulkFetch({ case_ids: ['a'] }, { headers });
			expect(answer.status).toBe(403);
			expect(answer.headers.get('content-type')).toMatch(/text\/html/);
			expect(answer.text).toMatch(/permission/);
		}
	});

	test('a plan without API access: an "Upgrade Required" HTML page with status 200', async () => {
		const answer = await send(`${apiBase('free')}/case/v2/bulk-fetch/`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', ...apiKeyHeader(emulator) },
			body: JSON.stringify({ case_ids: ['a'] }),
		});
		expect(answer.status).toBe(200);
		expect(answer.headers.get('content-type')).toMatch(/text\/html/);
		expect(answer.text).toMatch(/Upgrade Required/);
	});

	test('the throttle: 429 with Retry-After and an empty body', async () => {
		emulator.faults.respond('caseApi', 1, { status: 429, retryAfter: 7 });
		const answer = await bulkFetch({ case_ids: ['a'] });
		expect(answer.status).toBe(429);
		expect(answer.headers.get('retry-after')).toBe('7');
		expect(answer.text).toBe('');
	});
});

describe('the search index lags behind the database', () => {
	test('reads: a new case is missing, and an updated one stale, for the configured number of reads', async () => {
		const { alice } = seed();
		emulator.setIndexLag({ reads: 2 });
		const fresh = emulator.cases.add('demo', { case_type: 'patient', external_id: 'new' });
		alice.name = 'Alice B.';
		emulator.cases.touch(alice);
		const seen = [];
		for (let read = 0; read < 3; read++) {
			const body = JSON.parse((await bulkFetch({ case_ids: [alice.case_id], external_ids: ['new'] })).text);
			seen.push([body.cases[0].case_name, body.cases[1].case_id ?? null]);
		}
		expect(seen).toEqual([
			['Alice', null],
			['Alice', null],
			['Alice B.', fresh.case_id],
		]);
	});

	test('milliseconds: visible once the time has passed; the external-id GET reads the database at once', async () => {
		emulator.setIndexLag({ ms: 300 });
		const fresh = emulator.cases.add('demo', { case_type: 'patient', external_id: 'soon' });
		expect(JSON.parse((await bulkFetch({ external_ids: ['soon'] })).text).matching_records).toBe(0);
		const direct = await send(`${apiBase()}/case/v2/ext/soon/`, { headers: apiKeyHeader(emulator) });
		expect(JSON.parse(direct.text).case_id).toBe(fresh.case_id);
		await new Promise((resolve) => setTimeout(resolve, 350));
		expect(JSON.parse((await bulkFetch({ external_ids: ['soon'] })).text).matching_records).toBe(1);
	});
});
