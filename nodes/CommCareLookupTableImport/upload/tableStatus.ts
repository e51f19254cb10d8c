/**
 * The status of a queued lookup-table upload, as CommCare's status URL answers it (always HTTP 200):
 * - `{"message": "Task in progress. 40% complete", "progress": 40}`: running; `progress` is null before the task
 *   starts, and for an unknown or expired status id, which never changes (only the timeout ends that wait);
 * - `{"complete": true, "message": "Upload complete."}`: finished (owners' warnings and counts are not given);
 * - `{"error": true, "message": "Upload did not complete. Reason: ''"}`: failed, and the reason is always empty.
 */
import type { StatusReader, StatusReading } from '../../shared/polling';

export type TableUploadState = 'running' | 'complete' | 'failed';

export interface TableUploadStatus {
	state: TableUploadState;
	/** Percent done while running; null before the task starts (or for an id CommCare does not know). */
	percent: number | null;
	message: string;
}

/** Reads one status answer (an object, or its JSON text as the transport may hand it over). */
export const readTableStatus: StatusReader<TableUploadStatus, TableUploadState> = (answer) => {
	const body = parsedJson(answer);
	if (!body || typeof body !== 'object' || Array.isArray(body)) {
		return { ok: false, problem: 'the status answer is not a JSON object' };
	}
	const fields = body as Record<string, unknown>;
	const message = typeof fields.message === 'string' ? fields.message : '';
	const done = (
		state: TableUploadState,
		percent: number | null,
	): StatusReading<TableUploadStatus, TableUploadState> => ({
		ok: true,
		status: { state, percent, message },
		state,
		percent,
		// How far it got: a failure keeps the last percent seen.
		progress: state === 'failed' ? null : percent,
		finished: state !== 'running',
	});
	if (fields.error === true) return done('failed', null);
	if (fields.complete === true) return done('complete', 100);
	if ('progress' in fields) {
		const percent = typeof fields.progress === 'number' && Number.isFinite(fields.progress) ? fields.progress : null;
		return done('running', percent);
	}
	return { ok: false, problem: 'the status answer has none of complete, error or progress' };
};

function parsedJson(answer: unknown): unknown {
	const text = Buffer.isBuffer(answer) ? answer.toString('utf8') : answer;
	if (typeof text !== 'string') return answer;
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return undefined;
	}
}
