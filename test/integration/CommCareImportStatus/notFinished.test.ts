/**
 * Not Finished (version 1.2) against the emulator: an import still queued at the deadline (Timeout 0 checks once) is
 * not a failure. Its items go to the fourth output, saying so in one line, and an item sent back in later (directly,
 * or through a Wait node, which stores the items as JSON) is checked again exactly as the Bulk Import item it stands
 * for: upload or record, simplified or not, with the record's warnings and its upload's row count.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { Emulator } from '../../../emulator';
import { useEmulator } from '../../support/emulator';
import { bulkImportItems, importStatusOutputs } from '../../support/nodeRuns';

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 1, runningPolls: 0 } });

const bulkImport = (records: IDataObject[], options: IDataObject = {}) => bulkImportItems(emulator, records, options);

const importStatus = (items: INodeExecutionData[], parameters: IDataObject = {}) =>
	importStatusOutputs(emulator, items, parameters);

/** What a Wait node hands on: the items as n8n stored them while waiting (JSON). */
const throughWait = (items: INodeExecutionData[]) => JSON.parse(JSON.stringify(items)) as INodeExecutionData[];

/** The figures of the polling itself, which differ between two checks of the same import. */
function withoutPollFigures(json: IDataObject): IDataObject {
	const copy = JSON.parse(JSON.stringify(json)) as IDataObject;
	for (const holder of [copy, copy.import as IDataObject | undefined]) {
		if (!holder) continue;
		delete holder.polls;
		delete holder.waitedSeconds;
	}
	return copy;
}

const comparable = (outputs: INodeExecutionData[][]) =>
	outputs.map((output) => output.map((item) => ({ json: withoutPollFigures(item.json), pairedItem: item.pairedItem })));

const RECORDS = [
	{ external_id: 'ANC-1', name: 'Amina', owner_id: 'owner-chw-1' },
	// CommCare looks this id up as 42: a change Bulk Import warns of, which must survive the loop.
	{ external_id: '00042', name: 'Zero', owner_id: 'owner-chw-1' },
	{ external_id: 'ANC-3', name: 'Bad owner', owner_id: 'nobody' },
];

describe.each([
	['simplified', {}],
	['Simplify off', { simplify: false }],
])('Not Finished, %s', (_label, shape) => {
	it('records of an import still queued: one Not Finished item each, saying so once, nothing on Error', async () => {
		const records = await bulkImport(RECORDS, { outputPerRecord: true });
		const [success, warning, error, notFinished] = await importStatus(records, { ...shape, timeout: 0 });
		expect([success, warning, error]).toEqual([[], [], []]);
		expect(notFinished.map((item) => item.json)).toEqual(
			[2, 3, 4].map((row) =>
				expect.objectContaining({
					outcome: 'notFinished',
					reason: 'notFinished',
					summary: `Sheet row ${row} not finished yet: queued in CommCare (checked once)`,
					description: expect.stringMatching(/^It may still finish: do not send these rows again yet\. /),
					errors: [],
				}),
			),
		);
		expect(notFinished.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	});

	it.each([
		['sent straight back in', (items: INodeExecutionData[]) => items],
		['sent back through a Wait node', throughWait],
	])('records %s are checked again exactly as the Bulk Import records', async (_how, loop) => {
		const records = await bulkImport(RECORDS, { outputPerRecord: true });
		const first = await importStatus(records, { ...shape, timeout: 0 });
		expect(first[3]).toHaveLength(3);
		const again = await importStatus(loop(first[3]), shape);
		const direct = await importStatus(records, shape);
		expect(comparable(again)).toEqual(comparable(direct));
		// And what that is: each record on its own output, the changed id on Warning with its warning kept.
		expect(again.map((output) => output.map((item) => [item.json.row, item.json.reason]))).toEqual([
			[[2, 'imported']],
			[
				[3, 'importedWithChanges'],
				[4, 'rowErrors'],
			],
			[],
			[],
		]);
		expect(again[1][0].json.warnings).toEqual([expect.objectContaining({ code: 'searchIdsChangedByServer' })]);
		expect(emulator.uploads).toHaveLength(1);
	});

	it('an upload sent back through a Wait node is checked again exactly as the Bulk Import upload', async () => {
		const uploads = await bulkImport(RECORDS, {});
		const first = await importStatus(uploads, { ...shape, timeout: 0 });
		expect(first[3].map((item) => item.json)).toEqual([
			expect.objectContaining({
				outcome: 'notFinished',
				summary: 'Not finished yet: queued in CommCare (checked once)',
				upload: uploads[0].json,
			}),
		]);
		const again = await importStatus(throughWait(first[3]), shape);
		const direct = await importStatus(uploads, shape);
		expect(comparable(again)).toEqual(comparable(direct));
		expect(again[1].map((item) => item.json.reason)).toEqual(['rowErrors']);
	});
});
