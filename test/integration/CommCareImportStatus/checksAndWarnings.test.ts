/**
 * What reaches Import Status from CommCare Bulk Import besides an upload, against the emulator (a node added today,
 * version 1.2; what older versions keep: test/integration/versions/):
 * - a dry run ("Check Only, Don't Upload"): checks, never failures: reason checkOnly, always Warning (never Error,
 *   nor Success, which means the case is in CommCare), nothing requested;
 * - the checks' warnings of a record travel with it (`warnings`, simplified too), and a record CommCare stores other
 *   than written (a code in CHANGES_STORED_DATA) reaches Warning, importedWithChanges, not Success;
 * - the keys in reading order, and nothing in the full shape that reads like the record's own outcome.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { CheckFinding, DryRunRecordJson, RecordResultJson } from '../../../nodes/shared/outputContract';
import type { Emulator } from '../../../emulator';
import { useEmulator } from '../../support/emulator';
import { bulkImportItems, importStatusOutputs } from '../../support/nodeRuns';

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 0, runningPolls: 1 } });

const bulkImport = (records: IDataObject[], options: IDataObject = {}) => bulkImportItems(emulator, records, options);

async function importStatus(items: INodeExecutionData[], parameters: IDataObject = {}) {
	const outputs = await importStatusOutputs(emulator, items, parameters);
	expect(outputs).toHaveLength(4);
	const [success, warning, error, notFinished] = outputs.map((output) => output.map((item) => item.json));
	return { success, warning, error, notFinished, outputs };
}

const statusRequests = () => emulator.requests.filter((request) => request.path.endsWith('/status'));

const REGISTRATIONS = [
	{ external_id: 'ANC-1', name: 'Amina', owner_id: 'owner-chw-1' },
	{ external_id: 'ANC-2', name: 'Grace', owner_id: 'owner-chw-2' },
];

describe('a dry run reaches Import Status as checks, not failures', () => {
	it('clean data: Warning all the same (never Success: nothing is in CommCare), reason checkOnly, saying nothing was uploaded; nothing requested', async () => {
		const dryRun = await bulkImport(REGISTRATIONS, { dryRun: true });
		const { success, warning, error, notFinished } = await importStatus(dryRun);
		expect([success, error, notFinished]).toEqual([[], [], []]);
		expect(warning).toEqual([
			{
				outcome: 'warning',
				reason: 'checkOnly',
				summary: 'Check only, nothing uploaded: 2 sheet rows for patient cases passed the checks',
				description: `Nothing is in CommCare yet. Turn off "Check Only, Don't Upload" in CommCare Bulk Import to upload.`,
				created_count: null,
				match_count: null,
				skipped_count: null,
				errors: [],
				warnings: [],
				upload: dryRun[0].json,
				status_url: null,
			},
		]);
		expect(emulator.requests).toHaveLength(0);
	});

	it('what the checks found: Warning with the findings, never Error, whether it would be sent or not', async () => {
		const changed = await bulkImport(
			[...REGISTRATIONS, { external_id: '00042', name: 'Zero', owner_id: 'owner-chw-1' }],
			{
				dryRun: true,
			},
		);
		const [would] = (await importStatus(changed)).warning;
		expect(would).toMatchObject({
			outcome: 'warning',
			reason: 'checkOnly',
			summary: 'Check only, nothing uploaded: its 3 sheet rows would be sent, with 1 warning',
			errors: [],
			warnings: [expect.objectContaining({ code: 'searchIdsChangedByServer' })],
		});

		const refused = await bulkImport(
			[...REGISTRATIONS, { external_id: 'ANC-3', name: 'Nested', owner_id: { id: 1 } }],
			{
				dryRun: true,
			},
		);
		expect(refused[0].json).toMatchObject({ dryRun: true, wouldUpload: false });
		const { warning, error } = await importStatus(refused, { simplify: false });
		expect(error).toEqual([]);
		expect(warning).toEqual([
			expect.objectContaining({
				outcome: 'warning',
				reason: 'checkOnly',
				summary: expect.stringMatching(
					/^Check only, nothing uploaded: its 3 sheet rows would not be sent \(\d+ errors?/,
				),
				errors: (refused[0].json.errors as CheckFinding[]).map((finding) => expect.objectContaining(finding)),
				polls: 0,
				timedOut: false,
			}),
		]);
		expect(statusRequests()).toHaveLength(0);
	});

	it('per record, each dry run record is its own check: its sheet row, and what was found for it', async () => {
		const [dryUpload] = await bulkImport(REGISTRATIONS, { dryRun: true });
		const { errors: _errors, warnings: _warnings, ...upload } = dryUpload.json;
		const blankName: CheckFinding = {
			code: 'blankNames',
			message: "Sheet row 3 (item 2) has no 'name'",
			column: 'name',
			rows: [3],
			items: [1],
		};
		// The per-record dry run's items (DryRunRecordJson in the output contract), as Bulk Import gives them.
		const records: DryRunRecordJson[] = [
			{
				dryRun: true,
				wouldUpload: true,
				checked: true,
				row: 2,
				record: REGISTRATIONS[0],
				upload,
				errors: [],
				warnings: [],
			},
			{
				dryRun: true,
				wouldUpload: true,
				checked: true,
				row: 3,
				record: { ...REGISTRATIONS[1], name: '' },
				upload,
				errors: [],
				warnings: [blankName],
			},
		];
		const items = records.map((json, item) => ({ json, pairedItem: { item } }));
		const { success, warning, error, outputs } = await importStatus(items);
		expect([success, error]).toEqual([[], []]);
		expect(warning).toEqual([
			{
				outcome: 'warning',
				reason: 'checkOnly',
				summary: 'Check only, nothing uploaded: sheet row 2 passed the checks',
				description: `Nothing is in CommCare yet. Turn off "Check Only, Don't Upload" in CommCare Bulk Import to upload.`,
				row: 2,
				errors: [],
				warnings: [],
				record: REGISTRATIONS[0],
				status_url: null,
			},
			expect.objectContaining({
				outcome: 'warning',
				reason: 'checkOnly',
				summary: 'Check only, nothing uploaded: sheet row 3 would be sent, with 1 warning',
				warnings: [blankName],
			}),
		]);
		expect(outputs.flat().map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(emulator.requests).toHaveLength(0);

		// Sent in again (from Warning, say), a check-only item stays what it is.
		const again = await importStatus([{ json: warning[1] }]);
		expect(again.warning).toEqual([warning[1]]);
	});
});

describe('the checks’ warnings travel with each record', () => {
	it('a record CommCare stores changed reaches Warning (importedWithChanges) with its case ID and the warning', async () => {
		const records = await bulkImport(
			[...REGISTRATIONS, { external_id: '00042', name: 'Zero', owner_id: 'owner-chw-1' }],
			{
				outputPerRecord: true,
			},
		);
		const warned = (records[2].json as RecordResultJson).warnings;
		expect(warned).toEqual([expect.objectContaining({ code: 'searchIdsChangedByServer', items: [2] })]);
		const { success, warning, error } = await importStatus(records);
		expect(error).toEqual([]);
		const zero = emulator.cases.all().find((stored) => stored.external_id === '00042');
		expect(warning).toEqual([
			{
				outcome: 'warning',
				reason: 'importedWithChanges',
				summary: "Sheet row 4 imported with a change: its ID '00042' is looked up as '42'",
				description: 'CommCare stored the row, but not as it is written: warnings say what changed and what to do.',
				case_id: zero?.case_id,
				row: 4,
				errors: [],
				warnings: warned,
				record: { external_id: '00042', name: 'Zero', owner_id: 'owner-chw-1' },
				status_url: records[2].json.status_url,
			},
		]);
		expect(success.map((json) => [json.row, json.reason, json.warnings])).toEqual([
			[2, 'imported', []],
			[3, 'imported', []],
		]);
	});

	it('Simplify off: the same warnings, and an import that carries no outcome or reason of its own', async () => {
		const records = await bulkImport([{ external_id: '00043', name: 'Zero', owner_id: 'owner-chw-1' }], {
			outputPerRecord: true,
		});
		const [changed] = (await importStatus(records, { simplify: false })).warning;
		expect(changed).toMatchObject({
			reason: 'importedWithChanges',
			warnings: (records[0].json as RecordResultJson).warnings,
			caseLookup: expect.objectContaining({ result: 'found', action: 'created' }),
		});
		expect(changed.import).toEqual({
			summary: '1 patient case created, 0 updated',
			created_count: 1,
			match_count: 0,
			skipped_count: 0,
			status_url: records[0].json.status_url,
			state: 2,
			percent: 100,
			num_chunks: 1,
			timedOut: false,
			polls: expect.any(Number),
			waitedSeconds: expect.any(Number),
		});
	});
});

describe('reading order', () => {
	it('a record: verdict, what to do, its case and row, then its data, the status URL last', async () => {
		const records = await bulkImport(REGISTRATIONS, { outputPerRecord: true });
		const { success } = await importStatus(records);
		for (const json of success) {
			expect(Object.keys(json)).toEqual([
				'outcome',
				'reason',
				'summary',
				'description',
				'case_id',
				'row',
				'errors',
				'warnings',
				'record',
				'status_url',
			]);
		}
	});

	it('an upload: verdict, what to do, the counts, then the upload, the status URL last', async () => {
		const uploads = await bulkImport(REGISTRATIONS);
		const [json] = (await importStatus(uploads)).success;
		expect(Object.keys(json)).toEqual([
			'outcome',
			'reason',
			'summary',
			'description',
			'created_count',
			'match_count',
			'skipped_count',
			'errors',
			'warnings',
			'upload',
			'status_url',
		]);
		expect(json.summary).toBe('2 patient cases created, 0 updated');
	});
});
