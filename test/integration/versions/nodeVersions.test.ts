/**
 * What a node added today does, next to what a saved one keeps doing (n8n's light versioning), against the emulator.
 * The other suites run the default versions; what only an older version does is tested here:
 * - Bulk Import 1.2 matches by External ID and creates the rows that match no case ("Rows That Match No Case"),
 *   where 1.1 left with its defaults matches by case ID and creates nothing, and creates only with "Create New Cases";
 * - Bulk Import 1 takes Project Space and Case Type as plain strings (1.1 made them resource locators);
 * - Bulk Import 1.3 outputs one item per record for Input Items unless "Output" says per upload, its dry run too,
 *   where 1.2 outputs one per upload unless the option "Output One Item per Record" is on, and its dry run stays
 *   one item per upload;
 * - Import Status 1.1 gives the simplified outcome ("Simplify", on), where 1 and 1.1 with Simplify off give the
 *   full one; a record's own outcome is the only `outcome` in its item.
 * - Import Status 1.2 (a node added today) has a fourth output, Not Finished, routes a dry run as checks and a record
 *   CommCare stores changed to Warning; 1 and 1.1 keep three outputs, an unfinished import on Error (timedOut), a dry
 *   run on Error (noStatusUrl), such a record on Success, and their words.
 */
import type { IDataObject, INodeExecutionData, INodeListSearchResult } from 'n8n-workflow';

import { CommCareBulkImport } from '../../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { CommCareImportStatus } from '../../../nodes/CommCareImportStatus/CommCareImportStatus.node';
import { DEFAULT_VERSION as STATUS_DEFAULT_VERSION } from '../../../nodes/CommCareImportStatus/versions';
import { type Emulator } from '../../../emulator';
import { emulatorCredential, useEmulator } from '../../support/emulator';
import { createLoadOptionsContext, runNode } from '../../support/n8nContext';

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 0, runningPolls: 0 } });

const credentials = () => emulatorCredential(emulator);

const byName = (value: string) => ({ __rl: true, mode: 'name', value });

/** Bulk Import, source "Input Items", with only Project Space and Case Type set: a node as a person adds it. */
async function importItems(
	typeVersion: number,
	records: IDataObject[],
	parameters: Record<string, unknown> = {},
	options: IDataObject = { outputPerRecord: true },
) {
	const { outputs } = await runNode({
		node: new CommCareBulkImport(),
		typeVersion,
		credentials: credentials(),
		items: records.map((json) => ({ json })),
		parameters: {
			projectSpace: typeVersion === 1 ? emulator.domain : byName(emulator.domain),
			caseType: typeVersion === 1 ? 'patient' : byName('patient'),
			source: 'items',
			options,
			...parameters,
		},
	});
	return outputs[0];
}

async function checkStatus(typeVersion: number, items: INodeExecutionData[], parameters: Record<string, unknown> = {}) {
	const { outputs } = await runNode({
		node: new CommCareImportStatus(),
		typeVersion,
		credentials: credentials(),
		items,
		parameters: { pollInterval: 0.05, timeout: 0.2, options: { caseLookupWait: 2 }, ...parameters },
	});
	return outputs.map((output) => output.map((item) => item.json));
}

/** A new registration, and one whose external ID is not filled in yet. */
const REGISTRATIONS = [
	{ external_id: 'ANC-1', name: 'Amina', owner_id: 'owner-chw-1' },
	{ external_id: '', name: 'No id yet', owner_id: 'owner-chw-1' },
];

describe('Bulk Import: a new node (1.2) cannot skip new registrations silently', () => {
	it('defaults to matching by External ID and creating the rows that match no case', async () => {
		await importItems(1.2, [REGISTRATIONS[0]]);
		expect(emulator.uploads).toHaveLength(1);
		expect(emulator.uploads[0].fields).toMatchObject({
			search_field: 'external_id',
			search_column: 'external_id',
			create_new_cases: 'on',
		});
	});

	it('"Rows That Match No Case: Skip" sends no create_new_cases', async () => {
		await importItems(1.2, [REGISTRATIONS[0]], { unmatchedRows: 'skip' });
		expect(emulator.uploads[0].fields).toMatchObject({ search_field: 'external_id' });
		expect(emulator.uploads[0].fields).not.toHaveProperty('create_new_cases');
	});

	it('a saved 1.1 node with its defaults keeps matching by case ID without creating', async () => {
		await importItems(1.1, [{ case_id: 'c0ffee-1', name: 'Amina' }]);
		expect(emulator.uploads[0].fields).toMatchObject({ search_field: 'case_id', search_column: 'case_id' });
		expect(emulator.uploads[0].fields).not.toHaveProperty('create_new_cases');
	});

	it('a 1.1 node ignores a stray "Rows That Match No Case", as n8n does for a parameter its version lacks', async () => {
		await importItems(1.1, [{ case_id: 'c0ffee-1', name: 'Amina' }], { unmatchedRows: 'create' });
		expect(emulator.uploads[0].fields).not.toHaveProperty('create_new_cases');
	});

	it('a 1.2 node ignores a stray "Create New Cases" the same way', async () => {
		await importItems(1.2, [REGISTRATIONS[0]], { createNewCases: false });
		expect(emulator.uploads[0].fields).toMatchObject({ create_new_cases: 'on' });
	});
});

describe('Bulk Import 1.1: the "Create New Cases" switch', () => {
	it('on: sends create_new_cases, and a row with a blank case ID becomes a new case', async () => {
		await importItems(1.1, [{ case_id: '', name: 'Amina' }], { createNewCases: true });
		expect(emulator.uploads[0].fields).toMatchObject({ search_field: 'case_id', create_new_cases: 'on' });
		expect(emulator.cases.byType(emulator.domain, 'patient').map((stored) => stored.name)).toEqual(['Amina']);
	});

	it('off: updates the case a row matches, and sends no create_new_cases', async () => {
		const existing = emulator.cases.add(emulator.domain, { case_type: 'patient', name: 'Old name' });
		await importItems(1.1, [{ case_id: existing.case_id, name: 'New name' }], { createNewCases: false });
		expect(emulator.uploads[0].fields).not.toHaveProperty('create_new_cases');
		expect(emulator.cases.byType(emulator.domain, 'patient').map((stored) => stored.name)).toEqual(['New name']);
	});
});

describe('Bulk Import 1: Project Space and Case Type are plain strings', () => {
	it('imports into the project space and case type typed as text', async () => {
		const [uploaded] = await importItems(1, [{ case_id: '', name: 'Amina' }], { createNewCases: true }, {});
		expect(emulator.uploads[0].fields).toMatchObject({ case_type: 'patient', create_new_cases: 'on' });
		expect(uploaded.json).toMatchObject({ projectSpace: emulator.domain, caseType: 'patient' });
		expect(emulator.cases.byType(emulator.domain, 'patient')).toHaveLength(1);
	});

	it('the Case Type list works from a plain-string project space too, and filters', async () => {
		const node = new CommCareBulkImport();
		const { context } = createLoadOptionsContext({
			node,
			typeVersion: 1,
			parameters: { projectSpace: emulator.domain },
			credentials: credentials(),
		});
		const search = node.methods.listSearch.searchCaseTypes as (
			this: typeof context,
			filter?: string,
		) => Promise<INodeListSearchResult>;
		const { results } = await search.call(context, 'HOUSE');
		expect(results).toEqual([{ name: 'household', value: 'household' }]);
	});
});

describe('Bulk Import 1.3: "Output" for Input Items, one item per record by default', () => {
	const dryRun = { dryRun: true };

	it('a new node outputs one item per record, and "One Item per Upload" one per upload', async () => {
		const records = await importItems(1.3, REGISTRATIONS, {}, {});
		expect(records.map((item) => [item.json.row, item.pairedItem])).toEqual([
			[2, { item: 0 }],
			[3, { item: 1 }],
		]);
		const uploads = await importItems(1.3, REGISTRATIONS, { output: 'perUpload' }, {});
		expect(uploads).toHaveLength(1);
		expect(uploads[0].json).toMatchObject({ rowCount: 2, uploadCount: 1 });
	});

	it('1.3 does not read the option "Output One Item per Record"; 1.2 does not read "Output"', async () => {
		const ignoredOption = await importItems(1.3, REGISTRATIONS, { output: 'perUpload' }, { outputPerRecord: true });
		expect(ignoredOption).toHaveLength(1);
		const ignoredOff = await importItems(1.3, REGISTRATIONS, {}, { outputPerRecord: false });
		expect(ignoredOff).toHaveLength(2);
		const saved = await importItems(1.2, REGISTRATIONS, { output: 'perRecord' }, {});
		expect(saved).toHaveLength(1);
		const savedPerRecord = await importItems(1.2, REGISTRATIONS, { output: 'perUpload' }, { outputPerRecord: true });
		expect(savedPerRecord).toHaveLength(2);
	});

	it('the dry run follows "Output" in 1.3, and stays one item per upload in 1.2 whatever the option says', async () => {
		const records = await importItems(1.3, REGISTRATIONS, {}, dryRun);
		expect(records.map((item) => item.json)).toEqual([
			expect.objectContaining({ dryRun: true, row: 2, record: REGISTRATIONS[0], wouldUpload: true, errors: [] }),
			expect.objectContaining({ dryRun: true, row: 3, record: REGISTRATIONS[1], wouldUpload: true }),
		]);
		expect((records[1].json.warnings as IDataObject[]).map((warning) => warning.code)).toEqual(['blankExternalIds']);
		const saved = await importItems(1.2, REGISTRATIONS, {}, { ...dryRun, outputPerRecord: true });
		expect(saved).toHaveLength(1);
		expect(saved[0].json).toMatchObject({ dryRun: true, rowCount: 2, firstItem: 0, lastItem: 1 });
		expect(saved[0].json).not.toHaveProperty('row');
		expect(saved[0].pairedItem).toEqual([{ item: 0 }, { item: 1 }]);
		expect(emulator.uploads).toHaveLength(0);
	});
});

describe('Import Status: a new node (1.1) gives the simplified outcome', () => {
	it('per record: outcome, reason, summary, row, record, case ID and errors, nothing that contradicts them', async () => {
		const records = await importItems(1.2, REGISTRATIONS);
		const [success, warning, error] = await checkStatus(1.1, records);
		expect(error).toEqual([]);
		const caseId = emulator.cases.all().find((stored) => stored.external_id === 'ANC-1')?.case_id;
		expect(success).toEqual([
			{
				outcome: 'success',
				reason: 'imported',
				summary: `Row 2 imported: case ${caseId} created`,
				status_url: records[0].json.status_url,
				row: 2,
				record: REGISTRATIONS[0],
				case_id: caseId,
				errors: [],
			},
		]);
		// CommCare reports "Blank External ID" without a column; the record names the ID column it is about.
		expect(warning).toEqual([
			{
				outcome: 'warning',
				reason: 'rowErrors',
				summary: 'Row 3 not imported: Blank External ID',
				status_url: records[1].json.status_url,
				row: 3,
				record: REGISTRATIONS[1],
				case_id: null,
				errors: [
					expect.objectContaining({
						title: 'Blank External ID',
						column: 'external_id',
						description: expect.any(String),
					}),
				],
			},
		]);
	});

	it('per upload: the counts and the upload stay, the polling figures go', async () => {
		const uploads = await importItems(1.2, REGISTRATIONS, {}, {});
		const [success, warning, error] = await checkStatus(1.1, uploads);
		expect(success).toEqual([]);
		expect(error).toEqual([]);
		expect(warning).toEqual([
			{
				outcome: 'warning',
				reason: 'rowErrors',
				summary: 'Import finished: 1 case created, 0 updated, 1 row not imported (Blank External ID: row 3)',
				status_url: uploads[0].json.status_url,
				created_count: 1,
				match_count: 0,
				skipped_count: 0,
				errors: [expect.objectContaining({ title: 'Blank External ID', column: 'external_id', rows: [3] })],
				upload: uploads[0].json,
			},
		]);
	});

	it('an import not finished yet: one Error item per record that says so, and can be checked again', async () => {
		emulator.setTimeline({ queuedPolls: 100_000, runningPolls: 1 });
		const records = await importItems(1.2, [REGISTRATIONS[0]]);
		const [, , error] = await checkStatus(1.1, records, { timeout: 0 });
		expect(error).toEqual([
			expect.objectContaining({ outcome: 'error', reason: 'timedOut', row: 2, record: REGISTRATIONS[0] }),
		]);
		expect(error[0].summary).toMatch(
			/^Row 2 not finished yet \(still queued after [\d.]+ s, 1 poll\) — it may still finish; do not send these rows again yet/,
		);
		expect(Object.keys(error[0])).not.toContain('import');

		// Sent round a Wait loop, the simplified item is checked again as its record.
		const [, , again] = await checkStatus(1.1, [{ json: error[0] }], { timeout: 0 });
		expect(again).toEqual([
			expect.objectContaining({ outcome: 'error', reason: 'timedOut', row: 2, record: REGISTRATIONS[0] }),
		]);
		expect(emulator.uploads).toHaveLength(1);
	});

	it('Simplify off, and a saved version-1 node, give the full outcome, the same for both', async () => {
		const records = await importItems(1.2, [REGISTRATIONS[0]]);
		const [full] = await checkStatus(1.1, records, { simplify: false });
		const [saved] = await checkStatus(1, records);
		const stable = (json: IDataObject) => ({ ...json, import: { ...(json.import as IDataObject), waitedSeconds: 0 } });
		expect(full.map(stable)).toEqual(saved.map(stable));
		expect(full[0]).toMatchObject({
			outcome: 'success',
			import: expect.objectContaining({ outcome: 'success', state: 2, polls: expect.any(Number) }),
			case: expect.objectContaining({ external_id: 'ANC-1' }),
			caseLookup: expect.objectContaining({ result: 'found', action: 'created' }),
		});
	});

	it('a version-1 node ignores a stray "Simplify", as n8n does for a parameter its version lacks', async () => {
		const records = await importItems(1.2, [REGISTRATIONS[0]]);
		const [saved] = await checkStatus(1, records, { simplify: true });
		expect(saved[0]).toMatchObject({
			outcome: 'success',
			import: expect.objectContaining({ outcome: 'success', state: 2 }),
			caseLookup: expect.objectContaining({ result: 'found', action: 'created' }),
		});
	});
});

describe('Import Status: a new node (1.2) tells "not finished" and "check only" from "failed"', () => {
	it('is the version a node added today gets', () => {
		expect(STATUS_DEFAULT_VERSION).toBe(1.2);
		expect(new CommCareImportStatus().description.defaultVersion).toBe(1.2);
	});

	it('an import not finished yet goes to the fourth output, Not Finished', async () => {
		emulator.setTimeline({ queuedPolls: 100_000, runningPolls: 1 });
		const records = await importItems(1.2, [REGISTRATIONS[0]]);
		const outputs = await checkStatus(1.2, records, { timeout: 0 });
		expect(outputs.map((output) => output.map((json) => json.reason))).toEqual([[], [], [], ['notFinished']]);
	});
});

describe('Import Status 1.1 and 1 keep three outputs and their outcomes', () => {
	it.each([1, 1.1])(
		'%s: an import not finished yet is on Error (timedOut), and there is no fourth output',
		async (version) => {
			emulator.setTimeline({ queuedPolls: 100_000, runningPolls: 1 });
			const records = await importItems(1.2, [REGISTRATIONS[0]]);
			const outputs = await checkStatus(version, records, { timeout: 0 });
			expect(outputs).toHaveLength(3);
			expect(outputs[2]).toEqual([expect.objectContaining({ outcome: 'error', reason: 'timedOut' })]);
			// Its words too: the long sentence, and the whole-import error repeated in errors.
			expect(outputs[2][0].summary).toMatch(/^Row 2 not finished yet \(still queued after [\d.]+ s, 1 poll\) — /);
			expect(outputs[2][0].errors).toEqual([
				expect.objectContaining({
					title: 'Import not completed',
					description: expect.stringMatching(/^Not finished yet/),
				}),
			]);
			expect(outputs[2][0]).not.toHaveProperty('description');
		},
	);

	it.each([1, 1.1])(
		'%s: a dry run is on Error, the upload failed upstream (noStatusUrl), as before',
		async (version) => {
			const dryRun = await importItems(1.2, REGISTRATIONS.slice(0, 1), {}, { dryRun: true });
			expect(dryRun[0].json).toMatchObject({ dryRun: true });
			const [success, warning, error] = await checkStatus(version, dryRun);
			expect([success, warning]).toEqual([[], []]);
			expect(error).toEqual([expect.objectContaining({ outcome: 'error', reason: 'noStatusUrl' })]);
			expect(error[0].summary).toMatch(
				/^No status URL on this item, so there is no import to check: the upload failed upstream/,
			);
		},
	);

	it.each([1, 1.1])(
		'%s: a record CommCare stores changed is on Success, without the warnings 1.2 carries',
		async (version) => {
			const records = await importItems(1.2, [{ external_id: '00042', name: 'Zero', owner_id: 'owner-chw-1' }]);
			expect(records[0].json.warnings).toEqual([expect.objectContaining({ code: 'searchIdsChangedByServer' })]);
			const [success] = await checkStatus(version, records);
			expect(success).toEqual([expect.objectContaining({ outcome: 'success', reason: 'imported', row: 2 })]);
			expect(success[0]).not.toHaveProperty('warnings');
			expect(success[0].summary).toMatch(/^Row 2 imported: case [0-9a-f]{32} created$/);
		},
	);

	it('1.1: the simplified keys in the reading order 1.2 uses, without what 1.2 added', async () => {
		const records = await importItems(1.2, [REGISTRATIONS[0]]);
		const [success] = await checkStatus(1.1, records);
		expect(Object.keys(success[0])).toEqual([
			'outcome',
			'reason',
			'summary',
			'case_id',
			'row',
			'errors',
			'record',
			'status_url',
		]);
		const uploads = await importItems(1.2, [{ ...REGISTRATIONS[0], external_id: 'ANC-9' }], {}, {});
		const [uploaded] = await checkStatus(1.1, uploads);
		expect(Object.keys(uploaded[0])).toEqual([
			'outcome',
			'reason',
			'summary',
			'created_count',
			'match_count',
			'skipped_count',
			'errors',
			'upload',
			'status_url',
		]);
		expect(uploaded[0].summary).toBe('Import finished: 1 case created, 0 updated.');
	});
});
