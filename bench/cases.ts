/**
 * The benchmark cases. Each runs alone in its own child process (`child.ts`), so its peak memory is its own.
 *
 * To add a case: append an object to `cases`. `prepare()` builds the input (the memory it holds is the baseline,
 * not counted against the case); `run()` does the measured work and says how many bytes it produced; `cleanup()`
 * (optional) runs after the measurement. Cases that compare with each other share a `group`; the table prints groups
 * together and `run.ts` computes the target ratios. A case that needs a large file names it in `fixture`: `run.ts`
 * makes it once (see `fixtures`), in a process of its own, before any case runs. A case may time stages of its work on
 * their own (`measureStage`, stages.ts): the households-and-members chain (householdCases.ts) times each node, the
 * lookup-table upload (lookupTableCases.ts) each piece of the node's run.
 */
import { validateProjectSpace } from '../nodes/shared/projectSpace';
import axios from 'axios';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Writable } from 'stream';
import { finished } from 'stream/promises';

import * as ExcelJS from 'exceljs';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import * as XLSX from 'xlsx';

import { checkSpreadsheetFile } from '../nodes/CommCareBulkImport/sources/fileSource';
import { CommCareBulkImport } from '../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { CommCareImportStatus } from '../nodes/CommCareImportStatus/CommCareImportStatus.node';
import { CASE_FIELDS, MAX_IDS_PER_REQUEST } from '../nodes/shared/caseApi';
import { DEFAULTS as STATUS_DEFAULTS } from '../nodes/CommCareImportStatus/description';
import { forEachLimited } from '../nodes/shared/concurrency';
import { idCellText } from '../nodes/shared/cellText';
import { planItemsUpload, writeItemsUploadFile } from '../nodes/CommCareBulkImport/sources/itemsPlan';
import { checkedValueColumns, runChecks } from '../nodes/CommCareBulkImport/checks/runChecks';
import { planColumns, safeSheetName } from '../nodes/CommCareBulkImport/spreadsheet/columns';
import { inspectItems, inspectSpreadsheet } from '../nodes/CommCareBulkImport/spreadsheet/inspect';
import { writeItemsXlsx } from '../nodes/CommCareBulkImport/spreadsheet/writer';
import type { ImportSettings } from '../nodes/CommCareBulkImport/parameters';
import type { UploadResultJson } from '../nodes/shared/outputContract';
import { buildUploadForm, type SpreadsheetFile } from '../nodes/CommCareBulkImport/upload';
import { uploadFileName } from '../nodes/CommCareBulkImport/spreadsheet/formats';
import { emulatorCredential, recordResultItems, type SheetRow } from '../test/support/emulator';
import { binaryItem, runNode } from '../test/support/n8nContext';
import { writeZipBomb } from '../test/support/zipBomb';
import { LARGE_FILE_TARGET_BYTES, lookupRecords, makeRows, writeLargeXlsx } from './data';
import { startEmulatorProcess, type EmulatorProcess } from './emulatorHost';
import type { BenchCase } from './benchCase';
import { householdCases } from './householdCases';
import { lookupTableCases } from './lookupTableCases';

export type { BenchCase };

/** Large input files, made once by `run.ts` (`node child.js --fixture <name>`) and kept between runs. */
export const fixtures: Record<string, { path: string; make(path: string): Promise<void> }> = {
	zipBomb: {
		// A worksheet of 1 GiB of markup, deflated as tight as deflate goes (about 1,000:1), sizes after the data.
		path: path.join(
			path.dirname(require.resolve('exceljs/package.json')),
			'..',
			'.cache',
			'commcare-bench-fixtures',
			'zip-bomb-1gib-v1.xlsx',
		),
		async make(file) {
			await writeZipBomb(file, { inflatedBytes: 1024 * 1024 * 1024 });
		},
	},
	largeXlsx: {
		// The name carries a version: change it when `writeLargeXlsx` changes, so the file is made again.
		// In node_modules/.cache, found from exceljs's folder: the same place for run.ts and for the transpiled children.
		path: path.join(
			path.dirname(require.resolve('exceljs/package.json')),
			'..',
			'.cache',
			'commcare-bench-fixtures',
			'cases-100mb-v1.xlsx',
		),
		async make(file) {
			const out = createWriteStream(file);
			await writeLargeXlsx(out);
			await finished(out);
		},
	},
};

/** A sink that counts bytes and drops them: measures building the file, not the disk. */
function countingSink(): Writable & { bytes: number } {
	const sink = new Writable({
		write(chunk: Buffer, _encoding, callback) {
			sink.bytes += chunk.length;
			callback();
		},
	}) as Writable & { bytes: number };
	sink.bytes = 0;
	return sink;
}

const buildInput = async () => {
	const items = makeRows();
	return { items, columns: planColumns(items) };
};
type BuildInput = Awaited<ReturnType<typeof buildInput>>;

const buildCases: Array<BenchCase<BuildInput>> = [
	{
		name: 'ours',
		group: 'build .xlsx from 100k x 20 items',
		description: "the node's path: writeItemsXlsx (value rules, text ids, dates, streaming with backpressure)",
		prepare: buildInput,
		async run({ items }) {
			const out = countingSink();
			// Column planning is part of the node's path, so it is measured too.
			const columns = planColumns(items, { ensure: ['case_id'] });
			await writeItemsXlsx(items, columns, out, {
				sheetName: safeSheetName('patient'),
				textColumns: ['case_id', 'external_id'],
				nestedAsJson: false,
			});
			return { outputBytes: out.bytes };
		},
	},
	{
		name: 'rawExceljs',
		group: 'build .xlsx from 100k x 20 items',
		description: 'exceljs stream.xlsx.WorkbookWriter, values as they are, one addRow().commit() per item',
		prepare: buildInput,
		async run({ items, columns }) {
			const out = countingSink();
			const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
				stream: out,
				useStyles: false,
				useSharedStrings: false,
			});
			const sheet = workbook.addWorksheet('cases');
			sheet.addRow(columns).commit();
			for (const item of items)
				sheet.addRow(columns.map((column) => (item[column] ?? null) as ExcelJS.CellValue)).commit();
			sheet.commit();
			await workbook.commit();
			return { outputBytes: out.bytes };
		},
	},
	{
		name: 'sheetjs',
		group: 'build .xlsx from 100k x 20 items',
		description:
			"n8n Convert to File's path: SheetJS 0.18.5 json_to_sheet, then write (bookSST false, no compression: its defaults)",
		prepare: buildInput,
		async run({ items }) {
			const sheet = XLSX.utils.json_to_sheet(items as IDataObject[]);
			const workbook = XLSX.utils.book_new();
			XLSX.utils.book_append_sheet(workbook, sheet, 'Sheet');
			const buffer = XLSX.write(workbook, { bookType: 'xlsx', bookSST: false, type: 'buffer' }) as Buffer;
			return { outputBytes: buffer.length };
		},
	},
];

const settings: ImportSettings = {
	projectSpace: validateProjectSpace('demo'),
	caseType: 'patient',
	searchField: 'external_id',
	searchColumn: 'external_id',
	createNewCases: true,
	nameColumn: 'name',
	comment: '',
};

const checkCases: BenchCase[] = [
	{
		name: 'checkItems',
		group: 'checks before upload, 100k x 20',
		description: 'inspectItems + runChecks on the items (what the items source does before writing)',
		prepare: buildInput,
		async run(input) {
			const { items, columns } = input as BuildInput;
			const inspection = inspectItems(items, columns, {
				sheetName: 'cases',
				textColumns: ['case_id', 'external_id'],
				nestedAsJson: false,
				valueColumns: checkedValueColumns(settings, columns),
				searchColumn: settings.searchColumn,
			});
			runChecks({ settings, ...inspection, rowToItem: (row) => row - 2 });
			return { outputBytes: 0 };
		},
	},
	{
		name: 'checkXlsxFile',
		group: 'checks before upload, 100k x 20',
		description: 'inspectSpreadsheet (rows as openpyxl reads them) + runChecks on a 100k-row .xlsx file read from disk',
		async prepare() {
			const { items, columns } = await buildInput();
			const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'commcare-bench-')), 'cases.xlsx');
			const out = createWriteStream(file);
			await writeItemsXlsx(items, columns, out, {
				sheetName: 'cases',
				textColumns: ['case_id', 'external_id'],
				nestedAsJson: false,
			});
			await finished(out);
			return { file, headers: columns };
		},
		async run(input) {
			const { file, headers } = input as { file: string; headers: string[] };
			const inspection = await inspectSpreadsheet(createReadStream(file), 'xlsx', {
				valueColumns: checkedValueColumns(settings, headers),
				searchColumn: settings.searchColumn,
			});
			runChecks({ settings, ...inspection });
			rmSync(path.dirname(file), { recursive: true, force: true });
			return { outputBytes: 0 };
		},
	},
];

// ---------------------------------------------------------------------------------------------------------------
// Uploads to the emulator (in a process of its own: see emulatorHost.ts)

/**
 * Made when a case runs, in the child (plain JavaScript). run.ts, under ts-node, loads this module too, and there the
 * import path finds the node's codex file (CommCareBulkImport.node.json) before its code.
 */
let bulkImportNode: CommCareBulkImport | undefined;
const bulkImport = () => (bulkImportNode ??= new CommCareBulkImport());

function credentialsFor(emulator: EmulatorProcess) {
	return emulatorCredential(emulator);
}

/** The single upload item of a Bulk Import run; fails the case when the node did not end in one accepted upload. */
async function acceptedUpload(
	emulator: EmulatorProcess,
	outputs: INodeExecutionData[][],
): Promise<{ json: UploadResultJson; bytes: number }> {
	const items = outputs[0] ?? [];
	const json = items[0]?.json as UploadResultJson | undefined;
	if (items.length !== 1 || !json?.status_url)
		throw new Error(`expected one accepted upload, got ${JSON.stringify(items).slice(0, 500)}`);
	const { contentLengths } = await emulator.uploadsReceived();
	if (contentLengths.length !== 1) throw new Error(`the emulator received ${contentLengths.length} uploads, not 1`);
	return { json, bytes: contentLengths[0] ?? 0 };
}

/** POSTs a prepared file the way the node does (its form, form-data, axios), without the node around it. */
async function postFile(emulator: EmulatorProcess, settings: ImportSettings, file: SpreadsheetFile): Promise<number> {
	const form = buildUploadForm(settings, file.fileName, await file.open(), file.knownLength);
	const response = await axios.post(
		`${emulator.baseUrl}/a/${settings.projectSpace}/importer/excel/bulk_upload_api/`,
		form,
		{
			headers: { ...form.getHeaders(), Authorization: `ApiKey ${emulator.username}:${emulator.apiKey}` },
			maxBodyLength: Infinity,
			maxRedirects: 0,
		},
	);
	if (response.status !== 200 || typeof (response.data as { status_url?: unknown }).status_url !== 'string') {
		throw new Error(`upload not accepted: ${response.status} ${JSON.stringify(response.data)}`);
	}
	const { contentLengths } = await emulator.uploadsReceived();
	return contentLengths[0] ?? 0;
}

const itemsSettings: ImportSettings = { ...settings, projectSpace: validateProjectSpace('demo'), caseType: 'patient' };
const itemsParameters = {
	projectSpace: validateProjectSpace('demo'),
	caseType: 'patient',
	source: 'items',
	searchField: 'external_id',
	createNewCases: true,
	// One item per upload, as the figures in README.md measure it (a new node outputs one per record).
	output: 'perUpload',
};

interface ExecuteInput {
	emulator: EmulatorProcess;
	items: INodeExecutionData[];
}

interface PreparedFileInput {
	emulator: EmulatorProcess;
	file: SpreadsheetFile;
	folder: string;
}

const executeItems: BenchCase<ExecuteInput> = {
	name: 'executeItems',
	group: 'execute(): 100k x 20 items to an accepted upload',
	description:
		"Bulk Import's whole execute(), source Input Items: checks, .xlsx to a temporary file, streamed upload, answer",
	async prepare() {
		const items = makeRows().map((json) => ({ json }));
		const emulator = await startEmulatorProcess();
		await emulator.acceptUploads(1);
		return { emulator, items };
	},
	async run({ emulator, items }) {
		const { outputs } = await runNode({
			node: bulkImport(),
			credentials: credentialsFor(emulator),
			items,
			parameters: itemsParameters,
		});
		return { outputBytes: (await acceptedUpload(emulator, outputs)).bytes };
	},
	cleanup: async ({ emulator }) => await emulator.close(),
};

const postPreparedFile: BenchCase<PreparedFileInput> = {
	name: 'postPreparedFile',
	group: 'execute(): 100k x 20 items to an accepted upload',
	description: 'baseline: the same .xlsx, already written to disk, POSTed with form-data + axios (the transfer alone)',
	async prepare() {
		const rows = makeRows();
		const folder = mkdtempSync(path.join(os.tmpdir(), 'commcare-bench-'));
		// The file the node would send: its plan and its writer.
		const plan = planItemsUpload(rows, itemsSettings, {
			columns: [],
			excludeColumns: [],
			nestedAsJson: false,
			rowsPerUpload: 100_000,
			fileName: uploadFileName('cases.xlsx'),
		});
		const file = await writeItemsUploadFile(plan, plan.uploads[0], folder);
		const emulator = await startEmulatorProcess();
		await emulator.acceptUploads(1);
		return { emulator, file, folder };
	},
	async run({ emulator, file }) {
		return { outputBytes: await postFile(emulator, itemsSettings, file) };
	},
	async cleanup({ emulator, folder }) {
		await emulator.close();
		rmSync(folder, { recursive: true, force: true });
	},
};

interface LargeUploadInput {
	emulator: EmulatorProcess;
	items: INodeExecutionData[];
}

/** The 100 MB file as an input item in n8n's filesystem binary-data mode (bytes on disk, an id in the item). */
async function largeUploadInput(): Promise<LargeUploadInput> {
	const file = fixtures.largeXlsx.path;
	if (statSync(file).size < LARGE_FILE_TARGET_BYTES * 0.9)
		throw new Error(`${file} is smaller than expected: delete it to have it made again`);
	// The buffer is only on its way to the binary-data folder; it is released before the baseline is taken.
	const items = [binaryItem(readFileSync(file), 'cases.xlsx', { mode: 'filesystem' })];
	const emulator = await startEmulatorProcess();
	await emulator.acceptUploads(1);
	return { emulator, items };
}

const largeUploadParameters = { ...itemsParameters, source: 'binary', binaryPropertyName: 'data' };

const uploadCases: Array<BenchCase<LargeUploadInput>> = [
	{
		name: 'uploadFileChecked',
		group: 'upload a 100 MB .xlsx from filesystem binary mode',
		description:
			'execute(), source Spreadsheet File, checks on: the file is read for the checks, then streamed to the upload',
		fixture: 'largeXlsx',
		prepare: largeUploadInput,
		async run({ emulator, items }) {
			const { outputs } = await runNode({
				node: bulkImport(),
				credentials: credentialsFor(emulator),
				items,
				parameters: largeUploadParameters,
			});
			const { json, bytes } = await acceptedUpload(emulator, outputs);
			if (json.rowCount !== 100_000) throw new Error(`the checks counted ${json.rowCount} rows, not 100000`);
			return { outputBytes: bytes };
		},
		cleanup: async ({ emulator }) => await emulator.close(),
	},
	{
		name: 'uploadFileSkipChecks',
		group: 'upload a 100 MB .xlsx from filesystem binary mode',
		description:
			'execute(), source Spreadsheet File, Skip Checks Before Upload: the file is only streamed to the upload',
		fixture: 'largeXlsx',
		prepare: largeUploadInput,
		async run({ emulator, items }) {
			const { outputs } = await runNode({
				node: bulkImport(),
				credentials: credentialsFor(emulator),
				items,
				parameters: { ...largeUploadParameters, options: { skipChecks: true } },
			});
			return { outputBytes: (await acceptedUpload(emulator, outputs)).bytes };
		},
		cleanup: async ({ emulator }) => await emulator.close(),
	},
	{
		name: 'postLargeFile',
		group: 'upload a 100 MB .xlsx from filesystem binary mode',
		description: 'baseline: the same file streamed from disk with form-data + axios, no node (what any upload costs)',
		fixture: 'largeXlsx',
		async prepare() {
			const emulator = await startEmulatorProcess();
			await emulator.acceptUploads(1);
			return { emulator, items: [] };
		},
		async run({ emulator }) {
			const file = fixtures.largeXlsx.path;
			const spreadsheet: SpreadsheetFile = {
				fileName: uploadFileName('cases.xlsx'),
				knownLength: statSync(file).size,
				open: async () => createReadStream(file),
			};
			return { outputBytes: await postFile(emulator, itemsSettings, spreadsheet) };
		},
		cleanup: async ({ emulator }) => await emulator.close(),
	},
];

const checkLargeFile: BenchCase<void> = {
	name: 'checkLargeFile',
	group: 'upload a 100 MB .xlsx from filesystem binary mode',
	description:
		"the node's checks alone on the same file (checkSpreadsheetFile), nothing sent: the first half of uploadFileChecked",
	fixture: 'largeXlsx',
	async prepare() {},
	async run() {
		const file = fixtures.largeXlsx.path;
		const spreadsheet: SpreadsheetFile = {
			fileName: uploadFileName('cases.xlsx'),
			knownLength: statSync(file).size,
			open: async () => createReadStream(file),
		};
		const findings = await checkSpreadsheetFile(spreadsheet, itemsSettings);
		if (findings.rowCount !== 100_000 || findings.errors.length > 0)
			throw new Error(`unexpected findings: ${JSON.stringify(findings).slice(0, 500)}`);
		return { outputBytes: 0 };
	},
};

const zipBombChecked: BenchCase<void> = {
	name: 'zipBombChecked',
	group: 'checks on a file made to inflate to 1 GiB',
	description:
		"the node's checks (checkSpreadsheetFile) on a 1 MB .xlsx whose worksheet inflates to 1 GiB: refused, nothing sent",
	fixture: 'zipBomb',
	async prepare() {},
	async run() {
		const file = fixtures.zipBomb.path;
		const spreadsheet: SpreadsheetFile = {
			fileName: uploadFileName('cases.xlsx'),
			knownLength: statSync(file).size,
			open: async () => createReadStream(file),
		};
		const findings = await checkSpreadsheetFile(spreadsheet, itemsSettings);
		if (findings.errors[0]?.code !== 'unreadableFile')
			throw new Error(`the bomb was not refused: ${JSON.stringify(findings).slice(0, 300)}`);
		return { outputBytes: 0 };
	},
};

// ---------------------------------------------------------------------------------------------------------------
// Case IDs looked up after a finished import (Import Status, per-record items)

let importStatusNode: CommCareImportStatus | undefined;
const importStatus = () => (importStatusNode ??= new CommCareImportStatus());

interface LookupInput {
	emulator: EmulatorProcess;
	/** Bulk Import's per-record items of the import: 100,000, all created at the emulator. */
	items: INodeExecutionData[];
	/** The records' external ids as CommCare stored them (digits-only ids lose their leading zeros). */
	externalIds: string[];
}

async function lookupInput(): Promise<LookupInput> {
	const emulator = await startEmulatorProcess();
	const upload = await emulator.importRecords();
	const rows = lookupRecords() as SheetRow[];
	const items = recordResultItems({ ...upload, rows });
	return { emulator, items, externalIds: rows.map((row) => idCellText(row.external_id) ?? '') };
}

/** Import Status on the lookup's items; fails the case unless every record is Success (with a case when asked). */
async function runImportStatus({ emulator, items }: LookupInput, lookUpCaseIds: boolean): Promise<void> {
	const { outputs } = await runNode({
		node: importStatus(),
		credentials: credentialsFor(emulator),
		items,
		parameters: { pollInterval: 1, timeout: 5, options: { lookUpCaseIds } },
	});
	const success = outputs[0] ?? [];
	const withCase = success.filter((item) => typeof item.json.case_id === 'string').length;
	if (success.length !== items.length || withCase !== (lookUpCaseIds ? items.length : 0))
		throw new Error(`${success.length} records on Success, ${withCase} with a case ID, of ${items.length}`);
	const fetches = await emulator.bulkFetches();
	const expected = lookUpCaseIds ? Math.ceil(items.length / MAX_IDS_PER_REQUEST) : 0;
	if (fetches.length !== expected || fetches.some((fetch) => fetch.externalIds > MAX_IDS_PER_REQUEST))
		throw new Error(`expected ${expected} bulk fetches of at most 5,000, got ${JSON.stringify(fetches)}`);
}

/** A bench case of Import Status's whole execute() on the lookup's items, with Look Up Case IDs on or off. */
const importStatusCase = (name: string, description: string, lookUpCaseIds: boolean): BenchCase<LookupInput> => ({
	name,
	group: 'Import Status: 100k per-record items of a finished import',
	description,
	prepare: lookupInput,
	run: async (input) => {
		await runImportStatus(input, lookUpCaseIds);
		return { outputBytes: 0 };
	},
	cleanup: async ({ emulator }) => await emulator.close(),
});

const lookupCases: Array<BenchCase<LookupInput>> = [
	importStatusCase(
		'statusLookUpCaseIds',
		'execute() with Look Up Case IDs on: the status, then 20 bulk fetches of 5,000 external ids (4 at a time), each record given its case',
		true,
	),
	importStatusCase(
		'statusWithoutLookup',
		'baseline: the same execute() with Look Up Case IDs off (the status and the per-record routing)',
		false,
	),
	{
		name: 'bulkFetchAlone',
		group: 'Import Status: 100k per-record items of a finished import',
		description:
			'baseline: the same 20 bulk fetches sent with axios, 4 at a time, answers parsed into a map (the transfer alone, no node)',
		prepare: lookupInput,
		async run({ emulator, externalIds }) {
			const chunks: string[][] = [];
			for (let start = 0; start < externalIds.length; start += MAX_IDS_PER_REQUEST)
				chunks.push(externalIds.slice(start, start + MAX_IDS_PER_REQUEST));
			const caseIdOf = new Map<string, string>();
			let bytes = 0;
			await forEachLimited(chunks, STATUS_DEFAULTS.concurrency, undefined, async (chunk) => {
				const response = await axios.post<string>(
					`${emulator.baseUrl}/a/${emulator.domain}/api/case/v2/bulk-fetch/?fields=${CASE_FIELDS.join(',')}`,
					{ external_ids: chunk },
					{
						headers: { Authorization: `ApiKey ${emulator.username}:${emulator.apiKey}` },
						responseType: 'text',
					},
				);
				bytes += response.data.length;
				const answer = JSON.parse(response.data) as { cases: Array<{ case_id?: string; external_id?: string }> };
				for (const found of answer.cases)
					if (found.case_id && found.external_id) caseIdOf.set(found.external_id, found.case_id);
			});
			if (caseIdOf.size !== externalIds.length)
				throw new Error(`${caseIdOf.size} cases found of ${externalIds.length}`);
			return { outputBytes: bytes };
		},
		cleanup: async ({ emulator }) => await emulator.close(),
	},
];

export const cases: BenchCase[] = [
	...(buildCases as BenchCase[]),
	...checkCases,
	executeItems as BenchCase,
	postPreparedFile as BenchCase,
	...(uploadCases as BenchCase[]),
	checkLargeFile as BenchCase,
	zipBombChecked as BenchCase,
	...(lookupCases as BenchCase[]),
	...householdCases,
	...lookupTableCases,
];
