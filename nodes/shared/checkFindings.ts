/** The findings of the checks before upload: part of the public output contract (outputContract.ts re-exports them). */
import type { IDataObject } from 'n8n-workflow';

/**
 * The stable machine code of a finding (workflows branch on it: never renamed or removed). What each means, and its
 * severity: nodes/CommCareBulkImport/checks/catalogue.ts and docs/bulk-import.md#checks-before-upload.
 */
export type CheckCode =
	| 'emptySheet'
	| 'unreadableFile'
	| 'invalidHeader'
	| 'nonTextHeader'
	| 'csvHeaderMayBeRetyped'
	| 'duplicateHeader'
	| 'reservedHeader'
	| 'builtInHeader'
	| 'tooManyColumns'
	| 'missingSearchColumn'
	| 'sheetNamedAfterCaseType'
	| 'possibleMultiSheetMode'
	| 'extraSheetsIgnored'
	| 'missingNameColumn'
	| 'nameColumnCollision'
	| 'blankExternalIds'
	| 'duplicateExternalIds'
	| 'searchIdsChangedByServer'
	| 'blankCaseIds'
	| 'nameTooLong'
	| 'externalIdTooLong'
	| 'blankRows'
	| 'rowsAfterBlankGap'
	| 'dateOpenedIgnored'
	| 'closeValueNotYes'
	| 'checksUnavailable'
	| 'nestedValue'
	| 'invalidValue'
	| 'missingHeaderRow'
	| 'dataWithoutHeader'
	| 'tooManyRows'
	| 'unstorableCharactersDropped'
	| 'blankMarkerValues'
	| 'rowsWithoutIdCell'
	| 'shortRows'
	| 'cellsOutsideDimension'
	| 'rowsOutOfOrder'
	| 'rowsNotRead'
	| 'missingField'
	| 'blankFieldName'
	| 'insecureBaseUrl'
	| 'statusUrlOtherOrigin'
	| 'statusUrlInvalid'
	| 'blankNames'
	| 'parentTypeMissing'
	| 'blankParentType'
	| 'invalidRelationship'
	| 'extensionWithoutIdentifier'
	| 'blankParentIds'
	| 'parentIdAndExternalId'
	| 'parentNotFound'
	| 'parentCheckUnavailable';

/**
 * The findings after which CommCare stores something other than what the record says (a changed ID, characters left
 * out, a value ignored or cleared, a row that updates another row's case). A record they name does not reach Import
 * Status's Success output silently: from Import Status 1.2 on it goes to Warning (reason `importedWithChanges`).
 */
export const CHANGES_STORED_DATA: ReadonlySet<CheckCode> = new Set<CheckCode>([
	'searchIdsChangedByServer',
	'unstorableCharactersDropped',
	'dateOpenedIgnored',
	'closeValueNotYes',
	'blankMarkerValues',
	'duplicateExternalIds',
]);

export interface CheckFinding extends IDataObject {
	code: CheckCode;
	/** One short line: what was found, naming the column and the sheet rows or items (1-based, named as such). */
	message: string;
	/** What to do about it (and why it matters), when there is something to say. */
	description?: string;
	column?: string;
	/** Spreadsheet row numbers (header = 1). */
	rows?: number[];
	/** Input item indexes (items source only): 0-based, as n8n's `pairedItem`; messages say "item N" 1-based. */
	items?: number[];
}
