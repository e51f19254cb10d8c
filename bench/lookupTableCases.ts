/**
 * CommCare Lookup Table Import on a facility list (lookupTables.ts: 50,000 rows × 10 fields by default), against the
 * emulator in a process of its own, importing for real: the rows land in the emulator's table and are counted there
 * afterwards (a run that leaves the table short fails).
 *
 * - `lookupTableUpload`: the node's whole execute(), default options, into a new global table. Above 5,000 rows
 *   "Auto" queues the upload and the node polls its status; the emulator runs the queued upload at the first poll.
 * - `lookupTableReplaceSame`: the same rows again with Replace on into the table that holds them (uploaded before the
 *   measurement): the dry-run simulation over every current row, then an upload that changes nothing.
 * - `…Stages`: the same two runs made of the node's own pieces in the order run.ts calls them, each a stage with its
 *   own time, memory and the emulator's CPU time meanwhile (plan + checks, table read + changes, workbook write,
 *   upload + wait, read back). They skip only execute()'s wrapping (settings, redaction, routing).
 * - Baselines: `lookupTableRawExceljs` writes the same rows with plain exceljs streaming (what a hand-written script
 *   costs, beside the "workbook write" stage); `lookupTablePostPrepared` POSTs the node's workbook, written before
 *   the measurement, with form-data + axios and polls its status (the transfer and the emulator's import alone,
 *   beside `lookupTableUpload`).
 */
import axios from 'axios';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as ExcelJS from 'exceljs';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { CommCareLookupTableImport } from '../nodes/CommCareLookupTableImport/CommCareLookupTableImport.node';
import { planChanges, type TableChanges } from '../nodes/CommCareLookupTableImport/changes/diff';
import { deletionGuard } from '../nodes/CommCareLookupTableImport/changes/valve';
import { mergeFindings } from '../nodes/CommCareLookupTableImport/checks/findings';
import { checkPlan } from '../nodes/CommCareLookupTableImport/checks/tableChecks';
import { readCurrentTables } from '../nodes/CommCareLookupTableImport/current/tableReader';
import { itemsJob } from '../nodes/CommCareLookupTableImport/jobs';
import { readSettings, SYNC_ROW_LIMIT } from '../nodes/CommCareLookupTableImport/parameters';
import type { LookupTableResultJson } from '../nodes/CommCareLookupTableImport/results';
import { buildTableUploadForm, sendWorkbook } from '../nodes/CommCareLookupTableImport/upload/sendWorkbook';
import { readTableStatus } from '../nodes/CommCareLookupTableImport/upload/tableStatus';
import { writeTableWorkbook } from '../nodes/CommCareLookupTableImport/workbook/writer';
import { fetchStatusThroughTransport, pollStatusUrls } from '../nodes/shared/polling';
import { getCommCareCredentials } from '../nodes/shared/transport/credentials';
import { emulatorCredential } from '../test/support/emulator';
import { createExecuteContext, runNode } from '../test/support/n8nContext';
import type { BenchCase } from './benchCase';
import { startEmulatorProcess, type EmulatorProcess } from './emulatorHost';
import { FACILITY_FIELDS, FACILITY_TABLE, facilityRows, tableRowCount } from './lookupTables';
import { measureStage } from './stages';

const GROUP = 'lookup table from items, 10 fields (--table-rows, default 50,000)';

/** run.ts's polling pace for a queued upload (not exported there). */
const POLL = { intervalSeconds: 2, maxIntervalSeconds: 15 };

/** The node's parameters: defaults but for the project space, the table and Replace. */
const parameters = (replace: boolean): IDataObject => ({
	projectSpace: 'demo',
	source: 'items',
	table: { __rl: true, mode: 'id', value: FACILITY_TABLE },
	replace,
});

interface TableInput {
	emulator: EmulatorProcess;
	items: INodeExecutionData[];
	rows: number;
}

interface PreparedWorkbookInput extends TableInput {
	folder: string;
	file: string;
}

let lookupTableNode: CommCareLookupTableImport | undefined;
const lookupTableImport = () => (lookupTableNode ??= new CommCareLookupTableImport());

async function tableInput(): Promise<TableInput> {
	const rows = tableRowCount();
	const emulator = await startEmulatorProcess();
	return { emulator, items: facilityRows(rows).map((json) => ({ json })), rows };
}

/** The input, with the table already holding the same rows: uploaded by the node, before the measurement. */
async function filledTableInput(): Promise<TableInput> {
	const input = await tableInput();
	await executeNode(input, false);
	await expectTable(input, 1);
	return input;
}

/** The node's whole execute(); fails the case unless it ends in one Success item. */
async function executeNode({ emulator, items }: TableInput, replace: boolean): Promise<LookupTableResultJson> {
	const { outputs } = await runNode({
		node: lookupTableImport(),
		credentials: emulatorCredential(emulator),
		items,
		parameters: parameters(replace),
	});
	const success = outputs[0] ?? [];
	if (success.length !== 1 || outputs.slice(1).some((output) => output.length > 0))
		throw new Error(`expected one Success item, got ${JSON.stringify(outputs).slice(0, 1000)}`);
	return success[0].json as LookupTableResultJson;
}

/** Fails the case unless the emulator's table holds every row, after `uploads` queued lookup-table uploads. */
async function expectTable({ emulator, rows }: TableInput, uploads: number): Promise<number> {
	const held = await emulator.lookupTable(FACILITY_TABLE);
	if (held.rows !== rows) throw new Error(`the emulator's table holds ${held.rows} rows, not ${rows}`);
	if (held.uploads.length !== uploads || held.uploads.some((upload) => upload.status !== 200 || !upload.async))
		throw new Error(`expected ${uploads} queued uploads, got ${JSON.stringify(held.uploads)}`);
	return held.uploads[uploads - 1]?.fileBytes ?? 0;
}

function expectNoChanges(changes: TableChanges | undefined, rows: number): void {
	if (changes?.rebuild !== false || changes.added !== 0 || changes.deleted !== 0 || changes.unchanged !== rows)
		throw new Error(`expected no change to ${rows} rows, got ${JSON.stringify(changes).slice(0, 500)}`);
}

const emulatorCpu = (emulator: EmulatorProcess) => async () => await emulator.cpuSeconds();

/** A case of the node's whole execute(), measured as one stage too, for the emulator's CPU time beside it. */
const executeCase = (name: string, description: string, replace: boolean): BenchCase<TableInput> => ({
	name,
	group: GROUP,
	description,
	prepare: replace ? filledTableInput : tableInput,
	async run(input) {
		const json = await measureStage(
			replace ? 'execute(): same rows, Replace' : 'execute(): new table',
			async () => await executeNode(input, replace),
			emulatorCpu(input.emulator),
		);
		if (json.rowsAfter?.[FACILITY_TABLE] !== input.rows)
			throw new Error(`the node read back ${JSON.stringify(json.rowsAfter)}, not ${input.rows} rows`);
		if (replace) expectNoChanges(json.changes?.[0], input.rows);
		return { outputBytes: await expectTable(input, replace ? 2 : 1) };
	},
	cleanup: async ({ emulator }) => await emulator.close(),
});

/**
 * The node's run from items to read-back in its pieces, as runUpload calls them on the way to a Success, each piece a
 * stage. Returns the workbook's size.
 */
async function stagedUpload(input: TableInput, replace: boolean): Promise<number> {
	const { emulator, items, rows } = input;
	const { context: ctx } = createExecuteContext({
		node: lookupTableImport(),
		credentials: emulatorCredential(emulator),
		items,
		parameters: parameters(replace),
	});
	const credentials = await getCommCareCredentials(ctx, 0);
	const cpu = emulatorCpu(emulator);
	const settings = readSettings(ctx, 0);
	const job = await measureStage(
		'1. plan + checks',
		async () => {
			const planned = itemsJob(
				settings,
				items,
				items.map((_, index) => index),
			);
			const { errors } = mergeFindings(planned.findings, checkPlan(planned.plan, { source: 'items', replace }));
			if (errors.length > 0) throw new Error(`the checks found ${JSON.stringify(errors).slice(0, 500)}`);
			return planned;
		},
		cpu,
	);
	const table = job.plan.tables[0];
	const changes = await measureStage(
		'2. table read + changes',
		async () => {
			const current = await readCurrentTables(ctx, credentials, settings.projectSpace, [FACILITY_TABLE], {
				withRows: () => true,
			});
			const planned = planChanges(table, current.get(FACILITY_TABLE) ?? null, replace);
			const blocked = deletionGuard(planned, settings.maxDeletePercent);
			if (blocked) throw new Error(`the safety valve held the upload back: ${blocked.message}`);
			return planned;
		},
		cpu,
	);
	if (replace) expectNoChanges(changes, rows);
	else if (changes.exists || changes.added !== rows) throw new Error(`not a new table: ${JSON.stringify(changes)}`);

	const folder = mkdtempSync(path.join(os.tmpdir(), 'commcare-bench-'));
	try {
		const file = path.join(folder, 'lookup-table.xlsx');
		const { bytes } = await measureStage(
			'3. workbook write',
			async () => await writeTableWorkbook(job.plan, file),
			cpu,
		);
		await measureStage(
			'4. upload + wait',
			async () => {
				const answer = await sendWorkbook(
					ctx,
					credentials,
					{ fileName: 'lookup-table.xlsx', knownLength: bytes, open: async () => createReadStream(file) },
					{
						projectSpace: settings.projectSpace,
						replace,
						queued: rows > SYNC_ROW_LIMIT,
						itemIndex: 0,
						timeoutMs: settings.timeoutSeconds * 1000,
					},
				);
				if (answer.kind === 'processed') {
					if (answer.code !== 200) throw new Error(`CommCare's answer: ${answer.code} ${answer.message}`);
					return;
				}
				const waits = await pollStatusUrls(
					[answer.statusUrl],
					fetchStatusThroughTransport(ctx, credentials),
					{ ...POLL, timeoutSeconds: settings.timeoutSeconds },
					readTableStatus,
				);
				const end = waits.get(answer.statusUrl)?.end;
				if (end?.kind !== 'finished' || end.status.state !== 'complete')
					throw new Error(`the queued upload ended ${JSON.stringify(end)}`);
			},
			cpu,
		);
		const rowsAfter = await measureStage(
			'5. read back',
			async () => {
				const current = await readCurrentTables(ctx, credentials, settings.projectSpace, [FACILITY_TABLE], {
					withRows: () => true,
				});
				return current.get(FACILITY_TABLE)?.rows?.length ?? null;
			},
			cpu,
		);
		if (rowsAfter !== rows) throw new Error(`read back ${rowsAfter} rows, not ${rows}`);
		return bytes;
	} finally {
		rmSync(folder, { recursive: true, force: true });
	}
}

const stagedCase = (name: string, description: string, replace: boolean): BenchCase<TableInput> => ({
	name,
	group: GROUP,
	description,
	prepare: replace ? filledTableInput : tableInput,
	async run(input) {
		const bytes = await stagedUpload(input, replace);
		await expectTable(input, replace ? 2 : 1);
		return { outputBytes: bytes };
	},
	cleanup: async ({ emulator }) => await emulator.close(),
});

/** Polls a queued upload's status with axios, without sleeping, until it completes or fails. */
async function waitForStatus(emulator: EmulatorProcess, statusUrl: string): Promise<void> {
	const headers = { Authorization: `ApiKey ${emulator.username}:${emulator.apiKey}` };
	for (let poll = 1; poll <= 100; poll++) {
		const { data } = await axios.get<{ complete?: boolean; error?: boolean }>(statusUrl, { headers });
		if (data.complete === true) return;
		if (data.error === true) throw new Error(`the queued upload failed: ${JSON.stringify(data)}`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	throw new Error('the queued upload did not finish within 100 polls');
}

const rawExceljs: BenchCase<{ rows: number; items: IDataObject[] }> = {
	name: 'lookupTableRawExceljs',
	group: GROUP,
	description:
		'baseline: the same rows as a types sheet + data sheet with exceljs stream.xlsx.WorkbookWriter, values as they are, to a file',
	async prepare() {
		const rows = tableRowCount();
		return { rows, items: facilityRows(rows) };
	},
	async run({ items }) {
		const folder = mkdtempSync(path.join(os.tmpdir(), 'commcare-bench-'));
		try {
			const file = path.join(folder, 'lookup-table.xlsx');
			const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
				filename: file,
				useStyles: false,
				useSharedStrings: false,
			});
			const types = workbook.addWorksheet('types');
			types
				.addRow(['Delete(Y/N)', 'table_id', 'is_global?', ...FACILITY_FIELDS.map((_, i) => `field ${i + 1}`)])
				.commit();
			types.addRow(['N', FACILITY_TABLE, 'yes', ...FACILITY_FIELDS]).commit();
			types.commit();
			const sheet = workbook.addWorksheet(FACILITY_TABLE);
			sheet.addRow(['UID', 'Delete(Y/N)', ...FACILITY_FIELDS.map((field) => `field: ${field}`)]).commit();
			for (const item of items)
				sheet.addRow(['', 'N', ...FACILITY_FIELDS.map((field) => item[field] as ExcelJS.CellValue)]).commit();
			sheet.commit();
			await workbook.commit();
			return { outputBytes: statSync(file).size };
		} finally {
			rmSync(folder, { recursive: true, force: true });
		}
	},
};

const postPrepared: BenchCase<PreparedWorkbookInput> = {
	name: 'lookupTablePostPrepared',
	group: GROUP,
	description:
		"baseline: the node's workbook, written before, POSTed queued with form-data + axios, its status polled (the transfer and the emulator's import alone)",
	async prepare() {
		const input = await tableInput();
		const { context } = createExecuteContext({
			node: lookupTableImport(),
			items: input.items,
			parameters: parameters(false),
		});
		const settings = readSettings(context as IExecuteFunctions, 0);
		const job = itemsJob(
			settings,
			input.items,
			input.items.map((_, index) => index),
		);
		const folder = mkdtempSync(path.join(os.tmpdir(), 'commcare-bench-'));
		const file = path.join(folder, 'lookup-table.xlsx');
		await writeTableWorkbook(job.plan, file);
		return { ...input, folder, file };
	},
	async run(input) {
		const { emulator, file } = input;
		const form = buildTableUploadForm(
			createReadStream(file),
			'lookup-table.xlsx',
			{ replace: false, queued: true },
			statSync(file).size,
		);
		const { data } = await axios.post<{ status_url?: string }>(
			`${emulator.baseUrl}/a/${emulator.domain}/fixtures/fixapi/`,
			form,
			{
				headers: { ...form.getHeaders(), Authorization: `ApiKey ${emulator.username}:${emulator.apiKey}` },
				maxBodyLength: Infinity,
			},
		);
		if (typeof data.status_url !== 'string') throw new Error(`upload not queued: ${JSON.stringify(data)}`);
		await waitForStatus(emulator, data.status_url);
		return { outputBytes: await expectTable(input, 1) };
	},
	async cleanup({ emulator, folder }) {
		await emulator.close();
		rmSync(folder, { recursive: true, force: true });
	},
};

export const lookupTableCases: BenchCase[] = [
	executeCase(
		'lookupTableUpload',
		'execute(), default options, into a new global table: checks, table read, workbook, queued upload (Auto above 5,000 rows) polled, rows read back',
		false,
	) as BenchCase,
	executeCase(
		'lookupTableReplaceSame',
		'execute() with Replace on, the same rows into the table holding them: the simulation over every current row, an upload that changes nothing',
		true,
	) as BenchCase,
	stagedCase('lookupTableUploadStages', "lookupTableUpload in the node's pieces, each a stage", false) as BenchCase,
	stagedCase(
		'lookupTableReplaceSameStages',
		"lookupTableReplaceSame in the node's pieces, each a stage",
		true,
	) as BenchCase,
	rawExceljs as BenchCase,
	postPrepared as BenchCase,
];
