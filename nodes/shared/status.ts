/**
 * What a status response means (spec §5), as pure functions: parse and validate a status body, name its state,
 * and turn how the wait for one import ended into an outcome (Success / Warning / Error) for the upload, or for
 * every record of it in per-record mode. No I/O here: `polling.ts` does the waiting, the node does the routing.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { assertSameOrigin } from './transport';
import type {
	ImportOutcomeJson,
	Outcome,
	OutcomeReason,
	RecordOutcomeJson,
	RowErrorEntry,
	StatusResponse,
} from './types';

// ---------------------------------------------------------------------------------------------------------------
// States

/** `soil.progress.STATES` as the case importer reports them. -1 is what a queued import looks like in practice. */
export const ImportState = {
	Missing: -1,
	NotStarted: 0,
	Started: 1,
	Success: 2,
	Failed: 3,
} as const;

export type StateName = 'queued' | 'running' | 'finished' | 'failed' | 'unknown';

export function stateName(state: number | null | undefined): StateName {
	switch (state) {
		case ImportState.Missing:
		case ImportState.NotStarted:
			return 'queued';
		case ImportState.Started:
			return 'running';
		case ImportState.Success:
			return 'finished';
		case ImportState.Failed:
			return 'failed';
		default:
			return 'unknown';
	}
}

/** 2 and 3 are final; anything else (including states this code does not know) keeps the wait going. */
export function isTerminalState(state: number | null | undefined): boolean {
	return state === ImportState.Success || state === ImportState.Failed;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing a status body

export type ParsedStatus = { ok: true; status: StatusResponse } | { ok: false; problem: string };

/**
 * Validates a status body (object, JSON text or Buffer). Tolerates what real servers vary in: `progress` null or
 * missing, counts null, `column` null or `""` (normalised to null so workflows branch on one value), `rows` as
 * numeric strings (older servers). A body that is not a status object (truncated JSON, an HTML page) is reported as
 * a problem, not thrown: the poller treats it as transient and asks again.
 */
export function parseStatusBody(body: unknown): ParsedStatus {
	let value = body;
	if (Buffer.isBuffer(value)) value = value.toString('utf8');
	if (typeof value === 'string') {
		const text = value.trim();
		if (text === '') return { ok: false, problem: 'the status response was empty' };
		try {
			value = JSON.parse(text);
		} catch {
			return { ok: false, problem: `the status response was not JSON (it starts "${preview(text)}")` };
		}
	}
	if (!isPlainObject(value)) {
		return { ok: false, problem: 'the status response was not a JSON object' };
	}
	const state = toInteger(value.state);
	if (state === null) {
		return { ok: false, problem: 'the status response has no numeric "state"' };
	}
	const progress = isPlainObject(value.progress) ? { percent: toNumberOrNull(value.progress.percent) } : null;
	let result: StatusResponse['result'] = null;
	if (isPlainObject(value.result)) {
		const errors = Array.isArray(value.result.errors) ? value.result.errors : [];
		result = {
			match_count: toNumberOrNull(value.result.match_count),
			created_count: toNumberOrNull(value.result.created_count),
			num_chunks: toNumberOrNull(value.result.num_chunks),
			errors: errors.filter(isPlainObject).map(toErrorEntry),
		};
	}
	return { ok: true, status: { state, progress, result } };
}

function toErrorEntry(raw: Record<string, unknown>): RowErrorEntry {
	const rows = Array.isArray(raw.rows) ? raw.rows.map(toInteger).filter((row): row is number => row !== null) : [];
	return {
		title: toTextOrNull(raw.title),
		description: toTextOrNull(raw.description),
		column: toTextOrNull(raw.column),
		rows,
	};
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toInteger(value: unknown): number | null {
	if (typeof value === 'number' && Number.isInteger(value)) return value;
	if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
	return null;
}

function toNumberOrNull(value: unknown): number | null {
	return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Empty strings become null: the newest server writes `""` where older ones wrote null. */
function toTextOrNull(value: unknown): string | null {
	return typeof value === 'string' && value !== '' ? value : null;
}

function preview(text: string): string {
	const oneLine = text.replace(/\s+/g, ' ');
	return oneLine.length > 40 ? `${oneLine.slice(0, 40)}…` : oneLine;
}

// ---------------------------------------------------------------------------------------------------------------
// How a wait ended (produced by polling.ts or by the node for items never polled)

export type WaitEnd =
	/** State 2 or 3 was reached; `status` is that last response. */
	| { kind: 'finished'; status: StatusResponse }
	/** The timeout passed before a final state. `lastProblem` is the last transient failure, if the last poll failed. */
	| { kind: 'timedOut'; lastProblem: string | null }
	| { kind: 'notFound' }
	/** 401 or 403: the credential or its permissions were refused; `message` says what to check, when known. */
	| { kind: 'denied'; httpStatus: 401 | 403; message: string | null }
	/** Any other HTTP answer that retrying will not fix. */
	| { kind: 'httpError'; httpStatus: number | null; message: string }
	/** Never requested: the URL is not valid, or its origin is not the credential's. */
	| { kind: 'refused'; reason: string }
	/** The input item carries no status URL (the upload failed upstream and the workflow went on). */
	| { kind: 'missingStatusUrl' };

/** Everything known about the wait for one status URL. */
export interface WaitResult {
	end: WaitEnd;
	/** Last state the server reported (null when it never answered with a status). */
	lastState: number | null;
	/** How far the import got: last running percent, 100 once finished; null when never seen running. */
	lastPercent: number | null;
	/** Status requests made (including failed ones). */
	polls: number;
	waitedSeconds: number;
}

/** A wait that never happened (no URL, or a URL we refuse to call). */
export function unpolled(end: WaitEnd): WaitResult {
	return { end, lastState: null, lastPercent: null, polls: 0, waitedSeconds: 0 };
}

// ---------------------------------------------------------------------------------------------------------------
// One upload -> one outcome

/**
 * Said whenever the status could not be read although the upload was accepted: the import may well have run, and a
 * user who simply uploads again would create every case twice.
 */
const OUTCOME_UNKNOWN =
	'The import itself may have finished or may still finish: check CommCare HQ → Data → Import Cases from Excel before uploading the same rows again.';

function withoutFinalStop(text: string): string {
	return text.replace(/[.\s]+$/, '');
}

const NOT_FOUND_EXPLANATION =
	'CommCare HQ answered 404 for this status URL: the upload id is unknown, belongs to another project space, or the upload was hidden (users restricted to locations only see their own uploads)';

/** Rows sent but not counted anywhere (spec §5: "rows skipped silently appear nowhere"). Null when unknowable. */
export function countSilentSkips(rowCount: number | null, status: StatusResponse): number | null {
	const result = status.result;
	if (rowCount === null || result === null || result.created_count === null || result.match_count === null) {
		return null;
	}
	const skipped = rowCount - result.created_count - result.match_count - distinctErrorRows(result.errors).size;
	// Negative means the row count given to us was wrong; do not invent skips from it.
	return Math.max(0, skipped);
}

export function distinctErrorRows(errors: RowErrorEntry[]): Set<number> {
	const rows = new Set<number>();
	for (const entry of errors) for (const row of entry.rows) rows.add(row);
	return rows;
}

/** Why CommCare skips rows without a word (spec §6.2, §6.3), phrased for the upload's settings. */
export function silentSkipReason(createNewCases: boolean | null): string {
	const blank = 'CommCare skips blank rows (every mapped cell empty) without reporting them';
	return createNewCases === true
		? `${blank}.`
		: `${blank}, and rows whose id matched no existing case while "Create New Cases" was off.`;
}

/** Reads the upload item's data-row count, if it says. */
export function rowCountOf(upload: IDataObject): number | null {
	const count = upload.rowCount;
	return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : null;
}

function createNewCasesOf(upload: IDataObject): boolean | null {
	return typeof upload.createNewCases === 'boolean' ? upload.createNewCases : null;
}

/**
 * Classifies one upload: state 2 without problems -> success; state 2 with row errors or silent skips -> warning;
 * state 3, timeout, 404, refused credentials, a refused URL, or no URL at all -> error.
 */
export function classifyImport(statusUrl: string | null, upload: IDataObject, wait: WaitResult): ImportOutcomeJson {
	const base = {
		status_url: statusUrl,
		state: wait.lastState,
		percent: wait.lastPercent,
		created_count: null,
		match_count: null,
		num_chunks: null,
		skipped_count: null,
		errors: [] as RowErrorEntry[],
		timedOut: false,
		polls: wait.polls,
		waitedSeconds: wait.waitedSeconds,
		upload,
	};
	const end = wait.end;
	switch (end.kind) {
		case 'finished': {
			const { status } = end;
			const result = status.result;
			const counts = {
				created_count: result?.created_count ?? null,
				match_count: result?.match_count ?? null,
				num_chunks: result?.num_chunks ?? null,
				errors: result?.errors ?? [],
			};
			if (status.state === ImportState.Failed) {
				return { ...base, ...counts, outcome: 'error', reason: 'failed', summary: `Import failed: ${failureMessage(counts.errors)}` };
			}
			if (result === null) {
				return {
					...base,
					outcome: 'warning',
					reason: 'noCounts',
					summary: 'The import finished but CommCare HQ reported no counts; check the import history in CommCare HQ.',
				};
			}
			const skipped = countSilentSkips(rowCountOf(upload), status);
			const problems: string[] = [];
			const failedRows = distinctErrorRows(result.errors).size;
			if (failedRows > 0 || result.errors.length > 0) {
				problems.push(`${plural(failedRows, 'row')} not imported (${describeErrors(result.errors)})`);
			}
			if (skipped !== null && skipped > 0) {
				problems.push(
					`${plural(skipped, 'row')} skipped silently: ${silentSkipReason(createNewCasesOf(upload))}`,
				);
			}
			const countsText = `${plural(result.created_count ?? 0, 'case')} created, ${result.match_count ?? 0} updated`;
			return {
				...base,
				...counts,
				skipped_count: skipped,
				outcome: problems.length > 0 ? 'warning' : 'success',
				// Listed rows first: skipped_count still says how many were skipped too.
				reason: failedRows > 0 || result.errors.length > 0 ? 'rowErrors' : problems.length > 0 ? 'skippedRows' : 'imported',
				summary:
					problems.length > 0
						? `Import finished: ${countsText}, ${problems.join('; ')}`
						: `Import finished: ${countsText}.`,
			};
		}
		case 'timedOut': {
			const where =
				wait.lastState === null
					? 'CommCare HQ never answered with a status'
					: `the import was still ${stateName(wait.lastState)}${wait.lastPercent !== null && wait.lastState === ImportState.Started ? ` (${wait.lastPercent}%)` : ''}`;
			const problem = end.lastProblem ? `; last poll: ${withoutFinalStop(end.lastProblem)}` : '';
			return {
				...base,
				timedOut: true,
				outcome: 'error',
				reason: 'timedOut',
				summary: `Gave up waiting after ${formatDuration(wait.waitedSeconds)} and ${plural(wait.polls, 'poll')}: ${where}${problem}. The import may still finish; check the status URL again later.`,
			};
		}
		case 'notFound':
			return { ...base, outcome: 'error', reason: 'notFound', summary: `Import not found: ${NOT_FOUND_EXPLANATION}.` };
		case 'denied': {
			const refusal =
				end.message ??
				(end.httpStatus === 401
					? 'CommCare HQ refused the credentials (HTTP 401): check the username and API key (or password) of the CommCare credential.'
					: 'CommCare HQ denied access (HTTP 403): the user must be a member of the project space and have the Edit Data permission.');
			return { ...base, outcome: 'error', reason: 'denied', summary: `${withoutFinalStop(refusal)}. ${OUTCOME_UNKNOWN}` };
		}
		case 'httpError':
			return {
				...base,
				outcome: 'error',
				reason: 'statusCheckFailed',
				summary: `The status check failed${end.httpStatus ? ` (HTTP ${end.httpStatus})` : ''}: ${withoutFinalStop(end.message)}. ${OUTCOME_UNKNOWN}`,
			};
		case 'refused':
			return { ...base, outcome: 'error', reason: 'refused', summary: `Status URL not requested: ${end.reason}` };
		case 'missingStatusUrl':
			return {
				...base,
				outcome: 'error',
				reason: 'noStatusUrl',
				summary: `No status URL on this item, so there is no import to check: the upload failed upstream${upstreamMessage(upload)}.`,
			};
	}
}

/** The server's descriptions of a whole-import failure, joined (spec §5: only `description` is set). */
function failureMessage(errors: RowErrorEntry[]): string {
	const texts = errors.map((entry) => entry.description ?? entry.title).filter((text): text is string => !!text);
	return texts.length > 0 ? texts.join('; ') : 'CommCare HQ gave no reason';
}

/** "Invalid Owner: rows 4, 7; Too Many Matches: row 9". */
export function describeErrors(errors: RowErrorEntry[]): string {
	return errors
		.map((entry) => {
			const title = entry.title ?? entry.description ?? 'Error';
			return entry.rows.length > 0 ? `${title}: ${formatRows(entry.rows)}` : title;
		})
		.join('; ');
}

/** "row 7", "rows 2, 3, 4", "rows 2, 3, … (120 rows)" for long lists. */
export function formatRows(rows: number[], limit = 10): string {
	if (rows.length === 1) return `row ${rows[0]}`;
	if (rows.length <= limit) return `rows ${rows.join(', ')}`;
	return `rows ${rows.slice(0, limit).join(', ')}, … (${rows.length} rows)`;
}

/** The upstream error text of an item n8n passed on with "continue on fail" (`error` as text or `{message}`). */
function upstreamMessage(upload: IDataObject): string {
	const error = upload.error;
	let text: unknown = error;
	if (isPlainObject(error)) text = error.message;
	if (typeof text !== 'string' || text === '') text = upload.message;
	return typeof text === 'string' && text !== '' ? ` (${text})` : '';
}

function plural(count: number, noun: string): string {
	return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function formatDuration(seconds: number): string {
	if (seconds < 120) return `${Math.round(seconds * 10) / 10} s`;
	return `${Math.round((seconds / 60) * 10) / 10} min`;
}

// ---------------------------------------------------------------------------------------------------------------
// Per-record mode: one import outcome -> one outcome per record

/** A record item from CommCare Bulk Import's per-record mode, as this node reads it. */
export interface RecordInput {
	row: number;
	record: IDataObject;
	/** The record's upload settings (searchField, searchColumn, createNewCases, rowCount). */
	upload: IDataObject;
}

export function isRecordItem(json: IDataObject): boolean {
	return typeof json.row === 'number' && isPlainObject(json.record);
}

/**
 * Why a record is certainly skipped by the server, judged from the record alone, or null (spec §6.2, §6.3):
 * - every mapped value is empty (the search column is not a mapped value when matching by case_id);
 * - matching by case_id with an empty id while creation is off: nothing can match, nothing may be created.
 * (An empty id when matching by external_id is not silent: the server reports "Blank External ID".)
 */
export function certainSkipReason(input: RecordInput): string | null {
	const searchField = input.upload.searchField === 'external_id' ? 'external_id' : 'case_id';
	const searchColumn = typeof input.upload.searchColumn === 'string' ? input.upload.searchColumn : searchField;
	const mapped = Object.entries(input.record).filter(([key]) => searchField === 'external_id' || key !== searchColumn);
	if (mapped.every(([, value]) => isEmptyCell(value))) {
		return 'blank row: every mapped cell is empty, and CommCare skips such rows without reporting them';
	}
	if (searchField === 'case_id' && input.upload.createNewCases === false && isEmptyCell(input.record[searchColumn])) {
		return `empty "${searchColumn}" while "Create New Cases" is off: nothing to update and nothing may be created`;
	}
	return null;
}

function isEmptyCell(value: unknown): boolean {
	return value === null || value === undefined || value === '';
}

/**
 * Routes every record of one import (rule documented in the README, "Per-record results"):
 * - whole import not finished with state 2 (failed, timed out, 404, refused...) -> error for every record, with
 *   the import's failure as its error;
 * - row listed in `errors` -> warning, with that row's entries: the server did not import it, but the import as a
 *   whole went through, so this is a row to fix and send again (the same route as an import with row errors);
 *   Error stays for what needs an alert: the import itself failed, timed out or could not be checked;
 * - otherwise, when the counts show no silent skip -> success;
 * - when they show k silent skips and exactly k of the records are certain skips (see `certainSkipReason`) -> those
 *   are warnings ("skipped"), the rest success;
 * - when they show k skips that the records cannot account for -> every unlisted record is a warning
 *   ("imported or skipped"): the server does not say which rows it skipped, and we will not guess.
 */
export function classifyRecords(records: RecordInput[], outcome: ImportOutcomeJson): RecordOutcomeJson[] {
	const importSummary = importContext(outcome);
	const build = (
		input: RecordInput,
		result: Outcome,
		reason: OutcomeReason,
		summary: string,
		errors: IDataObject[],
	): RecordOutcomeJson => ({
		outcome: result,
		reason,
		summary,
		status_url: outcome.status_url,
		row: input.row,
		record: input.record,
		errors,
		import: importSummary,
	});

	if (outcome.state !== ImportState.Success || outcome.outcome === 'error') {
		const wholeImportError = outcome.errors.length > 0
			? outcome.errors.map(({ title, description, column }) => ({ title, description, column }))
			: [{ title: 'Import not completed', description: outcome.summary, column: null }];
		return records.map((input) =>
			build(input, 'error', outcome.reason, `Row ${input.row} not imported: ${outcome.summary}`, wholeImportError),
		);
	}

	const errorsByRow = new Map<number, IDataObject[]>();
	for (const entry of outcome.errors) {
		for (const row of entry.rows) {
			const list = errorsByRow.get(row) ?? [];
			list.push({ title: entry.title, description: entry.description, column: entry.column });
			errorsByRow.set(row, list);
		}
	}
	const unlisted = records.filter((input) => !errorsByRow.has(input.row));
	const skipped = outcome.skipped_count ?? 0;
	const certainSkips = new Map<RecordInput, string>();
	for (const input of unlisted) {
		const reason = certainSkipReason(input);
		if (reason !== null) certainSkips.set(input, reason);
	}
	const skipsAccountedFor = skipped === certainSkips.size;

	return records.map((input) => {
		const rowErrors = errorsByRow.get(input.row);
		if (rowErrors) {
			const titles = rowErrors.map((entry) => entry.title ?? entry.description).join(', ');
			return build(input, 'warning', 'rowErrors', `Row ${input.row} not imported: ${titles}`, rowErrors);
		}
		if (outcome.created_count === null) {
			return build(input, 'warning', 'noCounts', `Row ${input.row} imported or skipped: ${outcome.summary}`, []);
		}
		if (skipped === 0) {
			return build(input, 'success', 'imported', `Row ${input.row} imported (created or updated)`, []);
		}
		if (skipsAccountedFor) {
			const reason = certainSkips.get(input);
			return reason === undefined
				? build(input, 'success', 'imported', `Row ${input.row} imported (created or updated)`, [])
				: build(input, 'warning', 'skippedRows', `Row ${input.row} skipped silently: ${reason}`, []);
		}
		const reason = certainSkips.get(input);
		const hint = reason === undefined ? '' : ` (probably skipped: ${reason})`;
		return build(
			input,
			'warning',
			'importedOrSkipped',
			`Row ${input.row} imported or skipped${hint}: CommCare's counts show ${plural(skipped, 'row')} of this upload skipped silently without saying which. ${silentSkipReason(createNewCasesOf(input.upload))}`,
			[],
		);
	});
}

/** What a record item carries about its import: everything but the (possibly huge) error list and upload item. */
function importContext(outcome: ImportOutcomeJson): IDataObject {
	const { errors: _errors, upload: _upload, ...rest } = outcome;
	return rest;
}

// ---------------------------------------------------------------------------------------------------------------
// Input items -> what to poll -> one outcome per item

/** One input item and what to do with it. */
export interface StatusCheck {
	itemIndex: number;
	json: IDataObject;
	/** The status URL as given (verbatim; spec §1: treat it as opaque), or null when the item has none. */
	statusUrl: string | null;
	/** Set when the item is decided without a request: no URL, or a URL that is refused. */
	unpolled: WaitResult | null;
}

/**
 * Decides per item what to poll. An item without a status URL is an upstream failure; a URL that is not http(s) or
 * not on the credential's origin is never requested (the credential only goes to `baseUrl`'s origin).
 */
export function planStatusChecks(jsons: IDataObject[], statusUrls: unknown[], baseUrl: string): StatusCheck[] {
	return jsons.map((json, itemIndex) => {
		const raw = statusUrls[itemIndex];
		if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
			return { itemIndex, json, statusUrl: null, unpolled: unpolled({ kind: 'missingStatusUrl' }) };
		}
		const statusUrl = typeof raw === 'string' ? raw.trim() : JSON.stringify(raw);
		if (typeof raw !== 'string') {
			const reason = `the status URL must be text, but the expression gave ${statusUrl.slice(0, 80)}`;
			return { itemIndex, json, statusUrl, unpolled: unpolled({ kind: 'refused', reason }) };
		}
		try {
			assertSameOrigin(statusUrl, baseUrl);
		} catch (error) {
			const { message, description } = error as { message: string; description?: string };
			const reason = description ? `${message}. ${description}` : message;
			return { itemIndex, json, statusUrl, unpolled: unpolled({ kind: 'refused', reason }) };
		}
		return { itemIndex, json, statusUrl, unpolled: null };
	});
}

/** The URLs the plan needs polled (each once). */
export function urlsToPoll(checks: StatusCheck[]): string[] {
	return [...new Set(checks.flatMap((check) => (check.unpolled === null && check.statusUrl ? [check.statusUrl] : [])))];
}

/**
 * One outcome per item: an upload item gets its import's outcome; record items (per-record mode) of the same
 * import are classified together, each on its own row.
 */
export function outcomesForItems(
	checks: StatusCheck[],
	waits: Map<string, WaitResult>,
): Array<{ itemIndex: number; json: ImportOutcomeJson | RecordOutcomeJson }> {
	const waitFor = (check: StatusCheck): WaitResult =>
		check.unpolled ?? waits.get(check.statusUrl as string) ?? unpolled({ kind: 'timedOut', lastProblem: null });
	const outcomes: Array<{ itemIndex: number; json: ImportOutcomeJson | RecordOutcomeJson }> = [];
	const recordGroups = new Map<string, StatusCheck[]>();
	for (const check of checks) {
		if (!isRecordItem(check.json)) {
			outcomes.push({ itemIndex: check.itemIndex, json: classifyImport(check.statusUrl, check.json, waitFor(check)) });
			continue;
		}
		// Records share an import only when they share a polled URL; an unpolled record stands alone.
		const key = check.unpolled === null ? `url:${check.statusUrl}` : `item:${check.itemIndex}`;
		// Append in place: copying the group for every record made 100,000 records of one import take minutes.
		const group = recordGroups.get(key);
		if (group) group.push(check);
		else recordGroups.set(key, [check]);
	}
	for (const group of recordGroups.values()) {
		const inputs = group.map((check) => ({
			row: check.json.row as number,
			record: check.json.record as IDataObject,
			upload: isPlainObject(check.json.upload) ? (check.json.upload as IDataObject) : {},
		}));
		const importOutcome = classifyImport(group[0].statusUrl, inputs[0].upload, waitFor(group[0]));
		classifyRecords(inputs, importOutcome).forEach((json, index) => {
			outcomes.push({ itemIndex: group[index].itemIndex, json });
		});
	}
	return outcomes;
}

// ---------------------------------------------------------------------------------------------------------------
// Outputs

export const OUTPUT_INDEX: Record<Outcome, number> = { success: 0, warning: 1, error: 2 };

/** Puts each outcome on its output (Success, Warning, Error), linked to the input item it came from. */
export function routeToOutputs(
	outcomes: Array<{ itemIndex: number; json: ImportOutcomeJson | RecordOutcomeJson }>,
): INodeExecutionData[][] {
	const outputs: INodeExecutionData[][] = [[], [], []];
	const ordered = [...outcomes].sort((a, b) => a.itemIndex - b.itemIndex);
	for (const { itemIndex, json } of ordered) {
		outputs[OUTPUT_INDEX[json.outcome]].push({ json, pairedItem: { item: itemIndex } });
	}
	return outputs;
}
