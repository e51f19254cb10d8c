/**
 * The checks made before uploading (checks/runChecks.ts): each finding's code, severity and message, for the file as
 * a whole, its headers, its values and its rows as CommCare's reader takes them, and the checks run on what the
 * spreadsheet reader gives.
 */
import { type CheckInput } from '../../../../nodes/CommCareBulkImport/checks/report';
import { checkedValueColumns, runChecks } from '../../../../nodes/CommCareBulkImport/checks/runChecks';
import type { ImportSettings } from '../../../../nodes/CommCareBulkImport/parameters';
import { validateProjectSpace } from '../../../../nodes/shared/projectSpace';
import { inspectItems, inspectSpreadsheet } from '../../../../nodes/CommCareBulkImport/spreadsheet/inspect';
import { CREATION_OFF, TURN_CREATION_ON } from '../../../../nodes/shared/wording';
import type { CheckFinding } from '../../../../nodes/shared/outputContract';

const settings: ImportSettings = {
	projectSpace: validateProjectSpace('demo'),
	caseType: 'patient',
	searchField: 'external_id',
	searchColumn: 'external_id',
	createNewCases: true,
	nameColumn: 'name',
	comment: '',
};

/** Three clean rows matched by external id: no findings. Each test changes one thing. */
const clean: CheckInput = {
	settings,
	headers: ['external_id', 'name', 'age'],
	sheetNames: ['cases'],
	dataRowCount: 3,
	values: { external_id: ['a', 'b', 'c'], name: ['A', 'B', 'C'] },
	format: 'xlsx',
};

type Severity = 'error' | 'warning';

/** Runs the checks and returns every finding with the given code, with its severity. */
function findings(changes: Partial<CheckInput>, code: string): Array<CheckFinding & { severity: Severity }> {
	const { errors, warnings } = runChecks({ ...clean, ...changes });
	return [
		...errors.map((issue) => ({ ...issue, severity: 'error' as const })),
		...warnings.map((issue) => ({ ...issue, severity: 'warning' as const })),
	].filter((issue) => issue.code === code);
}

/** The single finding with this code. */
function finding(changes: Partial<CheckInput>, code: string): CheckFinding & { severity: Severity } {
	const found = findings(changes, code);
	expect(found).toHaveLength(1);
	return found[0];
}

it('finds nothing wrong with a clean sheet', () => {
	expect(runChecks(clean)).toEqual({ errors: [], warnings: [] });
});

describe('the file as a whole', () => {
	it('checksUnavailable: says nothing was checked when the file could not be read', () => {
		const result = runChecks({
			...clean,
			headers: [],
			dataRowCount: 0,
			values: {},
			limitation: 'Checks before upload are not available for .xls files',
		});
		expect(result).toEqual({
			errors: [],
			warnings: [
				{
					code: 'checksUnavailable',
					message: 'Checks before upload are not available for .xls files',
					description: 'Save the file as .xlsx to have it checked; as it is, it is uploaded unchecked.',
				},
			],
		});
	});

	it('emptySheet: no data rows is an error; no header either is the only finding', () => {
		expect(finding({ dataRowCount: 0, values: { external_id: [], name: [] } }, 'emptySheet')).toEqual({
			code: 'emptySheet',
			severity: 'error',
			message: 'The sheet has a header row but no data rows',
			description: 'There is nothing to import. Check that the right file (or input) was used.',
		});
		expect(runChecks({ ...clean, headers: [], dataRowCount: 0, values: {} })).toEqual({
			errors: [
				{
					code: 'emptySheet',
					message: 'The sheet is empty: no header row and no data',
					description: 'There is nothing to import. Check that the right file (or input) was used.',
				},
			],
			warnings: [],
		});
	});

	it('sheetNamedAfterCaseType: the only sheet named like the case type is the multi-sheet trap', () => {
		expect(finding({ sheetNames: ['patient'] }, 'sheetNamedAfterCaseType')).toEqual({
			code: 'sheetNamedAfterCaseType',
			severity: 'error',
			message: "The sheet is named 'patient', like the case type",
			description:
				"CommCare then switches to multi-sheet mode: it imports each sheet as the case type named by its title and reads the settings differently (creating cases needs 'True' instead of 'on', the name column is ignored). Rename the sheet (for example to 'cases').",
		});
	});

	it('possibleMultiSheetMode and extraSheetsIgnored: several sheets, one named like the case type', () => {
		const changes = { sheetNames: ['cases', 'patient', 'household'] };
		expect(finding(changes, 'possibleMultiSheetMode')).toMatchObject({
			severity: 'warning',
			message: "Sheet 'patient' is named like the case type",
			description:
				"If every other sheet ('cases', 'household') is also named like a case type of the project, CommCare imports each sheet as its own case type and reads the settings differently. Rename the sheet to be sure.",
		});
		expect(finding(changes, 'extraSheetsIgnored')).toMatchObject({
			severity: 'warning',
			message: "The file has 3 sheets; only the first, 'cases', is imported",
			description: "'patient', 'household' are ignored. Move their data to the first sheet if it is to be imported.",
		});
		expect(findings({ sheetNames: ['cases', 'other'] }, 'possibleMultiSheetMode')).toEqual([]);
	});
});

describe('headers', () => {
	it('invalidHeader: names what is wrong with each header and where', () => {
		const changes = { headers: ['external_id', 'name', 'first name', 'age ', '1st', 'a/b', 'kg_é', null, ' x'] };
		const messages = findings(changes, 'invalidHeader').map((issue) => [issue.severity, issue.column, issue.message]);
		expect(messages).toEqual([
			['error', 'first name', "Header 'first name' (column C) contains a space"],
			['error', 'age ', "Header 'age ' (column D) ends with a space"],
			['error', '1st', "Header '1st' (column E) does not start with a letter (a-z, A-Z)"],
			['error', 'a/b', "Header 'a/b' (column F) contains '/'"],
			['error', ' x', "Header ' x' (column I) starts with a space"],
		]);
		expect(findings(changes, 'invalidHeader')[0].description).toBe(
			'CommCare rejects the whole upload: headers are case property names and must start with a letter and contain only letters, digits, underscores and hyphens. Rename the column.',
		);
	});

	it('invalidHeader: items get no column letters (users never see them)', () => {
		expect(finding({ headers: ['external_id', 'name', 'first name'], format: 'items' }, 'invalidHeader').message).toBe(
			"Header 'first name' contains a space",
		);
	});

	it('nonTextHeader: numbers, dates, booleans and error values as headers', () => {
		const changes: Partial<CheckInput> = {
			headers: ['external_id', 'name', '2021', 'True', '2024-01-01', '#N/A'],
			headerKinds: ['text', 'text', 'number', 'boolean', 'date', 'other'],
		};
		const found = findings(changes, 'nonTextHeader');
		expect(found.map((issue) => issue.severity)).toEqual(['error', 'error', 'error', 'error']);
		expect(found[0].description).toBe(
			'CommCare rejects the upload: headers must be text naming a case property. Retype it as text (for example with a leading apostrophe in Excel) or rename it.',
		);
		expect(found.map((issue) => issue.message)).toEqual([
			"Header '2021' (column C) is a number, not text",
			"Header 'True' (column D) is a boolean, not text",
			"Header '2024-01-01' (column E) is a date, not text",
			"Header '#N/A' (column F) is an error value, not text",
		]);
	});

	it('nonTextHeader: a numeric header read from a real .xlsx', async () => {
		const ExcelJS = await import('exceljs');
		const workbook = new ExcelJS.Workbook();
		workbook.addWorksheet('cases').addRows([
			['external_id', 'name', 2021],
			['a', 'A', 1],
		]);
		const inspection = await inspectSpreadsheet(Buffer.from(await workbook.xlsx.writeBuffer()), 'xlsx', {
			valueColumns: checkedValueColumns(settings, ['external_id', 'name']),
		});
		expect(runChecks({ settings, ...inspection }).errors).toEqual([
			expect.objectContaining({ code: 'nonTextHeader', column: '2021' }),
		]);
	});

	it('csvHeaderMayBeRetyped: CSV headers the server may read as booleans or numbers', () => {
		const found = findings(
			{ headers: ['external_id', 'name', 'yes', 'NaN', 'yesterday'], format: 'csv' },
			'csvHeaderMayBeRetyped',
		);
		expect(found.map((issue) => [issue.severity, issue.column])).toEqual([
			['warning', 'yes'],
			['warning', 'NaN'],
		]);
		expect([found[0].message, found[0].description]).toEqual([
			"Header 'yes' (column C) is a word CommCare converts when it reads a CSV file (to a boolean or a number)",
			'If it converts headers too, it rejects the upload as a non-text header. Rename the column, or upload .xlsx.',
		]);
		expect(findings({ headers: ['external_id', 'name', 'yes'], format: 'xlsx' }, 'csvHeaderMayBeRetyped')).toEqual([]);
	});

	it('duplicateHeader', () => {
		expect(finding({ headers: ['external_id', 'name', 'age', 'age'] }, 'duplicateHeader')).toEqual({
			code: 'duplicateHeader',
			severity: 'error',
			column: 'age',
			message: "Header 'age' appears 2 times (columns C, D)",
			description:
				'The columns set the same case property, and which value wins is undefined. Remove or rename the extra columns.',
		});
	});

	it('reservedHeader: type, closed and parent_ref, quoting what the server would say', () => {
		const found = findings({ headers: ['external_id', 'name', 'type', 'closed', 'parent_ref'] }, 'reservedHeader');
		expect(found.map((issue) => [issue.severity, issue.message, issue.description])).toEqual([
			[
				'error',
				"Column 'type' is reserved",
				'The whole import would fail with "Error: Field name "type" is reserved". Rename or remove the column.',
			],
			[
				'error',
				"Column 'closed' is reserved",
				'The whole import would fail with "Error: Field name "closed" is reserved". Rename or remove the column.',
			],
			[
				'error',
				"Column 'parent_ref' is reserved",
				'The whole import would fail with "Error: Field name "{}" is deprecated. Please use "parent_identifier" instead.". Rename or remove the column (use \'parent_identifier\' for the index name).',
			],
		]);
	});

	it('builtInHeader: case_name and case_type', () => {
		const found = findings({ headers: ['external_id', 'name', 'case_name', 'case_type'] }, 'builtInHeader');
		expect(found.map((issue) => [issue.severity, issue.message, issue.description])).toEqual([
			[
				'error',
				"Column 'case_name' collides with a built-in case field",
				"Rows that create cases fail with 'Case Generation Error' (Key 'case_name' specified twice), and what it does on update is undefined. Remove or rename the column; case names go in the name column ('name').",
			],
			[
				'error',
				"Column 'case_type' collides with a built-in case field",
				"Rows that create cases fail with 'Case Generation Error' (Key 'case_type' specified twice), and what it does on update is undefined. Remove or rename the column; the case type comes from the Case Type setting.",
			],
		]);
	});

	it('tooManyColumns: more than 300 (blank headers do not count)', () => {
		const headers = ['external_id', 'name', ...Array.from({ length: 298 }, (_, i) => `p${i}`)];
		expect(findings({ headers: [...headers, null] }, 'tooManyColumns')).toEqual([]);
		expect(finding({ headers: [...headers, 'one_too_many'] }, 'tooManyColumns')).toEqual({
			code: 'tooManyColumns',
			severity: 'error',
			message: 'The sheet has 301 columns; CommCare accepts at most 300',
			description: 'CommCare rejects the upload. Split the properties over several imports (each with the ID column).',
		});
	});

	it('missingSearchColumn: the server would fail the whole import with the quoted column name', () => {
		expect(finding({ headers: ['name', 'age'], values: { name: ['A', 'B', 'C'] } }, 'missingSearchColumn')).toEqual({
			code: 'missingSearchColumn',
			severity: 'error',
			column: 'external_id',
			message: "The ID column 'external_id' is not in the sheet",
			description:
				"CommCare accepts the upload and then fails the whole import with 'external_id'. Add the column 'external_id' (it may be empty when only creating cases), or set ID Column to the header that holds the external ids.",
		});
		const byCaseId = { ...settings, searchField: 'case_id' as const, searchColumn: 'case_id', createNewCases: false };
		expect(
			finding({ settings: byCaseId, headers: ['name'], values: { name: ['A', 'B', 'C'] } }, 'missingSearchColumn'),
		).toMatchObject({
			message: "The ID column 'case_id' is not in the sheet",
			description:
				"CommCare accepts the upload and then fails the whole import with 'case_id'. Add the column 'case_id', or set ID Column to the header that holds the case ids.",
		});
	});

	it('missingNameColumn: only when creating cases', () => {
		const changes = { headers: ['external_id', 'age'], values: { external_id: ['a', 'b', 'c'] } };
		expect(finding(changes, 'missingNameColumn')).toEqual({
			code: 'missingNameColumn',
			severity: 'warning',
			column: 'name',
			message: "The name column 'name' is not in the sheet",
			description:
				'New cases would be created with empty names. Add the column, or set Name Column to the header holding case names.',
		});
		expect(findings({ ...changes, settings: { ...settings, createNewCases: false } }, 'missingNameColumn')).toEqual([]);
	});

	it('nameColumnCollision: the name column and a separate name column', () => {
		expect(
			finding(
				{
					settings: { ...settings, nameColumn: 'full_name' },
					headers: ['external_id', 'full_name', 'name'],
					values: { external_id: ['a', 'b', 'c'], full_name: ['A', 'B', 'C'] },
				},
				'nameColumnCollision',
			),
		).toEqual({
			code: 'nameColumnCollision',
			severity: 'warning',
			column: 'name',
			message: "Both the name column 'full_name' and a 'name' column are present",
			description: 'Both set the case name, and which one wins is undefined. Remove or rename one of them.',
		});
	});

	it('dateOpenedIgnored', () => {
		expect(finding({ headers: ['external_id', 'name', 'date_opened'] }, 'dateOpenedIgnored')).toMatchObject({
			severity: 'warning',
			message: "Column 'date_opened' is applied only with a feature flag",
			description:
				'CommCare applies it only on projects with the BULK_UPLOAD_DATE_OPENED feature flag; elsewhere it drops the column without a message. Drop it, or ask for the flag.',
		});
	});
});

describe('values', () => {
	it('blankExternalIds: a warning naming rows and items; `---` is not a blank id (CommCare searches for it)', () => {
		const changes = {
			values: { external_id: ['a', null, '---', ''], name: ['A', 'B', 'C', 'D'] },
			dataRowCount: 4,
			rowToItem: (row: number) => row - 2,
		};
		expect(finding(changes, 'blankExternalIds')).toEqual({
			code: 'blankExternalIds',
			severity: 'warning',
			column: 'external_id',
			rows: [3, 5],
			items: [1, 3],
			message: "Sheet rows 3 and 5 (items 2 and 4) have no external id in 'external_id'",
			description:
				"Matching by external id, CommCare reports such rows as 'Blank External ID' and imports nothing from them. Fill in the ids or remove the rows.",
		});
		// `_parse_search_id` does not turn '---' into a blank: the row looks for a case with the id '---'.
		expect(findings({ ...changes, blankMarkers: { external_id: [4] } }, 'blankMarkerValues')).toEqual([
			{
				code: 'blankMarkerValues',
				severity: 'warning',
				column: 'external_id',
				rows: [4],
				items: [2],
				message: "'external_id' holds '---' in sheet row 4 (item 3)",
				description:
					"CommCare looks the row up by the text '---' itself, but stores '---' as an empty value (its export's \"no value\"). Fill in the ids.",
			},
		]);
	});

	it('blankMarkerValues: `---` in a property column is stored empty, which clears the property on update', () => {
		expect(
			finding(
				{ values: { external_id: ['a', 'b'], name: ['A', 'B'] }, dataRowCount: 2, blankMarkers: { village: [2, 3] } },
				'blankMarkerValues',
			),
		).toEqual({
			code: 'blankMarkerValues',
			severity: 'warning',
			column: 'village',
			rows: [2, 3],
			message: "'village' holds '---' in sheet rows 2 and 3",
			description:
				"CommCare stores '---' as an empty value (its export's \"no value\"), so on update it clears 'village'. Write an empty value to clear it on purpose, or other text to keep.",
		});
	});

	it('blankExternalIds: an error when no row has an id (nothing would import)', () => {
		expect(
			finding({ values: { external_id: [null, null, ''], name: ['A', 'B', 'C'] } }, 'blankExternalIds'),
		).toMatchObject({
			severity: 'error',
			message: "Sheet rows 2, 3 and 4 have no external id in 'external_id': no row would import",
			description:
				"Matching by external id, CommCare reports such rows as 'Blank External ID' and imports nothing from them. Fill in the ids or remove the rows.",
		});
	});

	it('blankNames: by external ID, rows with an id and an empty name may create a nameless case', () => {
		const changes = {
			dataRowCount: 6,
			blankRowNumbers: [6],
			values: { external_id: ['a', 'b', null, 'd', null, 'f'], name: ['A', null, null, '---', null, ''] },
			rowToItem: (row: number) => row - 2,
		};
		// Row 4 has no id (Blank External ID: it creates nothing), row 6 is blank (skipped): neither is named.
		expect(finding(changes, 'blankNames')).toEqual({
			code: 'blankNames',
			severity: 'warning',
			column: 'name',
			rows: [3, 5, 7],
			items: [1, 3, 5],
			message: "Sheet rows 3, 5 and 7 (items 2, 4 and 6) have an empty name in 'name': a case they create gets no name",
			description:
				"Matching by external ID, a row whose id matches no case creates one, named by its 'name' cell (on an update the empty cell changes nothing). Fill in the names of new cases, or set Name Column to the column holding them.",
		});
		expect(findings({ ...changes, settings: { ...settings, createNewCases: false } }, 'blankNames')).toEqual([]);
	});

	it('blankNames: by case ID, only a row without a case ID certainly creates', () => {
		const byCaseId = { ...settings, searchField: 'case_id' as const, searchColumn: 'case_id' };
		const changes = {
			settings: byCaseId,
			headers: ['case_id', 'name', 'age'],
			values: { case_id: [null, 'c-2', ''], name: [null, null, 'C'] },
		};
		expect(finding(changes, 'blankNames')).toEqual({
			code: 'blankNames',
			severity: 'warning',
			column: 'name',
			rows: [2],
			message: "Sheet row 2 creates a case with an empty name in 'name'",
			description:
				"Matching by case ID, a row without one always creates a case, named by its 'name' cell. Fill in the names, or set Name Column to the column holding them.",
		});
		// Without the name column missingNameColumn says it, once; with creation off nothing is created.
		const noNameColumn = { ...changes, headers: ['case_id', 'age'], values: { case_id: [null, 'c-2', ''] } };
		expect(findings(noNameColumn, 'blankNames')).toEqual([]);
		expect(findings(noNameColumn, 'missingNameColumn')).toHaveLength(1);
		expect(findings({ ...changes, settings: { ...byCaseId, createNewCases: false } }, 'blankNames')).toEqual([]);
	});

	it('duplicateExternalIds: compared as the server reads them, with what happens when creating', () => {
		const changes = {
			dataRowCount: 6,
			values: { external_id: ['a', 'b', 'a', '007', '7', 'a'], name: ['A', 'B', 'C', 'D', 'E', 'F'] },
		};
		expect(finding(changes, 'duplicateExternalIds')).toEqual({
			code: 'duplicateExternalIds',
			severity: 'warning',
			column: 'external_id',
			rows: [2, 4, 5, 6, 7],
			message:
				"2 external ids in 'external_id' appear on more than one row: 'a' (sheet rows 2, 4 and 7), '7' (sheet rows 5 and 6)",
			description:
				"The first of these rows creates (or updates) the case and the later ones update that same case, so the last row wins; if several cases already share an id, the rows fail with 'Too Many Matches'. Merge the rows or fix the ids if that is not intended.",
		});
	});

	it('duplicateExternalIds: when only updating', () => {
		const changes = {
			settings: { ...settings, createNewCases: false },
			values: { external_id: ['a', 'b', 'a'], name: ['A', 'B', 'C'] },
		};
		expect(finding(changes, 'duplicateExternalIds')).toMatchObject({
			message: "1 external id in 'external_id' appears on more than one row: 'a' (sheet rows 2 and 4)",
			description:
				"Each of these rows updates the same case, so the last row wins; if several cases already share an id, the rows fail with 'Too Many Matches'. Merge the rows or fix the ids if that is not intended.",
		});
	});

	it('duplicateExternalIds: an external_id column when matching by case id and creating', () => {
		const changes = {
			settings: { ...settings, searchField: 'case_id' as const, searchColumn: 'case_id' },
			headers: ['case_id', 'external_id', 'name'],
			values: { case_id: [null, null, null], external_id: ['x', 'y', 'x'], name: ['A', 'B', 'C'] },
		};
		expect(finding(changes, 'duplicateExternalIds')).toMatchObject({
			column: 'external_id',
			message: "1 external id in 'external_id' appears on more than one row: 'x' (sheet rows 2 and 4)",
			description:
				"Rows that create cases give several cases the same external id, and later imports matching by external id will fail with 'Too Many Matches'. Merge the rows or fix the ids if that is not intended.",
		});
	});

	it('searchIdsChangedByServer: number-like ids lose zeros, decimals and exponents', () => {
		expect(
			finding({ values: { external_id: ['00123', '1e3', 'abc'], name: ['A', 'B', 'C'] } }, 'searchIdsChangedByServer'),
		).toEqual({
			code: 'searchIdsChangedByServer',
			severity: 'warning',
			column: 'external_id',
			rows: [2, 3],
			message:
				"CommCare reads the ids in 'external_id' as whole numbers: '00123' → '123', '1e3' → '1000' in sheet rows 2 and 3",
			description:
				"It looks such rows up by the changed id. A case it creates from such a row keeps the id as written, so the next import (or a later row of this one) looks for the changed id, does not find that case, and creates another. Use ids that do not read as numbers (for example with a prefix: 'HH-00123').",
		});
		const byCaseId = { ...settings, searchField: 'case_id' as const, searchColumn: 'case_id' };
		expect(
			finding(
				{ settings: byCaseId, headers: ['case_id', 'name'], values: { case_id: ['0042', 'c0ffee'], name: ['A', 'B'] } },
				'searchIdsChangedByServer',
			),
		).toMatchObject({
			message: "CommCare reads the case ids in 'case_id' as whole numbers: '0042' → '42' in sheet row 2",
			description: 'Such rows match the changed id, not the one written. Check the column holds CommCare case ids.',
		});
	});

	it('searchIdsChangedByServer: takes the ids the reader computed from typed cells (an int loses digits as a double)', () => {
		expect(
			finding(
				{
					values: { external_id: ['12345678901234567890', 'x'], name: ['A', 'B'] },
					searchIds: ['12345678901234567168', 'x'],
				},
				'searchIdsChangedByServer',
			).rows,
		).toEqual([2]);
	});

	it('blankCaseIds: matching by case id with creation off skips rows silently', () => {
		const byCaseId = { ...settings, searchField: 'case_id' as const, searchColumn: 'case_id', createNewCases: false };
		const changes = {
			settings: byCaseId,
			headers: ['case_id', 'name'],
			values: { case_id: ['x', null, 'y'], name: ['A', 'B', 'C'] },
		};
		expect(finding(changes, 'blankCaseIds')).toEqual({
			code: 'blankCaseIds',
			severity: 'warning',
			column: 'case_id',
			rows: [3],
			message: "Sheet row 3 has no case id in 'case_id'",
			description: `Matching by case id while ${CREATION_OFF}, CommCare skips such rows without an error. Fill in the case ids, or ${TURN_CREATION_ON} to create them.`,
		});
		expect(findings({ ...changes, settings: { ...byCaseId, createNewCases: true } }, 'blankCaseIds')).toEqual([]);
	});

	it('nameTooLong and externalIdTooLong: over 255 characters counted as Python does (code points)', () => {
		const changes = {
			values: { external_id: ['a', 'b'.repeat(256), 'c'], name: ['n'.repeat(256), '😀'.repeat(255), 'C'] },
			rowToItem: (row: number) => row + 8,
		};
		expect(finding(changes, 'nameTooLong')).toEqual({
			code: 'nameTooLong',
			severity: 'warning',
			column: 'name',
			rows: [2],
			items: [10],
			message: "Sheet row 2 (item 11) has a case name in 'name' longer than 255 characters",
			description: "CommCare rejects such rows ('Name Too Long'). Shorten the names.",
		});
		expect(finding(changes, 'externalIdTooLong')).toEqual({
			code: 'externalIdTooLong',
			severity: 'warning',
			column: 'external_id',
			rows: [3],
			items: [11],
			message: "Sheet row 3 (item 12) has an external id in 'external_id' longer than 255 characters",
			description: "CommCare rejects such rows ('External ID Too Long'). Shorten the ids.",
		});
	});

	it('nameTooLong: an error when every row has one', () => {
		const long = 'n'.repeat(300);
		expect(
			finding({ values: { external_id: ['a', 'b', 'c'], name: [long, long, long] } }, 'nameTooLong').severity,
		).toBe('error');
	});

	it('closeValueNotYes', () => {
		const changes = {
			headers: ['external_id', 'name', 'close'],
			values: { external_id: ['a', 'b', 'c'], name: ['A', 'B', 'C'], close: ['yes', 'True', 'Yes'] },
		};
		expect(finding(changes, 'closeValueNotYes')).toEqual({
			code: 'closeValueNotYes',
			severity: 'warning',
			column: 'close',
			rows: [3, 4],
			message: "Column 'close' holds values other than 'yes' ('True', 'Yes') in sheet rows 3 and 4",
			description:
				"Only the exact text 'yes' closes a case (a boolean true becomes 'True', which does not), and only when updating an existing case. Write 'yes' for cases to close and leave the others blank.",
		});
	});

	it('blankRows and rowsAfterBlankGap; blank rows are not reported again as blank ids', () => {
		const changes = {
			dataRowCount: 5,
			blankRowNumbers: [3, 5],
			values: { external_id: ['a', null, 'b', null, 'c'], name: ['A', null, 'B', null, 'C'] },
			rowsAfterGap: { firstRow: 1010, count: 3 },
		};
		expect(finding(changes, 'blankRows')).toEqual({
			code: 'blankRows',
			severity: 'warning',
			rows: [3, 5],
			message: 'Sheet rows 3 and 5 are blank',
			description: 'CommCare skips blank rows without reporting them. Remove them if they were meant to hold data.',
		});
		expect(finding(changes, 'rowsAfterBlankGap')).toMatchObject({
			severity: 'warning',
			message: '3 rows from sheet row 1010 on come after 1000 or more empty rows',
			description:
				'CommCare stops reading the sheet there, so they are never imported or reported. Remove the empty rows.',
		});
		expect(findings(changes, 'blankExternalIds')).toEqual([]);
	});
});

describe('rows as CommCare’s reader takes them (an .xlsx without a recorded size)', () => {
	const RESAVE =
		"Open the file in Excel, LibreOffice or Google Sheets and save it again (they record the sheet's size), or write it with n8n's Convert to File.";

	it('rowsWithoutIdCell: an error naming the rows, since the whole import would fail', () => {
		expect(finding({ rowsWithoutSearchCell: { rows: [3, 7], count: 9 } }, 'rowsWithoutIdCell')).toEqual({
			code: 'rowsWithoutIdCell',
			severity: 'error',
			column: 'external_id',
			rows: [3, 7],
			message: "Sheet rows 3, 7 and 7 more have no cell for the ID column 'external_id'",
			description: `The file does not record its sheet's size, so CommCare's reader ends each row at its last cell (and a missing row has none), and the whole import fails with 'external_id'. ${RESAVE}`,
		});
	});

	it('shortRows: an error naming the rows and the columns CommCare would leave unchanged', () => {
		expect(finding({ shortRows: { rows: [4], count: 1, columns: ['age'] } }, 'shortRows')).toEqual({
			code: 'shortRows',
			severity: 'error',
			rows: [4],
			message: "Sheet row 4 ends before the column 'age'",
			description: `The file does not record its sheet's size, so CommCare's reader leaves that property unchanged on such rows, although the empty cells show a blank (which clears). ${RESAVE}`,
		});
	});

	it('cellsOutsideDimension and rowsOutOfOrder: errors, since CommCare drops that data without a word', () => {
		expect(
			finding(
				{ cellsOutsideDimension: { dimension: 'A1:C3', cells: ['D2', 'A4'], count: 7 } },
				'cellsOutsideDimension',
			),
		).toMatchObject({
			message: 'The sheet records its size as A1:C3, but cells D2, A4 and 5 more outside it hold data',
			description: `CommCare's reader stops at the recorded size and drops them without a word. ${RESAVE}`,
		});
		expect(finding({ rowsOutOfOrder: { rows: [2], count: 1 } }, 'rowsOutOfOrder')).toMatchObject({
			severity: 'error',
			rows: [2],
			message: 'Sheet row 2 comes after a row with a higher number in the file',
			description: `CommCare's reader skips such rows without a word. ${RESAVE}`,
		});
	});

	it('rowsNotRead: a warning; those rows are skipped like blank ones by the other checks', () => {
		const changes = {
			dataRowCount: 4,
			values: { external_id: ['a', 'b', 'c', null], name: ['A', 'B', 'C', null] },
			rowsNotRead: [5],
			rowToItem: (row: number) => row - 2,
		};
		expect(finding(changes, 'rowsNotRead')).toEqual({
			code: 'rowsNotRead',
			severity: 'warning',
			rows: [5],
			items: [3],
			message: 'Sheet row 5 (item 4) holds only zeros, false or empty values after the last row holding anything else',
			description:
				"CommCare's reader stops at that last row, so it is skipped without a trace. Give it an ID, or remove it.",
		});
		expect(findings(changes, 'blankExternalIds')).toEqual([]);
	});
});

describe('every finding in one shape', () => {
	it('a one-line message saying what and where, and a description saying what to do', () => {
		const byCaseId = { ...settings, searchField: 'case_id' as const, searchColumn: 'case_id', createNewCases: false };
		const inputs: Array<Partial<CheckInput>> = [
			{
				headers: [
					'external_id',
					'name',
					'first name',
					'type',
					'case_name',
					'age',
					'age',
					'date_opened',
					'close',
					'yes',
				],
				headerKinds: ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text'],
				format: 'csv',
				sheetNames: ['cases', 'patient'],
				dataRowCount: 6,
				values: {
					external_id: ['00123', null, 'b'.repeat(256), 'a', 'a', 'c'],
					name: [null, 'B', 'n'.repeat(256), 'D', 'E', 'F'],
					close: ['True', null, null, null, null, null],
				},
				blankRowNumbers: [7],
				blankMarkers: { age: [3] },
				unstorableCharacters: { age: [4] },
				rowsAfterGap: { firstRow: 1010, count: 2 },
				dataWithoutHeader: [{ column: 11, rows: [2], count: 1 }],
				rowsWithoutSearchCell: { rows: [5], count: 1 },
				shortRows: { rows: [6], count: 1, columns: ['age'] },
				cellsOutsideDimension: { dimension: 'A1:C3', cells: ['D2'], count: 1 },
				rowsOutOfOrder: { rows: [2], count: 1 },
				rowsNotRead: [8],
				rowLimitExceeded: { firstRow: 100_002 },
				rowToItem: (row: number) => row - 2,
			},
			{ settings: byCaseId, headers: ['name'], values: { name: ['A', 'B', 'C'] } },
			{ settings: byCaseId, headers: ['case_id', 'name'], values: { case_id: [null, 'x', ''], name: ['A', 'B', 'C'] } },
			{ sheetNames: ['patient'], headers: [...clean.headers, ...Array.from({ length: 300 }, (_, i) => `p${i}`)] },
			{ headers: [], dataRowCount: 0, values: {} },
			{ headers: [], dataRowCount: 2, values: {} },
			{ headers: ['external_id', 'age'], values: { external_id: ['a', 'b', 'c'] } },
			{
				headers: ['external_id', 'name', 'parent_id', 'parent_external_id', 'parent_relationship_type'],
				values: {
					...clean.values,
					parent_id: ['p', null, 'q'],
					parent_external_id: ['h', null, null],
					parent_relationship_type: ['extension', '', 'Child'],
				},
				rowToItem: (row: number) => row - 2,
			},
			{
				headers: ['external_id', 'name', 'parent_id', 'parent_type'],
				values: { ...clean.values, parent_id: ['p', 'q', null], parent_type: ['', 'h', null] },
			},
		];
		const all = inputs.flatMap((changes) => {
			const { errors, warnings } = runChecks({ ...clean, ...changes });
			return [...errors, ...warnings];
		});
		// 33 of the checks' codes (checksUnavailable has its own test above).
		expect(new Set(all.map((issue) => issue.code)).size).toBeGreaterThanOrEqual(33);
		for (const issue of all) {
			expect([issue.code, issue.message]).toEqual([issue.code, expect.not.stringMatching(/\n|\.$/)]);
			expect(issue.message.split(' ').length).toBeLessThanOrEqual(25);
			expect([issue.code, issue.description]).toEqual([issue.code, expect.stringMatching(/^[A-Z'"].*\.$/s)]);
		}
		const parentCodes = [
			'parentTypeMissing',
			'blankParentType',
			'invalidRelationship',
			'extensionWithoutIdentifier',
			'blankParentIds',
			'parentIdAndExternalId',
		];
		expect(parentCodes.filter((code) => !all.some((issue) => issue.code === code))).toEqual([]);
	});
});

describe('helpers', () => {
	it('asks for the values of the columns the checks use, when present', () => {
		expect(checkedValueColumns(settings, ['external_id', 'name', 'close', 'age', null])).toEqual([
			'external_id',
			'name',
			'close',
		]);
		expect(
			checkedValueColumns({ ...settings, searchField: 'case_id', searchColumn: 'case_id' }, ['case_id', 'external_id']),
		).toEqual(['case_id', 'external_id']);
	});
});

describe('with the spreadsheet reader', () => {
	it('items: an inspection feeds the checks directly, and findings name the input items', () => {
		const items = [
			{ external_id: 'a', name: 'A' },
			{ external_id: '', name: 'B' },
			{ external_id: 'c', name: 'C' },
		];
		const columns = ['external_id', 'name'];
		const inspection = inspectItems(items, columns, {
			sheetName: 'cases',
			textColumns: ['external_id'],
			nestedAsJson: false,
			valueColumns: checkedValueColumns(settings, columns),
		});
		const result = runChecks({ settings, ...inspection, rowToItem: (row) => row - 2 });
		expect(result.errors).toEqual([]);
		expect(result.warnings).toEqual([expect.objectContaining({ code: 'blankExternalIds', rows: [3], items: [1] })]);
	});
});
