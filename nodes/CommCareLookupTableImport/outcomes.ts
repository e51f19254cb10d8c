/**
 * From CommCare's answer to an outcome. A processed upload's `code` decides (200 Success, 402 Warning: done, with
 * owners CommCare could not find; 405 Error: refused, nothing changed); a queued one ends by its status (complete:
 * Success; error: Error, and CommCare gives no reason; unfinished at the timeout: Error, it may still finish). The
 * rows read back afterwards turn a Success into a Warning when they are not what the upload should leave.
 */
import type { WaitResult } from '../shared/polling';
import { reportedProblems } from './upload/commCareMessage';
import type { UploadAnswer } from './upload/sendWorkbook';
import type { TableUploadState, TableUploadStatus } from './upload/tableStatus';
import { tableFinding } from './checks/findings';
import type { CommCareAnswerJson, LookupTableResultJson } from './results';

const CHECK_IN_HQ = 'Check the table in CommCare HQ (Data → Lookup Tables) before running this again.';

export function outcomeOfAnswer(
	base: LookupTableResultJson,
	answer: Extract<UploadAnswer, { kind: 'processed' }>,
): LookupTableResultJson {
	const commcare = {
		processing: 'sync' as const,
		code: answer.code,
		message: answer.message,
		statusUrl: null,
		downloadId: null,
	};
	const tables = base.tables.join(', ');
	if (answer.code === 200) return succeeded(base, commcare);
	if (answer.code === 402) {
		const problems = reportedProblems(answer.message);
		const warnings = problems.map((line) =>
			tableFinding(
				'ownerNotFound',
				line,
				'CommCare added the row without this owner: check the name (users by username, groups by exact name, locations by name or site code).',
			),
		);
		return {
			...base,
			commcare,
			outcome: 'warning',
			reason: 'uploadedWithWarnings',
			message: `Uploaded ${tables}, with ${problems.length || 'some'} problem(s) CommCare reported`,
			warnings: [...base.warnings, ...warnings],
		};
	}
	return {
		...base,
		commcare,
		outcome: 'error',
		reason: 'refused',
		message: `CommCare refused the workbook (code ${answer.code}): ${answer.message}`,
	};
}

export function outcomeOfWait(
	base: LookupTableResultJson,
	answer: Extract<UploadAnswer, { kind: 'queued' }>,
	wait: WaitResult<TableUploadStatus, TableUploadState> | undefined,
): LookupTableResultJson {
	const end = wait?.end;
	const status = end?.kind === 'finished' ? end.status : null;
	const commcare = {
		processing: 'async' as const,
		code: null,
		message: status?.message ?? answer.message,
		statusUrl: answer.statusUrl,
		downloadId: answer.downloadId || null,
		percent: wait?.lastPercent ?? null,
		polls: wait?.polls ?? 0,
		waitedSeconds: wait?.waitedSeconds ?? 0,
	};
	const tables = base.tables.join(', ');
	if (status?.state === 'complete') return succeeded(base, commcare);
	if (status?.state === 'failed') {
		return {
			...base,
			commcare,
			outcome: 'error',
			reason: 'failed',
			message: `CommCare reports that the queued upload of ${tables} failed, and gives no reason ("${status.message}")`,
			errors: [
				...base.errors,
				tableFinding(
					'uploadFailed',
					'CommCare did not complete the queued upload',
					`A queued upload is not checked by CommCare before it runs, and its failure carries no reason; the node's checks found nothing wrong. The rows read back below show what the table holds now. ${CHECK_IN_HQ} Running it with Options → Processing set to In the Request makes CommCare say what is wrong.`,
				),
			],
		};
	}
	if (end?.kind === 'timedOut') {
		const started = wait?.lastPercent !== null && wait?.lastPercent !== undefined;
		return {
			...base,
			commcare,
			outcome: 'error',
			reason: 'notFinished',
			message: started
				? `The upload of ${tables} had not finished after ${commcare.waitedSeconds} s (last seen ${wait?.lastPercent}% done); it may still finish`
				: `CommCare had not started the upload of ${tables} after ${commcare.waitedSeconds} s; it may still run`,
			errors: [
				...base.errors,
				tableFinding(
					'notFinished',
					'The wait ended before CommCare finished the upload',
					`Its status URL is in commcare.statusUrl. Raise Options → Timeout, or check the table later: ${CHECK_IN_HQ}`,
				),
			],
		};
	}
	const why = reasonOf(end);
	return {
		...base,
		commcare,
		outcome: 'error',
		reason: 'statusUnavailable',
		message: `CommCare queued the upload of ${tables}, but its status could not be followed: ${why}`,
		errors: [
			...base.errors,
			tableFinding('statusUnavailable', `The status could not be followed: ${why}`, CHECK_IN_HQ),
		],
	};
}

/** Done: Success, or Warning when the checks or the table read left warnings (values trimmed, rows without owners). */
function succeeded(base: LookupTableResultJson, commcare: CommCareAnswerJson): LookupTableResultJson {
	const tables = base.tables.join(', ');
	if (base.warnings.length === 0)
		return { ...base, commcare, outcome: 'success', reason: 'uploaded', message: `Uploaded ${tables}` };
	const message = `Uploaded ${tables}, with ${base.warnings.length} warning(s): ${base.warnings[0].message}`;
	return { ...base, commcare, outcome: 'warning', reason: 'uploadedWithWarnings', message };
}

/** A finished upload whose tables hold another number of rows than it should leave: Warning, saying both. */
export function readBackWarnings(result: LookupTableResultJson): LookupTableResultJson {
	if (result.outcome === 'error' || !result.changes || !result.rowsAfter) return result;
	const differing = result.changes.filter((change) => {
		const after = result.rowsAfter?.[change.table];
		return after !== null && after !== undefined && after !== change.rowsAfter;
	});
	if (differing.length === 0) return result;
	const warnings = differing.map((change) =>
		tableFinding(
			'rowCountDiffers',
			`Table '${change.table}' holds ${result.rowsAfter?.[change.table]} rows after the upload; ${change.rowsAfter} were expected`,
			'Another upload or an edit in CommCare HQ may have run at the same time (CommCare does not serialise lookup-table uploads), or CommCare skipped rows. Compare the table in CommCare HQ with the source.',
		),
	);
	return {
		...result,
		outcome: 'warning',
		reason: 'uploadedWithWarnings',
		message: `${result.message}; the rows read back differ from what was expected`,
		warnings: [...result.warnings, ...warnings],
	};
}

/** Why a wait ended without a status, in words. */
function reasonOf(end: WaitResult<TableUploadStatus, TableUploadState>['end'] | undefined): string {
	if (!end) return 'no answer';
	if (end.kind === 'refused') return end.reason;
	if (end.kind === 'notFound') return 'CommCare answered 404 for the status URL';
	if ('message' in end && typeof end.message === 'string') return end.message;
	return end.kind;
}
