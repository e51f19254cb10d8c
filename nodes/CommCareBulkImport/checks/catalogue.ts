/**
 * Every finding Bulk Import can put in an output's `errors` or `warnings`, with its severity, what CommCare would do
 * (why it matters) and where docs/commcare-api.md says so. The codes are part of the output contract (`CheckCode`):
 * workflows branch on them. docs/bulk-import.md lists the same codes with the same severities, and a unit test keeps
 * the two equal.
 *
 * Severities (one rule for every check; the reasoning is in docs/bulk-import.md#checks-before-upload):
 * - `error`: stops the upload;
 * - `warning`: rides along in the output;
 * - `byRows`: an error when it hits every non-blank data row (nothing would import), a warning otherwise;
 * - `always`: an error whether or not the checks run (the items could not be written as asked);
 * - `byOption`: an error, or a warning when the user chose to go on (Options → If Parents Cannot Be Checked).
 */
import type { CheckCode } from '../../shared/outputContract';

export type CheckSeverity = 'error' | 'warning' | 'byRows' | 'always' | 'byOption';

export interface CheckEntry {
	severity: CheckSeverity;
	/** What CommCare would do with such a file, in short. */
	why: string;
	/** The section of docs/commcare-api.md, when one says it. */
	section?: string;
}

export const CHECKS: Readonly<Record<CheckCode, CheckEntry>> = {
	emptySheet: { severity: 'error', why: 'no data rows: nothing to import' },
	unreadableFile: { severity: 'error', why: 'a file it cannot read is refused', section: '§3' },
	invalidHeader: {
		severity: 'error',
		why: 'headers must match ^[a-zA-Z][\\w-]*$ or the upload is rejected',
		section: '§3',
	},
	nonTextHeader: { severity: 'error', why: 'a number, date or boolean header fails the same check', section: '§3' },
	csvHeaderMayBeRetyped: { severity: 'warning', why: 'CSV cells such as yes or nan are re-typed', section: '§6.1' },
	duplicateHeader: { severity: 'error', why: 'two columns feed one property; which value wins is undefined' },
	reservedHeader: { severity: 'error', why: 'type, closed, parent_ref: the whole import fails', section: '§6.5' },
	builtInHeader: { severity: 'error', why: 'case_name, case_type: every created case fails', section: '§6.5' },
	tooManyColumns: { severity: 'error', why: 'the upload is rejected above 300 columns', section: '§3' },
	missingSearchColumn: { severity: 'error', why: "the whole import fails with '<column>'", section: '§6.1' },
	sheetNamedAfterCaseType: {
		severity: 'error',
		why: 'the only sheet named like the case type: multi-sheet mode',
		section: '§3.3',
	},
	possibleMultiSheetMode: { severity: 'warning', why: 'a sheet named like the case type', section: '§3.3' },
	extraSheetsIgnored: { severity: 'warning', why: 'only the first sheet is imported', section: '§7' },
	missingNameColumn: {
		severity: 'warning',
		why: 'cases created without the name column have empty names',
		section: '§6.4',
	},
	nameColumnCollision: {
		severity: 'warning',
		why: 'the name column and a name column both set the name',
		section: '§6.5',
	},
	blankExternalIds: { severity: 'byRows', why: 'Blank External ID row errors', section: '§6.3' },
	duplicateExternalIds: { severity: 'warning', why: 'later rows update the case the first created', section: '§6.8' },
	searchIdsChangedByServer: {
		severity: 'warning',
		why: 'number-like ids are searched as integers: 00123 → 123',
		section: '§6.1',
	},
	blankCaseIds: { severity: 'byRows', why: 'by case ID with creation off: rows skipped silently', section: '§6.3' },
	nameTooLong: { severity: 'byRows', why: 'Name Too Long row errors above 255 characters', section: '§6.9' },
	externalIdTooLong: {
		severity: 'byRows',
		why: 'External ID Too Long row errors above 255 characters',
		section: '§6.9',
	},
	blankRows: { severity: 'warning', why: 'blank rows are skipped without a trace', section: '§6.2' },
	rowsAfterBlankGap: { severity: 'warning', why: 'reading stops after 1000 empty rows', section: '§6.1' },
	dateOpenedIgnored: {
		severity: 'warning',
		why: 'date_opened is dropped unless a feature flag is on',
		section: '§6.5',
	},
	closeValueNotYes: { severity: 'warning', why: 'only the exact text yes closes a case', section: '§6.4' },
	checksUnavailable: { severity: 'warning', why: 'the file could not be read here (.xls): nothing was checked' },
	nestedValue: { severity: 'error', why: 'an object or array: no cell can hold it' },
	invalidValue: { severity: 'error', why: 'a value no cell can hold (too long, NaN, unstorable characters in an ID)' },
	missingHeaderRow: { severity: 'error', why: 'headers are read from row 1 only' },
	dataWithoutHeader: { severity: 'error', why: 'a column without a header is dropped with its data', section: '§3' },
	tooManyRows: { severity: 'error', why: "more than 100,000 data rows, the importer's limit", section: '§7' },
	unstorableCharactersDropped: { severity: 'warning', why: 'characters no .xlsx can store are left out of a value' },
	blankMarkerValues: {
		severity: 'warning',
		why: '--- is stored as an empty value and clears the property',
		section: '§6.1',
	},
	rowsWithoutIdCell: { severity: 'error', why: 'a row without the ID cell fails the whole import', section: '§6.1a' },
	shortRows: { severity: 'error', why: 'a row ending early leaves properties unchanged', section: '§6.1a' },
	cellsOutsideDimension: {
		severity: 'error',
		why: "data past the sheet's recorded size is never read",
		section: '§6.1a',
	},
	rowsOutOfOrder: { severity: 'error', why: 'a row numbered below the one before it is skipped', section: '§6.1a' },
	rowsNotRead: { severity: 'warning', why: 'rows after the last truthy row are never read', section: '§6.1a' },
	missingField: { severity: 'always', why: 'a blank cell would clear the property', section: '§6.1' },
	blankFieldName: { severity: 'always', why: 'a column without a header is dropped with its data', section: '§3' },
	insecureBaseUrl: { severity: 'warning', why: 'plain http to a host that is not this machine' },
	statusUrlOtherOrigin: { severity: 'warning', why: 'a status URL on another server, which Import Status refuses' },
	statusUrlInvalid: { severity: 'warning', why: 'a status URL that is not a usable address' },
	blankNames: { severity: 'warning', why: 'a case created from a row with an empty name has no name', section: '§6' },
	parentTypeMissing: {
		severity: 'error',
		why: 'no parent_type column: parents are looked for among cases of the imported type',
		section: '§6.7',
	},
	blankParentType: {
		severity: 'byRows',
		why: 'a blank parent_type finds no parent by case id, and any type by external id',
		section: '§6.7',
	},
	invalidRelationship: {
		severity: 'byRows',
		why: 'parent_relationship_type other than child or extension: Invalid Parent ID',
		section: '§6.7',
	},
	extensionWithoutIdentifier: {
		severity: 'byRows',
		why: 'extension without parent_identifier: Invalid Parent ID',
		section: '§6.7',
	},
	blankParentIds: { severity: 'warning', why: 'a row without a parent id gets no parent', section: '§6.7' },
	parentIdAndExternalId: {
		severity: 'warning',
		why: 'parent_id wins; parent_external_id is not used',
		section: '§6.7',
	},
	parentNotFound: {
		severity: 'error',
		why: 'no parent case of parent_type with that id: Invalid Parent ID',
		section: '§6.7',
	},
	parentCheckUnavailable: {
		severity: 'byOption',
		why: 'the Case API refused the parent check (permission, plan, rate limit)',
		section: '§9.2',
	},
};
