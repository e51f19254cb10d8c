/**
 * The "Simplify" output (version 1.1 on): what a person reads first, and nothing that could contradict it. The full
 * outcome carries the import's own `outcome` next to a record's, polling figures and the case lookup's details;
 * Simplify keeps the verdict, the reason, the row's data and errors, and what a later node needs.
 */
import type { IDataObject } from 'n8n-workflow';

import type { ImportOutcomeJson, RecordOutcomeJson } from '../shared/outputContract';

/** The keys a simplified record keeps: its verdict, its row, and its case ID when the lookup ran. */
const RECORD_KEYS = ['outcome', 'reason', 'summary', 'status_url', 'row', 'record', 'case_id', 'errors'] as const;

/**
 * The keys a simplified upload keeps. `upload` is the Bulk Import item: which file or upload this was, and what an
 * Error item sent round a Wait loop is checked again as (with its row count).
 */
const UPLOAD_KEYS = [
	'outcome',
	'reason',
	'summary',
	'status_url',
	'created_count',
	'match_count',
	'skipped_count',
	'errors',
	'upload',
] as const;

export function isRecordOutcome(json: ImportOutcomeJson | RecordOutcomeJson): json is RecordOutcomeJson {
	return 'row' in json && 'record' in json;
}

export function simplifyOutcome(json: ImportOutcomeJson | RecordOutcomeJson): IDataObject {
	const keys: readonly string[] = isRecordOutcome(json) ? RECORD_KEYS : UPLOAD_KEYS;
	const simplified: IDataObject = {};
	for (const key of keys) if (key in json) simplified[key] = json[key];
	return simplified;
}
