/**
 * The records of per-record mode, in the words both the routing and the case lookup use: a record item as this node
 * reads it, which records certainly reach CommCare as skips, and which are worth looking up once an import finished.
 */
import type { IDataObject } from 'n8n-workflow';

import { isWrittenBlank, searchIdOfValue } from '../shared/cellText';
import type { CheckFinding } from '../shared/outputContract';
import { CREATION_OFF } from '../shared/wording';
import { distinctErrorRows, type ImportResult } from './importOutcome';
import { ImportState, isPlainObject } from './statusBody';

/** A record item from CommCare Bulk Import's per-record mode, as this node reads it. */
export interface RecordInput {
	row: number;
	record: IDataObject;
	/** The record's upload settings (searchField, searchColumn, createNewCases, rowCount). */
	upload: IDataObject;
	/** The checks' warnings Bulk Import gave the record (its own and its upload's); none on items that lack them. */
	warnings?: CheckFinding[];
}

export function isRecordItem(json: IDataObject): boolean {
	return typeof json.row === 'number' && isPlainObject(json.record);
}

/**
 * The checks' findings an item carries under `key` (`warnings`, `errors`): the entries that are findings. A list of
 * findings only is taken as it is: Bulk Import shares one list among the records of an upload, and so does this.
 */
export function findingsOf(json: IDataObject, key: 'warnings' | 'errors'): CheckFinding[] {
	const list = json[key];
	if (!Array.isArray(list)) return NO_FINDINGS;
	const isFinding = (entry: unknown) => isPlainObject(entry) && typeof entry.code === 'string';
	return (list.every(isFinding) ? list : list.filter(isFinding)) as CheckFinding[];
}

const NO_FINDINGS = Object.freeze([]) as unknown as CheckFinding[];

/** The records of one import and its outcome: what routing groups, and what the case lookup reads. */
export interface ImportRecords {
	inputs: RecordInput[];
	importOutcome: ImportResult;
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
	switch (certainSkip(input)) {
		case 'blank':
			return 'blank row: every mapped cell is empty, and CommCare skips such rows without reporting them';
		case 'noCaseId':
			return `empty "${searchColumnOf(input)}" while ${CREATION_OFF}: nothing to update and nothing may be created`;
		default:
			return null;
	}
}

/** `certainSkipReason` as a kind: a blank row, or no case ID while matching by case ID with creation off. */
export function certainSkip(input: RecordInput): 'blank' | 'noCaseId' | null {
	const searchField = input.upload.searchField === 'external_id' ? 'external_id' : 'case_id';
	const searchColumn = searchColumnOf(input);
	const mapped = Object.entries(input.record).filter(([key]) => searchField === 'external_id' || key !== searchColumn);
	// Judged by what was written: a value of control characters only reached CommCare as a blank cell.
	if (mapped.every(([, value]) => isWrittenBlank(value))) return 'blank';
	if (
		searchField === 'case_id' &&
		input.upload.createNewCases === false &&
		searchIdOfValue(input.record[searchColumn]) === ''
	) {
		return 'noCaseId';
	}
	return null;
}

/** The column the record's upload matched rows by. */
export function searchColumnOf(input: RecordInput): string {
	const searchField = input.upload.searchField === 'external_id' ? 'external_id' : 'case_id';
	return typeof input.upload.searchColumn === 'string' ? input.upload.searchColumn : searchField;
}

/** The records worth a case lookup: of an import that finished, neither listed in its errors nor certainly skipped. */
export function recordsToLookUp(records: RecordInput[], outcome: ImportResult): RecordInput[] {
	if (!importFinished(outcome)) return [];
	const listed = distinctErrorRows(outcome.errors);
	return records.filter((input) => !listed.has(input.row) && certainSkipReason(input) === null);
}

/** State 2 and not an error: the rows were processed, so their cases can be looked up. */
export function importFinished(outcome: ImportResult): boolean {
	return outcome.state === ImportState.Success && outcome.outcome !== 'error';
}
