/**
 * What CommCare refuses or warns about, and how the node says it: owners it cannot find (code 402, Warning), a user
 * without Edit Data, a plan without lookup tables, a table the credential may not read (stop, or upload unchecked), and
 * a user without Edit Apps, whose table is read through the row API instead.
 */
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { DEFAULT_DOMAINS, DEFAULT_USERS, type Emulator } from '../../../emulator';
import { useEmulator } from '../../support/emulator';
import { lookupTableImportOutputs } from '../../support/nodeRuns';

let emulator: Emulator;
useEmulator((started) => (emulator = started), {
	domains: { ...DEFAULT_DOMAINS, basic: { caseTypes: [], owners: [], lookupTables: false } },
	users: [
		...DEFAULT_USERS.map((user) =>
			user.username === 'demo@example.org' ? { ...user, domains: [...user.domains, 'basic'] } : user,
		),
		{ username: 'noapi@example.org', apiKey: 'noapi-key', domains: ['demo'], canAccessApi: false },
	],
});

const VILLAGES = [
	{ code: 'v1', name: 'Kibera', group: 'District A', location: 'kisumu' },
	{ code: 'v2', name: 'Mathare', group: ['District A', 'North & South'], location: '' },
];
const OWNED = { table: { __rl: true, mode: 'id', value: 'village' }, ownership: 'owned' };
const as = (username: string, apiKey: string) => ({ username, apiKey });

test("owners CommCare cannot find: the rows are written, Warning with one finding per owner, CommCare's words readable", async () => {
	const [success, warning, error] = await lookupTableImportOutputs(emulator, VILLAGES, OWNED);

	expect([success, error]).toEqual([[], []]);
	expect(warning[0].json).toMatchObject({
		outcome: 'warning',
		reason: 'uploadedWithWarnings',
		commcare: { processing: 'sync', code: 402 },
		warnings: [
			expect.objectContaining({
				code: 'ownerNotFound',
				message: "Unknown group: 'North & South'. But the row is successfully added",
			}),
		],
		rowsAfter: { village: 2 },
	});
	expect(String((warning[0].json.commcare as { message: string }).message)).toContain(
		"However, we ran into the following problems:\nUnknown group: 'North & South'",
	);
	expect(emulator.lookupTables.rows(emulator.domain, 'village').map((row) => row.owners)).toEqual([
		{ users: [], groups: ['District A'], locations: ['kisumu'] },
		{ users: [], groups: ['District A'], locations: [] },
	]);
	expect(emulator.lookupTables.table(emulator.domain, 'village')?.is_global).toBe(false);
});

test('a user without Edit Data: the upload is refused (HTTP 403), saying which permission', async () => {
	const run = lookupTableImportOutputs(emulator, VILLAGES.slice(0, 1), {}, as('viewer@example.org', 'viewer-key'));

	await expect(run).rejects.toThrow(NodeApiError);
	await expect(run).rejects.toThrow("No access to project space 'demo' (HTTP 403)");
	await run.catch((error: NodeApiError) => expect(error.description).toContain('Edit Data'));
	expect(emulator.lookupTables.tables(emulator.domain)).toEqual([]);
});

test("a plan without lookup tables: CommCare's upgrade page is named as such, not taken for success", async () => {
	const run = lookupTableImportOutputs(emulator, VILLAGES.slice(0, 1), { projectSpace: 'basic' });

	await expect(run).rejects.toThrow(/answered the lookup-table upload with .*not with its JSON answer/);
	await run.catch((error: NodeApiError) =>
		expect(error.description).toContain('plan does not include lookup tables (it shows an "upgrade required" page)'),
	);
});

describe('a table the credential may not read (no "Access APIs")', () => {
	const noApi = as('noapi@example.org', 'noapi-key');

	test('stops by default, before anything is sent, saying what to grant and how to go on without', async () => {
		const run = lookupTableImportOutputs(emulator, VILLAGES.slice(0, 1), {}, noApi);

		await expect(run).rejects.toThrow(NodeOperationError);
		await expect(run).rejects.toThrow(/^The input items were not uploaded: /);
		await run.catch((error: NodeOperationError) =>
			expect(error.description).toContain('set Options → If the Table Cannot Be Read to Upload Unchecked'),
		);
		expect(emulator.lookupTableUploads).toEqual([]);
	});

	test('with Upload Unchecked it uploads, on Warning, and says nothing could check what it deletes', async () => {
		const [, warning] = await lookupTableImportOutputs(
			emulator,
			VILLAGES.slice(0, 1).map(({ code, name }) => ({ code, name })),
			{ options: { tableReadUnavailable: 'uploadUnchecked' } },
			noApi,
		);

		expect(warning[0].json).toMatchObject({
			outcome: 'warning',
			changes: null,
			warnings: [expect.objectContaining({ code: 'tableReadUnavailable' })],
		});
		expect(emulator.lookupTables.rows(emulator.domain, 'facility')).toHaveLength(1);
	});
});

test('a user without Edit Apps: the rows are read through the row API instead, and the dry run still lists them', async () => {
	emulator.lookupTables.seed(emulator.domain, {
		tag: 'facility',
		fields: ['code', 'name'],
		rows: [{ fields: { code: 'a', name: 'A' } }, { fields: { code: 'b', name: 'B' } }],
	});

	const [success] = await lookupTableImportOutputs(
		emulator,
		[{ code: 'a', name: 'A' }],
		{ replace: true, options: { dryRun: true, maxDeletePercent: 100 } },
		as('dataonly@example.org', 'dataonly-key'),
	);

	expect(success[0].json.changes).toEqual([
		expect.objectContaining({
			rowsNow: 2,
			unchanged: 1,
			deleted: 1,
			deletedRows: [expect.objectContaining({ fields: { code: 'b', name: 'B' } })],
		}),
	]);
	const paths = emulator.requests.map((request) => request.path);
	expect(paths).toContain(`/a/${emulator.domain}/api/lookup_table_item/v1/`);
});
