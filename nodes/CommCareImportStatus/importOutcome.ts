/**
 * How the wait for one import ended, turned into an outcome (Success / Warning / Error) for the upload, with its rows
 * accounted for: imported, failed with their error, or skipped. Pure: the shared polling loop does the waiting.
 */
import type { IDataObject } from 'n8n-workflow';
import { CREATION_OFF, plural } from '../shared/wording';
import type { ImportOutcomeJson, RowErrorEntry, StatusResponse } from '../shared/outputContract';
import { ImportState, type ImportWait, isPlainObject, stateName } from './statusBody';

// One upload -> one outcome

/** An upload's outcome as classifyImport decides it: `errors` are CommCare's own entries, with their rows. */
export interface ImportResult extends ImportOutcomeJson {
	errors: RowErrorEntry[];
}

/**
 * Said whenever the status could not be read although the upload was accepted: the import may well have run, and a
 * user who simply uploads again would create every case twice.
 */
export const OUTCOME_UNKNOWN =
	'The import itself may have finished or may still finish: check CommCare HQ → Data → Import Cases from Excel before uploading the same rows again.';

function withoutFinalStop(text: string): string {
	return text.replace(/[.\s]+$/, '');
}

const NOT_FOUND_EXPLANATION =
	'CommCare HQ answered 404 for this status URL: the upload id is unknown, belongs to another project space, or the upload was hidden (users restricted to locations only see their own uploads)';

/**
 * How the server's counts account for the rows sent (docs/commcare-api.md §5: created + updated + listed in `errors` + skipped
 * silently = rows sent). Only rows of the upload (2 to rowCount + 1) are counted as listed: a row number outside it
 * cannot stand for a row that was sent, so it never makes the sum come out right.
 */
export interface RowAccounting {
	/** Rows sent but neither created, updated nor listed; null when unknowable (no row count, no counts). */
	skipped: number | null;
	/** Why the counts cannot be trusted, when they do not add up; null when they do (or cannot be checked). */
	mismatch: string | null;
}

/** `sheet`: rows named "sheet row" (version 1.2's words); versions 1 and 1.1 say "row". */
export function accountForRows(rowCount: number | null, status: StatusResponse, sheet = false): RowAccounting {
	const result = status.result;
	if (rowCount === null || result === null || result.created_count === null || result.match_count === null) {
		return { skipped: null, mismatch: null };
	}
	const listed = distinctErrorRows(result.errors);
	const outside = [...listed].filter((row) => row < 2 || row > rowCount + 1).sort((a, b) => a - b);
	const inside = listed.size - outside.length;
	const skipped = rowCount - result.created_count - result.match_count - inside;
	const problems: string[] = [];
	const row = sheet ? 'sheet row' : 'row';
	if (outside.length > 0) {
		problems.push(
			`${outside.length === 1 ? row : `${row}s`} ${outside.slice(0, 5).join(', ')}${outside.length > 5 ? ', …' : ''} listed in errors ${outside.length === 1 ? 'is' : 'are'} not among the ${plural(rowCount, 'data row')} sent (${row}s 2 to ${rowCount + 1})`,
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

/** Rows sent but not counted anywhere (docs/commcare-api.md §5: "rows skipped silently appear nowhere"). Null when unknowable. */
export function countSilentSkips(rowCount: number | null, status: StatusResponse): number | null {
	return accountForRows(rowCount, status).skipped;
}

export function distinctErrorRows(errors: RowErrorEntry[]): Set<number> {
	const rows = new Set<number>();
	for (const entry of errors) for (const row of entry.rows) rows.add(row);
	return rows;
}

/**
 * Why CommCare skipped rows without a word (docs/commcare-api.md §3.3, §6.2, §6.3), phrased for the upload's settings. With creation
 * on, a single-sheet import skips only blank rows, so the other cause is multi-sheet mode: likely when the checks
 * saw a sheet named like the case type, possible otherwise (the checks cannot know the project's other case types).
 */
export function silentSkipReason(createNewCases: boolean | null, upload: IDataObject = {}): string {
	const blank = 'CommCare skips blank rows (every mapped cell empty) without reporting them';
	if (createNewCases !== true) {
		return `${blank}, and rows whose id matched no existing case while ${CREATION_OFF}.`;
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

export function createNewCasesOf(upload: IDataObject): boolean | null {
	return typeof upload.createNewCases === 'boolean' ? upload.createNewCases : null;
}

/**
 * Classifies one upload: state 2 without problems -> success; state 2 with row errors or silent skips -> warning;
 * state 3, timeout, 404, refused credentials, a refused URL, or no URL at all -> error.
 */
export function classifyImport(statusUrl: string | null, upload: IDataObject, wait: ImportWait): ImportResult {
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
				errors: withKnownColumns(result?.errors ?? [], upload),
			};
			if (status.state === ImportState.Failed) {
				return {
					...base,
					...counts,
					outcome: 'error',
					reason: 'failed',
					summary: `Import failed: ${withoutFinalStop(failureMessage(counts.errors))}. ${partialFailureNote(counts)}`,
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
			const after = `after ${formatDuration(wait.waitedSeconds)}, ${plural(wait.polls, 'poll')}`;
			const where =
				wait.lastState === null
					? `no status from CommCare HQ ${after}`
					: `still ${stateName(wait.lastState)}${wait.lastPercent !== null && wait.lastState === ImportState.Started ? ` at ${wait.lastPercent}%` : ''} ${after}`;
			const problem = end.lastProblem ? `; last poll: ${withoutFinalStop(end.lastProblem)}` : '';
			const queued = wait.lastState === ImportState.Missing || wait.lastState === ImportState.NotStarted;
			return {
				...base,
				timedOut: true,
				outcome: 'error',
				reason: 'timedOut',
				summary: `Not finished yet (${where}${problem}) — it may still finish; do not send these rows again yet, check the status URL again later.${queued ? ` ${QUEUE_HINT}` : ''}`,
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
				summary: [withoutFinalStop(refusal), end.advice ? withoutFinalStop(end.advice) : '', OUTCOME_UNKNOWN]
					.filter(Boolean)
					.join('. '),
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

/**
 * Row errors CommCare reports without a column although the column is plain: both are about the ID the row is matched
 * by, so they name the upload's ID column (docs/commcare-api.md §5). Every other entry stays as the server sent it.
 */
const ID_COLUMN_ERRORS = new Set(['Blank External ID', 'Too Many Matches']);

function withKnownColumns(errors: RowErrorEntry[], upload: IDataObject): RowErrorEntry[] {
	const idColumn =
		typeof upload.searchColumn === 'string' && upload.searchColumn.trim() !== ''
			? upload.searchColumn
			: upload.searchField === 'external_id'
				? 'external_id'
				: null;
	if (idColumn === null) return errors;
	return errors.map((entry) =>
		(entry.column === null || entry.column === '') && entry.title !== null && ID_COLUMN_ERRORS.has(entry.title)
			? { ...entry, column: idColumn }
			: entry,
	);
}

/** The server's descriptions of a whole-import failure, joined (docs/commcare-api.md §5: only `description` is set). */
/**
 * Why an import can stay queued for hours: CommCare runs one import at a time per project space and looks at a waiting
 * one again only every 5 minutes, for up to about 5 hours (docs/commcare-api.md §6).
 */
export const QUEUE_HINT =
	'CommCare runs one import at a time per project space and retries a waiting one every 5 minutes, for up to about 5 hours: raise Timeout, or check later with Timeout 0 in a loop with a Wait node (the long-queue example), which frees the n8n worker while it waits.';

/**
 * A failed import (state 3) is not an import that changed nothing: CommCare submits rows 100 at a time as it goes, so
 * the chunks before the failure may already be applied. Resending blindly can apply them twice.
 */
export const PARTIAL_FAILURE_CHECK =
	'check the cases in CommCare (or Data → Import Cases from Excel in CommCare HQ) before sending the rows again';

function partialFailureNote(counts: { created_count: number | null; match_count: number | null }): string {
	const reported =
		counts.created_count !== null || counts.match_count !== null
			? ` (it reports ${plural(counts.created_count ?? 0, 'case')} created and ${counts.match_count ?? 0} updated)`
			: '';
	return `CommCare may have applied some rows before it failed${reported}: ${PARTIAL_FAILURE_CHECK}.`;
}

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

export function formatDuration(seconds: number): string {
	if (seconds < 120) return `${Math.round(seconds * 10) / 10} s`;
	return `${Math.round((seconds / 60) * 10) / 10} min`;
}

// Per-record mode: one import outcome -> one outcome per record
