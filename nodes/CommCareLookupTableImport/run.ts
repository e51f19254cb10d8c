/**
 * One upload, from plan to routed result: check the plan (nothing is sent with an error), read what CommCare holds
 * and work out what the upload would change, hold back an upload that would delete more than allowed, then send it,
 * wait for it when CommCare queues it, and read the tables back to count what they hold.
 */
import { createReadStream } from 'fs';
import { stat } from 'fs/promises';
import { join } from 'path';
import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import { fetchStatusThroughTransport, pollStatusUrls, unpolled } from '../shared/polling';
import type { CommCareCredentials } from '../shared/transport/credentials';
import { withTemporaryFolder } from '../shared/temporaryFolder';
import { plural } from '../shared/wording';
import { planChanges, type TableChanges } from './changes/diff';
import { deletionGuard } from './changes/valve';
import { mergeFindings, tableFinding, type TableFinding } from './checks/findings';
import { checkPlan } from './checks/tableChecks';
import { readCurrentTables, TableReadUnavailable, type CurrentTable } from './current/tableReader';
import type { LookupTablePlan } from './model';
import { SYNC_ROW_LIMIT, type LookupTableSettings } from './parameters';
import type { LookupTableResultJson } from './results';
import { outcomeOfAnswer, outcomeOfWait, readBackWarnings } from './outcomes';
import { sendWorkbook, type UploadAnswer, type WorkbookFile } from './upload/sendWorkbook';
import { readTableStatus } from './upload/tableStatus';
import { writeTableWorkbook } from './workbook/writer';

/** One upload: its plan (from the items, or read from the item's workbook) and where it came from. */
export interface UploadJob {
	itemIndexes: number[];
	settings: LookupTableSettings;
	plan: LookupTablePlan;
	/** What the source found while making the plan (merged with the checks'). */
	findings: TableFinding[];
	/** The user's workbook (binary source): sent as it is. Null: the node writes the plan (items source). */
	file: WorkbookFile | null;
	fileName: string;
	/** "The input items", "'tables.xlsx' (item 2)": for messages. */
	subject: string;
}

/** Polling pace for a queued upload: a first look after 2 s, growing to 15 s while nothing moves. */
const POLL = { intervalSeconds: 2, maxIntervalSeconds: 15 };

export async function runUpload(
	ctx: IExecuteFunctions,
	credentials: CommCareCredentials,
	job: UploadJob,
): Promise<LookupTableResultJson> {
	const { settings, plan } = job;
	const { errors, warnings } = mergeFindings(
		job.findings,
		checkPlan(plan, { source: settings.source, replace: settings.replace }),
	);
	if (errors.length > 0 && !settings.dryRun) throw checksFailed(ctx, job, errors);

	const changes = await currentChanges(ctx, credentials, job, warnings);
	const blocked = (changes ?? [])
		.map((change) => deletionGuard(change, settings.maxDeletePercent, { dryRun: settings.dryRun }))
		.filter((guard) => guard !== null);
	const base = baseResult(job, changes, warnings, errors);
	if (settings.dryRun) {
		const refusals = [
			...errors,
			...blocked.map((guard) => tableFinding('tooManyDeletions', guard.message, guard.description)),
		];
		return dryRunResult(base, refusals);
	}
	if (blocked.length > 0) throw refusal(ctx, job, blocked[0].message, blocked[0].description);

	const answer = await withTemporaryFolder(async (folder) => {
		const file = job.file ?? (await writtenWorkbook(plan, folder, job.fileName));
		return await sendWorkbook(ctx, credentials, file, {
			projectSpace: settings.projectSpace,
			replace: settings.replace,
			queued: queued(settings, base.rowsSent),
			itemIndex: job.itemIndexes[0] ?? 0,
			// Processed in the request, a big upload takes minutes: the user's timeout, never under a minute.
			timeoutMs: Math.max(settings.timeoutSeconds, 60) * 1000,
		});
	});
	const result = await outcomeOfUpload(ctx, credentials, job, answer, base);
	return await withReadBack(ctx, credentials, job, result);
}

/** Whether CommCare is asked to queue the upload (and the node then polls its status). */
function queued(settings: LookupTableSettings, rows: number): boolean {
	if (settings.processing === 'auto') return rows > SYNC_ROW_LIMIT;
	return settings.processing === 'async';
}

async function writtenWorkbook(plan: LookupTablePlan, folder: string, fileName: string): Promise<WorkbookFile> {
	const path = join(folder, fileName);
	await writeTableWorkbook(plan, path);
	const { size } = await stat(path);
	return { fileName, knownLength: size, open: async () => createReadStream(path) };
}

/**
 * What the upload would change in each table, from CommCare's current definitions and rows; null when they could not
 * be read and the user chose to upload unchecked (a warning says so). Otherwise a refused read stops the upload.
 */
async function currentChanges(
	ctx: IExecuteFunctions,
	credentials: CommCareCredentials,
	job: UploadJob,
	warnings: TableFinding[],
): Promise<TableChanges[] | null> {
	const { settings, plan } = job;
	let current: Map<string, CurrentTable | null>;
	try {
		const tags = plan.tables.map((table) => table.definition.tag);
		current = await readTables(ctx, credentials, settings, tags);
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- not a refusal: a bug or a cancel, wrapped by execute (toNodeError)
		if (!(error instanceof TableReadUnavailable)) throw error;
		if (settings.tableReadUnavailable === 'stop' && !settings.dryRun) {
			throw refusal(
				ctx,
				job,
				error.message,
				`${error.description ?? ''} The node reads the table first to know what the upload would delete. To upload without knowing, set Options → If the Table Cannot Be Read to Upload Unchecked.`.trim(),
			);
		}
		warnings.push(
			tableFinding(
				'tableReadUnavailable',
				`The table could not be read before the upload: ${error.message}`,
				`${error.description ?? ''} What the upload changes, and whether it deletes rows, is not known.`.trim(),
			),
		);
		return null;
	}
	return plan.tables.map((table) => planChanges(table, current.get(table.definition.tag) ?? null, settings.replace));
}

/** The tables with their rows, before the upload (what it changes) and after it (what they hold). */
async function readTables(
	ctx: IExecuteFunctions,
	credentials: CommCareCredentials,
	settings: LookupTableSettings,
	tags: string[],
): Promise<Map<string, CurrentTable | null>> {
	return await readCurrentTables(ctx, credentials, settings.projectSpace, tags, {
		withRows: () => true,
		signal: ctx.getExecutionCancelSignal?.(),
	});
}

function baseResult(
	job: UploadJob,
	changes: TableChanges[] | null,
	warnings: TableFinding[],
	errors: TableFinding[],
): LookupTableResultJson {
	const { settings, plan } = job;
	return {
		outcome: 'success',
		reason: 'uploaded',
		message: '',
		projectSpace: settings.projectSpace,
		tables: plan.tables.map((table) => table.definition.tag),
		replace: settings.replace,
		dryRun: settings.dryRun,
		rowsSent: plan.tables.reduce((sum, table) => sum + table.rows.length, 0),
		changes,
		rowsAfter: null,
		commcare: null,
		warnings,
		errors,
		fileName: job.fileName,
	};
}

function dryRunResult(base: LookupTableResultJson, refusals: TableFinding[]): LookupTableResultJson {
	const summary = (base.changes ?? [])
		.map(
			(change) =>
				`${change.table}: ${change.added ?? '?'} rows added, ${change.deleted ?? '?'} deleted${change.rebuild ? ' (the table is rebuilt)' : ''}`,
		)
		.join('; ');
	const would = summary ? ` It would change ${summary}.` : '';
	if (refusals.length > 0) {
		return {
			...base,
			outcome: 'error',
			reason: 'wouldBeRefused',
			message: `Dry run: the upload would be refused: ${refusals[0].message.replace(/\.$/, '')}.${would}`,
			errors: [...base.errors, ...refusals.filter((refusal) => !base.errors.includes(refusal))],
		};
	}
	const outcome = base.warnings.length > 0 ? 'warning' : 'success';
	return { ...base, outcome, reason: 'dryRun', message: `Dry run: nothing was sent.${would}` };
}

async function outcomeOfUpload(
	ctx: IExecuteFunctions,
	credentials: CommCareCredentials,
	job: UploadJob,
	answer: UploadAnswer,
	base: LookupTableResultJson,
): Promise<LookupTableResultJson> {
	if (answer.kind === 'processed') return outcomeOfAnswer(base, answer);
	if (answer.refusedStatusUrl !== undefined) {
		return outcomeOfWait(base, answer, unpolled({ kind: 'refused', reason: answer.refusedStatusUrl }));
	}
	const waits = await pollStatusUrls(
		[answer.statusUrl],
		fetchStatusThroughTransport(ctx, credentials),
		{ ...POLL, timeoutSeconds: job.settings.timeoutSeconds, signal: ctx.getExecutionCancelSignal?.() },
		readTableStatus,
	);
	return outcomeOfWait(base, answer, waits.get(answer.statusUrl));
}

/**
 * Reads the tables back and counts their rows: the counts CommCare's answer never gives, and the proof that the
 * upload landed. A read that fails only leaves the counts unknown.
 */
async function withReadBack(
	ctx: IExecuteFunctions,
	credentials: CommCareCredentials,
	job: UploadJob,
	result: LookupTableResultJson,
): Promise<LookupTableResultJson> {
	if (result.reason === 'refused') return result;
	let current: Map<string, CurrentTable | null>;
	try {
		current = await readTables(ctx, credentials, job.settings, result.tables);
	} catch (error) {
		if (error instanceof TableReadUnavailable) return result;
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- not a refusal: a bug or a cancel, wrapped by execute (toNodeError)
		throw error;
	}
	const rowsAfter = Object.fromEntries(result.tables.map((tag) => [tag, current.get(tag)?.rows?.length ?? null]));
	return readBackWarnings({ ...result, rowsAfter });
}

/** The upload is held back before anything is sent: `message` says why, `description` what to do. */
function refusal(ctx: IExecuteFunctions, job: UploadJob, message: string, description: string): NodeOperationError {
	const error = new NodeOperationError(ctx.getNode(), `${job.subject} not uploaded: ${message}`, {
		description,
		itemIndex: job.itemIndexes[0] ?? 0,
	});
	// Set after construction: n8n rewrites messages that mention some words into vaguer ones.
	error.message = `${job.subject} not uploaded: ${message}`;
	return error;
}

function checksFailed(ctx: IExecuteFunctions, job: UploadJob, errors: TableFinding[]): NodeOperationError {
	const more = errors.length > 1 ? ` (and ${plural(errors.length - 1, 'more problem')})` : '';
	const [first, ...others] = errors;
	const also = others.length > 0 ? `Also:\n${others.map((finding) => `• ${finding.message}`).join('\n')}\n` : '';
	const description = `${first.description ? `${first.description}\n` : ''}${also}Nothing was sent to CommCare.`;
	return refusal(ctx, job, `${first.message}${more}`, description);
}
