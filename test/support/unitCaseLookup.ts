/** Cases as CommCare's Case API gives them, timed around an accepted upload, for the case lookup's unit tests. */
import type { CaseSummary } from '../../nodes/shared/caseApi';

/** When CommCare accepted the upload. */
export const ACCEPTED = Date.parse('2026-12-02T10:00:05.000Z');

/** CommCare's text for the time `ms` after the upload was accepted (UTC, to the microsecond). */
const at = (ms: number) => new Date(ACCEPTED + ms).toISOString().replace('Z', '000Z');

/** A case as the Case API lists it, opened and last modified the given milliseconds after the upload was accepted. */
export function patient(
	caseId: string,
	externalId: string,
	openedMs: number,
	modifiedMs: number,
	type = 'patient',
): CaseSummary {
	return {
		case_id: caseId,
		case_type: type,
		case_name: caseId,
		external_id: externalId,
		owner_id: 'u',
		closed: false,
		date_opened: at(openedMs),
		date_closed: null,
		server_last_modified: at(modifiedMs),
	};
}
