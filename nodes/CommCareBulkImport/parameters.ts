/** What one import asks of CommCare: the Bulk Import node's parameters, read and checked once (settings.ts). */
import type { ProjectSpace } from '../shared/transport/addresses';
import type { SearchField } from '../shared/outputContract';

/** Everything the upload sends besides the file (docs/commcare-api.md §3). */
export interface ImportSettings {
	projectSpace: ProjectSpace;
	caseType: string;
	searchField: SearchField;
	searchColumn: string;
	createNewCases: boolean;
	nameColumn: string;
	comment: string;
}

/**
 * What to do with an item that lacks a field other items have (or that Columns lists): its cell would be blank,
 * and a blank cell clears that property on the case the row updates (docs/commcare-api.md §6.1).
 * - `stop`: refuse before anything is sent, naming the column and the items (the default);
 * - `clear`: write the blank cell (the property is cleared);
 * - `keep`: leave the property unchanged: items are split into uploads by the fields they have, and each upload
 *   has only the columns its items carry.
 */
export type MissingFieldsMode = 'stop' | 'clear' | 'keep';

/** Items that share the importer settings (one group per distinct value of per-item expressions). */
export interface SettingsGroup {
	settings: ImportSettings;
	/** Input item indexes, in order. */
	itemIndexes: number[];
}

/** What to do when CommCare will not answer the parent check: stop (nothing is sent), or upload unchecked. */
export type ParentCheckMode = 'stop' | 'uploadUnchecked';

/** Options that apply to both sources. */
export interface RunOptions {
	/** Check, report, send nothing. */
	dryRun: boolean;
	/** Run the checks before upload (on unless the user skips them). */
	checks: boolean;
	timeoutMs: number;
	/** Look up the parents the rows name before upload (Options → "Check Parents Exist"). */
	checkParents: boolean;
	parentCheckUnavailable: ParentCheckMode;
}

/** Options of source "Input Items". */
export interface ItemsOptions {
	/** Exactly these columns, in this order (empty: every key of the items, in first-seen order). */
	columns: string[];
	excludeColumns: string[];
	nestedAsJson: boolean;
	rowsPerUpload: number;
	/** One output item per record instead of one per upload. */
	outputPerRecord: boolean;
	/** The dry run too gives one item per record (from version 1.3, with `outputPerRecord`). */
	dryRunPerRecord: boolean;
	/** Ends in `.xlsx`. */
	fileName: string;
	missingFields: MissingFieldsMode;
	/** The workflow's time zone (JS Dates are written on its clock). */
	timeZone: string | undefined;
}
