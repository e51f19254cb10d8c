/**
 * A dry run downstream (version 1.2 on): CommCare Bulk Import's "Check Only, Don't Upload" sends nothing, so its items
 * (one per upload, `DryRunResultJson`, or one per record, `DryRunRecordJson`) have no status URL. They are checks, not
 * failures: reason `checkOnly`, always on Warning, never Error, and never Success either: Success means "in CommCare
 * now", and a workflow's Success branch records rows as imported (the Postgres example sets `imported_at`), which a
 * preview must not do. The summary says whether the checks passed; the findings stay where the dry run put them, in
 * `errors` and `warnings`.
 */
import type { IDataObject } from 'n8n-workflow';

import type { CheckFinding, ImportOutcomeJson, RecordOutcomeJson } from '../shared/outputContract';
import { plural } from '../shared/wording';
import { kindOfCases } from './plainImport';
import { findingsOf, isRecordItem } from './records';
import { isPlainObject } from './statusBody';

const CHECK_ONLY = 'Check only, nothing uploaded';
const TO_UPLOAD = `Turn off "Check Only, Don't Upload" in CommCare Bulk Import to upload.`;

/** An item of Bulk Import's dry run. */
export function isDryRunItem(json: IDataObject): boolean {
	return json.dryRun === true;
}

/** This node's own outcome of a dry-run item, sent in again (e.g. from Warning, after a fix elsewhere). */
export function isCheckOnlyOutcome(json: IDataObject): boolean {
	return typeof json.outcome === 'string' && json.reason === 'checkOnly';
}

interface Verdict {
	outcome: 'warning';
	summary: string;
	description: string;
	errors: CheckFinding[];
	warnings: CheckFinding[];
}

/** What the checks found, for `subject` ("sheet row 3", "4 sheet rows of patient cases"). */
function verdict(json: IDataObject, subject: string, passed: string): Verdict {
	const errors = findingsOf(json, 'errors');
	const warnings = findingsOf(json, 'warnings');
	const found = (list: CheckFinding[], noun: string) => plural(list.length, noun);
	if (json.checked === false) {
		return {
			outcome: 'warning',
			summary: `${CHECK_ONLY}: the checks were skipped, so ${subject} was not checked`,
			description: 'Turn off "Skip Checks Before Upload" in CommCare Bulk Import to check the data.',
			errors,
			warnings,
		};
	}
	if (errors.length > 0 || json.wouldUpload === false) {
		const what = [
			errors.length > 0 ? found(errors, 'error') : '',
			warnings.length > 0 ? found(warnings, 'warning') : '',
		]
			.filter(Boolean)
			.join(', ');
		return {
			outcome: 'warning',
			summary: `${CHECK_ONLY}: ${subject} would not be sent${what ? ` (${what})` : ''}`,
			description:
				'Fix what errors lists, then run CommCare Bulk Import again: nothing is sent while the checks find errors.',
			errors,
			warnings,
		};
	}
	if (warnings.length > 0) {
		return {
			outcome: 'warning',
			summary: `${CHECK_ONLY}: ${subject} would be sent, with ${found(warnings, 'warning')}`,
			description: `CommCare would import it, but warnings say what it would not store as written. ${TO_UPLOAD}`,
			errors,
			warnings,
		};
	}
	return {
		outcome: 'warning',
		summary: `${CHECK_ONLY}: ${passed}`,
		description: `Nothing is in CommCare yet. ${TO_UPLOAD}`,
		errors,
		warnings,
	};
}

/** The outcome of a dry run's upload item. */
export function checkOnlyUpload(json: IDataObject): ImportOutcomeJson {
	const rows = typeof json.rowCount === 'number' ? json.rowCount : null;
	const subject = rows === null ? 'the upload' : `its ${plural(rows, 'sheet row')}`;
	const passed =
		rows === null
			? 'the upload passed the checks'
			: `${plural(rows, 'sheet row')} for ${kindOfCases(json)} passed the checks`;
	const { outcome, summary, description, errors, warnings } = verdict(json, subject, passed);
	return {
		outcome,
		reason: 'checkOnly',
		summary,
		description,
		created_count: null,
		match_count: null,
		skipped_count: null,
		errors,
		warnings,
		upload: json,
		status_url: null,
		state: null,
		percent: null,
		num_chunks: null,
		timedOut: false,
		polls: 0,
		waitedSeconds: 0,
	};
}

/** The outcome of a dry run's record item: its sheet row, what the checks found for it or its whole upload. */
export function checkOnlyRecord(json: IDataObject): RecordOutcomeJson {
	const subject = `sheet row ${json.row as number}`;
	const { outcome, summary, description, errors, warnings } = verdict(json, subject, `${subject} passed the checks`);
	return {
		outcome,
		reason: 'checkOnly',
		summary,
		description,
		row: json.row as number,
		errors,
		warnings,
		record: isPlainObject(json.record) ? (json.record as IDataObject) : {},
		status_url: null,
	};
}

/** A dry-run item (upload or record), as its outcome. */
export function checkOnlyOutcome(json: IDataObject): ImportOutcomeJson | RecordOutcomeJson {
	return isRecordItem(json) ? checkOnlyRecord(json) : checkOnlyUpload(json);
}
