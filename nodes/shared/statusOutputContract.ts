/**
 * The public output contract, continued: the JSON CommCare Import Status puts on its items (outcomes, reasons, record
 * outcomes and the cases the lookup found). outputContract.ts re-exports it, so both are imported from there.
 */
import type { IDataObject } from 'n8n-workflow';

import type { CheckFinding } from './checkFindings';

/** One row-level (or whole-import) error entry exactly as the status endpoint reports it (docs/commcare-api.md §5). */
export interface RowErrorEntry extends IDataObject {
	title: string | null;
	description: string | null;
	/** `null` on older servers, `""` on the newest, when no column applies. */
	column: string | null;
	/** Spreadsheet row numbers, 1-based, header is row 1. */
	rows: number[];
}

/** Body of `GET status_url` (docs/commcare-api.md §5). */
export interface StatusResponse {
	state: number;
	progress: { percent: number | null } | null;
	result: null | {
		match_count: number | null;
		created_count: number | null;
		num_chunks: number | null;
		errors: RowErrorEntry[];
	};
}

/** The output an item goes to. `notFinished` only from Import Status 1.2 on (older versions route it to Error). */
export type Outcome = 'success' | 'warning' | 'error' | 'notFinished';

/**
 * Why an outcome is what it is: one closed set for imports and records, so a workflow can branch on
 * `$json.reason` (e.g. a Switch node after the Warning output: rows to fix vs rows skipped) instead of parsing the
 * summary. Warning means the import went through and some rows need a person; Error means the import itself failed
 * or could not be checked, which calls for an alert; Not Finished (Import Status 1.2 on) means it may still finish.
 *
 * | reason                | outcome       | meaning                                                                  |
 * | --------------------- | ------------- | ------------------------------------------------------------------------ |
 * | `imported`            | success       | finished (state 2); for a record: its row was created or updated         |
 * | `importedWithChanges` | warning       | 1.2 on, records only: imported, but Bulk Import warned that CommCare stores it changed (a code in CHANGES_STORED_DATA, in its `warnings`) |
 * | `rowErrors`           | warning       | rows listed in the server's errors (import: some of its rows, even with skips too; record: its own row): fix and resend |
 * | `skippedRows`         | warning       | rows skipped silently (import: some of its rows; record: this row, certainly: blank, or no id with creation off) |
 * | `importedOrSkipped`   | warning       | records only: the counts show silent skips the records cannot be matched to |
 * | `notMatched`          | warning       | records only, with the case lookup: no case has this row's id and "Create New Cases" was off, so CommCare skipped it |
 * | `noCounts`            | warning       | state 2 but the server reported no counts                                |
 * | `checkOnly`           | warning       | 1.2 on: a dry run's item (nothing was uploaded); never Success, which means "in CommCare now" |
 * | `notFinished`         | notFinished   | 1.2 on: no final state before the node's deadline; the import may still finish (before 1.2: `timedOut`) |
 * | `failed`              | error         | state 3: the whole import failed (the server's description is in `errors`) |
 * | `timedOut`            | error         | before 1.2: no final state before the node's timeout; the import may still finish |
 * | `notFound`            | error         | the status URL answered 404                                              |
 * | `denied`              | error         | the status URL answered 401 or 403                                       |
 * | `statusCheckFailed`   | error         | the status URL answered another error retrying does not fix              |
 * | `refused`             | error         | the status URL was not requested (not a URL, another origin, no credential) |
 * | `noStatusUrl`         | error         | the item has no status URL: the upload failed upstream (e.g. Continue On Fail); before 1.2 also a dry run's item |
 * | `notSent`             | error         | 1.2 on, records only: Bulk Import left the record out of its upload (its parent case does not exist); before 1.2 `noStatusUrl` |
 */
export type OutcomeReason =
	| 'imported'
	| 'rowErrors'
	| 'skippedRows'
	| 'importedOrSkipped'
	| 'notMatched'
	| 'noCounts'
	| 'failed'
	| 'timedOut'
	| 'notFound'
	| 'denied'
	| 'statusCheckFailed'
	| 'refused'
	| 'noStatusUrl'
	| 'checkOnly'
	| 'importedWithChanges'
	| 'notFinished'
	| 'notSent';

/**
 * Output of CommCare Import Status for one upload. Version 1.1's "Simplify" (its default) outputs a subset of these
 * keys (CommCareImportStatus/simplify.ts); version 1, and Simplify off, all of them. From version 1.2 on, also for a
 * dry run's upload item (reason `checkOnly`, `upload` the dry run's item, no status URL and no counts).
 */
export interface ImportOutcomeJson extends IDataObject {
	outcome: Outcome;
	/** Why (see `OutcomeReason`). */
	reason: OutcomeReason;
	/**
	 * One short line for people, e.g. "12 patient cases created, 3 updated; 2 sheet rows not imported (Invalid
	 * Owner)" (from 1.2 on; before, one longer sentence with the advice in it).
	 */
	summary: string;
	status_url: string | null;
	state: number | null;
	percent: number | null;
	created_count: number | null;
	match_count: number | null;
	num_chunks: number | null;
	/** Rows sent but neither created, matched nor reported (blank rows, unmatched rows with creation off). */
	skipped_count: number | null;
	/**
	 * CommCare's entries (rows, or the whole-import failure). From version 1.2 on, on a dry run's item (reason
	 * `checkOnly`) and on an upload that failed its checks upstream (reason `noStatusUrl`): the checks' findings.
	 */
	errors: Array<RowErrorEntry | CheckFinding>;
	/** From version 1.2 on: what to do, in a sentence or two; null when there is nothing to do. */
	description?: string | null;
	/** From version 1.2 on: the checks' warnings the upload carried (Bulk Import's `warnings`). */
	warnings?: CheckFinding[];
	timedOut: boolean;
	polls: number;
	waitedSeconds: number;
	/** The input item's JSON (the upload result, or an upstream error item), kept for context. */
	upload: IDataObject;
}

/**
 * Output of CommCare Import Status for one record (per-record mode). From version 1.2 on, also for a dry run's
 * record item (reason `checkOnly`: no status URL, no `import`, no case keys).
 */
export interface RecordOutcomeJson extends IDataObject {
	outcome: Outcome;
	/** Why (see `OutcomeReason`); a record of an import that did not finish has the import's reason. */
	reason: OutcomeReason;
	/** One short line, naming the record's sheet row ("Sheet row 4 not imported: Invalid Owner (owner_id)"). */
	summary: string;
	/** From version 1.2 on: what to do, in a sentence or two; null when there is nothing to do. */
	description?: string | null;
	status_url: string | null;
	row: number | null;
	record: IDataObject;
	/** This row's error entries (title, description, column), or the whole-import failure. */
	errors: IDataObject[];
	/**
	 * The import this record belongs to: state, counts, timedOut, polls and its summary (with its `outcome` and
	 * `reason` before version 1.2). Absent on a dry run's record, which belongs to no import.
	 */
	import?: IDataObject;
	/** From Import Status 1.2 on: the checks' warnings Bulk Import gave this record (its own and its upload's). */
	warnings?: CheckFinding[];
	/**
	 * From version 1.2 on, on a Not Finished record only: the upload it went in (Bulk Import's `upload`), so that sent
	 * back in later (a Wait loop) it is checked again exactly as the Bulk Import record.
	 */
	upload?: IDataObject;
	/** With "Look Up Case IDs" (else absent): the CommCare case ID of this row's case, or null when not known. */
	case_id?: string | null;
	/**
	 * With "Look Up Case IDs", on a record that names a parent (`parent_id` or `parent_external_id`; else absent): the
	 * case ID of the parent its case is indexed to, as CommCare holds it (the case's `indices`, under the record's
	 * `parent_identifier`, or `parent`); null when not known.
	 */
	parent_case_id?: string | null;
	/** With "Look Up Case IDs": the case as CommCare's Case API gave it, or null. */
	case?: CaseSummaryJson | null;
	/** With "Look Up Case IDs": how the case was found, or why not. */
	caseLookup?: CaseLookupJson;
}

/** One case, as much of it as a record item carries (Case API v2 fields; null when CommCare did not send one). */
export interface CaseSummaryJson extends IDataObject {
	case_id: string;
	case_type: string | null;
	case_name: string | null;
	external_id: string | null;
	owner_id: string | null;
	closed: boolean | null;
	date_opened: string | null;
	date_closed: string | null;
	server_last_modified: string | null;
	/** The case's indices (its parents and hosts) by identifier, as the Case API gives them; {} when none. */
	indices?: Record<string, CaseIndexJson>;
}

/** One index of a case: the case it points to, that case's type, and `child` or `extension`. */
export interface CaseIndexJson extends IDataObject {
	case_id: string;
	case_type: string | null;
	relationship: string | null;
}

/**
 * | result             | meaning                                                                                       |
 * | ------------------ | --------------------------------------------------------------------------------------------- |
 * | `found`            | the row's case; `action` says `created` or `updated` when the case's times prove it           |
 * | `notFound`         | no case of the upload's type has the row's id (after waiting for CommCare's search index)     |
 * | `notVisible`       | CommCare's counts show more cases imported than its search index showed when the wait ended  |
 * | `otherCaseType`    | the row's case_id is a case of another type, which the importer treats as no match           |
 * | `sharedExternalId` | several cases of the type share the row's external id: none is given (`caseIds` lists them)   |
 * | `noId`             | nothing to look the case up by (e.g. a new case from a row without a case_id)                 |
 * | `notImported`      | the row was not imported (listed in errors, or skipped as blank): it has no case              |
 * | `notRun`           | the import did not finish, so nothing was looked up                                           |
 * | `unavailable`      | the lookup could not run (permission, plan, rate limit): `message` says what to grant or fix |
 * | `notChecked`       | "Case Lookup Wait" ended before CommCare answered for the row's id                            |
 * | `countsDisagree`   | a case was found, but CommCare's counts leave no room for it: none is given                   |
 */
export interface CaseLookupJson extends IDataObject {
	result:
		| 'found'
		| 'notFound'
		| 'notVisible'
		| 'otherCaseType'
		| 'sharedExternalId'
		| 'noId'
		| 'notImported'
		| 'notRun'
		| 'unavailable'
		| 'notChecked'
		| 'countsDisagree';
	action: 'created' | 'updated' | null;
	message: string;
	/** The search index had not caught up with this import when the wait ended. */
	indexBehind: boolean;
	/** `sharedExternalId`: the cases that share the external id. */
	caseIds?: string[];
}
