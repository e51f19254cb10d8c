/**
 * The public output contract: the JSON both nodes put on their items. Users' workflows read these keys (`status_url`,
 * `outcome`, `rows`, ...), so a key is never renamed or removed; new keys may be added.
 */
import type { IDataObject } from 'n8n-workflow';

import type { CheckFinding } from './checkFindings';

// The checks' findings, and what CommCare Import Status outputs, are in files of their own; import them from here.
export * from './checkFindings';
export type * from './statusOutputContract';

/** How Bulk Import matches rows to cases: CommCare's `search_field` (docs/commcare-api.md §3.3). */
export type SearchField = 'case_id' | 'external_id';

/** What one upload sends (or would send): the importer settings, the file and its place in a split input. */
export interface UploadDescription extends IDataObject {
	projectSpace: string;
	caseType: string;
	fileName: string;
	searchField: SearchField;
	searchColumn: string;
	nameColumn: string;
	createNewCases: boolean;
	comment: string;
	/** Data rows (not counting the header) in the sheet, when known; lets the status node count silent skips. */
	rowCount: number | null;
	/** 1-based upload number and total when the input was split (`rowsPerUpload`, settings or fields per item). */
	uploadNumber: number;
	uploadCount: number;
	/** Source "Input Items", "leave the property unchanged": the run's columns this upload's items lack (not sent). */
	columnsLeftOut?: string[];
}

/**
 * Output of CommCare Bulk Import, one per upload (default mode). `status_url` is the server's, under that key,
 * so CommCare Import Status's default `={{ $json.status_url }}` just works.
 */
export interface UploadResultJson extends UploadDescription {
	status_url: string;
	code: number;
	message: string;
	/**
	 * When CommCare accepted the upload, by the server's clock (its Date header, whole seconds), ISO 8601; null when
	 * it sent none. Import Status compares the cases' times with it to tell created from updated.
	 */
	acceptedAt: string | null;
	/** Warnings of the checks before upload, which did not stop it. */
	warnings: CheckFinding[];
}

/**
 * Output of CommCare Bulk Import with the Dry Run option: one item per upload that would be made. Nothing was sent,
 * so there is no `status_url`.
 */
export interface DryRunResultJson extends UploadDescription {
	dryRun: true;
	/** False when the checks found errors: a real run would stop before sending anything. */
	wouldUpload: boolean;
	/** False when the checks were skipped (then `errors` and `warnings` are empty, not clean). */
	checked: boolean;
	/** Source "Input Items": the columns in order, the sheet name, and the input items this upload would hold. */
	columns?: string[];
	sheetName?: string;
	firstItem?: number;
	lastItem?: number;
	errors: CheckFinding[];
	warnings: CheckFinding[];
}

/**
 * Output of CommCare Bulk Import's dry run in per-record mode (from version 1.3): one item per input record, saying
 * what the checks found for it. Nothing was sent, so there is no `status_url`.
 */
export interface DryRunRecordJson extends IDataObject {
	dryRun: true;
	/** False when the checks found errors for this record or its whole upload: a real run would not send it. */
	wouldUpload: boolean;
	/** False when the checks were skipped. */
	checked: boolean;
	/**
	 * Spreadsheet row this record would have in its upload (header = 1); null when it would be left out of the upload
	 * (Check Parents Exist found no parent for it: its `errors` say so).
	 */
	row: number | null;
	record: IDataObject;
	/** The upload it would go in (the dry run's upload item without its findings). */
	upload: IDataObject;
	/** Findings about this record, or about its whole upload. */
	errors: CheckFinding[];
	warnings: CheckFinding[];
}

/**
 * Output of CommCare Bulk Import in per-record mode: one item per input record. The Import Status node sees `row`
 * and routes this record on its own.
 */
export interface RecordResultJson extends IDataObject {
	status_url: string;
	/** Spreadsheet row of this record in its upload (header = 1, so the first record is row 2). */
	row: number;
	/** The input item's JSON as it was sent: its keys among the sheet's columns, values as given. */
	record: IDataObject;
	/** The upload this record went in (same keys as UploadResultJson minus status_url/warnings). */
	upload: IDataObject;
	/** Checks-before-upload warnings about this record, or about its whole upload. */
	warnings?: CheckFinding[];
}

/**
 * Output of CommCare Bulk Import in per-record mode for a record it left out of its upload, because the parent check
 * ("Check Parents Exist") found no parent case for it: nothing of it was sent. The rest of the input went on. Import
 * Status (1.2 on) routes it to Error, reason `notSent`.
 */
export interface NotSentRecordJson extends IDataObject {
	notSent: true;
	/** It has no sheet row: it was never written to a sheet. */
	row: null;
	/** The input item's keys among the columns it would have had, values as given (as RecordResultJson's `record`). */
	record: IDataObject;
	/** The upload settings it would have gone with (as RecordResultJson's `upload`, without a status URL). */
	upload: IDataObject;
	/** Why it was left out (`parentNotFound`, naming its parent id). */
	errors: CheckFinding[];
	/** Empty: a record left out is checked no further. (The key is there so every record item has it.) */
	warnings: CheckFinding[];
}
