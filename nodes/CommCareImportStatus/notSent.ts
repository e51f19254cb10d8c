/**
 * A record CommCare Bulk Import left out of its upload (version 1.2 on): with "Check Parents Exist", a record whose
 * parent case is not in CommCare is not sent, and comes out on its own (`NotSentRecordJson`: `notSent: true`, no sheet
 * row, no status URL) while the rest of its input is uploaded. There is no import to check: it goes to Error, reason
 * `notSent`, saying in its summary what the check found (the `parentNotFound` finding's message) and keeping the
 * findings, the warnings and the record. Versions before 1.2 read it as any item without a status URL (`noStatusUrl`).
 */
import type { IDataObject } from 'n8n-workflow';

import type { CheckFinding, RecordOutcomeJson } from '../shared/outputContract';
import { lowerFirst } from './plainImport';
import { findingsOf } from './records';
import { isPlainObject } from './statusBody';

/** An item of Bulk Import for a record it did not send. */
export function isNotSentItem(json: IDataObject): boolean {
	return json.notSent === true && isPlainObject(json.record);
}

/** This node's own outcome of such an item, sent in again (e.g. from Error, round a loop). */
export function isNotSentOutcome(json: IDataObject): boolean {
	return typeof json.outcome === 'string' && json.reason === 'notSent';
}

/** The outcome of a record Bulk Import did not send. */
export function notSentRecord(json: IDataObject): RecordOutcomeJson {
	const errors = findingsOf(json, 'errors');
	const why = errors.find((finding) => finding.code === 'parentNotFound') ?? errors[0];
	return {
		outcome: 'error',
		reason: 'notSent',
		summary: why ? `Not sent: ${lowerFirst(why.message)}` : 'Not sent: CommCare Bulk Import left this record out',
		description: descriptionOf(why),
		row: null,
		errors,
		warnings: findingsOf(json, 'warnings'),
		record: json.record as IDataObject,
		status_url: null,
	};
}

function descriptionOf(finding: CheckFinding | undefined): string | null {
	return typeof finding?.description === 'string' && finding.description !== '' ? finding.description : null;
}
