/**
 * Our package in n8n 2.40.7 queue mode: PostgreSQL, Redis, one main and two workers, the packed package installed in
 * every process's nodes folder, once per binary-data mode (`database`, n8n's queue-mode default; `filesystem` on a
 * shared volume; `default`, in memory). The CommCare HQ emulator runs in this jest process on loopback; every
 * workflow is started by a production webhook on the main and runs on a worker. Results are read back from the
 * database and checked like the single-process end-to-end tests check theirs.
 *
 * In each mode:
 * - the spreadsheet-file example (examples/), its trigger swapped for a webhook: the worker reads the file from disk;
 * - the same three spreadsheets posted to the main as multipart uploads: the binary is stored by the main and read
 *   by a worker, which is where the binary-data modes differ;
 * - ten executions started together, each with its own rows (half of them with rows CommCare refuses), made into an
 *   .xlsx by Convert to File in the worker: each execution gets the outcome of its own rows, every upload reaches
 *   CommCare exactly once;
 * - ten runs of the Google Sheets example started together (input items, one output item per record): every record
 *   of every execution on its own output (accepted rows on Success, refused rows on Warning);
 * - the Postgres example once: a new, a known and a refused registration.
 * Last, the three modes are compared: same outputs (apart from ids and timings), same cases at CommCare.
 *
 * Figures (wall time of the ten, worker peak memory) are printed, never asserted.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { IBinaryData, IDataObject, INodeExecutionData } from 'n8n-workflow';
import * as XLSX from 'xlsx';

import {
	commCareCredential,
	FILE_EXAMPLE,
	POSTGRES_EXAMPLE,
	SHEETS_EXAMPLE,
	type WorkflowJson,
} from '../../examples/workflows';
import { ensureN8n, type N8nInstall } from '../harness/n8n/install';
import type { BinaryDataMode } from '../harness/n8n/instance';
import { packPackage } from '../harness/n8n/pack';
import { startQueueCluster, type MemoryPeak, type QueueCluster, type StoredExecution } from '../harness/n8n/queue';
import { ERROR_TEXT, startEmulator, userIdOf, type Emulator } from '../../emulator';
import { xlsxFile } from '../support/emulator';
import {
	fileExampleWorkflow,
	fileUploadWorkflow,
	NODE,
	OUTCOME_NODES,
	rowsExampleWorkflow,
	rowsToSpreadsheetWorkflow,
	type ScaleWorkflowOptions,
} from './commcareWorkflows';

const N8N_VERSION = '2.40.7';
const WORKERS = 2;
const CONCURRENCY_PER_WORKER = 5;
const CONCURRENT_EXECUTIONS = 10;
/** A few queued and running answers before the result, as a busy CommCare gives. */
const TIMELINE = { queuedPolls: 3, runningPolls: 2 };
const POLLS_PER_IMPORT = TIMELINE.queuedPolls + TIMELINE.runningPolls + 1;
const CASE_TYPE = 'patient';
const CREDENTIAL = { id: 'queueCommCare', name: 'CommCare (emulator)' };
const BINARY_DATA_MODES: BinaryDataMode[] = ['database', 'filesystem', 'default'];
const XLSX_MIME_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

jest.setTimeout(20 * 60_000);

// ---------------------------------------------------------------------------------------------------------------
// The spreadsheets, and what CommCare and the Import Status node must make of each

type OutputIndex = 0 | 1 | 2;
const OUTPUT = { success: 0, warning: 1, error: 2 } as const;

interface ExpectedImport {
	output: OutputIndex;
	/** The outcome in the words of Import Status version 1 (the workflows these tests build). */
	outcome: Partial<Record<string, unknown>>;
	/** What version 1.2 (the examples') says instead: one short line, and what to do. */
	plainWords: { summary: string; description: string | null };
	/** The state CommCare's import ended in (the emulator's record of it). */
	finalState: 2 | 3;
	/** Cases this spreadsheet creates: name, owner, properties. */
	cases: Array<{ name: string; owner_id: string; properties: Record<string, string> }>;
}

const HEADER = ['case_id', 'name', 'age', 'village', 'owner_id'];
const SPREADSHEETS: Record<string, { rows: string[][]; expected: ExpectedImport }> = {
	'all-good.xlsx': {
		rows: [
			HEADER,
			['', 'Amina Yusuf', '34', 'Kibera', 'owner-chw-1'],
			['', 'Joseph Otieno', '51', 'Mathare', 'owner-chw-2'],
			['', 'Grace Wanjiru', '27', 'Kibera', ''],
		],
		expected: {
			output: OUTPUT.success,
			outcome: {
				outcome: 'success',
				reason: 'imported',
				summary: 'Import finished: 3 cases created, 0 updated.',
				created_count: 3,
				match_count: 0,
				errors: [],
			},
			plainWords: { summary: '3 patient cases created, 0 updated', description: null },
			finalState: 2,
			cases: [
				{ name: 'Amina Yusuf', owner_id: 'owner-chw-1', properties: { age: '34', village: 'Kibera' } },
				{ name: 'Joseph Otieno', owner_id: 'owner-chw-2', properties: { age: '51', village: 'Mathare' } },
				// No owner: the uploading user owns the case.
				{ name: 'Grace Wanjiru', owner_id: 'uploader', properties: { age: '27', village: 'Kibera' } },
			],
		},
	},
	'bad-owners.xlsx': {
		rows: [
			HEADER,
			['', 'Peter Kamau', '45', 'Kibera', 'owner-chw-1'],
			['', 'Mary Achieng', '38', 'Mathare', 'no-such-owner'],
			['', 'John Mwangi', '29', 'Kibera', 'group-district-a'],
			['', 'Ann Njeri', '61', 'Mathare', 'another-unknown-owner'],
		],
		expected: {
			output: OUTPUT.warning,
			outcome: {
				outcome: 'warning',
				reason: 'rowErrors',
				summary: 'Import finished: 2 cases created, 0 updated, 2 rows not imported (Invalid Owner: rows 3, 5)',
				created_count: 2,
				match_count: 0,
				errors: [{ ...ERROR_TEXT.invalidOwner, column: 'owner_id', rows: [3, 5] }],
			},
			plainWords: {
				summary: '2 patient cases created, 0 updated; 2 sheet rows not imported (Invalid Owner)',
				description: 'Fix the sheet rows errors lists and send them again; the other rows were imported.',
			},
			finalState: 2,
			cases: [
				{ name: 'Peter Kamau', owner_id: 'owner-chw-1', properties: { age: '45', village: 'Kibera' } },
				{ name: 'John Mwangi', owner_id: 'group-district-a', properties: { age: '29', village: 'Kibera' } },
			],
		},
	},
	// A reserved `type` column: CommCare accepts the upload, then fails the whole import (docs/commcare-api.md §5, §6.5).
	'reserved-column.xlsx': {
		rows: [
			['case_id', 'name', 'type'],
			['', 'Amina Yusuf', 'adult'],
		],
		expected: {
			output: OUTPUT.error,
			outcome: {
				outcome: 'error',
				reason: 'failed',
				summary:
					'Import failed: Error: Field name "type" is reserved. CommCare may have applied some rows before it failed: check the cases in CommCare (or Data → Import Cases from Excel in CommCare HQ) before sending the rows again.',
				created_count: null,
				match_count: null,
				errors: [{ title: null, description: 'Error: Field name "type" is reserved', column: null, rows: [] }],
			},
			plainWords: {
				summary: 'Import of patient cases failed',
				description:
					'CommCare may have applied some rows before it failed: check the patient cases in CommCare (or Data → Import Cases from Excel in CommCare HQ) before sending the rows again.',
			},
			finalState: 3,
			cases: [],
		},
	},
};
const SPREADSHEET_NAMES = Object.keys(SPREADSHEETS);

interface BatchRow {
	external_id: string;
	name: string;
	village: string;
	owner_id: string;
}

/** The rows one of the ten concurrent executions posts. Even batches carry two rows with an owner CommCare refuses. */
function batchRows(batch: string, batchNumber: number): BatchRow[] {
	const count = 2 + batchNumber;
	return Array.from({ length: count }, (_, index) => {
		const position = index + 1;
		const refused = batchNumber % 2 === 0 && (position === 2 || position === count);
		return {
			external_id: `${batch}-r${position}`,
			name: `Case ${position} of ${batch}`,
			village: position % 2 === 1 ? 'Kibera' : 'Mathare',
			owner_id: refused ? `unknown-owner-${batch}` : position % 2 === 1 ? 'owner-chw-1' : 'owner-chw-2',
		};
	});
}

const BATCHES = Array.from({ length: CONCURRENT_EXECUTIONS }, (_, index) => {
	const batch = `batch-${String(index + 1).padStart(2, '0')}`;
	return { batch, rows: batchRows(batch, index + 1) };
});

// ---------------------------------------------------------------------------------------------------------------
// Shared set-up: one n8n install, one packed tarball, one emulator for the whole file

let install: N8nInstall;
let scratchDir: string;
/** The spreadsheets on disk, readable by the workers (N8N_RESTRICT_FILE_ACCESS_TO). */
let filesDir: string;
let tarball: string;
let emulator: Emulator;
const spreadsheetBytes = new Map<string, Buffer>();

/** Per mode: every output and the cases at CommCare, with ids and timings taken out, for the comparison at the end. */
const comparableResults = new Map<BinaryDataMode, Record<string, unknown>>();
const report: string[] = [];

beforeAll(async () => {
	scratchDir = await fs.mkdtemp(path.join(os.tmpdir(), 'commcare-scale-'));
	filesDir = path.join(scratchDir, 'files');
	await fs.mkdir(filesDir);
	for (const [name, { rows }] of Object.entries(SPREADSHEETS)) {
		const bytes = await xlsxFile(rows);
		spreadsheetBytes.set(name, bytes);
		await fs.writeFile(path.join(filesDir, name), bytes);
	}
	install = await ensureN8n(N8N_VERSION);
	tarball = await packPackage({ destination: scratchDir });
	emulator = await startEmulator({ timeline: TIMELINE });
});

afterAll(async () => {
	await emulator?.close();
	if (scratchDir) await fs.rm(scratchDir, { recursive: true, force: true });
	if (report.length > 0) console.log(`Queue mode with n8n-nodes-commcare:\n  ${report.join('\n  ')}`);
});

beforeEach(() => emulator.reset());

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const jsonOf = (items: INodeExecutionData[]) => items.map((item) => item.json);

function webhookBody(execution: StoredExecution): IDataObject {
	return execution.outputs(NODE.webhook)[0][0].json.body as IDataObject;
}

/** The upload id CommCare put at the end of the status URL path. */
function uploadIdOf(statusUrl: unknown): string {
	const match = /\/uploads\/([0-9a-f-]{36})\/status$/.exec(String(statusUrl));
	if (!match) throw new Error(`Not an emulator status URL: ${String(statusUrl)}`);
	return match[1];
}

/** Deep copy without what differs from run to run: status URLs (they carry upload ids), case ids, times and waits. */
function comparable(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(comparable);
	// Case ids are minted per run; they also appear inside messages.
	if (typeof value === 'string') return value.replace(/\b[0-9a-f]{32}\b/g, '<case id>');
	if (value === null || typeof value !== 'object') return value;
	const copy: Record<string, unknown> = {};
	for (const [key, inner] of Object.entries(value)) {
		if (key === 'waitedSeconds') continue;
		if (key === 'status_url') copy[key] = '<status_url>';
		else if (RUN_TIMES.has(key) && inner !== null) copy[key] = '<time>';
		else copy[key] = comparable(inner);
	}
	return copy;
}

/** Keys holding the moment of this run (the upload's acceptance, a case's dates). */
const RUN_TIMES = new Set(['acceptedAt', 'date_opened', 'date_closed', 'server_last_modified']);

/** Cases at the emulator without their generated ids, in a stable order. */
function casesAtCommCare(): Array<Record<string, unknown>> {
	return emulator.cases
		.byType(emulator.domain, CASE_TYPE)
		.map(({ name, external_id, owner_id, properties, closed }) => ({ name, external_id, owner_id, properties, closed }))
		.sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

/** What each binary-data mode must leave in an item's binary metadata. */
function expectBinaryStoredAs(mode: BinaryDataMode, binary: IBinaryData | undefined, bytes?: Buffer): void {
	expect(binary).toBeDefined();
	if (mode === 'database') expect(binary!.id).toMatch(/^database:/);
	if (mode === 'filesystem') expect(binary!.id).toMatch(/^filesystem-v2:/);
	if (mode === 'default') {
		expect(binary!.id).toBeUndefined();
		if (bytes) expect(Buffer.from(binary!.data, 'base64')).toEqual(bytes);
	}
}

interface NodeNames {
	bulkImport: string;
	status: string;
	/** The nodes fed by Success, Warning, Error (and, from Import Status 1.2, Not Finished). */
	outcomes: readonly string[];
}

/** Started by the webhook and finished without an error (the error's message shows when not). */
function expectSucceeded(execution: StoredExecution): void {
	const { status, finished, mode, error } = execution;
	const failedNode = (error as { node?: { name?: string } } | undefined)?.node?.name;
	expect({ status, finished, mode, error: error && `${failedNode}: ${error.message}` }).toEqual({
		status: 'success',
		finished: true,
		mode: 'webhook',
		error: undefined,
	});
}

/** Keys only Import Status version 1 (the workflows these tests build) adds to a simplified upload outcome. */
const FULL_OUTCOME_ONLY_KEYS = ['state', 'percent', 'num_chunks', 'timedOut', 'polls', 'waitedSeconds'];

/**
 * One spreadsheet's run, checked the way the single-process tests check theirs: the upload item, the one outcome on
 * the expected output (none on the others), only that branch ran, and the import at CommCare polled to its end.
 * `statusOutput` says which form the workflow's Import Status gives. Returns the run's outputs in comparable form.
 */
function expectSpreadsheetRun(
	execution: StoredExecution,
	fileName: string,
	names: NodeNames,
	statusOutput: 'simplified' | 'full',
): Record<string, unknown> {
	const { expected } = SPREADSHEETS[fileName];
	expectSucceeded(execution);

	const [uploaded] = execution.outputs(names.bulkImport);
	expect(jsonOf(uploaded)).toEqual([
		expect.objectContaining({
			status_url: expect.stringMatching(new RegExp(`^${emulator.baseUrl}/a/${emulator.domain}/importer/`)),
			code: 200,
			message: 'success',
			projectSpace: emulator.domain,
			caseType: CASE_TYPE,
			fileName,
			createNewCases: true,
		}),
	]);
	expect(uploaded[0].pairedItem).toEqual({ item: 0 });

	const outputs = execution.outputs(names.status);
	// Version 1.2 (the examples) has a fourth output, Not Finished: nothing there, every import finished.
	const outputCount = statusOutput === 'simplified' ? 4 : 3;
	expect(outputs.map((items) => items.length)).toEqual(
		Array.from({ length: outputCount }, (_, index) => (index === expected.output ? 1 : 0)),
	);
	const [outcome] = outputs[expected.output];
	const simplified = {
		...expected.outcome,
		status_url: uploaded[0].json.status_url,
		// Silent skips can only be counted when the upload knew how many rows it sent (checks read the file).
		skipped_count: expected.outcome.outcome === 'error' || uploaded[0].json.rowCount === null ? null : 0,
		upload: uploaded[0].json,
	};
	if (statusOutput === 'simplified') {
		// Version 1.2's words, in reading order: the verdict and what to do first, the status URL last.
		const { outcome: verdict, reason, created_count, match_count, errors } = expected.outcome;
		expect(outcome.json).toEqual({
			outcome: verdict,
			reason,
			...expected.plainWords,
			created_count,
			match_count,
			skipped_count: simplified.skipped_count,
			errors,
			warnings: uploaded[0].json.warnings,
			upload: uploaded[0].json,
			status_url: uploaded[0].json.status_url,
		});
		expect(Object.keys(outcome.json).at(-1)).toBe('status_url');
	} else {
		expect(Object.keys(outcome.json).sort()).toEqual([...Object.keys(simplified), ...FULL_OUTCOME_ONLY_KEYS].sort());
		expect(outcome.json).toMatchObject({
			...simplified,
			state: expected.finalState,
			timedOut: false,
			polls: POLLS_PER_IMPORT,
		});
	}
	expect(outcome.pairedItem).toEqual({ item: 0 });
	names.outcomes.forEach((nodeName, index) => {
		if (index === expected.output) expect(jsonOf(execution.outputs(nodeName)[0])).toEqual([outcome.json]);
		else expect(execution.runData[nodeName]).toBeUndefined();
	});

	const commCareImport = emulator.imports.get(uploadIdOf(uploaded[0].json.status_url));
	expect(commCareImport).toMatchObject({
		fileName,
		caseType: CASE_TYPE,
		polls: POLLS_PER_IMPORT,
		finalState: expected.finalState,
	});
	return comparable({ uploaded: jsonOf(uploaded), outputs: outputs.map(jsonOf) }) as Record<string, unknown>;
}

/** Each spreadsheet arrived once, byte for byte, and CommCare holds exactly the cases they make. */
function expectSpreadsheetsAtCommCare(): void {
	expect(emulator.uploads.map((upload) => upload.fileName).sort()).toEqual([...SPREADSHEET_NAMES].sort());
	for (const upload of emulator.uploads) {
		expect(upload.status).toBe(200);
		expect(upload.file).toEqual(spreadsheetBytes.get(upload.fileName!));
	}
	expect(emulator.imports.size).toBe(SPREADSHEET_NAMES.length);
	const uploader = userIdOf(emulator.username);
	const expectedCases = SPREADSHEET_NAMES.flatMap((name) => SPREADSHEETS[name].expected.cases)
		.map(({ name, owner_id, properties }) => ({
			name,
			external_id: '',
			owner_id: owner_id === 'uploader' ? uploader : owner_id,
			properties,
			closed: false,
		}))
		.sort((a, b) => a.name.localeCompare(b.name));
	expect(casesAtCommCare()).toEqual(expectedCases);
}

async function postJson(url: string, body: object): Promise<void> {
	const response = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
	expect(response.status).toBe(200);
	await response.text();
}

function describeMemory(peaks: MemoryPeak[]): string {
	const mib = (kb: number) => `${Math.round(kb / 1024)} MiB`;
	return peaks
		.map((peak) => {
			const runners = peak.children.map((child) => mib(child.peakRssKb)).join(', ');
			return `${peak.name} ${mib(peak.peakRssKb)}${runners ? ` (task runner ${runners})` : ''}`;
		})
		.join('; ');
}

/** The ten executions' results, read back: which worker ran each, and the figures for the report. */
interface ConcurrentRun {
	executions: Array<{ execution: StoredExecution; batch: string; worker: string | undefined }>;
	wallSeconds: number;
	memoryBefore: MemoryPeak[];
	memoryAfter: MemoryPeak[];
}

/** Posts every batch's rows to the webhook at once and reads the executions back once all have finished. */
async function runBatchesTogether(
	cluster: QueueCluster,
	workflowId: string,
	webhookPath: string,
	bodies: object[],
): Promise<ConcurrentRun> {
	const memoryBefore = await cluster.workerMemoryPeaks();
	const startedAt = Date.now();
	await Promise.all(bodies.map((body) => postJson(cluster.webhookUrl(webhookPath), body)));
	const summaries = await cluster.waitForExecutions(workflowId, bodies.length);
	const wallSeconds = (Math.max(...summaries.map((summary) => summary.stoppedAt!)) - startedAt) / 1000;
	const memoryAfter = await cluster.workerMemoryPeaks();
	const ranOn = await cluster.executionsByWorker();
	const executions = [];
	for (const summary of summaries) {
		const execution = await cluster.readExecution(summary.id);
		executions.push({ execution, batch: webhookBody(execution).batch as string, worker: ranOn.get(summary.id) });
	}
	return { executions, wallSeconds, memoryBefore, memoryAfter };
}

/**
 * What must hold for every "ten at once" run, whatever the workflow: one execution per batch, each succeeded on a
 * worker, both workers took a share, and CommCare received one upload per execution, each exactly once.
 * Returns the executions per worker, for the report.
 */
function expectEachBatchOnceAcrossWorkers(run: ConcurrentRun): Record<string, number> {
	expect(run.executions.map(({ batch }) => batch).sort()).toEqual(BATCHES.map(({ batch }) => batch));
	const perWorker: Record<string, number> = {};
	for (const { execution, worker } of run.executions) {
		expectSucceeded(execution);
		expect(worker).toMatch(/^worker-\d$/);
		perWorker[worker!] = (perWorker[worker!] ?? 0) + 1;
	}
	// A worker runs at most CONCURRENCY_PER_WORKER executions at once, and each one waits for its import through
	// several polls, so the second worker is free to take jobs while the first is full.
	expect(Object.keys(perWorker).sort()).toEqual(['worker-1', 'worker-2']);
	expect(emulator.uploads).toHaveLength(CONCURRENT_EXECUTIONS);
	expect(emulator.uploads.every((upload) => upload.status === 200)).toBe(true);
	expect(new Set(emulator.uploads.map((upload) => upload.uploadId)).size).toBe(CONCURRENT_EXECUTIONS);
	expect(emulator.imports.size).toBe(CONCURRENT_EXECUTIONS);
	const acceptedRows = BATCHES.flatMap(({ rows }) => rows.filter((row) => !isRefused(row)));
	expect(
		casesAtCommCare()
			.map((commCareCase) => commCareCase.external_id)
			.sort(),
	).toEqual(acceptedRows.map((row) => row.external_id).sort());
	return perWorker;
}

const isRefused = (row: BatchRow) => row.owner_id.startsWith('unknown-owner-');

/** The rows of the first sheet of an uploaded .xlsx, as text (dates as yyyy-mm-dd), keyed by header. */
function uploadedRows(uploadId: string): Array<Record<string, string>> {
	const upload = emulator.uploads.find((candidate) => candidate.uploadId === uploadId);
	expect(upload).toBeDefined();
	const workbook = XLSX.read(upload!.file!, { type: 'buffer', dateNF: 'yyyy-mm-dd' });
	return XLSX.utils.sheet_to_json(workbook.Sheets[workbook.SheetNames[0]], { raw: false });
}

/** This batch's cases at CommCare, as (external_id, name, owner_id), in external_id order. */
function batchCases(batch: string): Array<Record<string, unknown>> {
	return inExternalIdOrder(
		casesAtCommCare()
			.filter((commCareCase) => String(commCareCase.external_id).startsWith(`${batch}-`))
			.map(({ external_id, name, owner_id }) => ({ external_id, name, owner_id })),
	);
}

/** The cases a batch's accepted rows must have made, in the same form and order as `batchCases`. */
function expectedBatchCases(rows: BatchRow[]): Array<Record<string, unknown>> {
	return inExternalIdOrder(
		rows.filter((row) => !isRefused(row)).map(({ external_id, name, owner_id }) => ({ external_id, name, owner_id })),
	);
}

function inExternalIdOrder<T extends Record<string, unknown>>(cases: T[]): T[] {
	return [...cases].sort((a, b) => String(a.external_id).localeCompare(String(b.external_id)));
}

function concurrencyReport(
	mode: BinaryDataMode,
	label: string,
	run: ConcurrentRun,
	perWorker: Record<string, number>,
): string {
	return (
		`[${mode}] ${label}: ${run.wallSeconds.toFixed(1)} s from the first request to the last execution's end; ` +
		`executions per worker ${JSON.stringify(perWorker)}; worker peak memory before ${describeMemory(run.memoryBefore)}; ` +
		`after ${describeMemory(run.memoryAfter)}`
	);
}

/** Rows of the Google Sheets example: what the Sheets node gives (`row_number`, the result columns, empty). */
function asSheetRows(rows: BatchRow[]): Array<Record<string, unknown>> {
	return rows.map((row, index) => ({ row_number: index + 2, ...row, import_status: '', import_error: '' }));
}

/** The Postgres example's query result: a new registration, one CommCare already has, one CommCare refuses, a blank row. */
const POSTGRES_ROWS = [
	{
		external_id: 'PG-0001',
		name: 'Halima Abdi',
		age: '22',
		village: 'Kibera',
		phone: '+254 700 100 001',
		expected_delivery: '2026-06-01',
		risk_level: 'low',
		owner_id: 'owner-chw-1',
	},
	{
		external_id: 'PG-0002',
		name: 'Rose Akinyi',
		age: '35',
		village: 'Mathare',
		phone: '+254 700 100 002',
		expected_delivery: '2026-07-15',
		risk_level: 'high',
		owner_id: 'owner-chw-2',
	},
	{
		external_id: 'PG-0003',
		name: 'Esther Muthoni',
		age: '29',
		village: 'Kibera',
		phone: '+254 700 100 003',
		expected_delivery: '2026-08-09',
		risk_level: 'low',
		owner_id: 'chw-who-left',
	},
];
/** Imported last month: PG-0002's row updates it. */
const EXISTING_POSTGRES_CASE = {
	case_type: CASE_TYPE,
	external_id: 'PG-0002',
	name: 'Rose Akinyi',
	owner_id: 'owner-chw-2',
	properties: {
		age: '34',
		village: 'Mathare',
		phone: '+254 700 100 002',
		expected_delivery: '2026-07-15',
		risk_level: 'low',
	},
};

// ---------------------------------------------------------------------------------------------------------------
// The suite, once per binary-data mode

type WorkflowKey = 'fileExample' | 'fileUpload' | 'rowsToSpreadsheet' | 'sheetsExample' | 'postgresExample';

describe.each(BINARY_DATA_MODES)(
	`n8n ${N8N_VERSION} queue mode with n8n-nodes-commcare, binary data mode "%s"`,
	(mode) => {
		let cluster: QueueCluster;
		/** Each workflow's id and webhook path in this cluster. */
		const deployed = {} as Record<WorkflowKey, { id: string; path: string }>;
		const results: Record<string, unknown> = {};

		beforeAll(async () => {
			const options = (webhookPath: string): ScaleWorkflowOptions => ({
				webhookPath: `${webhookPath}-${mode}`,
				credential: CREDENTIAL,
				projectSpace: emulator.domain,
				caseType: CASE_TYPE,
				pollIntervalSeconds: 0.2,
				maxPollIntervalSeconds: 0.5,
				timeoutMinutes: 5,
			});
			const workflows: Record<WorkflowKey, WorkflowJson> = {
				fileExample: fileExampleWorkflow(options('file-example'), filesDir),
				fileUpload: fileUploadWorkflow(options('file-upload')),
				rowsToSpreadsheet: rowsToSpreadsheetWorkflow(options('rows-to-spreadsheet')),
				sheetsExample: rowsExampleWorkflow(SHEETS_EXAMPLE, options('sheets-example')),
				postgresExample: rowsExampleWorkflow(POSTGRES_EXAMPLE, options('postgres-example')),
			};
			const startedAt = Date.now();
			cluster = await startQueueCluster(install, {
				workers: WORKERS,
				concurrency: CONCURRENCY_PER_WORKER,
				binaryDataMode: mode,
				tarball,
				env: { N8N_RESTRICT_FILE_ACCESS_TO: filesDir },
				credentials: [
					commCareCredential({
						...CREDENTIAL,
						baseUrl: emulator.baseUrl,
						username: emulator.username,
						apiKey: emulator.apiKey,
					}),
				],
				workflows: Object.values(workflows),
			});
			Object.keys(workflows).forEach((key, index) => {
				const webhook = workflows[key as WorkflowKey].nodes.find((node) => node.name === NODE.webhook)!;
				deployed[key as WorkflowKey] = { id: cluster.workflowIds[index], path: webhook.parameters.path as string };
			});
			report.push(
				`[${mode}] cluster up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s; idle workers: ${describeMemory(await cluster.workerMemoryPeaks())}`,
			);
		});

		afterAll(async () => {
			await cluster?.stop();
			comparableResults.set(mode, results);
		});

		test('the spreadsheet-file example runs on workers: all good → Success, refused owners → Warning, reserved column → Error', async () => {
			const { id, path: webhookPath } = deployed.fileExample;
			await Promise.all(SPREADSHEET_NAMES.map((file) => postJson(cluster.webhookUrl(webhookPath), { file })));
			const executions = await cluster.waitForExecutions(id, SPREADSHEET_NAMES.length);

			const ranOn = await cluster.executionsByWorker();
			const byFile: Record<string, unknown> = {};
			for (const summary of executions) {
				expect(ranOn.get(summary.id)).toMatch(/^worker-\d$/);
				const execution = await cluster.readExecution(summary.id);
				const file = webhookBody(execution).file as string;
				// The worker read the file from disk into binary data, stored the way the mode says.
				const [[read]] = execution.outputs(FILE_EXAMPLE.read);
				expectBinaryStoredAs(mode, read.binary?.data, spreadsheetBytes.get(file));
				byFile[file] = expectSpreadsheetRun(
					execution,
					file,
					{
						bulkImport: FILE_EXAMPLE.bulkImport,
						status: FILE_EXAMPLE.status,
						outcomes: [
							FILE_EXAMPLE.onSuccess,
							FILE_EXAMPLE.onWarning,
							FILE_EXAMPLE.onError,
							FILE_EXAMPLE.onNotFinished,
						],
					},
					'simplified',
				);
			}
			expect(Object.keys(byFile).sort()).toEqual([...SPREADSHEET_NAMES].sort());
			expectSpreadsheetsAtCommCare();
			results.fileExample = byFile;
			results.fileExampleCases = casesAtCommCare();
		});

		test('spreadsheets posted to the main as multipart files are imported by the workers, each routed to its output', async () => {
			const { id, path: webhookPath } = deployed.fileUpload;
			await Promise.all(
				SPREADSHEET_NAMES.map(async (fileName) => {
					const form = new FormData();
					form.append('label', fileName);
					form.append('data', new Blob([spreadsheetBytes.get(fileName)!], { type: XLSX_MIME_TYPE }), fileName);
					const response = await fetch(cluster.webhookUrl(webhookPath), { method: 'POST', body: form });
					expect(response.status).toBe(200);
					await response.text();
				}),
			);
			const executions = await cluster.waitForExecutions(id, SPREADSHEET_NAMES.length);

			const ranOn = await cluster.executionsByWorker();
			const byFile: Record<string, unknown> = {};
			for (const summary of executions) {
				expect(ranOn.get(summary.id)).toMatch(/^worker-\d$/);
				const execution = await cluster.readExecution(summary.id);
				const fileName = webhookBody(execution).label as string;
				// The main stored the file (the webhook runs there); a worker read it back for the upload.
				const [[received]] = execution.outputs(NODE.webhook);
				expect(received.binary?.data).toMatchObject({ fileName, fileExtension: 'xlsx' });
				expectBinaryStoredAs(mode, received.binary?.data, spreadsheetBytes.get(fileName));
				byFile[fileName] = expectSpreadsheetRun(
					execution,
					fileName,
					{
						bulkImport: NODE.bulkImport,
						status: NODE.status,
						outcomes: OUTCOME_NODES,
					},
					'full',
				);
				const upload = emulator.uploads.find((candidate) => candidate.fileName === fileName)!;
				expect(upload.fields.comment).toBe(`queue test ${fileName}`);
			}
			expect(Object.keys(byFile).sort()).toEqual([...SPREADSHEET_NAMES].sort());
			expectSpreadsheetsAtCommCare();
			results.fileUpload = byFile;
			results.fileUploadCases = casesAtCommCare();
		});

		test(`${CONCURRENT_EXECUTIONS} uploads of spreadsheets made in the workers (Convert to File), started together: each execution gets the outcome of its own rows, each upload reaches CommCare once`, async () => {
			const { id, path: webhookPath } = deployed.rowsToSpreadsheet;
			const run = await runBatchesTogether(cluster, id, webhookPath, BATCHES);
			const perWorker = expectEachBatchOnceAcrossWorkers(run);

			const byBatch: Record<string, unknown> = {};
			for (const { execution, batch } of run.executions) {
				const { rows } = BATCHES.find((candidate) => candidate.batch === batch)!;
				const refusedRows = rows.flatMap((row, index) => (isRefused(row) ? [index + 2] : []));

				// The worker made this batch's spreadsheet, stored the way the mode says.
				const [[spreadsheet]] = execution.outputs(NODE.toSpreadsheet);
				expectBinaryStoredAs(mode, spreadsheet.binary?.data);

				const [uploaded] = execution.outputs(NODE.bulkImport);
				expect(jsonOf(uploaded)).toEqual([
					expect.objectContaining({
						fileName: `${batch}.xlsx`,
						comment: `queue test ${batch}`,
						searchField: 'external_id',
					}),
				]);
				const statusUrl = uploaded[0].json.status_url as string;

				// Its outcome speaks of its own rows only.
				const outputs = execution.outputs(NODE.status);
				const expectedOutput = refusedRows.length > 0 ? OUTPUT.warning : OUTPUT.success;
				expect(outputs.map((items) => items.length)).toEqual(
					[0, 1, 2].map((index) => (index === expectedOutput ? 1 : 0)),
				);
				expect(outputs[expectedOutput][0].json).toMatchObject({
					outcome: refusedRows.length > 0 ? 'warning' : 'success',
					reason: refusedRows.length > 0 ? 'rowErrors' : 'imported',
					status_url: statusUrl,
					state: 2,
					created_count: rows.length - refusedRows.length,
					match_count: 0,
					errors: refusedRows.length > 0 ? [{ ...ERROR_TEXT.invalidOwner, column: 'owner_id', rows: refusedRows }] : [],
					polls: POLLS_PER_IMPORT,
					timedOut: false,
				});
				OUTCOME_NODES.forEach((nodeName, index) => {
					if (index === expectedOutput)
						expect(jsonOf(execution.outputs(nodeName)[0])).toEqual(jsonOf(outputs[expectedOutput]));
					else expect(execution.runData[nodeName]).toBeUndefined();
				});

				// At CommCare: this execution's upload holds exactly its rows, and its cases are exactly the accepted ones.
				const uploadId = uploadIdOf(statusUrl);
				expect(uploadedRows(uploadId)).toEqual(rows);
				expect(emulator.imports.get(uploadId)).toMatchObject({
					fileName: `${batch}.xlsx`,
					comment: `queue test ${batch}`,
					polls: POLLS_PER_IMPORT,
				});
				expect(batchCases(batch)).toEqual(expectedBatchCases(rows));
				byBatch[batch] = comparable({ uploaded: jsonOf(uploaded), outputs: outputs.map(jsonOf) });
			}

			results.rowsToSpreadsheet = byBatch;
			results.rowsToSpreadsheetCases = casesAtCommCare();
			report.push(concurrencyReport(mode, `${CONCURRENT_EXECUTIONS} spreadsheet uploads at once`, run, perWorker));
		});

		test(`${CONCURRENT_EXECUTIONS} runs of the Google Sheets example (input items, one item per record) started together: every record of every execution routed on its own, each upload reaches CommCare once`, async () => {
			const { id, path: webhookPath } = deployed.sheetsExample;
			const run = await runBatchesTogether(
				cluster,
				id,
				webhookPath,
				BATCHES.map(({ batch, rows }) => ({ batch, rows: asSheetRows(rows) })),
			);
			const perWorker = expectEachBatchOnceAcrossWorkers(run);

			const byBatch: Record<string, unknown> = {};
			for (const { execution, batch } of run.executions) {
				const { rows } = BATCHES.find((candidate) => candidate.batch === batch)!;

				// One item per record, all with this execution's one upload; the sheet's own columns were left out.
				const [perRecord] = execution.outputs(SHEETS_EXAMPLE.bulkImport);
				const statusUrl = perRecord[0]?.json.status_url as string;
				expect(jsonOf(perRecord)).toEqual(
					rows.map((row, index) => expect.objectContaining({ status_url: statusUrl, row: index + 2, record: row })),
				);
				expect(perRecord.map((item) => item.pairedItem)).toEqual(rows.map((_, index) => ({ item: index })));

				// Accepted records on Success; refused ones on Warning (the import finished, those rows failed) with
				// CommCare's reason; nothing on Error (that is for imports that failed as a whole).
				const [success, warning, error, notFinished] = execution.outputs(SHEETS_EXAMPLE.status);
				const recordOutcome = (row: BatchRow) =>
					expect.objectContaining({
						outcome: isRefused(row) ? 'warning' : 'success',
						reason: isRefused(row) ? 'rowErrors' : 'imported',
						status_url: statusUrl,
						row: rows.indexOf(row) + 2,
						record: row,
						errors: isRefused(row) ? [{ ...ERROR_TEXT.invalidOwner, column: 'owner_id' }] : [],
					});
				expect(jsonOf(success)).toEqual(rows.filter((row) => !isRefused(row)).map(recordOutcome));
				expect(jsonOf(warning)).toEqual(rows.filter(isRefused).map(recordOutcome));
				expect([error, notFinished]).toEqual([[], []]);
				expect(
					[...success, ...warning].map((item) => (item.pairedItem as { item: number }).item).sort((a, b) => a - b),
				).toEqual(rows.map((_, index) => index));
				// The example's branches (Sheets write-backs, the Slack alert), here No Operations.
				expect(jsonOf(execution.outputs(SHEETS_EXAMPLE.onSuccess)[0])).toEqual(jsonOf(success));
				if (warning.length > 0) expect(jsonOf(execution.outputs(SHEETS_EXAMPLE.onWarning)[0])).toEqual(jsonOf(warning));
				else expect(execution.runData[SHEETS_EXAMPLE.onWarning]).toBeUndefined();
				expect(execution.runData[SHEETS_EXAMPLE.onError]).toBeUndefined();
				expect(execution.runData[SHEETS_EXAMPLE.alert]).toBeUndefined();
				expect(execution.runData[SHEETS_EXAMPLE.onNotFinished]).toBeUndefined();

				const uploadId = uploadIdOf(statusUrl);
				expect(uploadedRows(uploadId)).toEqual(rows);
				expect(emulator.imports.get(uploadId)).toMatchObject({ polls: POLLS_PER_IMPORT });
				expect(batchCases(batch)).toEqual(expectedBatchCases(rows));
				byBatch[batch] = comparable({ perRecord: jsonOf(perRecord), outputs: [success, warning, error].map(jsonOf) });
			}

			results.sheetsExample = byBatch;
			results.sheetsExampleCases = casesAtCommCare();
			report.push(
				concurrencyReport(mode, `${CONCURRENT_EXECUTIONS} runs of the Google Sheets example at once`, run, perWorker),
			);
		});

		test('the Postgres example runs on a worker: the new and the known registration on Success, the refused one on Warning', async () => {
			const { id, path: webhookPath } = deployed.postgresExample;
			emulator.cases.add(emulator.domain, EXISTING_POSTGRES_CASE);
			await postJson(cluster.webhookUrl(webhookPath), { batch: 'postgres', rows: POSTGRES_ROWS });
			const [summary] = await cluster.waitForExecutions(id, 1);
			expect((await cluster.executionsByWorker()).get(summary.id)).toMatch(/^worker-\d$/);
			const execution = await cluster.readExecution(summary.id);
			expectSucceeded(execution);

			const [perRecord] = execution.outputs(POSTGRES_EXAMPLE.bulkImport);
			const statusUrl = perRecord[0]?.json.status_url as string;
			expect(jsonOf(perRecord)).toEqual(
				POSTGRES_ROWS.map((row, index) =>
					expect.objectContaining({ status_url: statusUrl, row: index + 2, record: row }),
				),
			);
			const [success, warning, error, notFinished] = execution.outputs(POSTGRES_EXAMPLE.status);
			expect(jsonOf(success)).toEqual([
				expect.objectContaining({
					outcome: 'success',
					reason: 'imported',
					row: 2,
					record: POSTGRES_ROWS[0],
					errors: [],
				}),
				expect.objectContaining({
					outcome: 'success',
					reason: 'imported',
					row: 3,
					record: POSTGRES_ROWS[1],
					errors: [],
				}),
			]);
			expect(jsonOf(warning)).toEqual([
				expect.objectContaining({
					outcome: 'warning',
					reason: 'rowErrors',
					row: 4,
					record: POSTGRES_ROWS[2],
					errors: [{ ...ERROR_TEXT.invalidOwner, column: 'owner_id' }],
				}),
			]);
			expect([error, notFinished]).toEqual([[], []]);
			// The example's Import Status is at version 1.2: the simplified record in reading order, one `outcome` in it.
			expect(Object.keys(success[0].json)).toEqual([
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
			expect(jsonOf(execution.outputs(POSTGRES_EXAMPLE.onSuccess)[0])).toEqual(jsonOf(success));
			expect(jsonOf(execution.outputs(POSTGRES_EXAMPLE.onWarning)[0])).toEqual(jsonOf(warning));
			expect(execution.runData[POSTGRES_EXAMPLE.onError]).toBeUndefined();
			expect(execution.runData[POSTGRES_EXAMPLE.alert]).toBeUndefined();
			expect(execution.runData[POSTGRES_EXAMPLE.onNotFinished]).toBeUndefined();

			// At CommCare: PG-0001 created, PG-0002 updated with the new values, PG-0003 nowhere.
			expect(emulator.uploads).toHaveLength(1);
			expect(uploadedRows(uploadIdOf(statusUrl))).toEqual(POSTGRES_ROWS);
			const { external_id: _, ...known } = POSTGRES_ROWS[1];
			expect(casesAtCommCare()).toEqual([
				{
					name: 'Halima Abdi',
					external_id: 'PG-0001',
					owner_id: 'owner-chw-1',
					closed: false,
					properties: {
						age: '22',
						village: 'Kibera',
						phone: '+254 700 100 001',
						expected_delivery: '2026-06-01',
						risk_level: 'low',
					},
				},
				{
					name: known.name,
					external_id: 'PG-0002',
					owner_id: known.owner_id,
					closed: false,
					properties: {
						age: '35',
						village: 'Mathare',
						phone: '+254 700 100 002',
						expected_delivery: '2026-07-15',
						risk_level: 'high',
					},
				},
			]);
			results.postgresExample = comparable({
				perRecord: jsonOf(perRecord),
				outputs: [success, warning, error].map(jsonOf),
			});
			results.postgresExampleCases = casesAtCommCare();
		});
	},
);

test('every binary-data mode gives the same outputs (apart from ids and timings) and the same cases at CommCare', () => {
	expect([...comparableResults.keys()].sort()).toEqual([...BINARY_DATA_MODES].sort());
	const [first, ...others] = BINARY_DATA_MODES;
	const everyResult = Object.keys(comparableResults.get(first)!).sort();
	// The first mode produced all its results (a failed test leaves a gap, and the comparison would miss it).
	expect(everyResult).toEqual(
		['fileExample', 'fileUpload', 'rowsToSpreadsheet', 'sheetsExample', 'postgresExample']
			.flatMap((key) => [key, `${key}Cases`])
			.sort(),
	);
	for (const mode of others)
		expect({ mode, ...comparableResults.get(mode) }).toEqual({ mode, ...comparableResults.get(first) });
});
