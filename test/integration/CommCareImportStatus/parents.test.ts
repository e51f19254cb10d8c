/**
 * Parents and children through the real nodes, against the emulator: households imported with CommCare Bulk Import,
 * then their members (patients) naming each its household by `parent_external_id` and `parent_type`, then CommCare
 * Import Status with "Look Up Case IDs": every member carries its own case ID and its household's (`parent_case_id`,
 * read from the case's indices). A record Bulk Import did not send (`notSent`) goes to Error without any request.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { CommCareImportStatus } from '../../../nodes/CommCareImportStatus/CommCareImportStatus.node';
import type { CheckFinding, NotSentRecordJson, RecordOutcomeJson } from '../../../nodes/shared/outputContract';
import type { Emulator } from '../../../emulator';
import { byName } from '../../../examples/workflows';
import { emulatorCredential, useEmulator } from '../../support/emulator';
import { runNode } from '../../support/n8nContext';
import { bulkImportItems } from '../../support/nodeRuns';

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 0, runningPolls: 1 } });

const OUTPUTS = ['success', 'warning', 'error', 'notFinished'];

/** Bulk Import's per-record items for these records, imported as `caseType`, matched by external id. */
async function importRecords(caseType: string, records: IDataObject[]): Promise<INodeExecutionData[]> {
	return await bulkImportItems(emulator, records, { outputPerRecord: true }, { caseType: byName(caseType) });
}

/** Import Status's outcomes (Simplify off unless `simplify`), each with the output it came out on. */
async function checkRecords(
	items: INodeExecutionData[],
	{ typeVersion, simplify = false }: { typeVersion?: number; simplify?: boolean } = {},
) {
	const { outputs } = await runNode({
		node: new CommCareImportStatus(),
		credentials: emulatorCredential(emulator),
		items,
		typeVersion,
		parameters: { pollInterval: 0.05, timeout: 0.5, simplify, options: { caseLookupWait: 2 } },
	});
	return outputs.flatMap((list, output) =>
		list.map((item) => ({
			output: OUTPUTS[output],
			json: item.json as RecordOutcomeJson,
			item: (item.pairedItem as { item: number }).item,
		})),
	);
}

async function importHouseholds(externalIds: string[]): Promise<Map<string, string>> {
	const checked = await checkRecords(
		await importRecords(
			'household',
			externalIds.map((externalId) => ({ external_id: externalId, name: `Household ${externalId}` })),
		),
	);
	expect(checked.map(({ output }) => output)).toEqual(externalIds.map(() => 'success'));
	// The households' own lookup: their case ids, by external id (they name no parent, so no parent_case_id key).
	for (const { json } of checked) expect('parent_case_id' in json).toBe(false);
	return new Map(checked.map(({ json }) => [json.record.external_id as string, json.case_id as string]));
}

describe('parent_case_id with "Look Up Case IDs"', () => {
	test("every member carries its own case ID and its household's, in the full and the simplified outcome", async () => {
		const households = await importHouseholds(['HH-1', 'HH-2']);
		const members = [
			{ external_id: 'M-1', name: 'Ann', parent_external_id: 'HH-1', parent_type: 'household' },
			{ external_id: 'M-2', name: 'Ben', parent_external_id: 'HH-2', parent_type: 'household' },
			{ external_id: 'M-3', name: 'Cy', parent_external_id: 'HH-1', parent_type: 'household' },
		];
		const items = await importRecords('patient', members);
		const checked = await checkRecords(items);
		const stored = (externalId: string) => emulator.cases.all('demo').find((c) => c.external_id === externalId);
		expect(checked.map(({ output }) => output)).toEqual(['success', 'success', 'success']);
		for (const { json } of checked) {
			const member = json.record.external_id as string;
			expect(json.case_id).toBe(stored(member)?.case_id);
			expect(json.parent_case_id).toBe(households.get(json.record.parent_external_id as string));
			expect(json.parent_case_id).toBe(stored(member)?.indices.parent?.case_id);
			expect(json.case?.indices).toEqual({
				parent: { case_id: json.parent_case_id, case_type: 'household', relationship: 'child' },
			});
			const keys = Object.keys(json);
			expect(keys[keys.indexOf('case_id') + 1]).toBe('parent_case_id');
		}

		const simplified = await checkRecords(items, { simplify: true });
		for (const { json } of simplified) {
			expect(Object.keys(json).slice(0, 6)).toEqual([
				'outcome',
				'reason',
				'summary',
				'description',
				'case_id',
				'parent_case_id',
			]);
			expect(json.parent_case_id).toBe(households.get(json.record.parent_external_id as string));
		}
	});

	test('an extension named by parent_identifier `host` gives the host; a record naming no parent has no key', async () => {
		const households = await importHouseholds(['HH-7']);
		const checked = await checkRecords(
			await importRecords('patient', [
				{
					external_id: 'V-1',
					name: 'Visit',
					parent_external_id: 'HH-7',
					parent_type: 'household',
					parent_relationship_type: 'extension',
					parent_identifier: 'host',
				},
				{ external_id: 'V-2', name: 'Alone' },
			]),
			{ typeVersion: 1.1 },
		);
		expect(checked.map(({ output }) => output)).toEqual(['success', 'success']);
		const [visit, alone] = checked.map(({ json }) => json);
		expect(visit.parent_case_id).toBe(households.get('HH-7'));
		expect(visit.case?.indices).toEqual({
			host: { case_id: households.get('HH-7'), case_type: 'household', relationship: 'extension' },
		});
		expect(alone.case_id).toEqual(expect.any(String));
		expect('parent_case_id' in alone).toBe(false);
	});
});

describe('a record Bulk Import did not send (notSent)', () => {
	const finding: CheckFinding = {
		code: 'parentNotFound',
		message: "No household case has parent id 'HH-3' in CommCare",
		description: 'Import the household cases first, or correct the parent ids.',
		column: 'parent_external_id',
		items: [0],
	};
	const warning: CheckFinding = { code: 'blankNames', message: 'Item 1 has no name', items: [0] };
	const notSent: NotSentRecordJson = {
		notSent: true,
		row: null,
		record: { external_id: 'M-9', name: '', parent_external_id: 'HH-3', parent_type: 'household' },
		upload: { projectSpace: 'demo', caseType: 'patient', searchField: 'external_id', searchColumn: 'external_id' },
		errors: [finding],
		warnings: [warning],
	};

	test('version 1.2: Error, reason notSent, the finding as its summary, nothing asked of CommCare', async () => {
		const before = emulator.requests.length;
		const checked = await checkRecords([{ json: notSent }]);
		expect(checked).toEqual([
			{
				output: 'error',
				item: 0,
				json: {
					outcome: 'error',
					reason: 'notSent',
					summary: "Not sent: no household case has parent id 'HH-3' in CommCare",
					description: 'Import the household cases first, or correct the parent ids.',
					row: null,
					errors: [finding],
					warnings: [warning],
					record: notSent.record,
					status_url: null,
				},
			},
		]);
		expect(emulator.requests.slice(before)).toEqual([]);
		// Sent in again (round a loop), it stays what it is.
		const again = await checkRecords([{ json: checked[0].json }]);
		expect(again).toEqual(checked);
	});

	test('next to the records that were sent, each is routed on its own', async () => {
		await importHouseholds(['HH-1']);
		const sent = await importRecords('patient', [
			{ external_id: 'M-1', name: 'Ann', parent_external_id: 'HH-1', parent_type: 'household' },
		]);
		const checked = await checkRecords([...sent, { json: notSent }], { simplify: true });
		expect(checked.map(({ output, json, item }) => [item, output, json.reason])).toEqual([
			[0, 'success', 'imported'],
			[1, 'error', 'notSent'],
		]);
	});

	test('version 1.1: as any item without a status URL (Error, noStatusUrl)', async () => {
		const before = emulator.requests.length;
		const checked = await checkRecords([{ json: notSent }], { typeVersion: 1.1 });
		const withoutUrl = await checkRecords([{ json: { row: null, record: notSent.record } }], { typeVersion: 1.1 });
		expect(checked.map(({ output, json }) => [output, json.reason])).toEqual([['error', 'noStatusUrl']]);
		const { upload, ...outcome } = checked[0].json;
		const { upload: _other, ...outcomeWithoutUrl } = withoutUrl[0].json;
		expect(upload).toEqual(notSent);
		expect(outcome).toEqual(outcomeWithoutUrl);
		expect(emulator.requests.slice(before)).toEqual([]);
	});
});
