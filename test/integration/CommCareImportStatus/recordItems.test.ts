/**
 * Per-record mode against the emulator: input items are records (`row`, `record`, `status_url`, `upload`) as
 * CommCare Bulk Import emits them; each must come out on exactly one output, linked to its input item, with its
 * own row's errors. Randomised inputs and randomised bad owners (fast-check), real row errors from the emulator.
 */
import fc from 'fast-check';
import type { INodeExecutionData } from 'n8n-workflow';

import { CommCareImportStatus } from '../../../nodes/CommCareImportStatus/CommCareImportStatus.node';
import type { RecordOutcomeJson, RecordResultJson } from '../../../nodes/shared/outputContract';
import { ERROR_TEXT, type Emulator } from '../../../emulator';
import {
	emulatorCredential,
	recordResultItems,
	uploadToEmulator,
	type SheetRow,
	useEmulator,
} from '../../support/emulator';
import { runNode } from '../../support/n8nContext';
import { CREATION_OFF, TURN_CREATION_ON } from '../../../nodes/shared/wording';

const node = new CommCareImportStatus();
/** Simplify off: the assertions read the full outcome, which Simplify, on by default, leaves out. */
const FAST = { pollInterval: 0.05, timeout: 1, simplify: false };
const VALID_OWNERS = ['owner-chw-1', 'owner-chw-2', 'group-district-a'];

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 0, runningPolls: 1 } });

const credentials = () => emulatorCredential(emulator);

/** Output items with the input item each one is paired with. */
function pairUp(outputs: INodeExecutionData[][], inputs: INodeExecutionData[]) {
	return outputs.flatMap((items, output) =>
		items.map((item) => {
			const index = (item.pairedItem as { item: number }).item;
			return {
				output: ['success', 'warning', 'error', 'notFinished'][output],
				json: item.json as RecordOutcomeJson,
				input: inputs[index].json as RecordResultJson,
				index,
			};
		}),
	);
}

function expectEveryRecordOnce(outputs: INodeExecutionData[][], inputs: INodeExecutionData[]) {
	const paired = pairUp(outputs, inputs);
	expect(paired.map((p) => p.index).sort((a, b) => a - b)).toEqual(inputs.map((_, i) => i));
	for (const { output, json, input } of paired) {
		expect(json.outcome).toBe(output);
		expect(json.row).toBe(input.row);
		expect(json.record).toEqual(input.record);
		expect(json.status_url).toBe(input.status_url);
		expect(Object.keys(json)).not.toContain('error');
	}
	return paired;
}

describe('per-record results', () => {
	it('routes every record of several imports on its own, for random records and random bad owners', async () => {
		const record = fc.record({
			name: fc.oneof(fc.stringMatching(/^[A-Z][a-z]{1,8}$/), fc.constant('')),
			owner_id: fc.oneof(fc.constantFrom(...VALID_OWNERS, ''), fc.stringMatching(/^[a-z]{3,8}-(bad|x)[0-9]?$/)),
		});
		await fc.assert(
			fc.asyncProperty(
				fc.array(fc.array(record, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 3 }),
				fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
				async (uploadsRows, shuffleKeys) => {
					emulator.reset();
					const inputs: INodeExecutionData[] = [];
					for (const rows of uploadsRows) {
						const sheetRows: SheetRow[] = rows.map((r) => ({ case_id: '', ...r }));
						inputs.push(...recordResultItems(await uploadToEmulator(emulator, { rows: sheetRows })));
					}
					// Records of different imports arrive interleaved.
					const items = inputs
						.map((item, i) => ({ item, key: shuffleKeys[i % shuffleKeys.length] * 100 + i }))
						.sort((a, b) => a.key - b.key)
						.map(({ item }) => item);
					const { outputs } = await runNode({ node, credentials: credentials(), parameters: FAST, items });
					const paired = expectEveryRecordOnce(outputs, items);
					for (const { json, input } of paired) {
						const { name, owner_id: owner } = input.record as { name: string; owner_id: string };
						if (owner !== '' && !VALID_OWNERS.includes(owner)) {
							expect(json.outcome).toBe('warning');
							expect(json.reason).toBe('rowErrors');
							expect(json.errors).toEqual([{ ...ERROR_TEXT.invalidOwner, column: 'owner_id' }]);
							expect(json.summary).toBe(`Sheet row ${input.row} not imported: Invalid Owner (owner_id)`);
						} else if (name === '' && owner === '') {
							expect(json.outcome).toBe('warning');
							expect(json.reason).toBe('skippedRows');
							expect(json.summary).toBe(`Sheet row ${input.row} skipped: blank row`);
						} else {
							expect(json.outcome).toBe('success');
							expect(json.reason).toBe('imported');
							expect(json.errors).toEqual([]);
						}
					}
					// One status poll sequence per import, not per record.
					const statusGets = emulator.requests.filter((r) => r.path.endsWith('/status'));
					expect(statusGets).toHaveLength(uploadsRows.length * 2);
				},
			),
			{ numRuns: 20 },
		);
	}, 120_000);

	it('a whole-import failure sends every record of that import to Error with the server description', async () => {
		const failing = await uploadToEmulator(emulator, {
			rows: [
				{ case_id: '', name: 'A', type: 'x' },
				{ case_id: '', name: 'B', type: 'y' },
			],
		});
		const fine = await uploadToEmulator(emulator, { rows: [{ case_id: '', name: 'C' }] });
		const items = [...recordResultItems(failing), ...recordResultItems(fine)];
		const { outputs } = await runNode({ node, credentials: credentials(), parameters: FAST, items });
		const paired = expectEveryRecordOnce(outputs, items);
		expect(paired.filter((p) => p.output === 'error').map((p) => p.json.row)).toEqual([2, 3]);
		for (const { json } of paired.filter((p) => p.output === 'error')) {
			expect(json.errors).toEqual([{ title: null, description: 'Error: Field name "type" is reserved', column: null }]);
			// The record's own outcome is the only one in its item: its import keeps its state and summary.
			expect(json.import).toMatchObject({ state: 3, summary: 'Import of patient cases failed' });
			expect(json.import).not.toHaveProperty('outcome');
			expect(json.import).not.toHaveProperty('reason');
			expect(json.reason).toBe('failed');
			expect(json.summary).toBe(`Sheet row ${json.row} may not have been imported: the import of patient cases failed`);
		}
		expect(paired.filter((p) => p.output === 'success').map((p) => p.json.record)).toEqual([
			{ case_id: '', name: 'C' },
		]);
	});

	it('an import not finished yet sends its records to Not Finished, with timedOut in their import', async () => {
		emulator.setTimeline({ queuedPolls: 100, runningPolls: 1 });
		const upload = await uploadToEmulator(emulator, {
			rows: [
				{ case_id: '', name: 'A' },
				{ case_id: '', name: 'B' },
			],
		});
		const items = recordResultItems(upload);
		const { outputs } = await runNode({
			node,
			credentials: credentials(),
			parameters: { pollInterval: 0.05, timeout: 0, simplify: false },
			items,
		});
		expectEveryRecordOnce(outputs, items);
		expect(outputs[2]).toEqual([]);
		expect(outputs[3]).toHaveLength(2);
		for (const item of outputs[3]) {
			expect(item.json).toMatchObject({
				reason: 'notFinished',
				summary: `Sheet row ${item.json.row as number} not finished yet: queued in CommCare (checked once)`,
				errors: [],
				import: { timedOut: true, state: -1, polls: 1 },
			});
		}
	});

	it('without the case lookup, when the server skipped rows it does not name, the records it could be are Warnings ("imported or skipped")', async () => {
		const existing = emulator.cases.add(emulator.domain, { case_type: 'patient', name: 'Old' });
		const other = emulator.cases.add(emulator.domain, { case_type: 'patient', name: 'Other' });
		const rows: SheetRow[] = [
			{ case_id: existing.case_id, name: 'Renamed', owner_id: '' },
			{ case_id: 'no-such-case', name: 'Ghost', owner_id: '' },
			{ case_id: other.case_id, name: 'Bad owner', owner_id: 'nobody' },
		];
		const upload = await uploadToEmulator(emulator, { rows, createNewCases: false });
		const items = recordResultItems(upload);
		const parameters = { ...FAST, options: { lookUpCaseIds: false } };
		const { outputs } = await runNode({ node, credentials: credentials(), parameters, items });
		const paired = expectEveryRecordOnce(outputs, items);
		expect(paired.every((p) => !('case_id' in p.json) && !('caseLookup' in p.json))).toBe(true);
		expect(emulator.requests.some((request) => request.path.includes('/api/case/'))).toBe(false);
		const byRow = new Map(paired.map((p) => [p.json.row, p]));
		// Row 4 matched but is listed (Invalid Owner); rows 2 and 3: one matched, one skipped, and nothing says which.
		expect(byRow.get(4)!.output).toBe('warning');
		expect(byRow.get(4)!.json.reason).toBe('rowErrors');
		expect(byRow.get(4)!.json.errors).toEqual([{ ...ERROR_TEXT.invalidOwner, column: 'owner_id' }]);
		expect(byRow.get(2)!.output).toBe('warning');
		expect(byRow.get(3)!.output).toBe('warning');
		expect([byRow.get(2)!.json.reason, byRow.get(3)!.json.reason]).toEqual(['importedOrSkipped', 'importedOrSkipped']);
		expect(byRow.get(2)!.json.summary).toBe(
			'Sheet row 2 imported or skipped: CommCare skipped 1 sheet row of its upload without saying which',
		);
		expect(byRow.get(2)!.json.description).toMatch(/^CommCare skips blank rows .* and rows whose ID matches no case/);
		expect(byRow.get(2)!.json.import).toMatchObject({ match_count: 1, created_count: 0, skipped_count: 1 });
	});

	it('an empty case_id while creation is off is a certain skip, so the other records are Success', async () => {
		const existing = emulator.cases.add(emulator.domain, { case_type: 'patient', name: 'Old' });
		const rows: SheetRow[] = [
			{ case_id: existing.case_id, name: 'Renamed' },
			{ case_id: '', name: 'New?' },
		];
		const upload = await uploadToEmulator(emulator, { rows, createNewCases: false });
		const items = recordResultItems(upload);
		const { outputs } = await runNode({ node, credentials: credentials(), parameters: FAST, items });
		expectEveryRecordOnce(outputs, items);
		expect(outputs[0].map((item) => item.json.row)).toEqual([2]);
		expect(outputs[1].map((item) => item.json.row)).toEqual([3]);
		expect(outputs[1][0].json).toMatchObject({
			summary: 'Sheet row 3 skipped: no case ID',
			description: `Matching by case ID while ${CREATION_OFF}, a row without a case ID matches nothing: fill in 'case_id', or ${TURN_CREATION_ON}.`,
		});
	});
});
