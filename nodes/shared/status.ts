/**
 * What a status response means (spec §5), as pure functions: parse and validate a status body, name its state,
 * and turn how the wait for one import ended into an outcome (Success / Warning / Error) for the upload, or for
 * every record of it in per-record mode. No I/O here: `polling.ts` does the waiting, the node does the routing.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { checkedRequestUrl } from './transport';
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

/**
 * A status body read: `problem` says what in an otherwise valid status could not be read (counts that are not
 * numbers, `errors` that is not a list); such a status must not count as a clean success.
 */
export type ParsedStatus =
	{ ok: true; status: StatusResponse; problem: string | null } | { ok: false; problem: string };

/**
 * Validates a status body (object, JSON text or Buffer). Tolerates what real servers vary in: `progress` null or
 * missing, counts null or numeric strings, `column` null or `""` (normalised to null so workflows branch on one
 * value), `rows` as numeric strings (older servers). A body that is not a status object (truncated JSON, a page) is
 * reported as a problem, not thrown: the poller treats it as transient and asks again. Markup is never quoted.
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
			return {
				ok: false,
				problem: text.startsWith('<')
					? 'the status response was markup (a web page or XML), not JSON'
					: `the status response was not JSON (it starts "${preview(text)}")`,
			};
		}
	}
	if (!isPlainObject(value)) {
		return { ok: false, problem: 'the status response was not a JSON object' };
	}
	const state = toInteger(value.state);
	if (state === null) {
		return { ok: false, problem: 'the status response has no numeric "state"' };
	}
	const progress = isPlainObject(value.progress) ? { percent: toCount(value.progress.percent).value } : null;
	let result: StatusResponse['result'] = null;
	const unreadable: string[] = [];
	if (isPlainObject(value.result)) {
		const raw = value.result;
		const count = (key: string) => {
			const read = toCount(raw[key]);
			if (!read.readable) unreadable.push(`"${key}" is ${describeJson(raw[key])}`);
			return read.value;
		};
		if (raw.errors !== undefined && raw.errors !== null && !Array.isArray(raw.errors)) {
			unreadable.push(`"errors" is ${describeJson(raw.errors)}, not a list`);
		}
		const errors = Array.isArray(raw.errors) ? raw.errors : [];
		if (errors.some((entry) => !isPlainObject(entry))) unreadable.push('"errors" holds entries that are not objects');
		result = {
			match_count: count('match_count'),
			created_count: count('created_count'),
			num_chunks: count('num_chunks'),
			errors: errors.filter(isPlainObject).map(toErrorEntry),
		};
	} else if (value.result !== undefined && value.result !== null) {
		unreadable.push(`"result" is ${describeJson(value.result)}`);
	}
	return {
		ok: true,
		status: { state, progress, result },
		problem: unreadable.length > 0 ? unreadable.join('; ') : null,
	};
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

/** A count: a whole number of at least 0, also as numeric text. Null (or absent) is readable as "not reported". */
function toCount(value: unknown): { value: number | null; readable: boolean } {
	if (value === null || value === undefined) return { value: null, readable: true };
	const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
	return typeof number === 'number' && Number.isInteger(number) && number >= 0
		? { value: number, readable: true }
		: { value: null, readable: false };
}

/** A short, safe description of a JSON value for a message: its type, and the value when short. */
function describeJson(value: unknown): string {
	if (Array.isArray(value)) return 'a list';
	if (isPlainObject(value)) return 'an object';
	const text = JSON.stringify(value) ?? String(value);
	return text.length <= 24 ? text : `${typeof value} ${preview(text)}`;
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
	/** State 2 or 3 was reached; `status` is that last response, `problem` what of it could not be read. */
	| { kind: 'finished'; status: StatusResponse; problem?: string | null }
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

/**
 * How the server's counts account for the rows sent (spec §5: created + updated + listed in `errors` + skipped
 * silently = rows sent). Only rows of the upload (2 to rowCount + 1) are counted as listed: a row number outside it
 * cannot stand for a row that was sent, so it never makes the sum come out right.
 */
export interface RowAccounting {
	/** Rows sent but neither created, updated nor listed; null when unknowable (no row count, no counts). */
	skipped: number | null;
	/** Why the counts cannot be trusted, when they do not add up; null when they do (or cannot be checked). */
	mismatch: string | null;
}

export function accountForRows(rowCount: number | null, status: StatusResponse): RowAccounting {
	const result = status.result;
	if (rowCount === null || result === null || result.created_count === null || result.match_count === null) {
		return { skipped: null, mismatch: null };
	}
	const listed = distinctErrorRows(result.errors);
	const outside = [...listed].filter((row) => row < 2 || row > rowCount + 1).sort((a, b) => a - b);
	const inside = listed.size - outside.length;
	const skipped = rowCount - result.created_count - result.match_count - inside;
	const problems: string[] = [];
	if (outside.length > 0) {
		problems.push(
			`${outside.length === 1 ? 'row' : 'rows'} ${outside.slice(0, 5).join(', ')}${outside.length > 5 ? ', …' : ''} listed in errors ${outside.length === 1 ? 'is' : 'are'} not among the ${plural(rowCount, 'data row')} sent (rows 2 to ${rowCount + 1})`,
		);
	}
	if (skipped < 0) {
		problems.push(
			`${result.created_count} created + ${result.match_count} updated + ${inside} listed is more than the ${plural(rowCount, 'row')} sent`,
		);
	}
	if (problems.length > 0)
		return { skipped: null, mismatch: `CommCare's counts do not add up: ${problems.join('; ')}` };
	return { skipped, mismatch: null };
}

/** Rows sent but not counted anywhere (spec §5: "rows skipped silently appear nowhere"). Null when unknowable. */
export function countSilentSkips(rowCount: number | null, status: StatusResponse): number | null {
	return accountForRows(rowCount, status).skipped;
}

export function distinctErrorRows(errors: RowErrorEntry[]): Set<number> {
	const rows = new Set<number>();
	for (const entry of errors) for (const row of entry.rows) rows.add(row);
	return rows;
}

/**
 * Why CommCare skipped rows without a word (spec §3.3, §6.2, §6.3), phrased for the upload's settings. With creation
 * on, a single-sheet import skips only blank rows, so the other cause is multi-sheet mode: likely when the checks
 * saw a sheet named like the case type, possible otherwise (the checks cannot know the project's other case types).
 */
export function silentSkipReason(createNewCases: boolean | null, upload: IDataObject = {}): string {
	const blank = 'CommCare skips blank rows (every mapped cell empty) without reporting them';
	if (createNewCases !== true) {
		return `${blank}, and rows whose id matched no existing case while "Create New Cases" was off.`;
	}
	const warnings = (Array.isArray(upload.warnings) ? upload.warnings : []).filter(isPlainObject);
	if (warnings.some((w) => w.code === 'possibleMultiSheetMode' || w.code === 'sheetNamedAfterCaseType')) {
		return 'the file was probably imported in multi-sheet mode (every sheet named like a case type of the project), where CommCare creates cases only when sent "True", not the "on" this node sends: rows that matched no case were skipped. Rename the sheet (for example to "cases").';
	}
	return `${blank} (or, in multi-sheet mode, when every sheet is named like a case type of the project, rows that matched no case).`;
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
				return {
					...base,
					...counts,
					outcome: 'error',
					reason: 'failed',
					summary: `Import failed: ${failureMessage(counts.errors)}`,
				};
			}
			if (result === null || end.problem || result.created_count === null || result.match_count === null) {
				const what = end.problem
					? `its counts cannot be read (${end.problem})`
					: result === null
						? 'CommCare HQ reported no counts'
						: 'CommCare HQ did not report how many cases were created and updated';
				return {
					...base,
					...counts,
					outcome: 'warning',
					reason: 'noCounts',
					summary: `The import finished but ${what}; check the import history in CommCare HQ (Data → Import Cases from Excel) to see what it did.`,
				};
			}
			const accounting = accountForRows(rowCountOf(upload), status);
			const skipped = accounting.skipped;
			const problems: string[] = [];
			const failedRows = distinctErrorRows(result.errors).size;
			const rowErrors = failedRows > 0 || result.errors.length > 0;
			if (rowErrors) {
				problems.push(`${plural(failedRows, 'row')} not imported (${describeErrors(result.errors)})`);
			}
			if (skipped !== null && skipped > 0) {
				problems.push(
					`${plural(skipped, 'row')} skipped silently: ${silentSkipReason(createNewCasesOf(upload), upload)}`,
				);
			}
			if (accounting.mismatch) {
				problems.push(
					`${accounting.mismatch}, so which rows were imported is not known: check the import history in CommCare HQ`,
				);
			}
			const countsText = `${plural(result.created_count, 'case')} created, ${result.match_count} updated`;
			return {
				...base,
				...counts,
				skipped_count: skipped,
				outcome: problems.length > 0 ? 'warning' : 'success',
				// Listed rows first: skipped_count still says how many were skipped too.
				reason: rowErrors
					? 'rowErrors'
					: accounting.mismatch
						? 'noCounts'
						: problems.length > 0
							? 'skippedRows'
							: 'imported',
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
			return {
				...base,
				outcome: 'error',
				reason: 'denied',
				summary: `${withoutFinalStop(refusal)}. ${OUTCOME_UNKNOWN}`,
			};
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
		const wholeImportError =
			outcome.errors.length > 0
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
	// Unknown (counts that do not add up, or no row count): no unlisted record is known to be imported.
	const skipped = outcome.skipped_count;
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
		if (outcome.created_count === null || (outcome.reason === 'noCounts' && outcome.outcome === 'warning')) {
			return build(input, 'warning', 'noCounts', `Row ${input.row} imported or skipped: ${outcome.summary}`, []);
		}
		if (skipped === null) {
			return build(
				input,
				'warning',
				'importedOrSkipped',
				`Row ${input.row} imported or skipped: CommCare's counts for this upload cannot be matched to its rows, so this row's fate is not known. ${outcome.summary}`,
				[],
			);
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
			`Row ${input.row} imported or skipped${hint}: CommCare's counts show ${plural(skipped, 'row')} of this upload skipped silently without saying which: ${silentSkipReason(createNewCasesOf(input.upload), input.upload)}`,
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
	/** The address polled: the given one, or a relative one resolved against the Base URL. Null when not polled. */
	pollUrl: string | null;
	/** Set when the item is decided without a request: no URL, or a URL that is refused. */
	unpolled: WaitResult | null;
}

/**
 * Decides per item what to poll. An item without a status URL is an upstream failure; a URL that is not a valid
 * http(s) address, or not on the credential's origin, is never requested (the credential only goes to `baseUrl`'s
 * origin). A relative URL is resolved against the Base URL.
 */
export function planStatusChecks(jsons: IDataObject[], statusUrls: unknown[], baseUrl: string): StatusCheck[] {
	return jsons.map((json, itemIndex) => {
		const raw = statusUrls[itemIndex];
		if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
			return { itemIndex, json, statusUrl: null, pollUrl: null, unpolled: unpolled({ kind: 'missingStatusUrl' }) };
		}
		const statusUrl = typeof raw === 'string' ? raw.trim() : JSON.stringify(raw);
		if (typeof raw !== 'string') {
			const reason = `the status URL must be text, but the expression gave ${statusUrl.slice(0, 80)}`;
			return { itemIndex, json, statusUrl, pollUrl: null, unpolled: unpolled({ kind: 'refused', reason }) };
		}
		try {
			const pollUrl = checkedRequestUrl(statusUrl, baseUrl);
			return { itemIndex, json, statusUrl, pollUrl, unpolled: null };
		} catch (error) {
			const { message, description } = error as { message: string; description?: string };
			const reason = description ? `${message}. ${description}` : message;
			return { itemIndex, json, statusUrl, pollUrl: null, unpolled: unpolled({ kind: 'refused', reason }) };
		}
	});
}

/** The URLs the plan needs polled (each once). */
export function urlsToPoll(checks: StatusCheck[]): string[] {
	return [...new Set(checks.flatMap((check) => (check.unpolled === null && check.pollUrl ? [check.pollUrl] : [])))];
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
		check.unpolled ?? waits.get(check.pollUrl as string) ?? unpolled({ kind: 'timedOut', lastProblem: null });
	const outcomes: Array<{ itemIndex: number; json: ImportOutcomeJson | RecordOutcomeJson }> = [];
	const recordGroups = new Map<string, StatusCheck[]>();
	for (const check of checks) {
		if (!isRecordItem(check.json)) {
			outcomes.push({ itemIndex: check.itemIndex, json: classifyImport(check.statusUrl, check.json, waitFor(check)) });
			continue;
		}
		// Records share an import only when they share a polled URL; an unpolled record stands alone.
		const key = check.unpolled === null ? `url:${check.pollUrl}` : `item:${check.itemIndex}`;
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
