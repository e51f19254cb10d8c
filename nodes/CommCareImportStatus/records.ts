/**
 * The records of per-record mode, in the words both the routing and the case lookup use: a record item as this node
 * reads it, which records certainly reach CommCare as skips, and which are worth looking up once an import finished.
 */
import type { IDataObject } from 'n8n-workflow';

import { isWrittenBlank, searchIdOfValue } from '../shared/cellText';
import type { ImportOutcomeJson } from '../shared/outputContract';
import { CREATION_OFF } from '../shared/wording';
import { distinctErrorRows } from './importOutcome';
import { ImportState, isPlainObject } from './statusBody';

/** A record item from CommCare Bulk Import's per-record mode, as this node reads it. */
export interface RecordInput {
	row: number;
	record: IDataObject;
	/** The record's upload settings (searchField, searchColumn, createNewCases, rowCount). */
	upload: IDataObject;
}

export function isRecordItem(json: IDataObject): boolean {
	return typeof json.row === 'number' && isPlainObject(json.record);
}

/** The records of one import and its outcome: what routing groups, and what the case lookup reads. */
export interface ImportRecords {
	inputs: RecordInput[];
	importOutcome: ImportOutcomeJson;
	/** The polled status URL (null when the records were not polled). */
	pollUrl: string | null;
}

/**
 * Why a record is certainly skipped by the server, judged from the record alone, or null (docs/commcare-api.md §6.2, §6.3):
 * - every mapped value is empty (the search column is not a mapped value when matching by case_id);
 * - matching by case_id with an empty id while creation is off: nothing can match, nothing may be created.
 * (An empty id when matching by external_id is not silent: the server reports "Blank External ID".)
 */
export function certainSkipReason(input: RecordInput): string | null {
	const searchField = input.upload.searchField === 'external_id' ? 'external_id' : 'case_id';
	const searchColumn = typeof input.upload.searchColumn === 'string' ? input.upload.searchColumn : searchField;
	const mapped = Object.entries(input.record).filter(([key]) => searchField === 'external_id' || key !== searchColumn);
	// Judged by what was written: a value of control characters only reached CommCare as a blank cell.
	if (mapped.every(([, value]) => isWrittenBlank(value))) {
		return 'blank row: every mapped cell is empty, and CommCare skips such rows without reporting them';
	}
	if (
		searchField === 'case_id' &&
		input.upload.createNewCases === false &&
		searchIdOfValue(input.record[searchColumn]) === ''
	) {
		return `empty "${searchColumn}" while ${CREATION_OFF}: nothing to update and nothing may be created`;
	}
	return null;
}

/** The records worth a case lookup: of an import that finished, neither listed in its errors nor certainly skipped. */
export function recordsToLookUp(records: RecordInput[], outcome: ImportOutcomeJson): RecordInput[] {
	if (!importFinished(outcome)) return [];
	const listed = distinctErrorRows(outcome.errors);
	return records.filter((input) => !listed.has(input.row) && certainSkipReason(input) === null);
}

/** State 2 and not an error: the rows were processed, so their cases can be looked up. */
export function importFinished(outcome: ImportOutcomeJson): boolean {
	return outcome.state === ImportState.Success && outcome.outcome !== 'error';
}
