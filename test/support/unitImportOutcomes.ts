/**
 * Imports as CommCare reports them, for the unit tests of Import Status: a status URL, a finished wait, a finished
 * import's counts, and a row error.
 */
import type { ImportWait } from '../../nodes/CommCareImportStatus/statusBody';
import type { RowErrorEntry, StatusResponse } from '../../nodes/shared/outputContract';

/** A status URL as CommCare's upload answer gives it. */
export const STATUS_URL = 'https://www.commcarehq.org/a/demo/importer/history/uploads/3c0b2a3e/status';

/** The wait for an import that ended with `status`: 3 polls over 12.5 s, unless `extra` says otherwise. */
export function finished(status: StatusResponse, extra: Partial<ImportWait> = {}): ImportWait {
	return {
		end: { kind: 'finished', status },
		lastState: status.state,
		lastPercent: 100,
		polls: 3,
		waitedSeconds: 12.5,
		...extra,
	};
}

/** A finished import (state 2): `created` cases created, `matched` updated, and the rows listed in `errors`. */
export function success(created: number, matched: number, errors: RowErrorEntry[] = []): StatusResponse {
	return {
		state: 2,
		progress: { percent: 0 },
		result: { created_count: created, match_count: matched, num_chunks: 1, errors },
	};
}

/** CommCare's row error for owners it could not use, on the given rows. */
export const ownerError = (rows: number[]): RowErrorEntry => ({
	title: 'Invalid Owner',
	description: 'Owners were provided in the mapping but there were errors when uploading because of these values.',
	column: 'owner_id',
	rows,
});
