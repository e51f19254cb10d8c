/**
 * Nothing vanishes. A property-based test (fast-check) over random spreadsheets, random row errors
 * (bad owners), blank rows, and random faults: 429/503 (with or without Retry-After) refusing uploads, and 429/503,
 * 502/504 and dropped connections on status polls. For every run:
 * - the emulator received each file exactly once (the refused attempts aside), and holds exactly the cases of the
 *   records reported as imported;
 * - every input record ends on exactly one output of CommCare Import Status, paired with its input item, on the
 *   output its row deserves; and per import, created + skipped + failed rows add up to the rows sent.
 * Both sources: "binary" (one .xlsx per input item; the per-record items CommCare Import Status reads are built from
 * the upload items and the rows written), and "items" (random records as input items, in one or several uploads,
 * with Bulk Import's own per-record output fed to CommCare Import Status, as a workflow wires them).
 */
import fc from 'fast-check';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import type {
	OutcomeReason,
	RecordOutcomeJson,
	RecordResultJson,
	UploadResultJson,
} from '../../../nodes/shared/outputContract';
import { ERROR_TEXT, type Emulator, type RespondFault } from '../../../emulator';
import { ITEMS_BY_CASE_ID, xlsxFile } from '../../support/emulator';
import { binaryItem } from '../../support/n8nContext';
import { apiKeyCredential, bulkImport, importStatus, received, runScenario, startSecretEmulator } from './harness';
import { outcomeTable } from './outcomeTable';

const table = outcomeTable('accounting');

const VALID_OWNERS = ['owner-chw-1', 'owner-chw-2', 'group-district-a'];
const OUTPUTS = ['success', 'warning', 'error'] as const;

let emulator: Emulator;
beforeAll(async () => {
	emulator = await startSecretEmulator();
});
afterAll(async () => {
	table.finish();
	await emulator.close();
});

interface Row {
	name: string;
	owner_id: string;
}

const row = fc.record<Row>({
	name: fc.oneof(fc.stringMatching(/^[A-Z][a-z]{1,8}$/), fc.constantFrom('', 'Zoë', 'مريم', '李')),
	owner_id: fc.oneof(fc.constantFrom(...VALID_OWNERS, '', ''), fc.stringMatching(/^[a-z]{3,8}-(bad|x)[0-9]?$/)),
});

const uploadFault = fc.record<RespondFault>({
	status: fc.constantFrom(429, 503),
	retryAfter: fc.constantFrom(undefined, 0),
});
type StatusFault = { drop: true } | RespondFault;
const statusFault: fc.Arbitrary<StatusFault> = fc.oneof(
	fc.record<RespondFault>({ status: fc.constantFrom(429, 502, 503, 504), retryAfter: fc.constantFrom(undefined, 0) }),
	fc.constant({ drop: true as const }),
);

/**
 * What CommCare should do with a row (docs/commcare-api.md §6.2, §6.6): skip a blank one, refuse a bad owner, create the rest.
 * A refused row is a Warning too (reason rowErrors): the import went through, the row is one to fix and resend.
 */
/**
 * One run the random ones always include (fast-check `examples`): a valid, a blank and a bad-owner record, refused
 * uploads and status faults, so that every kind the coverage check asks for is there whatever the seed (a blank
 * record is rare in random runs: about one in 40).
 */
const EVERY_KIND: Row[] = [
	{ name: 'Asha', owner_id: 'owner-chw-1' },
	{ name: '', owner_id: '' },
	{ name: 'Bad', owner_id: 'nobody-bad' },
	{ name: 'Baraka', owner_id: '' },
];
const SOME_FAULTS = {
	upload: [{ status: 503, retryAfter: 0 }] as RespondFault[],
	status: [{ status: 502, retryAfter: 0 }] as StatusFault[],
	timeline: { queuedPolls: 1, runningPolls: 1 },
};

function expectedRoute(record: Row): { output: (typeof OUTPUTS)[number]; reason: OutcomeReason } {
	if (record.name === '' && record.owner_id === '') return { output: 'warning', reason: 'skippedRows' };
	if (record.owner_id !== '' && !VALID_OWNERS.includes(record.owner_id))
		return { output: 'warning', reason: 'rowErrors' };
	return { output: 'success', reason: 'imported' };
}

/** The per-record items for one upload, as Bulk Import's per-record mode emits them. */
function recordItems(uploadJson: UploadResultJson, rows: Row[]): INodeExecutionData[] {
	const { status_url: statusUrl, warnings: _warnings, ...upload } = uploadJson;
	return rows.map((record, index) => {
		const json: RecordResultJson = {
			status_url: statusUrl,
			row: index + 2,
			record: { case_id: '', ...record } as IDataObject,
			upload: { ...upload, rowCount: rows.length },
		};
		return { json };
	});
}

describe('accounting under random input, row errors and faults', () => {
	it('every record ends on exactly one output, counts add up, and each file was received exactly once', async () => {
		const totals = {
			runs: 0,
			files: 0,
			records: 0,
			uploadFaults: 0,
			statusFaults: 0,
			byReason: { imported: 0, skippedRows: 0, rowErrors: 0 } as Record<string, number>,
		};
		await fc.assert(
			fc.asyncProperty(
				fc.array(fc.array(row, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 }),
				fc.array(uploadFault, { maxLength: 4 }),
				fc.array(statusFault, { maxLength: 6 }),
				fc.record({ queuedPolls: fc.nat(2), runningPolls: fc.nat(2) }),
				async (files, uploadFaults, statusFaults, timeline) => {
					emulator.reset();
					emulator.setTimeline(timeline);
					// At most 4 refusals in a row: every file still gets through within the 5 attempts allowed.
					for (const fault of uploadFaults) emulator.faults.respond('upload', 1, fault);
					const items: INodeExecutionData[] = [];
					for (const [index, rows] of files.entries()) {
						items.push(
							binaryItem(
								await xlsxFile([['case_id', 'name', 'owner_id'], ...rows.map((r) => ['', r.name, r.owner_id])]),
								`file-${index}.xlsx`,
							),
						);
					}
					const uploaded = await runScenario({
						node: bulkImport,
						credentials: apiKeyCredential(emulator) as never,
						items,
						parameters: { projectSpace: 'demo', caseType: 'patient', searchField: 'case_id', unmatchedRows: 'create' },
					});
					// A file whose rows are all blank has nothing to import: the checks before upload refuse it, and the
					// whole run stops before the first upload (no file is sent, so none can be counted twice either).
					const emptyFile = files.findIndex((rows) => rows.every((r) => expectedRoute(r).reason === 'skippedRows'));
					if (emptyFile >= 0) {
						// Messages count items from 1: the file of index 0 is item 1.
						expect(uploaded.error?.message).toBe(
							`'file-${emptyFile}.xlsx' (item ${emptyFile + 1}) not uploaded: The sheet has a header row but no data rows`,
						);
						expect(uploaded.error?.description).toMatch(
							/^There is nothing to import\. Check that the right file \(or input\) was used\./,
						);
						expect(received(emulator).all).toBe(0);
						totals.runs += 1;
						return;
					}
					expect(uploaded.error).toBeUndefined();
					const uploadItems = uploaded.outputs![0];
					expect(uploadItems.map((item) => item.pairedItem)).toEqual(files.map((_, item) => ({ item })));

					// Each file received (and queued) exactly once; the refused attempts are the only extra requests.
					const accepted = emulator.uploads.filter((upload) => upload.status === 200);
					expect(accepted.map((upload) => upload.fileName)).toEqual(files.map((_, index) => `file-${index}.xlsx`));
					expect(received(emulator)).toMatchObject({
						uploadPosts: files.length + uploadFaults.length,
						importsQueued: files.length,
					});

					const records = files.flatMap((rows, index) =>
						recordItems(uploadItems[index].json as UploadResultJson, rows),
					);
					for (const fault of statusFaults) {
						if ('drop' in fault) emulator.faults.dropConnection('status', 1);
						else emulator.faults.respond('status', 1, fault);
					}
					const checked = await runScenario({
						node: importStatus,
						credentials: apiKeyCredential(emulator) as never,
						items: records,
						parameters: { pollInterval: 0.05, timeout: 0.2, simplify: false, options: { maxPollInterval: 0.1 } },
					});
					expect(checked.error).toBeUndefined();
					const outputs = checked.outputs!;

					// Every record on exactly one output, paired with its input, on the output its row deserves.
					const placed = outputs.flatMap((output, index) =>
						output.map((item) => ({
							output: OUTPUTS[index],
							index: (item.pairedItem as { item: number }).item,
							json: item.json as RecordOutcomeJson,
						})),
					);
					expect(placed.map((p) => p.index).sort((a, b) => a - b)).toEqual(records.map((_, index) => index));
					for (const { output, index, json } of placed) {
						const input = records[index].json as RecordResultJson;
						expect(json.outcome).toBe(output);
						expect([json.row, json.record, json.status_url]).toEqual([input.row, input.record, input.status_url]);
						expect({ output, reason: json.reason }).toEqual(expectedRoute(input.record as unknown as Row));
						if (json.reason === 'rowErrors')
							expect(json.errors).toEqual([{ ...ERROR_TEXT.invalidOwner, column: 'owner_id' }]);
					}

					// Per import: created + skipped + failed = rows sent, and the case store holds exactly the successes.
					for (const [index, rows] of files.entries()) {
						const mine = placed.filter(
							(p) => (records[p.index].json as RecordResultJson).status_url === uploadItems[index].json.status_url,
						);
						const counts = mine[0].json.import as { created_count: number; match_count: number; skipped_count: number };
						const failed = mine.filter((p) => p.json.reason === 'rowErrors').length;
						expect(counts.created_count + counts.match_count + counts.skipped_count + failed).toBe(rows.length);
						expect(counts.created_count).toBe(mine.filter((p) => p.output === 'success').length);
					}
					const successes = placed
						.filter((p) => p.output === 'success')
						.map((p) => String(p.json.record.name))
						.sort();
					expect(
						emulator.cases
							.byType('demo', 'patient')
							.map((c) => c.name)
							.sort(),
					).toEqual(successes);

					// Polls: each import asked once per step of its timeline, plus one request per status fault.
					expect(received(emulator).statusGets).toBe(
						files.length * (timeline.queuedPolls + timeline.runningPolls + 1) + statusFaults.length,
					);

					totals.runs += 1;
					totals.files += files.length;
					totals.records += records.length;
					totals.uploadFaults += uploadFaults.length;
					totals.statusFaults += statusFaults.length;
					for (const p of placed) totals.byReason[p.json.reason] = (totals.byReason[p.json.reason] ?? 0) + 1;
				},
			),
			{
				numRuns: 25,
				examples: [[[EVERY_KIND], SOME_FAULTS.upload, SOME_FAULTS.status, SOME_FAULTS.timeline]],
			},
		);
		expect(totals.runs).toBe(25);
		// The generators must actually have produced every kind of record and fault.
		expect(
			Math.min(
				totals.byReason.imported,
				totals.byReason.skippedRows,
				totals.byReason.rowErrors,
				totals.uploadFaults,
				totals.statusFaults,
			),
		).toBeGreaterThan(0);
		table.record({
			id: 'accounting.binary.property',
			area: 'Accounting',
			case: 'fast-check, 25 runs: 1-3 .xlsx files of 1-8 random rows (valid, blank, bad owner; accents and Arabic), 0-4 upload refusals (429/503, Retry-After 0 or none), 0-6 status faults (429/502/503/504, dropped connections), random queued/running timelines',
			userSees:
				'Every record on exactly one output of CommCare Import Status: imported rows on Success, blank rows on Warning ("skipped silently"), bad owners on Warning (reason rowErrors) with the server\'s "Invalid Owner"',
			server:
				'each file received and queued exactly once (plus the refused attempts); status requests = polls the timelines need + one per fault',
			lost: 'nothing: per import, created + skipped + failed = rows sent, and the case store holds exactly the records reported as imported',
			alsoCoveredBy: [
				'test/integration/CommCareImportStatus/recordItems.test.ts › routes every record of several imports on its own, for random records and random bad owners',
			],
		});
	}, 120_000);

	it('input items with per-record output through both nodes: every record on exactly one output, each upload received once', async () => {
		const totals = {
			runs: 0,
			refused: 0,
			multiUpload: 0,
			uploadFaults: 0,
			statusFaults: 0,
			byReason: { imported: 0, skippedRows: 0, rowErrors: 0 } as Record<string, number>,
		};
		const isBlank = (record: Row) => expectedRoute(record).reason === 'skippedRows';
		await fc.assert(
			fc.asyncProperty(
				fc.array(row, { minLength: 1, maxLength: 12 }),
				fc.constantFrom(2, 3, 100_000),
				fc.array(uploadFault, { maxLength: 4 }),
				fc.array(statusFault, { maxLength: 6 }),
				fc.record({ queuedPolls: fc.nat(2), runningPolls: fc.nat(2) }),
				async (records, rowsPerUpload, uploadFaults, statusFaults, timeline) => {
					emulator.reset();
					emulator.setTimeline(timeline);
					for (const fault of uploadFaults) emulator.faults.respond('upload', 1, fault);
					const uploadCount = Math.ceil(records.length / rowsPerUpload);
					const uploaded = await runScenario({
						node: bulkImport,
						credentials: apiKeyCredential(emulator) as never,
						items: records.map((record) => ({ json: { ...record } })),
						parameters: {
							...ITEMS_BY_CASE_ID,
							output: 'perRecord',
							options: { rowsPerUpload },
						},
					});
					totals.runs += 1;

					// An upload whose rows are all blank has nothing to import: the checks refuse the run before any upload.
					const chunks = Array.from({ length: uploadCount }, (_, index) =>
						records.slice(index * rowsPerUpload, (index + 1) * rowsPerUpload),
					);
					if (chunks.some((chunk) => chunk.every(isBlank))) {
						expect(uploaded.error?.message).toMatch(
							/^The input items were not uploaded: (Upload \d+ of \d+: )?The sheet has a header row but no data rows/,
						);
						expect(received(emulator).all).toBe(0);
						totals.refused += 1;
						return;
					}
					expect(uploaded.error).toBeUndefined();
					const bulkOutput = uploaded.outputs![0];
					expect(bulkOutput.map((item) => item.pairedItem)).toEqual(records.map((_, item) => ({ item })));

					// Each upload received (and queued) exactly once; the refused attempts are the only extra requests.
					const fileNames = chunks.map((_, index) =>
						uploadCount === 1 ? 'cases.xlsx' : `cases_${index + 1}_of_${uploadCount}.xlsx`,
					);
					expect(emulator.uploads.filter((upload) => upload.status === 200).map((upload) => upload.fileName)).toEqual(
						fileNames,
					);
					expect(received(emulator)).toMatchObject({
						uploadPosts: uploadCount + uploadFaults.length,
						importsQueued: uploadCount,
					});

					for (const fault of statusFaults) {
						if ('drop' in fault) emulator.faults.dropConnection('status', 1);
						else emulator.faults.respond('status', 1, fault);
					}
					const checked = await runScenario({
						node: importStatus,
						credentials: apiKeyCredential(emulator) as never,
						items: bulkOutput,
						parameters: { pollInterval: 0.05, timeout: 0.2, simplify: false, options: { maxPollInterval: 0.1 } },
					});
					expect(checked.error).toBeUndefined();

					// Every input record on exactly one output, traced back through both nodes' pairedItem.
					const placed = checked.outputs!.flatMap((output, index) =>
						output.map((item) => {
							const bulkItem = bulkOutput[(item.pairedItem as { item: number }).item];
							return {
								output: OUTPUTS[index],
								input: (bulkItem.pairedItem as { item: number }).item,
								json: item.json as RecordOutcomeJson,
								sent: bulkItem.json as RecordResultJson,
							};
						}),
					);
					expect(placed.map((p) => p.input).sort((a, b) => a - b)).toEqual(records.map((_, index) => index));
					for (const { output, input, json, sent } of placed) {
						expect(sent.row).toBe((input % rowsPerUpload) + 2);
						expect([json.outcome, json.row, json.status_url, json.record]).toEqual([
							output,
							sent.row,
							sent.status_url,
							records[input],
						]);
						expect({ output, reason: json.reason }).toEqual(expectedRoute(records[input]));
						if (json.reason === 'rowErrors')
							expect(json.errors).toEqual([{ ...ERROR_TEXT.invalidOwner, column: 'owner_id' }]);
						totals.byReason[json.reason] = (totals.byReason[json.reason] ?? 0) + 1;
					}

					// Per upload: created + skipped + failed = rows sent; the case store holds exactly the successes.
					const statusUrls = [...new Set(bulkOutput.map((item) => String(item.json.status_url)))];
					expect(statusUrls).toHaveLength(uploadCount);
					for (const [index, statusUrl] of statusUrls.entries()) {
						const mine = placed.filter((p) => p.json.status_url === statusUrl);
						expect(mine).toHaveLength(chunks[index].length);
						const counts = mine[0].json.import as { created_count: number; match_count: number; skipped_count: number };
						const failed = mine.filter((p) => p.json.reason === 'rowErrors').length;
						expect(counts.created_count + counts.match_count + counts.skipped_count + failed).toBe(
							chunks[index].length,
						);
						expect(counts.created_count).toBe(mine.filter((p) => p.output === 'success').length);
					}
					const successes = placed
						.filter((p) => p.output === 'success')
						.map((p) => records[p.input].name)
						.sort();
					expect(
						emulator.cases
							.byType('demo', 'patient')
							.map((c) => c.name)
							.sort(),
					).toEqual(successes);
					// One status poll per step of each upload's timeline (not one per record), plus one per fault.
					expect(received(emulator).statusGets).toBe(
						uploadCount * (timeline.queuedPolls + timeline.runningPolls + 1) + statusFaults.length,
					);

					if (uploadCount > 1) totals.multiUpload += 1;
					totals.uploadFaults += uploadFaults.length;
					totals.statusFaults += statusFaults.length;
				},
			),
			{
				numRuns: 25,
				examples: [[EVERY_KIND, 2, SOME_FAULTS.upload, SOME_FAULTS.status, SOME_FAULTS.timeline]],
			},
		);
		expect(totals.runs).toBe(25);
		// The generators must have produced every kind of record and fault, and several uploads in one run.
		expect(
			Math.min(
				totals.byReason.imported,
				totals.byReason.skippedRows,
				totals.byReason.rowErrors,
				totals.uploadFaults,
				totals.statusFaults,
				totals.multiUpload,
			),
		).toBeGreaterThan(0);
		table.record({
			id: 'accounting.items.property',
			area: 'Accounting',
			case: 'fast-check, 25 runs: 1-12 random input items (valid, blank, bad owner; accents and Arabic) in uploads of 2, 3 or 100,000 rows, per-record output from Bulk Import straight into Import Status, 0-4 upload refusals (429/503), 0-6 status faults (429/502/503/504, dropped connections), random timelines',
			userSees:
				'Every input record on exactly one output of CommCare Import Status, traced back through both nodes\' pairedItem: imported on Success, blank on Warning ("skipped silently"), bad owners on Warning (reason rowErrors) with the server\'s "Invalid Owner"; a run whose upload would be all blank is refused before any request',
			server:
				'each upload received and queued exactly once (plus the refused attempts); status requests = polls the timelines need per upload (not per record) + one per fault',
			lost: 'nothing: per upload, created + skipped + failed = rows sent, and the case store holds exactly the records reported as imported',
			alsoCoveredBy: [
				'test/integration/CommCareBulkImport/perRecord.test.ts › every input record lands on exactly one output, on the one its row deserves (randomised)',
			],
		});
	}, 120_000);
});
