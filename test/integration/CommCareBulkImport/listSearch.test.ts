/**
 * CommCare Bulk Import's editor lists (Project Space and Case Type, version 1.1 on), run the way n8n runs a list-search
 * method, against the emulator over real sockets: what each list holds, the filter, and that every failure (401 for a
 * wrong key or a mobile worker, 403, a plan without API access, an empty list, a network failure) is an error whose
 * message names it and whose description says that typing the name still works. The credential never shows.
 */
import type { ICredentialDataDecryptedObject, INodeListSearchResult } from 'n8n-workflow';

import { type Emulator, type EmulatorOptions } from '../../../emulator';
import { CommCareBulkImport } from '../../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { emulatorCredential, useEmulator } from '../../support/emulator';
import { createLoadOptionsContext } from '../../support/n8nContext';

const node = new CommCareBulkImport();
type Method = 'searchProjectSpaces' | 'searchCaseTypes';

const OPTIONS: EmulatorOptions = {
	domains: {
		demo: { caseTypes: ['household', 'patient'], owners: [], projectName: 'Demo Project' },
		'old-project': { caseTypes: [], owners: [] },
		basic: { caseTypes: ['patient'], owners: [], listedForIntegrations: false, apiAccess: false },
		empty: { caseTypes: [], owners: [] },
	},
	users: [
		{ username: 'web@example.org', apiKey: 'web-key-0123456789', domains: ['demo', 'old-project', 'basic', 'empty'] },
		{ username: 'worker@demo.commcarehq.org', apiKey: 'worker-key-0123456789', domains: ['demo'], webUser: false },
		{ username: 'no-api@example.org', apiKey: 'no-api-key-0001', domains: ['demo'], canAccessApi: false },
		{ username: 'onlybasic@example.org', apiKey: 'basic-key-0123456789', domains: ['basic'] },
	],
};

let emulator: Emulator;
useEmulator((started) => (emulator = started), OPTIONS);

function credential(username = 'web@example.org', apiKey = 'web-key-0123456789'): ICredentialDataDecryptedObject {
	return emulatorCredential(emulator, { username, apiKey });
}

async function list(
	method: Method,
	options: { parameters?: Record<string, unknown>; credentials?: ICredentialDataDecryptedObject; filter?: string } = {},
): Promise<INodeListSearchResult> {
	const { context } = createLoadOptionsContext({
		node,
		parameters: options.parameters ?? {},
		credentials: options.credentials ?? credential(),
	});
	const search = node.methods.listSearch[method] as (
		this: typeof context,
		filter?: string,
	) => Promise<INodeListSearchResult>;
	return await search.call(context, options.filter);
}

async function listError(method: Method, options: Parameters<typeof list>[1] = {}) {
	const error = await list(method, options).then(
		() => undefined,
		(thrown: unknown) => thrown as { message: string; description?: string },
	);
	if (!error) throw new Error(`${method} did not fail`);
	const shown = `${error.message}\n${error.description ?? ''}`;
	expect(shown).not.toMatch(/key-0123456789/);
	// The editor shows only the message: it ends with the way out too.
	expect(error.message).toMatch(/\. You can still choose "By Name" and type it\.$/);
	expect(error.description).toContain('You can still choose "By Name" and type it.');
	return error;
}

const project = (value: string, mode = 'list') => ({ projectSpace: { __rl: true, mode, value } });

describe('Project Space list', () => {
	test("lists the user's project spaces, titled by project name, linked to CommCare", async () => {
		const { results } = await list('searchProjectSpaces');
		expect(results).toEqual([
			{ name: 'Demo Project (demo)', value: 'demo', url: `${emulator.baseUrl}/a/demo/` },
			{ name: 'old-project', value: 'old-project', url: `${emulator.baseUrl}/a/old-project/` },
			{ name: 'empty', value: 'empty', url: `${emulator.baseUrl}/a/empty/` },
		]);
		expect(emulator.requests.map((request) => request.query)).toEqual([{ limit: '1000', offset: '0' }]);
	});

	test('the filter matches the name or the project title, any case', async () => {
		expect((await list('searchProjectSpaces', { filter: 'DEMO pro' })).results.map((r) => r.value)).toEqual(['demo']);
		expect((await list('searchProjectSpaces', { filter: 'old' })).results.map((r) => r.value)).toEqual(['old-project']);
		expect((await list('searchProjectSpaces', { filter: 'nothing-like-it' })).results).toEqual([]);
	});

	test('a wrong key: the 401 is named, with what gets it', async () => {
		const error = await listError('searchProjectSpaces', {
			credentials: credential('web@example.org', 'wrong-key-0123456789'),
		});
		expect(error.message).toBe(
			'CommCare would not list project spaces for user \'web@example.org\' (HTTP 401). You can still choose "By Name" and type it.',
		);
		expect(error.description).toMatch(/mobile worker's login/);
	});

	test('a mobile worker gets the same 401, and is told why', async () => {
		const error = await listError('searchProjectSpaces', {
			credentials: credential('worker@demo.commcarehq.org', 'worker-key-0123456789'),
		});
		expect(error.message).toContain('(HTTP 401)');
	});

	test('no listed project (plan without the integration privilege): says why and to type the name', async () => {
		const error = await listError('searchProjectSpaces', {
			credentials: credential('onlybasic@example.org', 'basic-key-0123456789'),
		});
		expect(error.message).toBe(
			'CommCare lists no project space for user \'onlybasic@example.org\'. You can still choose "By Name" and type it.',
		);
		expect(error.description).toMatch(/plan includes API integrations/);
	});

	test('a server that does not answer: the error names the address problem, within the deadline', async () => {
		const error = await listError('searchProjectSpaces', {
			credentials: { ...credential(), baseUrl: 'http://127.0.0.1:9' },
		});
		expect(error.message).toMatch(/^Could not list project spaces: .*127\.0\.0\.1:9/);
	}, 20_000);
});

describe('Case Type list', () => {
	test("merges the applications' case types with the types that have cases, sorted, without duplicates", async () => {
		emulator.cases.add('demo', { case_type: 'patient' });
		emulator.cases.add('demo', { case_type: 'legacy_visit', closed: true });
		const { results } = await list('searchCaseTypes', { parameters: project('demo') });
		expect(results).toEqual([
			{ name: 'household', value: 'household' },
			{ name: 'legacy_visit', value: 'legacy_visit' },
			{ name: 'patient', value: 'patient' },
		]);
		const paths = emulator.requests.map((request) => request.path).sort();
		expect(paths).toEqual(['/a/demo/api/application/v1/', '/a/demo/api/domain_cases/v1/']);
	});

	test('a plan without API access still lists the types that have cases', async () => {
		emulator.cases.add('basic', { case_type: 'patient' });
		const { results } = await list('searchCaseTypes', { parameters: project('basic') });
		expect(results).toEqual([{ name: 'patient', value: 'patient' }]);
	});

	test('a plan without API access and no cases: the plan is named', async () => {
		const error = await listError('searchCaseTypes', { parameters: project('basic') });
		expect(error.message).toBe(
			`Could not list the case types of project space 'basic': project space 'basic''s CommCare plan does not include API access ("Your current subscription does not have access to this feature"). You can still choose "By Name" and type it.`,
		);
	});

	test('no "Access APIs" permission: both sources refuse, the permission and where to grant it are named', async () => {
		const error = await listError('searchCaseTypes', {
			parameters: project('demo'),
			credentials: credential('no-api@example.org', 'no-api-key-0001'),
		});
		expect(error.message).toMatch(
			/user 'no-api@example.org' is not a web user of project space 'demo' with the "Access APIs" permission \(HTTP 403/,
		);
		expect(error.description).toMatch(/Listing the types that have cases also failed/);
	});

	test('a wrong key: 401, check the credential', async () => {
		const error = await listError('searchCaseTypes', {
			parameters: project('demo'),
			credentials: credential('web@example.org', 'wrong-key-0123456789'),
		});
		expect(error.message).toMatch(/CommCare refused the credential \(HTTP 401\)/);
	});

	test('a project with no applications and no cases: says so, and that importing creates the type', async () => {
		const error = await listError('searchCaseTypes', { parameters: project('empty') });
		expect(error.message).toBe(
			'Project space \'empty\' has no case types yet. You can still choose "By Name" and type it.',
		);
	});

	test('no project space chosen yet: asks for it first, nothing is sent', async () => {
		const error = await listError('searchCaseTypes', { parameters: project('') });
		expect(error.message).toMatch(/^Choose the project space first: The project space is empty/);
		const badName = await listError('searchCaseTypes', { parameters: project('My Project', 'name') });
		expect(badName.message).toMatch(/Did you mean 'my-project'\?/);
		expect(emulator.requests).toHaveLength(0);
	});
});
