/**
 * Options → "Check Parents Exist", through the real node against the emulator: the parents the rows name are looked
 * up before anything is sent; with one item per record the records whose parent CommCare does not have are output on
 * their own (`notSent`) and never reach CommCare, while the rest is uploaded; with one item per upload the upload
 * stops; a lookup CommCare refuses stops the run, or goes on with a warning when the user chose so.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { CommCareBulkImport } from '../../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import type { DryRunRecordJson, NotSentRecordJson, RecordResultJson } from '../../../nodes/shared/outputContract';
import { DEFAULT_USERS, type Emulator } from '../../../emulator';
import { byName } from '../../../examples/workflows';
import { emulatorCredential, useEmulator, xlsxFile } from '../../support/emulator';
import { binaryItem, runNode } from '../../support/n8nContext';

let emulator: Emulator;
useEmulator((started) => (emulator = started), {
	timeline: { queuedPolls: 0, runningPolls: 0 },
	users: [
		...DEFAULT_USERS,
		{ username: 'noapi@example.org', apiKey: 'noapi-key', domains: ['demo'], canAccessApi: false },
	],
});

const MEMBERS: IDataObject[] = [
	{ external_id: 'M-1', name: 'Asha', parent_external_id: 'HH-1', parent_type: 'household' },
	{ external_id: 'M-2', name: 'Baraka', parent_external_id: 'HH-9', parent_type: 'household' },
	{ external_id: 'M-3', name: 'Chebet', parent_external_id: 'HH-2', parent_type: 'household' },
	{ external_id: 'M-4', name: 'Dalmas', parent_external_id: 'HH-1', parent_type: 'household' },
];

function seedHouseholds(): Record<string, string> {
	const ids: Record<string, string> = {};
	for (const externalId of ['HH-1', 'HH-2']) {
		ids[externalId] = emulator.cases.add('demo', {
			case_type: 'household',
			name: externalId,
			external_id: externalId,
		}).case_id;
	}
	return ids;
}

async function importMembers(
	records: IDataObject[],
	{
		output = 'perRecord',
		options = {},
		credentials = emulatorCredential(emulator),
		continueOnFail = false,
	}: {
		output?: string;
		options?: IDataObject;
		credentials?: ReturnType<typeof emulatorCredential>;
		continueOnFail?: boolean;
	} = {},
): Promise<INodeExecutionData[]> {
	const { outputs } = await runNode({
		node: new CommCareBulkImport(),
		credentials,
		items: records.map((json) => ({ json })),
		continueOnFail,
		parameters: {
			projectSpace: byName(emulator.domain),
			caseType: byName('member'),
			source: 'items',
			searchField: 'external_id',
			output,
			options: { checkParents: true, ...options },
		},
	});
	return outputs[0];
}

const uploadedRows = () => emulator.uploads.length;

describe('one output item per record', () => {
	test('a member whose household CommCare does not have is output on its own, never sent; the others are uploaded', async () => {
		const households = seedHouseholds();
		const items = await importMembers(MEMBERS);

		// In input order, the record left out among the others.
		expect(items.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3].map((item) => ({ item })));
		const notSent = items.filter((item) => item.json.notSent === true);
		expect(notSent).toHaveLength(1);
		const json = notSent[0].json as NotSentRecordJson;
		expect(notSent[0].pairedItem).toEqual({ item: 1 });
		expect(json).toMatchObject({ notSent: true, row: null, record: MEMBERS[1] });
		expect(json.upload).toMatchObject({ caseType: 'member', searchField: 'external_id' });
		expect(json.errors).toEqual([
			expect.objectContaining({
				code: 'parentNotFound',
				column: 'parent_external_id',
				items: [1],
				message: "Parent not found for item 2: no case has external ID 'HH-9'",
			}),
		]);
		expect(json.errors[0].description).toMatch(/'Invalid Parent ID'.*Import the parents first/);

		const sent = items.filter((item) => item.json.notSent !== true).map((item) => item.json as RecordResultJson);
		expect(sent.map((record) => [record.row, record.record.external_id])).toEqual([
			[2, 'M-1'],
			[3, 'M-3'],
			[4, 'M-4'],
		]);
		expect(uploadedRows()).toBe(1);
		// What CommCare holds: three members, each under its household; M-2 nowhere.
		const members = [...emulator.cases.all('demo')].filter((found) => found.case_type === 'member');
		expect(members.map((member) => [member.external_id, member.indices.parent?.case_id]).sort()).toEqual([
			['M-1', households['HH-1']],
			['M-3', households['HH-2']],
			['M-4', households['HH-1']],
		]);
	});

	test('a parent of another type than parent_type is named with the type it has', async () => {
		emulator.cases.add('demo', { case_type: 'village', name: 'V', external_id: 'HH-9' });
		seedHouseholds();
		const items = await importMembers(MEMBERS);
		const json = items.find((item) => item.json.notSent === true)!.json as NotSentRecordJson;
		expect(json.errors[0].message).toBe(
			"Parent not found for item 2: external ID 'HH-9' is a 'village' case, not a 'household' case",
		);
		expect(json.errors[0].description).toMatch(/If the parents are 'village' cases, put that type in 'parent_type'/);
	});

	test('every member refused: nothing is uploaded, and each comes out on its own', async () => {
		const items = await importMembers(MEMBERS);
		expect(items.map((item) => item.json.notSent)).toEqual([true, true, true, true]);
		expect(items.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3].map((item) => ({ item })));
		expect(uploadedRows()).toBe(0);
	});

	test('a dry run shows the member that would be left out, and sends nothing', async () => {
		seedHouseholds();
		const items = await importMembers(MEMBERS, { options: { dryRun: true } });
		const records = items.map((item) => item.json as DryRunRecordJson);
		expect(records.map((record) => [record.record.external_id, record.row, record.wouldUpload])).toEqual(
			expect.arrayContaining([
				['M-2', null, false],
				['M-1', 2, true],
				['M-3', 3, true],
				['M-4', 4, true],
			]),
		);
		expect(records).toHaveLength(4);
		expect(uploadedRows()).toBe(0);
	});

	test('a parent an earlier row of the same upload creates is not looked up', async () => {
		const rows: IDataObject[] = [
			{ external_id: 'M-10', name: 'Head' },
			{ external_id: 'M-11', name: 'Child', parent_external_id: 'M-10', parent_type: 'member' },
		];
		const items = await importMembers(rows);
		expect(items.map((item) => item.json.notSent)).toEqual([undefined, undefined]);
		expect(emulator.bulkFetches).toEqual([]);
	});
});

describe('what already stops the upload is said first', () => {
	test('members without a parent_type column: stopped with the fix named, no parent looked up', async () => {
		seedHouseholds();
		const untyped = MEMBERS.map(({ parent_type: _type, ...member }) => member);
		await expect(importMembers(untyped)).rejects.toThrow(/No 'parent_type' column/);
		expect(emulator.bulkFetches).toEqual([]);
		expect(uploadedRows()).toBe(0);
	});
});

describe('one output item per upload', () => {
	test('the upload stops, naming the rows, the items and the ids', async () => {
		seedHouseholds();
		await expect(importMembers(MEMBERS, { output: 'perUpload' })).rejects.toThrow(
			/not uploaded: Sheet row 3 \(item 2\) names a parent CommCare does not have: no case has external ID 'HH-9'/,
		);
		expect(uploadedRows()).toBe(0);
	});
});

describe('source Spreadsheet File', () => {
	async function importFile(rows: unknown[][], options: IDataObject = {}) {
		return await runNode({
			node: new CommCareBulkImport(),
			credentials: emulatorCredential(emulator),
			items: [binaryItem(await xlsxFile(rows), 'members.xlsx')],
			parameters: {
				projectSpace: byName(emulator.domain),
				caseType: byName('member'),
				searchField: 'external_id',
				options: { checkParents: true, ...options },
			},
		});
	}
	const header = ['external_id', 'name', 'parent_external_id', 'parent_type'];

	test('a row whose parent CommCare lacks stops the file, named by its sheet row', async () => {
		seedHouseholds();
		const rows = [header, ...MEMBERS.map((member) => header.map((column) => member[column]))];
		await expect(importFile(rows)).rejects.toThrow(
			/not uploaded: Sheet row 3 names a parent CommCare does not have: no case has external ID 'HH-9'/,
		);
		expect(uploadedRows()).toBe(0);
	});

	test('with every parent there, the file goes; with Skip Checks too, the parents are still checked', async () => {
		seedHouseholds();
		const rows = [header, ...[MEMBERS[0], MEMBERS[2]].map((member) => header.map((column) => member[column]))];
		const { outputs } = await importFile(rows);
		expect(outputs[0]).toHaveLength(1);
		expect(uploadedRows()).toBe(1);
		const bad = [header, ...MEMBERS.map((member) => header.map((column) => member[column]))];
		await expect(importFile(bad, { skipChecks: true })).rejects.toThrow(/no case has external ID 'HH-9'/);
		expect(uploadedRows()).toBe(1);
	});
});

describe('when CommCare will not answer the lookup', () => {
	const noApi = () => emulatorCredential({ ...emulator, username: 'noapi@example.org', apiKey: 'noapi-key' });

	test('by default the run stops and says what to grant', async () => {
		seedHouseholds();
		await expect(importMembers(MEMBERS, { credentials: noApi() })).rejects.toThrow(
			/CommCare refused the parent check \(HTTP 403\)/,
		);
		expect(uploadedRows()).toBe(0);
	});

	test('with "Upload Unchecked" it uploads everything, with a warning saying why', async () => {
		seedHouseholds();
		const items = await importMembers(MEMBERS, {
			credentials: noApi(),
			options: { parentCheckUnavailable: 'uploadUnchecked' },
		});
		expect(items).toHaveLength(4);
		const warning = (items[0].json as RecordResultJson).warnings?.find((w) => w.code === 'parentCheckUnavailable');
		expect(warning?.message).toBe('CommCare refused the parent check (HTTP 403)');
		expect(warning?.description).toMatch(/"Access APIs" permission.*Upload Unchecked/);
		expect(uploadedRows()).toBe(1);
	});
});
