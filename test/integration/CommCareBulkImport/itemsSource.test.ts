/**
 * CommCare Bulk Import, source "Input Items", against the emulator over real HTTP: the file the server received
 * (read back with exceljs: cell types, sheet name), the cases it made of it, the options (columns, file name,
 * rows per upload, dry run, nested values), and failures (continue on fail, an upload failing after others were
 * accepted). The checks' messages are in checksItems.test.ts; per-record routing in perRecord.test.ts.
 */
import { readdirSync } from 'fs';
import { tmpdir } from 'os';

import ExcelJS from 'exceljs';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { CommCareBulkImport } from '../../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { temporaryFolderPrefix } from '../../../nodes/shared/temporaryFolder';
import type {
	DryRunRecordJson,
	DryRunResultJson,
	CheckFinding,
	RecordResultJson,
	UploadResultJson,
} from '../../../nodes/shared/outputContract';
import { startEmulator, type Emulator } from '../../../emulator';
import { ITEMS_BY_CASE_ID, emulatorCredential } from '../../support/emulator';
import { runNode } from '../../support/n8nContext';

/** Called with every line the emulator logs (lets a test act between two uploads of one run). */
let onEmulatorLog: ((line: string) => void) | undefined;
let emulator: Emulator;
beforeAll(async () => {
	emulator = await startEmulator({ log: (line) => onEmulatorLog?.(line) });
});
afterEach(() => {
	onEmulatorLog = undefined;
	emulator.reset();
});
afterAll(async () => {
	await emulator.close();
});

const node = new CommCareBulkImport();

function credentials(): IDataObject {
	return emulatorCredential(emulator);
}

async function run(
	items: IDataObject[],
	parameters: IDataObject = {},
	extra: { continueOnFail?: boolean; credentials?: IDataObject | null } = {},
) {
	return await runNode({
		node,
		// One output item per upload unless a test asks for records (a new node's default: perRecord.test.ts).
		parameters: {
			...ITEMS_BY_CASE_ID,
			output: 'perUpload',
			...parameters,
		},
		credentials: (extra.credentials === null ? undefined : (extra.credentials ?? credentials())) as never,
		items: items.map((json) => ({ json })),
		continueOnFail: extra.continueOnFail,
	});
}

async function failure(items: IDataObject[], parameters: IDataObject = {}) {
	const error = await run(items, parameters).then(
		() => undefined,
		(e: unknown) => e as { message: string; description?: string },
	);
	if (!error) throw new Error('expected the node to fail');
	return error;
}

/** The first sheet of an uploaded file, and a lookup of its cells by row number and header. */
async function sheetOf(file: Buffer | undefined) {
	const workbook = new ExcelJS.Workbook();
	await workbook.xlsx.load(file as never);
	const sheet = workbook.worksheets[0];
	const headers = (sheet.getRow(1).values as unknown[]).slice(1) as string[];
	const cell = (row: number, header: string) => {
		const index = headers.indexOf(header);
		if (index < 0) throw new Error(`no column '${header}' in ${headers.join(', ')}`);
		return sheet.getRow(row).getCell(index + 1);
	};
	return { workbook, sheet, headers, cell };
}

const json = <T>(item: INodeExecutionData) => item.json as T;
const pairedIndexes = (item: INodeExecutionData) =>
	(Array.isArray(item.pairedItem) ? item.pairedItem : [item.pairedItem]).map((p) => (p as { item: number }).item);

describe('the file CommCare receives', () => {
	const items: IDataObject[] = [
		{
			case_id: '',
			name: 'Asha',
			external_id: '000123',
			owner_id: 'owner-chw-1',
			phone: '0712345678',
			age: 31,
			weight: 61.5,
			dob: '1990-04-05',
			visited_at: '2024-03-05T14:30:00.000Z',
			consent: true,
			smoker: false,
			notes: null,
			link: '=HYPERLINK("http://example.org/x","click")',
			sum: '=1+1',
			code: 'TRUE',
		},
		{
			case_id: '',
			name: 'Baraka',
			external_id: 456,
			owner_id: 'owner-chw-2',
			phone: '+254700000001',
			age: 0,
			weight: -2.25,
			dob: '',
			visited_at: '2024-03-05T00:00:00Z',
			consent: false,
			smoker: true,
			notes: 'first visit',
			link: 'plain text',
			sum: '1+1',
			code: 'x',
		},
	];

	it('has text ids with their zeros, numbers, dates, booleans, blanks and formula-like text as text', async () => {
		const { outputs } = await run(items);
		expect(emulator.uploads).toHaveLength(1);
		const { sheet, headers, cell } = await sheetOf(emulator.uploads[0].file);
		const { ValueType } = ExcelJS;

		expect(sheet.name).toBe('cases');
		expect(headers).toEqual(Object.keys(items[0]));
		expect(sheet.rowCount).toBe(3);

		// Ids: always text, whatever the item holds.
		expect([cell(2, 'external_id').type, cell(2, 'external_id').value]).toEqual([ValueType.String, '000123']);
		expect([cell(3, 'external_id').type, cell(3, 'external_id').value]).toEqual([ValueType.String, '456']);
		expect([cell(2, 'owner_id').type, cell(2, 'owner_id').value]).toEqual([ValueType.String, 'owner-chw-1']);
		expect(cell(2, 'case_id').type).toBe(ValueType.Null);
		// Text stays text, leading zeros and all.
		expect([cell(2, 'phone').type, cell(2, 'phone').value]).toEqual([ValueType.String, '0712345678']);
		// Numbers stay numbers.
		expect([cell(2, 'age').type, cell(2, 'age').value]).toEqual([ValueType.Number, 31]);
		expect([cell(3, 'age').type, cell(3, 'age').value]).toEqual([ValueType.Number, 0]);
		expect([cell(2, 'weight').type, cell(2, 'weight').value]).toEqual([ValueType.Number, 61.5]);
		// ISO dates and date-times become dates.
		expect(cell(2, 'dob').type).toBe(ValueType.Date);
		expect((cell(2, 'dob').value as Date).toISOString()).toBe('1990-04-05T00:00:00.000Z');
		expect(cell(2, 'visited_at').type).toBe(ValueType.Date);
		expect((cell(2, 'visited_at').value as Date).toISOString()).toBe('2024-03-05T14:30:00.000Z');
		// Booleans are booleans.
		expect([cell(2, 'consent').type, cell(2, 'consent').value]).toEqual([ValueType.Boolean, true]);
		expect([cell(2, 'smoker').type, cell(2, 'smoker').value]).toEqual([ValueType.Boolean, false]);
		// null and '' are blank cells.
		expect(cell(2, 'notes').type).toBe(ValueType.Null);
		expect(cell(3, 'dob').type).toBe(ValueType.Null);
		// Text that looks like a formula (or a boolean) is a plain string cell, never a formula.
		for (const header of ['link', 'sum', 'code']) {
			expect(cell(2, header).type).toBe(ValueType.String);
			expect(cell(2, header).formula).toBeUndefined();
		}
		expect(cell(2, 'link').value).toBe('=HYPERLINK("http://example.org/x","click")');

		const output = json<UploadResultJson>(outputs[0][0]);
		expect(output).toMatchObject({
			rowCount: 2,
			fileName: 'cases.xlsx',
			uploadNumber: 1,
			uploadCount: 1,
			warnings: [],
		});
		expect(pairedIndexes(outputs[0][0])).toEqual([0, 1]);
	});

	it('gives cases the values CommCare stores for those cells', async () => {
		await run(items);
		const cases = emulator.cases.byType('demo', 'patient').sort((a, b) => a.name.localeCompare(b.name));
		expect(
			cases.map((c) => ({ name: c.name, external_id: c.external_id, owner_id: c.owner_id, ...c.properties })),
		).toEqual([
			{
				name: 'Asha',
				external_id: '000123',
				owner_id: 'owner-chw-1',
				phone: '0712345678',
				age: '31',
				weight: '61.5',
				dob: '1990-04-05',
				visited_at: '2024-03-05 14:30:00',
				consent: 'True',
				smoker: 'False',
				notes: '',
				link: '=HYPERLINK("http://example.org/x","click")',
				sum: '=1+1',
				code: 'TRUE',
			},
			{
				name: 'Baraka',
				external_id: '456',
				owner_id: 'owner-chw-2',
				phone: '+254700000001',
				age: '0',
				weight: '-2.25',
				dob: '',
				// A date-time at exactly midnight is stored as a date.
				visited_at: '2024-03-05',
				consent: 'False',
				smoker: 'True',
				notes: 'first visit',
				link: 'plain text',
				sum: '1+1',
				code: 'x',
			},
		]);
	});

	it('never names the sheet after the case type, so a case type called "cases" stays in single-sheet mode', async () => {
		// A case of type "cases" makes it a type the project knows: a sheet of that name would switch modes.
		emulator.cases.add('demo', { case_type: 'cases', name: 'Existing' });
		const { outputs } = await run([{ name: 'New' }], { caseType: 'cases' });
		const { sheet } = await sheetOf(emulator.uploads[0].file);
		expect(sheet.name).toBe('cases_sheet');
		expect(emulator.uploads[0].fields.case_type).toBe('cases');
		expect(
			emulator.cases
				.byType('demo', 'cases')
				.map((c) => c.name)
				.sort(),
		).toEqual(['Existing', 'New']);
		expect(json<UploadResultJson>(outputs[0][0]).warnings).toEqual([]);
	});

	it('always has the search column, even when no item has it (CommCare would fail the whole import)', async () => {
		await run([{ name: 'A', village: 'Kisumu' }], {
			searchField: 'external_id',
			searchColumn: 'patient_ref',
			unmatchedRows: 'create',
			options: { skipChecks: true },
		});
		const { headers } = await sheetOf(emulator.uploads[0].file);
		expect(headers).toEqual(['name', 'village', 'patient_ref']);
		expect(emulator.uploads[0].fields).toMatchObject({ search_field: 'external_id', search_column: 'patient_ref' });
	});

	it('writes only the columns listed, in their order, or all but those excluded', async () => {
		const rows = [{ id: 17, name: 'A', age: 3, village: 'Kisumu', created_at: '2024-01-01' }];
		await run(rows, { options: { columns: 'village, name, case_id' } });
		expect((await sheetOf(emulator.uploads[0].file)).headers).toEqual(['village', 'name', 'case_id']);
		expect(emulator.cases.byType('demo', 'patient')[0].properties).toEqual({ village: 'Kisumu' });

		emulator.reset();
		await run(rows, { options: { excludeColumns: 'id,created_at' } });
		expect((await sheetOf(emulator.uploads[0].file)).headers).toEqual(['name', 'age', 'village', 'case_id']);
		expect(emulator.cases.byType('demo', 'patient')[0].properties).toEqual({ age: '3', village: 'Kisumu' });
	});

	it('takes the file name from the option, as .xlsx, and sends the comment', async () => {
		const { outputs } = await run([{ name: 'A' }], {
			comment: 'nightly',
			options: { fileName: 'weekly registrations' },
		});
		expect(emulator.uploads[0].fileName).toBe('weekly registrations.xlsx');
		expect(emulator.uploads[0].fields.comment).toBe('nightly');
		expect(json<UploadResultJson>(outputs[0][0]).fileName).toBe('weekly registrations.xlsx');
	});

	it('is re-read from its temporary file when a refused upload is sent again', async () => {
		emulator.faults.respond('upload', 1, { status: 503, retryAfter: 0 });
		const { outputs } = await run([{ name: 'A', external_id: '007' }]);
		const posts = emulator.requests.filter((r) => r.method === 'POST');
		expect(posts).toHaveLength(2);
		const accepted = emulator.uploads.filter((u) => u.status === 200);
		expect(accepted).toHaveLength(1);
		expect((await sheetOf(accepted[0].file)).cell(2, 'external_id').value).toBe('007');
		expect(json<UploadResultJson>(outputs[0][0]).status_url).toBe(
			(accepted[0].body as { status_url: string }).status_url,
		);
	});

	it('leaves nothing in the temporary directory, after an accepted upload and after a failed one', async () => {
		// This process's temporary folders (other test files run in other processes).
		const ours = () => readdirSync(tmpdir()).filter((name) => name.startsWith(temporaryFolderPrefix()));
		expect(ours()).toEqual([]);
		// While CommCare handles an upload, the node's folder is there.
		const seenDuringUpload: string[][] = [];
		onEmulatorLog = (line) => {
			if (/^(upload|POST)/.test(line)) seenDuringUpload.push(ours());
		};
		await run([{ name: 'A' }, { name: 'B' }], { options: { rowsPerUpload: 1 } });
		expect(emulator.uploads).toHaveLength(2);
		emulator.faults.respond('upload', 1, { status: 500, html: true });
		await expect(run([{ name: 'C' }])).rejects.toThrow(/HTTP 500/);
		expect(seenDuringUpload.length).toBeGreaterThanOrEqual(3);
		expect(seenDuringUpload.every((folders) => folders.length === 1)).toBe(true);
		expect(ours()).toEqual([]);
	});

	it('writes nested values as JSON text when asked', async () => {
		await run([{ name: 'A', address: { city: 'Kisumu', zip: '40100' }, tags: ['a', 'b'] }], {
			options: { nestedAsJson: true },
		});
		expect(emulator.cases.byType('demo', 'patient')[0].properties).toEqual({
			address: '{"city":"Kisumu","zip":"40100"}',
			tags: '["a","b"]',
		});
	});
});

describe('rows per upload', () => {
	const twenty = Array.from({ length: 20 }, (_, i) => ({ name: `Person ${i}`, seq: i }));

	it('splits 20 items into uploads of 7, 7 and 6 rows, each with its own status_url', async () => {
		const { outputs } = await run(twenty, { options: { rowsPerUpload: 7 } });
		expect(emulator.uploads.map((u) => u.fileName)).toEqual([
			'cases_1_of_3.xlsx',
			'cases_2_of_3.xlsx',
			'cases_3_of_3.xlsx',
		]);
		const results = outputs[0].map((item) => json<UploadResultJson>(item));
		expect(results.map((r) => [r.uploadNumber, r.uploadCount, r.rowCount])).toEqual([
			[1, 3, 7],
			[2, 3, 7],
			[3, 3, 6],
		]);
		expect(new Set(results.map((r) => r.status_url)).size).toBe(3);
		expect(results.map((r) => r.status_url)).toEqual(
			emulator.uploads.map((u) => (u.body as { status_url: string }).status_url),
		);
		expect(outputs[0].map(pairedIndexes)).toEqual([
			[0, 1, 2, 3, 4, 5, 6],
			[7, 8, 9, 10, 11, 12, 13],
			[14, 15, 16, 17, 18, 19],
		]);
		// Each file holds its items, in order, under the same header.
		for (const [index, upload] of emulator.uploads.entries()) {
			const { headers, sheet, cell } = await sheetOf(upload.file);
			expect(headers).toEqual(['name', 'seq', 'case_id']);
			const seqs = Array.from({ length: sheet.rowCount - 1 }, (_, r) => cell(r + 2, 'seq').value);
			expect(seqs).toEqual(twenty.slice(index * 7, index * 7 + 7).map((p) => p.seq));
		}
		expect(emulator.cases.byType('demo', 'patient')).toHaveLength(20);
	});

	it("in per-record mode each record carries its own upload's status_url and its row in that upload", async () => {
		const { outputs } = await run(twenty, { output: 'perRecord', options: { rowsPerUpload: 7 } });
		const statusUrls = emulator.uploads.map((u) => (u.body as { status_url: string }).status_url);
		expect(outputs[0]).toHaveLength(20);
		outputs[0].forEach((item, index) => {
			const record = json<RecordResultJson>(item);
			expect(item.pairedItem).toEqual({ item: index });
			expect(record.status_url).toBe(statusUrls[Math.floor(index / 7)]);
			expect(record.row).toBe((index % 7) + 2);
			expect(record.record).toEqual(twenty[index]);
			expect(record.upload).toMatchObject({
				uploadNumber: Math.floor(index / 7) + 1,
				uploadCount: 3,
				rowCount: index < 14 ? 7 : 6,
			});
			expect(record.upload).not.toHaveProperty('status_url');
		});
	});

	it('checks every upload before the first is sent: a problem in the last stops them all', async () => {
		const items = [...twenty.slice(0, 19), { name: 'Last', details: { nested: true } }];
		// The other items lack 'details': they would clear it, which is what this run asks for.
		const error = await failure(items, { options: { rowsPerUpload: 7, missingFields: 'clear' } });
		expect(error.message).toBe(
			"The input items were not uploaded: Upload 3 of 3: Key 'details' of item 20 holds an object, which a spreadsheet cell cannot hold",
		);
		expect(emulator.requests).toHaveLength(0);
	});
});

describe('dry run', () => {
	it('checks and reports what would be sent, without a request or a credential', async () => {
		const items = [
			{ name: 'A', extra: 1 },
			{ name: 'N'.repeat(300), extra: null },
			{ name: 'C', extra: null },
		];
		const { outputs } = await run(items, { options: { dryRun: true, rowsPerUpload: 2 } }, { credentials: null });
		expect(emulator.requests).toHaveLength(0);
		const reports = outputs[0].map((item) => json<DryRunResultJson>(item));
		expect(reports).toEqual([
			expect.objectContaining({
				dryRun: true,
				wouldUpload: true,
				checked: true,
				fileName: 'cases_1_of_2.xlsx',
				columns: ['name', 'extra', 'case_id'],
				sheetName: 'cases',
				rowCount: 2,
				uploadNumber: 1,
				uploadCount: 2,
				firstItem: 0,
				lastItem: 1,
				errors: [],
				warnings: [expect.objectContaining({ code: 'nameTooLong', rows: [3], items: [1], uploadNumber: 1 })],
			}),
			expect.objectContaining({ wouldUpload: true, rowCount: 1, firstItem: 2, lastItem: 2, errors: [], warnings: [] }),
		]);
		expect(reports[0]).not.toHaveProperty('status_url');
		expect(outputs[0].map(pairedIndexes)).toEqual([[0, 1], [2]]);
	});

	it('reports errors instead of stopping', async () => {
		const { outputs } = await run([{ name: 'A', type: 'x' }], { options: { dryRun: true } });
		expect(emulator.requests).toHaveLength(0);
		const [report] = outputs[0].map((item) => json<DryRunResultJson>(item));
		expect(report.wouldUpload).toBe(false);
		expect(report.errors.map((e) => e.code)).toEqual(['reservedHeader']);
	});

	it("per record (a new node's default): one item per record, with its findings and its upload's, paired to it", async () => {
		const items = [
			{ name: 'A', extra: 1 },
			{ name: 'N'.repeat(300), extra: null },
			{ name: 'C', extra: null },
			{ name: 'D', extra: 2 },
		];
		const { outputs } = await run(
			items,
			{ output: 'perRecord', options: { dryRun: true, rowsPerUpload: 2 } },
			{ credentials: null },
		);
		expect(emulator.requests).toHaveLength(0);
		expect(outputs[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }, { item: 3 }]);
		const records = outputs[0].map((item) => json<DryRunRecordJson>(item));
		expect(records.map((record) => [record.dryRun, record.checked, record.wouldUpload, record.row])).toEqual([
			[true, true, true, 2],
			[true, true, true, 3],
			[true, true, true, 2],
			[true, true, true, 3],
		]);
		expect(records.map((record) => record.record)).toEqual(items);
		// Only the record the finding names carries it.
		expect(records.map((record) => record.warnings.map((w) => w.code))).toEqual([[], ['nameTooLong'], [], []]);
		expect(records.map((record) => record.errors)).toEqual([[], [], [], []]);
		expect(records[2].upload).toMatchObject({
			dryRun: true,
			fileName: 'cases_2_of_2.xlsx',
			uploadNumber: 2,
			firstItem: 2,
		});
		expect(records[0].upload).not.toHaveProperty('errors');
		expect(records[0].upload).not.toHaveProperty('warnings');
		expect(records[0]).not.toHaveProperty('status_url');
	});

	it('per record, an error about one record stops its whole upload: every record of it would not be sent', async () => {
		const items = [
			{ case_id: 'c-1', name: 'A', age: 30 },
			{ case_id: 'c-2', name: 'B' },
			{ case_id: 'c-3', name: 'C', age: 31 },
		];
		const { outputs } = await run(items, { output: 'perRecord', options: { dryRun: true } }, { credentials: null });
		const records = outputs[0].map((item) => json<DryRunRecordJson>(item));
		// Item 2 lacks 'age', which the others have: the refusal names it, and the upload (all three) would not go.
		expect(records.map((record) => record.wouldUpload)).toEqual([false, false, false]);
		expect(records.map((record) => record.errors.map((e) => e.code))).toEqual([[], ['missingField'], []]);
		expect(records[1].errors[0]).toMatchObject({ column: 'age', items: [1] });
		// A finding about the whole upload (no item named) is on every record.
		const general = await run(
			[
				{ name: 'A', type: 'x' },
				{ name: 'B', type: 'y' },
			],
			{
				output: 'perRecord',
				options: { dryRun: true },
			},
		);
		const both = general.outputs[0].map((item) => json<DryRunRecordJson>(item));
		expect(both.map((record) => [record.wouldUpload, record.errors.map((e) => e.code)])).toEqual([
			[false, ['reservedHeader']],
			[false, ['reservedHeader']],
		]);
		expect(emulator.requests).toHaveLength(0);
	});
});

describe('values a spreadsheet cannot hold', () => {
	it('a nested value stops the run before any request, naming the key and the item', async () => {
		const error = await failure([
			{ name: 'A', address: null },
			{ name: 'B', address: null },
			{ name: 'C', address: { city: 'Kisumu' } },
		]);
		expect(error.message).toBe(
			"The input items were not uploaded: Key 'address' of item 3 holds an object, which a spreadsheet cell cannot hold",
		);
		expect(error.description).toBe(
			'Flatten it (e.g. with a Set node), exclude the column, or turn on Options → Write Nested Values as JSON to write it as JSON text.\nNothing was sent to CommCare.',
		);
		expect(emulator.requests).toHaveLength(0);
	});

	it('with the checks skipped, the writer still refuses it before any request', async () => {
		const error = await failure([{ name: 'A', tags: ['x'] }], { options: { skipChecks: true } });
		expect(error.message).toBe("Key 'tags' of item 1 holds an array, which a spreadsheet cell cannot hold");
		expect(error.description).toBe(
			'Flatten it (e.g. with a Set node), exclude the column, or turn on Options → Write Nested Values as JSON to write it as JSON text. Nothing was sent to CommCare.',
		);
		expect(emulator.requests).toHaveLength(0);
	});
});

describe('continue on fail', () => {
	it('checks that fail give one error item with the findings, paired to the items named', async () => {
		const items = [
			{ name: 'A', type: null },
			{ name: 'B', type: 'x' },
			{ name: 'N'.repeat(300), type: 'y' },
		];
		const { outputs } = await run(items, {}, { continueOnFail: true });
		expect(emulator.requests).toHaveLength(0);
		expect(outputs[0]).toHaveLength(1);
		const [item] = outputs[0];
		expect(item.error?.message).toBe(item.json.error);
		expect(item.json).toMatchObject({
			message: expect.stringMatching(/^The input items were not uploaded: Column 'type' is reserved/),
			source: 'items',
			projectSpace: 'demo',
			caseType: 'patient',
			errors: [expect.objectContaining({ code: 'reservedHeader', column: 'type' })],
			warnings: [expect.objectContaining({ code: 'nameTooLong', items: [2] })],
		});
		expect(item.json).not.toHaveProperty('status_url');
		// The reserved column concerns every item; no item is named, so the error stands for all.
		expect(pairedIndexes(item)).toEqual([0, 1, 2]);
	});

	it('row problems pair the error item with the items they name', async () => {
		// One non-blank row, and its name is too long: no row would import, so the checks stop the upload.
		const items = [{ name: 'N'.repeat(300) }, { name: '' }, { name: null }];
		const { outputs } = await run(items, {}, { continueOnFail: true });
		const [item] = outputs[0];
		expect((item.json.errors as CheckFinding[]).map((e) => [e.code, e.rows, e.items])).toEqual([
			['nameTooLong', [2], [0]],
		]);
		expect(item.json.message).toBe(
			"The input items were not uploaded: Sheet row 2 (item 1) has a case name in 'name' longer than 255 characters: no row would import",
		);
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(emulator.requests).toHaveLength(0);
	});

	it('in per-record mode every record gets its own error item, with its values', async () => {
		const items = [
			{ name: 'A', nested: [1] },
			{ name: 'B', nested: null },
		];
		const { outputs } = await run(items, { output: 'perRecord' }, { continueOnFail: true });
		expect(outputs[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(outputs[0].map((item) => item.json.record)).toEqual(items);
		for (const item of outputs[0]) {
			expect(item.json.message).toBe(
				"The input items were not uploaded: Key 'nested' of item 1 holds an array, which a spreadsheet cell cannot hold",
			);
			expect(item.json).not.toHaveProperty('row');
		}
		expect(emulator.requests).toHaveLength(0);
	});

	it('a failed upload becomes error items for its records and the next uploads still go', async () => {
		emulator.faults.respond('upload', 1, { status: 500, html: true });
		const items = Array.from({ length: 5 }, (_, i) => ({ name: `P${i}` }));
		const { outputs } = await run(items, { options: { rowsPerUpload: 3 } }, { continueOnFail: true });
		expect(outputs[0]).toHaveLength(2);
		const [failed, uploaded] = outputs[0];
		expect(failed.json).toMatchObject({
			fileName: 'cases_1_of_2.xlsx',
			uploadNumber: 1,
			uploadCount: 2,
			httpCode: '500',
		});
		expect(failed.json.message).toMatch(/^CommCare failed with an internal error \(HTTP 500\)/);
		expect(pairedIndexes(failed)).toEqual([0, 1, 2]);
		expect(json<UploadResultJson>(uploaded)).toMatchObject({ uploadNumber: 2, rowCount: 2 });
		expect(pairedIndexes(uploaded)).toEqual([3, 4]);
		expect(
			emulator.cases
				.byType('demo', 'patient')
				.map((c) => c.name)
				.sort(),
		).toEqual(['P3', 'P4']);
	});
});

describe('an upload failing after others were accepted', () => {
	it('stops the run and says which uploads CommCare already accepted, so nobody re-runs them blindly', async () => {
		// Once the first upload is accepted, the next one is answered with an error.
		onEmulatorLog = (line) => {
			if (line.startsWith('upload ') && emulator.imports.size === 1)
				emulator.faults.respond('upload', 1, { status: 500, html: true });
		};
		const items = Array.from({ length: 5 }, (_, i) => ({ name: `P${i}` }));
		const error = await failure(items, { options: { rowsPerUpload: 3 } });
		const accepted = emulator.uploads.find((u) => u.status === 200)!;
		const statusUrl = (accepted.body as { status_url: string }).status_url;
		expect(error.message).toMatch(/^CommCare failed with an internal error \(HTTP 500\)/);
		expect(error.description).toContain(
			`Before this failure CommCare accepted this upload, which will import: upload 1 of 2 (items 1 to 3): ${statusUrl}. Do not run the same input again without removing their rows, or they are imported twice.`,
		);
		expect(emulator.imports.size).toBe(1);
	});
});
