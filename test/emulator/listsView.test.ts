/**
 * The emulator's list resources (docs/commcare-api.md §10), checked over real sockets the way CommCare answers:
 * `user_domains` (paginated, plain-text 401 for every auth failure, mobile workers included, projects without the
 * integration privilege left out), the Application Structure API (plan check before auth) and `domain_cases`.
 */
import { type Emulator, type EmulatorOptions } from '../../emulator';
import { apiKeyHeader, send, useEmulator } from '../support/emulator';

const OPTIONS: EmulatorOptions = {
	domains: {
		demo: { caseTypes: ['household', 'patient'], owners: [], projectName: 'Demo Project' },
		basic: { caseTypes: ['patient'], owners: [], listedForIntegrations: false, apiAccess: false },
		apps: {
			caseTypes: [],
			owners: [],
			applications: [
				{ name: 'Intake', modules: [{ name: 'Clients', caseType: 'client', caseProperties: ['dob', 'age'] }] },
				{ name: 'Broken', modules: [{ error: "'NoneType' object has no attribute 'case_type'" }] },
			],
		},
	},
	users: [
		{ username: 'web@example.org', apiKey: 'web-key', domains: ['demo', 'basic', 'apps'] },
		{ username: 'worker@demo.commcarehq.org', apiKey: 'worker-key', domains: ['demo'], webUser: false },
		{ username: 'noapi@example.org', apiKey: 'noapi-key', domains: ['demo'], canAccessApi: false },
		{
			username: 'many@example.org',
			apiKey: 'many-key',
			domains: Array.from({ length: 45 }, (_v, i) => `p${String(i).padStart(2, '0')}`),
		},
	],
};
for (let i = 0; i < 45; i++) OPTIONS.domains![`p${String(i).padStart(2, '0')}`] = { caseTypes: [], owners: [] };

let emulator: Emulator;
useEmulator((started) => (emulator = started), OPTIONS);

const as = (username: string, key: string) => ({ Authorization: `ApiKey ${username}:${key}` });

describe('user_domains', () => {
	test('lists the member projects with the integration privilege, with tastypie meta, sorted keys', async () => {
		const answer = await send(`${emulator.baseUrl}/api/user_domains/v1/`, { headers: apiKeyHeader(emulator) });
		expect(answer.status).toBe(200);
		expect(answer.text).toBe(
			'{"meta": {"limit": 20, "next": null, "offset": 0, "previous": null, "total_count": 2}, "objects": [{"domain_name": "demo", "project_name": "Demo Project"}, {"domain_name": "apps", "project_name": "apps"}]}',
		);
	});

	test('pages by 20 by default; limit 0 or over 1000 gives 1000; next and previous carry limit and offset', async () => {
		const headers = as('many@example.org', 'many-key');
		const first = JSON.parse((await send(`${emulator.baseUrl}/api/user_domains/v1/`, { headers })).text);
		expect(first.meta).toEqual({
			limit: 20,
			next: '/api/user_domains/v1/?limit=20&offset=20',
			offset: 0,
			previous: null,
			total_count: 45,
		});
		expect(first.objects[0].domain_name).toBe('p00');
		const last = JSON.parse(
			(await send(`${emulator.baseUrl}/api/v0.5/user_domains/?limit=20&offset=40`, { headers })).text,
		);
		expect(last.objects.map((o: { domain_name: string }) => o.domain_name)).toEqual([
			'p40',
			'p41',
			'p42',
			'p43',
			'p44',
		]);
		expect(last.meta.next).toBeNull();
		expect(last.meta.previous).toBe('/api/v0.5/user_domains/?limit=20&offset=20');
		for (const limit of ['0', '5000']) {
			const all = JSON.parse((await send(`${emulator.baseUrl}/api/user_domains/v1/?limit=${limit}`, { headers })).text);
			expect(all.meta.limit).toBe(1000);
			expect(all.objects).toHaveLength(45);
		}
	});

	test('a bad limit is a 400 naming it', async () => {
		const answer = await send(`${emulator.baseUrl}/api/user_domains/v1/?limit=ten`, {
			headers: apiKeyHeader(emulator),
		});
		expect(answer.status).toBe(400);
		expect(JSON.parse(answer.text)).toEqual({
			error: "Invalid limit 'ten' provided. Please provide a positive integer.",
		});
	});

	test.each([
		['no credentials', {}],
		['a wrong key', as('web@example.org', 'wrong')],
		['a mobile worker', as('worker@demo.commcarehq.org', 'worker-key')],
	])('%s: 401 with the plain-text message', async (_label, headers) => {
		const answer = await send(`${emulator.baseUrl}/api/user_domains/v1/`, { headers });
		expect(answer.status).toBe(401);
		expect(answer.headers.get('content-type')).toBe('text/plain');
		expect(answer.text).toBe('Username or API Key is incorrect, expired or deactivated');
	});
});

describe('Application Structure API', () => {
	test('lists every app with its modules, case types and sorted case properties; no pagination', async () => {
		const answer = await send(`${emulator.baseUrl}/a/apps/api/application/v1/?limit=1`, {
			headers: as('web@example.org', 'web-key'),
		});
		expect(answer.status).toBe(200);
		const body = JSON.parse(answer.text);
		expect(body.meta).toEqual({ limit: null, next: null, offset: 0, previous: null, total_count: 2 });
		expect(body.objects[0].modules[0]).toMatchObject({
			case_type: 'client',
			case_properties: ['age', 'dob', 'name'],
			name: { en: 'Clients' },
		});
		expect(body.objects[1].modules).toEqual([{ error: "'NoneType' object has no attribute 'case_type'" }]);
	});

	test('the plan check comes before authentication: 401 JSON even without credentials', async () => {
		const answer = await send(`${emulator.baseUrl}/a/basic/api/application/v1/`);
		expect(answer.status).toBe(401);
		expect(JSON.parse(answer.text)).toEqual({
			error: 'Your current subscription does not have access to this feature',
		});
	});

	test.each([
		['no credentials', {}, 401],
		['a mobile worker', as('worker@demo.commcarehq.org', 'worker-key'), 403],
		['no Access APIs permission', as('noapi@example.org', 'noapi-key'), 403],
		['a non-member', as('many@example.org', 'many-key'), 403],
	])('%s: %d with an empty body', async (_label, headers, status) => {
		const answer = await send(`${emulator.baseUrl}/a/demo/api/application/v1/`, { headers });
		expect(answer.status).toBe(status);
		expect(answer.text).toBe('');
	});

	test('POST is refused with 405 and Allow: GET', async () => {
		const answer = await send(`${emulator.baseUrl}/a/demo/api/application/v1/`, {
			method: 'POST',
			headers: apiKeyHeader(emulator),
		});
		expect(answer.status).toBe(405);
		expect(answer.headers.get('allow')).toBe('GET');
	});
});

describe('domain_cases', () => {
	test('lists only the types that have cases, closed ones included, with placeholder ""', async () => {
		const empty = JSON.parse(
			(await send(`${emulator.baseUrl}/a/demo/api/domain_cases/v1/`, { headers: apiKeyHeader(emulator) })).text,
		);
		expect(empty).toEqual({
			meta: { limit: 100, next: null, offset: 0, previous: null, total_count: 0 },
			objects: [],
		});
		emulator.cases.add('demo', { case_type: 'household' });
		emulator.cases.add('demo', { case_type: 'legacy', closed: true });
		emulator.cases.add('demo', { case_type: 'household' });
		const answer = JSON.parse(
			(await send(`${emulator.baseUrl}/a/demo/api/v0.5/domain_cases/`, { headers: apiKeyHeader(emulator) })).text,
		);
		expect(answer.meta.total_count).toBe(2);
		expect(answer.objects.map((o: { case_type: string }) => o.case_type).sort()).toEqual(['household', 'legacy']);
		expect(answer.objects[0].placeholder).toBe('');
	});

	test('no plan check (a project without API access still answers); Access APIs is required', async () => {
		const basic = await send(`${emulator.baseUrl}/a/basic/api/domain_cases/v1/`, {
			headers: as('web@example.org', 'web-key'),
		});
		expect(basic.status).toBe(200);
		const noApi = await send(`${emulator.baseUrl}/a/demo/api/domain_cases/v1/`, {
			headers: as('noapi@example.org', 'noapi-key'),
		});
		expect(noApi.status).toBe(403);
		expect(noApi.text).toBe('');
	});
});
