/**
 * The findings of the Lookup Table Import's checks before upload: what the sources, the workbook reader and the plan
 * checks report, in one shape, so the node can merge them into one result (`mergeFindings`).
 */
import type { IDataObject } from 'n8n-workflow';

/**
 * The stable machine code of a finding (workflows branch on it: never renamed or removed). Which are errors (the
 * upload is refused) and which are warnings: TABLE_CHECK_SEVERITY.
 */
export type TableCheckCode =
	// Input items
	| 'valueNotText'
	| 'valuesTrimmed'
	| 'blankItems'
	| 'fieldMissing'
	// A workbook file, as CommCare's reader reads it
	| 'unreadableWorkbook'
	| 'noTypesSheet'
	| 'noTableIdColumn'
	| 'emptySheet'
	| 'nonTextHeader'
	| 'repeatedHeader'
	| 'invalidBoolean'
	| 'numericTableId'
	| 'numericFieldName'
	| 'badPropertyHeader'
	| 'missingDataSheet'
	| 'missingFieldColumn'
	| 'extraFieldColumn'
	| 'missingPropertyColumn'
	| 'extraPropertyColumn'
	| 'misalignedProperties'
	| 'rowsAfterBlankRow'
	| 'dataWithoutHeader'
	// The plan, whatever its source
	| 'invalidTableId'
	| 'tableIdTooLong'
	| 'duplicateTableId'
	| 'invalidFieldName'
	| 'duplicateFieldName'
	| 'tableWithoutFields'
	| 'duplicateUids'
	| 'uidNotRecognised'
	| 'deleteWithoutUid'
	| 'tooManyRows'
	| 'noOwnerColumns'
	| 'rowsWithoutOwners'
	| 'unstorableCharacters'
	| 'replaceWithNoRows'
	// Reading the table in CommCare, uploading, and reading it back
	| 'tooManyDeletions'
	| 'tableReadUnavailable'
	| 'ownerNotFound'
	| 'uploadFailed'
	| 'notFinished'
	| 'statusUnavailable'
	| 'rowCountDiffers';

/** Errors stop the upload; warnings let it go and say what CommCare will do. */
export const TABLE_CHECK_SEVERITY: Record<TableCheckCode, 'error' | 'warning'> = {
	valueNotText: 'error',
	valuesTrimmed: 'warning',
	blankItems: 'error',
	fieldMissing: 'error',
	unreadableWorkbook: 'error',
	noTypesSheet: 'error',
	noTableIdColumn: 'error',
	emptySheet: 'error',
	nonTextHeader: 'error',
	repeatedHeader: 'error',
	invalidBoolean: 'error',
	numericTableId: 'error',
	numericFieldName: 'error',
	badPropertyHeader: 'error',
	missingDataSheet: 'error',
	missingFieldColumn: 'error',
	extraFieldColumn: 'error',
	missingPropertyColumn: 'error',
	extraPropertyColumn: 'error',
	misalignedProperties: 'error',
	rowsAfterBlankRow: 'error',
	dataWithoutHeader: 'warning',
	invalidTableId: 'error',
	tableIdTooLong: 'error',
	duplicateTableId: 'error',
	invalidFieldName: 'error',
	duplicateFieldName: 'error',
	tableWithoutFields: 'error',
	duplicateUids: 'error',
	uidNotRecognised: 'warning',
	deleteWithoutUid: 'warning',
	tooManyRows: 'error',
	noOwnerColumns: 'warning',
	rowsWithoutOwners: 'warning',
	unstorableCharacters: 'error',
	replaceWithNoRows: 'warning',
	tooManyDeletions: 'error',
	tableReadUnavailable: 'warning',
	ownerNotFound: 'warning',
	uploadFailed: 'error',
	notFinished: 'error',
	statusUnavailable: 'error',
	rowCountDiffers: 'warning',
};

export interface TableFinding extends IDataObject {
	code: TableCheckCode;
	/** One short line: what was found, naming the table, the column and the sheet rows or items. */
	message: string;
	/** What to do about it (and why it matters). */
	description?: string;
	/** The table's `table_id` (its data sheet's title). */
	table?: string;
	/** The column as written in the sheet's header (`field: name`), or the item field. */
	column?: string;
	/** Sheet rows (the header is row 1). */
	rows?: number[];
	/** Input items, 0-based like n8n's `pairedItem` (messages say "item N", 1-based). */
	items?: number[];
}

export interface TableCheckResult {
	errors: TableFinding[];
	warnings: TableFinding[];
}

/** A finding with the fields it has (no `undefined` keys, so outputs stay clean). */
export function tableFinding(
	code: TableCheckCode,
	message: string,
	description: string | undefined,
	where: Pick<TableFinding, 'table' | 'column' | 'rows' | 'items'> = {},
): TableFinding {
	const finding: TableFinding = { code, message };
	if (description !== undefined) finding.description = description;
	for (const key of ['table', 'column', 'rows', 'items'] as const) {
		if (where[key] !== undefined) finding[key] = where[key] as never;
	}
	return finding;
}

/** Sorts findings into errors and warnings by their code's severity (TABLE_CHECK_SEVERITY). */
export function bySeverity(findings: TableFinding[]): TableCheckResult {
	const result: TableCheckResult = { errors: [], warnings: [] };
	for (const finding of findings) {
		(TABLE_CHECK_SEVERITY[finding.code] === 'error' ? result.errors : result.warnings).push(finding);
	}
	return result;
}

/** One result from several: the source's or reader's findings and `checkPlan`'s, in that order. */
export function mergeFindings(...parts: Array<TableCheckResult | TableFinding[]>): TableCheckResult {
	const merged: TableCheckResult = { errors: [], warnings: [] };
	for (const part of parts) {
		const sorted = Array.isArray(part) ? bySeverity(part) : part;
		merged.errors.push(...sorted.errors);
		merged.warnings.push(...sorted.warnings);
	}
	return merged;
}
