/** What the case lookup found for the records of one import: the vocabulary between the lookup and the routing. */
import type { CaseSummary, UnavailableReason } from '../../shared/caseApi';

export type CaseAction = 'created' | 'updated';

/**
 * One record's case, as far as CommCare's answers prove it:
 * - `found`: the case this row created or updated; `action` when the case's times prove which (else null);
 * - `notFound`: no case of the upload's type has this id (after waiting for the search index, or read from the
 *   database); with "Create New Cases" off, the row matched nothing and was skipped;
 * - `notVisible`: CommCare's counts say more cases were imported than its search index shows yet: this row's case
 *   may be one of them (the index had not caught up when the wait ended);
 * - `otherCaseType`: the row's case_id belongs to a case of another type, which the importer treats as no match;
 * - `sharedExternalId`: several cases of the type share this external id: none is given, the ids are listed;
 * - `noId`: the row has nothing to look the case up by (e.g. a new case made from a row without an id);
 * - `notChecked`: "Case Lookup Wait" ended before CommCare answered for this row's id;
 * - `countsDisagree`: a case was found, but CommCare's counts leave no room for it (countsBound.ts): none is given.
 * `otherCaseType` (found, notFound): matching by external id, the database also lists a case of that other type
 * with the row's id, seen without a request of its own (the external-id GET that decided the row).
 */
export type RecordLookup =
	| { kind: 'found'; found: CaseSummary; action: CaseAction | null; otherCaseType?: string }
	| { kind: 'notFound'; by: 'case_id' | 'external_id'; id: string; otherCaseType?: string }
	| { kind: 'notVisible'; by: 'case_id' | 'external_id'; id: string }
	| { kind: 'otherCaseType'; found: CaseSummary }
	| { kind: 'sharedExternalId'; id: string; caseIds: string[] }
	| { kind: 'noId'; reason: string }
	| { kind: 'notChecked'; by: 'case_id' | 'external_id'; id: string }
	| { kind: 'countsDisagree'; why: string };

/** The lookup for one import's records. */
export interface GroupLookup {
	/** Set when the lookup could not run at all (permission, plan, rate limit...): every record keeps its outcome. */
	unavailable: { reason: UnavailableReason; message: string } | null;
	/** By row; rows not looked up (listed in errors, certainly skipped) are absent. */
	byRow: Map<number, RecordLookup>;
	/** The search index showed fewer cases than CommCare's counts when the wait ended. */
	indexBehind: boolean;
	/** Set when "Case Lookup Wait" ended before every id was asked (the records concerned are `notChecked`). */
	outOfTime: string | null;
	/** Lookup requests made, and how long the wait for the index took. */
	requests: number;
	waitedSeconds: number;
}
