/**
 * `case_upload_status` (docs/commcare-api.md §5): reveals an import's stored outcome along its timeline — queued (-1) for
 * `queuedPolls` GETs, running (1, rising percent) for `runningPolls` GETs, then the terminal state.
 */
import { emptyResponse, serverErrorPage, type EmulatorResponse } from './djangoPages';
import type { ImportRecord } from './types';
import { jsonResponse } from './uploadView';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** The model field is a UUIDField: anything else raises a ValidationError the view does not catch. */
export function isUuid(text: string): boolean {
	return UUID.test(text);
}

/** Percent reported on the n-th running poll (1-based) of `runningPolls`: rising, always below 100. */
function runningPercent(poll: number, runningPolls: number): number {
	return Math.floor((poll * 100) / (runningPolls + 1));
}

export function answerStatus(record: ImportRecord | undefined, uploadId: string, isGone: boolean): EmulatorResponse {
	if (!isUuid(uploadId)) return serverErrorPage();
	if (!record || isGone) return emptyResponse(404);
	record.polls += 1;
	const { queuedPolls, runningPolls } = record.timeline;
	if (record.polls <= queuedPolls) {
		record.state = -1;
		record.percent = null;
		return jsonResponse(200, { state: -1, progress: { percent: null }, result: null });
	}
	if (record.polls <= queuedPolls + runningPolls) {
		record.state = 1;
		record.percent = runningPercent(record.polls - queuedPolls, runningPolls);
		return jsonResponse(200, { state: 1, progress: { percent: record.percent }, result: null });
	}
	record.state = record.finalState;
	// A finished import reports percent 0; a failed one 100 (docs/commcare-api.md §5, progress.percent).
	record.percent = record.finalState === 2 ? 0 : 100;
	return jsonResponse(200, { state: record.state, progress: { percent: record.percent }, result: record.result });
}
