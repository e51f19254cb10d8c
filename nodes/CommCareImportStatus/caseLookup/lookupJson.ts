/** A record's lookup as the keys its item carries (`case_id`, `case`, `caseLookup`), with a sentence for people. */
import type { IDataObject } from 'n8n-workflow';

import type { CaseLookupJson, CaseSummaryJson } from '../../shared/outputContract';
import { CREATION_OFF, TURN_CREATION_ON } from '../../shared/wording';
import type { GroupLookup, RecordLookup } from './lookupResult';

export interface CaseFields extends IDataObject {
	case_id: string | null;
	/** Only on a record that names a parent (parentCase.ts). */
	parent_case_id?: string | null;
	case: CaseSummaryJson | null;
	caseLookup: CaseLookupJson;
}

/** What a record item of an import whose records were not looked up carries. */
export function notLookedUp(result: 'notImported' | 'notRun' | 'unavailable', message: string): CaseFields {
	return { case_id: null, case: null, caseLookup: { result, action: null, message, indexBehind: false } };
}

export const NOT_IMPORTED = 'CommCare did not import this row, so it has no case.';
export const NOT_RUN = 'The import did not finish, so no case was looked up.';

/** The keys for one looked-up record; `upload` gives the settings the sentences name. */
export function caseFields(lookup: RecordLookup, group: GroupLookup, upload: IDataObject): CaseFields {
	const caseType = typeof upload.caseType === 'string' ? upload.caseType : 'case';
	const createNewCases = upload.createNewCases === true;
	const indexBehind = group.indexBehind;
	const fields = (
		caseLookup: Pick<CaseLookupJson, 'result' | 'action' | 'message'>,
		found: CaseSummaryJson | null = null,
	): CaseFields => ({
		case_id: found?.case_id ?? null,
		case: found,
		caseLookup: { ...caseLookup, indexBehind },
	});
	switch (lookup.kind) {
		case 'found':
			return fields(
				{
					result: 'found',
					action: lookup.action,
					message: `Case ${lookup.found.case_id} ${lookup.action ?? 'created or updated'} by this import.`,
				},
				lookup.found,
			);
		case 'notFound':
			return fields({
				result: 'notFound',
				action: null,
				message: createNewCases
					? `No ${caseType} case has ${lookup.by} '${lookup.id}' in CommCare's search index after waiting ${Math.round(group.waitedSeconds)} s.`
					: `No ${caseType} case has ${lookup.by} '${lookup.id}', and ${CREATION_OFF}: CommCare skipped the row. Check the id, or ${TURN_CREATION_ON} to create such cases.`,
			});
		case 'notVisible':
			return fields({
				result: 'notVisible',
				action: null,
				message: `CommCare's search index had not caught up with this import after ${Math.round(group.waitedSeconds)} s (its counts show more cases than the index): the case with ${lookup.by} '${lookup.id}' is not visible yet. Raise "Case Lookup Wait" to wait longer.`,
			});
		case 'otherCaseType':
			return fields({
				result: 'otherCaseType',
				action: null,
				message: `case_id '${lookup.found.case_id}' is a ${lookup.found.case_type ?? 'other'} case, not ${caseType}, which the importer treats as no match: ${createNewCases ? 'it made a new case, whose case ID it does not report' : `the row was skipped (${CREATION_OFF})`}.`,
			});
		case 'sharedExternalId': {
			const shared = fields({
				result: 'sharedExternalId',
				action: null,
				message: `Several ${caseType} cases share external_id '${lookup.id}'${lookup.caseIds.length > 0 ? ` (${lookup.caseIds.join(', ')})` : ''}: no case ID is given rather than a wrong one. Give each case its own external id.`,
			});
			shared.caseLookup.caseIds = lookup.caseIds;
			return shared;
		}
		case 'noId':
			return fields({ result: 'noId', action: null, message: `Case ID not known: ${lookup.reason}.` });
		case 'notChecked':
			return fields({
				result: 'notChecked',
				action: null,
				message: `"Case Lookup Wait" ended after ${Math.round(group.waitedSeconds)} s, before CommCare answered for ${lookup.by} '${lookup.id}': raise it to look this case up.`,
			});
		case 'countsDisagree':
			return fields({
				result: 'countsDisagree',
				action: null,
				message: `Case ID not given: ${lookup.why}. The counts win, since CommCare's search index can show a case this import did not touch (one changed or created since, or an index behind).`,
			});
	}
}
