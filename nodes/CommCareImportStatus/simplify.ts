/**
 * The "Simplify" output (version 1.1 on): what a person reads first, and nothing that could contradict it. The full
 * outcome carries polling figures, the import's own figures next to a record's, and the case lookup's details;
 * Simplify keeps the verdict, the reason, the row's data and errors, and what a later node needs. The keys come in
 * reading order, for n8n's Table view: the verdict and what the row became first, the long status URL last.
 */
import type { IDataObject } from 'n8n-workflow';

import type { ImportOutcomeJson, RecordOutcomeJson } from '../shared/outputContract';

/** The keys a simplified record keeps: its verdict, its case ID (and its parent's) when the lookup ran, its row. */
const RECORD_KEYS = [
	'outcome',
	'reason',
	'summary',
	'case_id',
	'parent_case_id',
	'row',
	'errors',
	'record',
	'status_url',
] as const;

/**
 * Version 1.2 adds what to do (`description`) and the record's Bulk Import warnings; a Not Finished record also keeps
 * its `upload`, so that checked again later (a Wait loop) it reads as the Bulk Import record it stands for.
 */
const PLAIN_RECORD_KEYS = [
	'outcome',
	'reason',
	'summary',
	'description',
	'case_id',
	'parent_case_id',
	'row',
	'errors',
	'warnings',
	'record',
	'upload',
	'status_url',
] as const;

/**
 * The keys a simplified upload keeps. `upload` is the Bulk Import item: which file or upload this was, and what an
 * item sent round a Wait loop is checked again as (with its row count).
 */
const UPLOAD_KEYS = [
	'outcome',
	'reason',
	'summary',
	'created_count',
	'match_count',
	'skipped_count',
	'errors',
	'upload',
	'status_url',
] as const;

const PLAIN_UPLOAD_KEYS = [
	'outcome',
	'reason',
	'summary',
	'description',
	'created_count',
	'match_count',
	'skipped_count',
	'errors',
	'warnings',
	'upload',
	'status_url',
] as const;

export function isRecordOutcome(json: ImportOutcomeJson | RecordOutcomeJson): json is RecordOutcomeJson {
	return 'row' in json && 'record' in json;
}

/** `plain`: version 1.2's keys (what to do, the warnings). */
export function simplifyOutcome(json: ImportOutcomeJson | RecordOutcomeJson, plain = false): IDataObject {
	const record = isRecordOutcome(json);
	const keys: readonly string[] = plain
		? record
			? PLAIN_RECORD_KEYS
			: PLAIN_UPLOAD_KEYS
		: record
			? RECORD_KEYS
			: UPLOAD_KEYS;
	const simplified: IDataObject = {};
	for (const key of keys) if (key in json) simplified[key] = json[key];
	return simplified;
}
