/**
 * What a person reads about one upload, from version 1.2 on (NOT_FINISHED_OUTPUT): the outcome `classifyImport`
 * decided, told as n8n tells an error. `summary` is one short line saying what happened (naming the case type and
 * sheet rows), `description` what to do (null when nothing), `errors` CommCare's own entries and `warnings` the
 * checks' warnings the upload carried; nothing is said twice. An import still queued or running at the deadline goes
 * to Not Finished (reason `notFinished`) instead of Error. Older versions keep classifyImport's words.
 */
import type { IDataObject } from 'n8n-workflow';

import type { CheckFinding, ImportOutcomeJson, RowErrorEntry } from '../shared/outputContract';
import { CREATION_OFF, plural } from '../shared/wording';
import {
	accountForRows,
	createNewCasesOf,
	distinctErrorRows,
	formatDuration,
	OUTCOME_UNKNOWN,
	rowCountOf,
	type ImportResult,
} from './importOutcome';
import { findingsOf } from './records';
import { ImportState, type ImportWait, isPlainObject } from './statusBody';

/** The upload's case type, when it names one. */
export function caseTypeOf(upload: IDataObject): string | null {
	return typeof upload.caseType === 'string' && upload.caseType.trim() !== '' ? upload.caseType : null;
}

/** "3 patient cases", "1 patient case", "2 cases" when the upload names no case type. */
export function casesOf(count: number, upload: IDataObject): string {
	const type = caseTypeOf(upload);
	return plural(count, type ? `${type} case` : 'case');
}

/** "patient cases", "cases". */
export function kindOfCases(upload: IDataObject): string {
	const type = caseTypeOf(upload);
	return type ? `${type} cases` : 'cases';
}

/** "Import of patient cases", "Import". */
function importOf(upload: IDataObject): string {
	return caseTypeOf(upload) ? `Import of ${kindOfCases(upload)}` : 'Import';
}

/** The titles of CommCare's row errors, at most two: "Invalid Owner, Name Too Long, …". */
export function errorTitles(errors: Array<{ title?: unknown; description?: unknown }>): string {
	const titles = [
		...new Set(
			errors.map((entry) => {
				const text = typeof entry.title === 'string' ? entry.title : entry.description;
				return typeof text === 'string' && text !== '' ? shortened(text, 60) : 'Error';
			}),
		),
	];
	return titles.length > 2 ? `${titles.slice(0, 2).join(', ')}, …` : titles.join(', ');
}

export function shortened(text: string, limit: number): string {
	const line = text.replace(/\s+/g, ' ').trim();
	return line.length > limit ? `${line.slice(0, limit - 1)}…` : line;
}

/** "Not Finished yet: …" → "not finished yet: …", to follow "Sheet row 4 ". */
export function lowerFirst(text: string): string {
	return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * Why CommCare skipped rows without a word, and what to do: the multi-sheet clause only when the checks warned that
 * the file is likely read in multi-sheet mode (a sheet named like the case type).
 */
export function silentSkipAdvice(upload: IDataObject): string {
	const warnings = findingsOf(upload, 'warnings');
	if (warnings.some((w) => w.code === 'possibleMultiSheetMode' || w.code === 'sheetNamedAfterCaseType')) {
		return 'The file was probably imported in multi-sheet mode (every sheet named like a case type of the project), where CommCare creates cases only when sent "True": rows that matched no case were skipped. Rename the sheet (for example to "cases") and send them again.';
	}
	const blank = 'CommCare skips blank rows (every mapped cell empty) without saying which';
	const which =
		'Use One Item per Record in CommCare Bulk Import to see which rows they were, with Look Up Case IDs on here.';
	if (createNewCasesOf(upload) !== true) {
		return `${blank}, and rows whose ID matches no case while ${CREATION_OFF}. ${which}`;
	}
	return `${blank}. ${which}`;
}

/** How a Not Finished item reads: the summary ("Not finished yet: …") and what to do. */
export function notFinishedWords(
	wait: ImportWait,
	lastProblem: string | null,
): { summary: string; description: string } {
	const once = wait.polls <= 1;
	const after = `after ${formatDuration(wait.waitedSeconds)}`;
	const queued = wait.lastState === ImportState.Missing || wait.lastState === ImportState.NotStarted;
	let where: string;
	if (queued) where = once ? 'queued in CommCare (checked once)' : `still queued ${after}`;
	else if (wait.lastState === ImportState.Started) {
		const done = wait.lastPercent !== null ? `${wait.lastPercent}% done` : 'running';
		where = once ? `${done === 'running' ? done : `running, ${done}`} (checked once)` : `${done} ${after}`;
	} else where = `no status from CommCare ${once ? '(checked once)' : after}`;
	const description = [
		lastProblem ? `The last check failed: ${lastProblem.replace(/[.\s]+$/, '')}.` : '',
		'It may still finish: do not send these rows again yet. Check again later: connect Not Finished to a Wait node and back into CommCare Import Status, or raise Timeout.',
		queued
			? 'CommCare runs one import at a time per project space and retries a waiting one every 5 minutes, for up to about 5 hours.'
			: '',
	];
	return { summary: `Not finished yet: ${where}`, description: description.filter(Boolean).join(' ') };
}

/** The outcome of one upload in version 1.2's words, keys in reading order. */
export function plainImport(classic: ImportResult, wait: ImportWait): ImportOutcomeJson {
	const upload = classic.upload;
	const words = wordsFor(classic, wait);
	const notFinished = classic.reason === 'timedOut';
	return {
		outcome: notFinished ? 'notFinished' : classic.outcome,
		reason: notFinished ? 'notFinished' : classic.reason,
		summary: words.summary,
		description: words.description,
		created_count: classic.created_count,
		match_count: classic.match_count,
		skipped_count: classic.skipped_count,
		errors: words.errors ?? classic.errors,
		warnings: findingsOf(upload, 'warnings'),
		upload,
		status_url: classic.status_url,
		state: classic.state,
		percent: classic.percent,
		num_chunks: classic.num_chunks,
		timedOut: classic.timedOut,
		polls: classic.polls,
		waitedSeconds: classic.waitedSeconds,
	};
}

interface Words {
	summary: string;
	description: string | null;
	/** Replaces CommCare's (empty) list: the upstream item's findings, for an upload that failed upstream. */
	errors?: Array<RowErrorEntry | CheckFinding>;
}

function wordsFor(classic: ImportResult, wait: ImportWait): Words {
	const { upload } = classic;
	const end = wait.end;
	switch (end.kind) {
		case 'finished':
			return finishedWords(classic, end.status.result === null, end.problem ?? null, wait);
		case 'timedOut':
			return notFinishedWords(wait, end.lastProblem);
		case 'notFound':
			return {
				summary: 'Import not found: CommCare answered 404 for its status URL',
				description:
					'The upload ID is unknown, belongs to another project space, or the upload is hidden from this user (users restricted to locations only see their own uploads). Check the status URL and the credential.',
			};
		case 'denied':
			return statusCheckWords(
				'Status check refused',
				end.httpStatus,
				end.message ??
					(end.httpStatus === 401
						? 'CommCare refused the credentials (HTTP 401): check the username and API key (or password) of the CommCare credential'
						: 'CommCare denied access (HTTP 403): the user must be a member of the project space and have the Edit Data permission'),
				end.advice,
			);
		case 'httpError':
			return statusCheckWords('Status check failed', end.httpStatus, end.message, end.advice);
		case 'refused':
			return {
				summary: `Status URL not requested: ${end.message ?? end.reason}`,
				description: end.advice ?? 'Set Status URL to the status_url CommCare Bulk Import outputs.',
			};
		case 'missingStatusUrl':
			return upstreamWords(upload);
	}
}

/**
 * A status check that failed, from the transport's message ("what happened: what to do"): what happened in the
 * summary, the rest and the warning that the import may have run anyway in the description.
 */
function statusCheckWords(what: string, httpStatus: number | null, message: string, advice?: string): Words {
	const { head, tail } = splitMessage(message);
	const code = httpStatus !== null && !head.includes(`HTTP ${httpStatus}`) ? ` (HTTP ${httpStatus})` : '';
	const todo = [tail, advice ?? ''].filter((text) => text.trim() !== '').map(withStop);
	return {
		summary: head === '' ? `${what}${code}` : `${what}${code}: ${head}`,
		description: [...todo, OUTCOME_UNKNOWN].join(' '),
	};
}

/** "What happened: what to do." → its first clause (one short line) and the rest; a long unbroken text stays whole. */
export function splitMessage(message: string): { head: string; tail: string } {
	const text = message.replace(/\s+/g, ' ').trim();
	const at = /: |\. |; /.exec(text);
	if (at !== null && at.index <= 120) {
		const rest = text.slice(at.index + 2);
		return { head: text.slice(0, at.index), tail: rest.charAt(0).toUpperCase() + rest.slice(1) };
	}
	return text.length <= 120 ? { head: text.replace(/[.\s]+$/, ''), tail: '' } : { head: '', tail: text };
}

function withStop(text: string): string {
	const trimmed = text.trim();
	return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function finishedWords(classic: ImportResult, noResult: boolean, problem: string | null, wait: ImportWait): Words {
	const { upload } = classic;
	const created = classic.created_count;
	const matched = classic.match_count;
	if (classic.reason === 'failed') {
		const reported =
			created !== null || matched !== null
				? ` (it reports ${casesOf(created ?? 0, upload)} created and ${matched ?? 0} updated)`
				: '';
		return {
			summary: `${importOf(upload)} failed${classic.errors.length === 0 ? ', and CommCare gave no reason' : ''}`,
			description: `CommCare may have applied some rows before it failed${reported}: check the ${kindOfCases(upload)} in CommCare (or Data → Import Cases from Excel in CommCare HQ) before sending the rows again.`,
		};
	}
	const historyAdvice = 'Check the import history in CommCare HQ (Data → Import Cases from Excel) to see what it did.';
	if (created === null || matched === null || problem !== null) {
		const what =
			problem !== null
				? 'its counts cannot be read'
				: noResult
					? 'CommCare reported no counts'
					: 'CommCare did not say how many cases it created and updated';
		return {
			summary: `${importOf(upload)} finished, but ${what}`,
			description: problem !== null ? `${withStop(problem)} ${historyAdvice}` : historyAdvice,
		};
	}
	const counts = `${casesOf(created, upload)} created, ${matched} updated`;
	const failed = distinctErrorRows(classic.errors).size;
	const skipped = classic.skipped_count;
	const mismatch =
		wait.end.kind === 'finished' ? accountForRows(rowCountOf(upload), wait.end.status, true).mismatch : null;
	const parts: string[] = [];
	const advice: string[] = [];
	if (classic.errors.length > 0) {
		parts.push(`${plural(failed, 'sheet row')} not imported (${errorTitles(classic.errors)})`);
		const others = mismatch === null && (skipped === null || skipped === 0) ? '; the other rows were imported' : '';
		advice.push(`Fix the sheet rows errors lists and send them again${others}.`);
	}
	if (skipped !== null && skipped > 0) {
		parts.push(`${plural(skipped, 'sheet row')} skipped silently`);
		advice.push(silentSkipAdvice(upload));
	}
	if (mismatch !== null) {
		if (parts.length === 0) {
			return {
				summary: `${importOf(upload)} finished, but its counts do not add up`,
				description: `${withStop(mismatch)} ${historyAdvice}`,
			};
		}
		advice.push(`${withStop(mismatch)} ${historyAdvice}`);
	}
	return {
		summary: parts.length > 0 ? `${counts}; ${parts.join(', ')}` : counts,
		description: advice.length > 0 ? advice.join(' ') : null,
	};
}

/** An item without a status URL: an upload that failed upstream (Continue On Fail), or an item from elsewhere. */
function upstreamWords(upload: IDataObject): Words {
	const error = upload.error;
	let text: unknown = isPlainObject(error) ? error.message : error;
	if (typeof text !== 'string' || text === '') text = upload.message;
	const errors = findingsOf(upload, 'errors');
	if (typeof text === 'string' && text !== '') {
		return {
			summary: 'No import to check: the upload failed upstream',
			description: `CommCare Bulk Import said: ${withStop(shortened(text, 500))} Fix that, then run the upload again.`,
			errors,
		};
	}
	return {
		summary: 'No import to check: the item has no status URL',
		description:
			"Connect CommCare Bulk Import's output to this node, or set Status URL to the field that holds the status_url.",
		errors,
	};
}
