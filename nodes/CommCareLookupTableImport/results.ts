/**
 * What the node outputs for one upload (or dry run), and which output it goes to: Success, Warning or Error. The
 * keys are the public contract (workflows read them): add, never rename.
 */
import type { IDataObject } from 'n8n-workflow';

import type { TableChanges } from './changes/diff';
import type { TableFinding } from './checks/findings';

export type TableOutcome = 'success' | 'warning' | 'error';

/** Output index of each outcome. */
export const OUTPUT_OF: Record<TableOutcome, number> = { success: 0, warning: 1, error: 2 };
export const OUTPUT_NAMES = ['Success', 'Warning', 'Error'];

export type TableOutcomeReason =
	/** Dry run: nothing was sent. */
	| 'dryRun'
	/** CommCare finished the upload (code 200, or a queued upload that completed). */
	| 'uploaded'
	/** Done, with warnings (code 402: owners CommCare could not find; or the rows read back differ). */
	| 'uploadedWithWarnings'
	/** CommCare refused the workbook (code 405) and changed nothing. */
	| 'refused'
	/** The queued upload failed; CommCare gives no reason. */
	| 'failed'
	/** The upload did not finish within the timeout; it may still finish. */
	| 'notFinished'
	/** The status could not be followed (refused, not found, another server). */
	| 'statusUnavailable'
	/** Dry run only: the checks found errors, or the upload would delete more than allowed. */
	| 'wouldBeRefused';

/** What CommCare said about the upload itself. */
export interface CommCareAnswerJson extends IDataObject {
	processing: 'sync' | 'async';
	/** The `code` of a processed upload (200, 402, 405); null for a queued one. */
	code: number | null;
	/** CommCare's message, made readable. */
	message: string;
	statusUrl: string | null;
	downloadId: string | null;
	/** Queued uploads: the last percent seen, status requests made, seconds waited. */
	percent?: number | null;
	polls?: number;
	waitedSeconds?: number;
}

export interface LookupTableResultJson extends IDataObject {
	outcome: TableOutcome;
	reason: TableOutcomeReason;
	/** One line to read: what happened. */
	message: string;
	projectSpace: string;
	/** The table IDs in the upload, in order. */
	tables: string[];
	replace: boolean;
	dryRun: boolean;
	/** Data rows sent (or that a dry run would send), all tables. */
	rowsSent: number;
	/** Per table: what the upload changes, from CommCare's current rows (null when they could not be read). */
	changes: TableChanges[] | null;
	/** Per table: the rows CommCare holds after the upload, read back (null when not read). */
	rowsAfter: Record<string, number | null> | null;
	commcare: CommCareAnswerJson | null;
	warnings: TableFinding[];
	errors: TableFinding[];
	fileName: string;
}
