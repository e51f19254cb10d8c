/**
 * `upload_fixture_api` after its decorators, and `fixture_api_upload_status` (the async task's progress): HTTP 200
 * with the outcome in the body's `code` (sync) or in `complete` / `error` (status), messages verbatim.
 */
import { serverErrorPage, type EmulatorResponse } from '../djangoPages';
import { pythonJsonDumps } from '../pythonFormat';
import type { LookupTableTimeline } from '../types';
import { FixtureUploadError, FixtureWorkbook, LOOKUP_TABLE_MESSAGES, validateWorkbook } from './fixtureWorkbook';
import type { OwnerDirectory } from './owners';
import { displayMessage, runUpload } from './runUpload';
import { newId, type LookupTableStore } from './store';

export const LOOKUP_TABLE_UPLOAD_MESSAGES = {
	invalidRequest: "Invalid post request.Submit the form with field 'file-to-upload' and POST parameter 'replace'",
	queued: 'File has been uploaded successfully and is queued for processing.',
	complete: 'Upload complete.',
	failed: "Upload did not complete. Reason: ''",
	inProgress: (percent: number | null) => `Task in progress. ${percent === null ? 'None' : percent}% complete`,
} as const;

/** `MAX_FIXTURE_ROWS`. */
export const MAX_FIXTURE_ROWS = 500_000;

export function djangoJson(body: unknown): EmulatorResponse {
	return { status: 200, headers: { 'Content-Type': 'application/json' }, body: pythonJsonDumps(body) };
}

const answer = (code: 200 | 402 | 405, message: string) => djangoJson({ message, code });

/** An accepted async upload, run when its status polls reach it. */
export interface LookupTableTask {
	domain: string;
	downloadId: string;
	file: Buffer;
	replace: boolean;
	timeline: LookupTableTimeline;
	polls: number;
	outcome?: 'complete' | 'failed';
}

export interface LookupTableUploadRequest {
	domain: string;
	fields: Record<string, string>;
	file?: { fileName: string; data: Buffer };
	store: LookupTableStore;
	owners: OwnerDirectory;
	publicBaseUrl: string;
	timeline: LookupTableTimeline;
	/** Keep to save the workbook for the conformance tests. */
	onFile?: (data: Buffer) => void;
}

export interface LookupTableUploadAnswer {
	response: EmulatorResponse;
	task?: LookupTableTask;
}

/** `request.POST['replace']`: 'true'/'false' any case, else the raw text, which acts as true unless empty. */
export function replaceFlag(value: string): boolean {
	const lowered = value.toLowerCase();
	if (lowered === 'true') return true;
	if (lowered === 'false') return false;
	return value !== '';
}

export async function handleLookupTableUpload(request: LookupTableUploadRequest): Promise<LookupTableUploadAnswer> {
	const { fields, file } = request;
	if (!file || fields.replace === undefined)
		return { response: answer(405, LOOKUP_TABLE_UPLOAD_MESSAGES.invalidRequest) };
	request.onFile?.(file.data);
	const replace = replaceFlag(fields.replace);
	if ((fields.async ?? '').toLowerCase() === 'true') {
		const downloadId = `dl-${newId()}`;
		const statusUrl = `${request.publicBaseUrl}/a/${request.domain}/fixtures/fixapi/status/${downloadId}/`;
		return {
			response: djangoJson({
				message: LOOKUP_TABLE_UPLOAD_MESSAGES.queued,
				code: 200,
				status_url: statusUrl,
				download_id: downloadId,
			}),
			task: {
				domain: request.domain,
				downloadId,
				file: file.data,
				replace,
				timeline: { ...request.timeline },
				polls: 0,
			},
		};
	}
	let workbook: FixtureWorkbook;
	try {
		workbook = await FixtureWorkbook.open(file.data, MAX_FIXTURE_ROWS);
		validateWorkbook(workbook);
	} catch (error) {
		if (!(error instanceof FixtureUploadError)) return { response: serverErrorPage() };
		return { response: answer(405, LOOKUP_TABLE_MESSAGES.formatPrefix + error.errors.join('\n')) };
	}
	try {
		const result = runUpload({
			domain: request.domain,
			workbook,
			store: request.store,
			replace,
			owners: request.owners,
		});
		return { response: answer(result.errors.length > 0 ? 402 : 200, displayMessage(result)) };
	} catch {
		return { response: serverErrorPage() }; // nothing in the view catches what the upload itself raises
	}
}

/** `fixture_upload_async`: no format validation; any failure fails the task (flushes done so far stay). */
async function runTask(task: LookupTableTask, store: LookupTableStore, owners: OwnerDirectory): Promise<void> {
	try {
		const workbook = await FixtureWorkbook.open(task.file, MAX_FIXTURE_ROWS);
		runUpload({ domain: task.domain, workbook, store, replace: task.replace, owners });
		task.outcome = 'complete';
	} catch {
		task.outcome = 'failed';
	}
}

/**
 * `fixture_api_upload_status` along the task's timeline: "None% complete" while queued, a rising percent while
 * running (the task runs at the first running poll), then complete or failed. An unknown `dl-` id stays "None%"
 * forever; an id without `dl-` fails an assertion (HTML 500).
 */
export async function answerLookupTableStatus(
	task: LookupTableTask | undefined,
	downloadId: string,
	store: LookupTableStore,
	owners: OwnerDirectory,
): Promise<EmulatorResponse> {
	if (!downloadId.startsWith('dl-')) return serverErrorPage();
	const inProgress = (percent: number | null) =>
		djangoJson({ message: LOOKUP_TABLE_UPLOAD_MESSAGES.inProgress(percent), progress: percent });
	if (!task) return inProgress(null);
	task.polls += 1;
	const { queuedPolls, runningPolls } = task.timeline;
	if (task.polls <= queuedPolls) return inProgress(null);
	if (task.outcome === undefined) await runTask(task, store, owners);
	if (task.polls <= queuedPolls + runningPolls) {
		return inProgress(Math.floor(((task.polls - queuedPolls - 1) * 100) / runningPolls));
	}
	if (task.outcome === 'failed') return djangoJson({ message: LOOKUP_TABLE_UPLOAD_MESSAGES.failed, error: true });
	return djangoJson({ complete: true, message: LOOKUP_TABLE_UPLOAD_MESSAGES.complete });
}
