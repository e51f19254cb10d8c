/**
 * Per-record results through both nodes, as a workflow wires them: CommCare Bulk Import (source "Input Items",
 * Output One Item per Record) → its output items → CommCare Import Status, against the emulator. Randomised records
 * (fast-check): valid, blank, bad owners, names over 255 characters, in one or several uploads. Every input record
 * must come out on exactly one output of the Status node, traced back through both nodes' `pairedItem`, on the
 * output its row deserves, with its own row's errors.
 */
import fc from 'fast-check';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { CommCareBulkImport } from '../../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { CommCareImportStatus } from '../../../nodes/CommCareImportStatus/CommCareImportStatus.node';
import type { OutcomeReason, RecordOutcomeJson, RecordResultJson } from '../../../nodes/shared/outputContract';
import { ERROR_TEXT, type Emulator } from '../../../emulator';
import { ITEMS_BY_CASE_ID, emulatorCredential, useEmulator } from '../../support/emulator';
import { runNode } from '../../support/n8nContext';

const bulkImport = new CommCareBulkImport();
const importStatus = new CommCareImportStatus();
const VALID_OWNERS = ['owner-chw-1', 'owner-chw-2', 'group-district-a'];
const OUTPUTS = ['success', 'warning', 'error'] as const;
type Output = (typeof OUTPUTS)[number];

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 0, runningPolls: 0 } });

const credentials = () => emulatorCredential(emulator);

interface Person {
	name: string;
	owner_id: string;
	village: string;
}

const LONG_NAME = 'N'.repeat(256);
const somePerson = fc.record<Person>({
	name: fc.oneof(
		{ weight: 6, arbitrary: fc.stringMatching(/^[A-Z][a-z]{1,8}$/) },
		{ weight: 2, arbitrary: fc.constant('') },
		{ weight: 1, arbitrary: fc.constant(LONG_NAME) },
	),
	owner_id: fc.oneof(
		{ weight: 4, arbitrary: fc.constantFrom(...VALID_OWNERS, '') },
		{ weight: 1, arbitrary: fc.stringMatching(/^[a-z]{3,8}-(bad|x)[0-9]?$/) },
	),
	village: fc.constantFrom('', 'Kisumu', 'Siaya'),
});
const BLANK: Person = { name: '', owner_id: '', village: '' };
const person = fc.oneof(
	{ weight: 8, arbitrary: somePerson },
	{ weight: 1, arbitrary: fc.constant(BLANK).map((blank) => ({ ...blank })) },
);

function isBlank(record: Person): boolean {
	return record.name === '' && record.owner_id === '' && record.village === '';
}

/**
 * What CommCare does with the row (docs/commcare-api.md §6.2, §6.6, §6.9): skip a blank one, refuse a long name, then a bad owner.
 * A refused row is a Warning (rowErrors), not an Error: the import went through, the row is one to fix and resend.
 */
function expected(record: Person): { output: Output; reason: OutcomeReason; error?: string } {
	if (isBlank(record)) return { output: 'warning', reason: 'skippedRows' };
	if (record.name.length > 255) return { output: 'warning', reason: 'rowErrors', error: ERROR_TEXT.nameTooLong.title };
	if (record.owner_id !== '' && !VALID_OWNERS.includes(record.owner_id)) {
		return { output: 'warning', reason: 'rowErrors', error: ERROR_TEXT.invalidOwner.title };
	}
	return { output: 'success', reason: 'imported' };
}

/**
 * Whether the checks before upload stop the run: an upload whose rows are all blank (nothing to import), or whose
 * every non-blank row has a name over 255 characters (no row would import).
 */
function refusedByChecks(records: Person[], rowsPerUpload: number): boolean {
	for (let start = 0; start < records.length; start += rowsPerUpload) {
		const nonBlank = records.slice(start, start + rowsPerUpload).filter((r) => !isBlank(r));
		if (nonBlank.length === 0 || nonBlank.every((r) => r.name.length > 255)) return true;
	}
	return false;
}

function pairedItem(item: INodeExecutionData): number {
	const paired = item.pairedItem as { item: number };
	expect(typeof paired.item).toBe('number');
	return paired.item;
}

async function importAndCheck(records: Person[], rowsPerUpload: number, continueOnFail: boolean) {
	const uploaded = await runNode({
		node: bulkImport,
		credentials: credentials(),
		parameters: {
			...ITEMS_BY_CASE_ID,
			output: 'perRecord',
			options: { rowsPerUpload },
		},
		items: records.map((record) => ({ json: { ...record } as IDataObject })),
		continueOnFail,
	}).catch((error: Error) => ({ error }));
	if ('error' in uploaded) return { error: uploaded.error };
	const bulkOutput = uploaded.outputs[0];
	const checked = await runNode({
		node: importStatus,
		credentials: credentials(),
		parameters: { pollInterval: 0.05, timeout: 0.5 },
		items: bulkOutput,
	});
	// Every Status output item, traced back to the input record through both nodes' pairedItem.
	const placed = checked.outputs.flatMap((items, output) =>
		items.map((item) => {
			const bulkItem = bulkOutput[pairedItem(item)];
			return {
				output: OUTPUTS[output],
				json: item.json as RecordOutcomeJson,
				bulkJson: bulkItem.json,
				input: pairedItem(bulkItem),
			};
		}),
	);
	return { placed, bulkOutput };
}

describe('per-record results through both nodes', () => {
	it('every input record lands on exactly one output, on the one its row deserves (randomised)', async () => {
		const seen = {
			runs: 0,
			refused: 0,
			byReason: { imported: 0, skippedRows: 0, rowErrors: 0 } as Record<string, number>,
			multiUpload: 0,
		};
		await fc.assert(
			fc.asyncProperty(
				fc.array(person, { minLength: 1, maxLength: 20 }),
				fc.constantFrom(3, 7, 100_000),
				fc.boolean(),
				async (records, rowsPerUpload, continueOnFail) => {
					emulator.reset();
					const result = await importAndCheck(records, rowsPerUpload, continueOnFail);
					seen.runs += 1;

					if (refusedByChecks(records, rowsPerUpload)) {
						seen.refused += 1;
						expect(emulator.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
						if (!continueOnFail) {
							expect(result.error?.message).toMatch(/^The input items were not uploaded: /);
							return;
						}
						// With Continue On Fail every record is an error item, which Import Status puts on Error.
						const { placed } = result as Exclude<typeof result, { error: Error }>;
						expect(placed.map((p) => p.input).sort((a, b) => a - b)).toEqual(records.map((_, i) => i));
						for (const p of placed) {
							expect(p.output).toBe('error');
							expect(p.json.reason).toBe('noStatusUrl');
							expect(p.bulkJson.record).toEqual(records[p.input]);
						}
						return;
					}

					expect(result).not.toHaveProperty('error');
					const { placed, bulkOutput } = result as Exclude<typeof result, { error: Error }>;
					expect(bulkOutput).toHaveLength(records.length);
					const uploadCount = Math.ceil(records.length / rowsPerUpload);
					expect(emulator.uploads.filter((u) => u.status === 200)).toHaveLength(uploadCount);
					if (uploadCount > 1) seen.multiUpload += 1;

					// Exactly once each.
					expect(placed.map((p) => p.input).sort((a, b) => a - b)).toEqual(records.map((_, i) => i));
					for (const { output, json, bulkJson, input } of placed) {
						const record = records[input];
						const bulk = bulkJson as RecordResultJson;
						expect(bulk.row).toBe((input % rowsPerUpload) + 2);
						expect([json.row, json.status_url, json.record]).toEqual([bulk.row, bulk.status_url, record]);
						const want = expected(record);
						expect({ input, output, reason: json.reason }).toEqual({ input, output: want.output, reason: want.reason });
						if (want.error) expect(json.errors.map((e) => e.title)).toEqual([want.error]);
						else expect(json.errors).toEqual([]);
						seen.byReason[json.reason] = (seen.byReason[json.reason] ?? 0) + 1;
					}
					// The case store holds exactly the records reported as imported.
					const imported = placed.filter((p) => p.output === 'success').map((p) => records[p.input].name);
					expect(
						emulator.cases
							.byType('demo', 'patient')
							.map((c) => c.name)
							.sort(),
					).toEqual(imported.sort());
					// One status poll per upload, not per record.
					expect(emulator.requests.filter((r) => r.path.endsWith('/status'))).toHaveLength(uploadCount);
				},
			),
			{ numRuns: 30 },
		);
		// The generators must have produced every kind of record (imported, skipped, refused by the server) and
		// several uploads (refusals by the checks are rarer: the next test makes one for sure).
		expect(seen.runs).toBe(30);
		expect(
			Math.min(seen.byReason.imported, seen.byReason.skippedRows, seen.byReason.rowErrors, seen.multiUpload),
		).toBeGreaterThan(0);
	}, 120_000);

	it('records the checks refuse still each land on Error, with Continue On Fail', async () => {
		// The second upload holds only blank rows: nothing to import, so nothing at all is sent.
		const records: Person[] = [{ name: 'A', owner_id: '', village: '' }, { ...BLANK }, { ...BLANK }];
		expect(refusedByChecks(records, 1)).toBe(true);
		const result = await importAndCheck(records, 1, true);
		const { placed } = result as Exclude<typeof result, { error: Error }>;
		expect(emulator.requests).toHaveLength(0);
		expect(placed.map((p) => [p.input, p.output, p.json.reason])).toEqual([
			[0, 'error', 'noStatusUrl'],
			[1, 'error', 'noStatusUrl'],
			[2, 'error', 'noStatusUrl'],
		]);
		expect(placed[0].json.summary).toBe('No import to check: the upload failed upstream');
		expect(placed[0].json.description).toMatch(
			/^CommCare Bulk Import said: The input items were not uploaded: Upload 2 of 3: The sheet has a header row but no data rows/,
		);
	});

	it("20 records in uploads of 7: three imports, each record routed with its own row's error", async () => {
		const records: Person[] = Array.from({ length: 20 }, (_, i) => ({
			name: i === 9 ? LONG_NAME : `Person${i}`,
			owner_id: i === 3 || i === 16 ? 'nobody-bad' : 'owner-chw-1',
			village: i === 12 ? '' : 'Kisumu',
		}));
		records[12] = { name: '', owner_id: '', village: '' };
		const result = await importAndCheck(records, 7, false);
		const { placed, bulkOutput } = result as Exclude<typeof result, { error: Error }>;
		expect(emulator.imports.size).toBe(3);
		expect(new Set(bulkOutput.map((item) => item.json.status_url)).size).toBe(3);
		// The long name rode along as a warning on its record.
		expect((bulkOutput[9].json as RecordResultJson).warnings).toEqual([
			expect.objectContaining({ code: 'nameTooLong', items: [9] }),
		]);
		const byInput = new Map(placed.map((p) => [p.input, p]));
		expect(byInput.size).toBe(20);
		expect([3, 9, 16].map((i) => [i, byInput.get(i)!.output, byInput.get(i)!.json.row])).toEqual([
			[3, 'warning', 5],
			[9, 'warning', 4],
			[16, 'warning', 4],
		]);
		expect(byInput.get(9)!.json.errors).toEqual([{ ...ERROR_TEXT.nameTooLong, column: 'name' }]);
		expect(byInput.get(3)!.json.errors).toEqual([{ ...ERROR_TEXT.invalidOwner, column: 'owner_id' }]);
		expect([byInput.get(12)!.output, byInput.get(12)!.json.summary]).toEqual([
			'warning',
			'Sheet row 7 skipped: blank row',
		]);
		expect(placed.filter((p) => p.output === 'success')).toHaveLength(16);
	});
});
