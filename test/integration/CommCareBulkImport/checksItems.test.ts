/**
 * The checks before upload (nodes/CommCareBulkImport/checks/, the table in runChecks.ts) through CommCare Bulk Import with source
 * "Input Items", against the emulator. An error stops the node before any request (the emulator counts them: 0),
 * with a message naming the column, the rows and the item indexes; a warning rides along in the output item while
 * the upload goes. The file source's checks are in checksFile.test.ts; the logic of each check is unit-tested
 * in test/unit/CommCareBulkImport/checks/runChecks.test.ts.
 */
import type { IDataObject } from 'n8n-workflow';

import { CommCareBulkImport } from '../../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import type { CheckFinding, UploadResultJson } from '../../../nodes/shared/outputContract';
import { type Emulator } from '../../../emulator';
import { ITEMS_BY_CASE_ID, emulatorCredential, useEmulator } from '../../support/emulator';
import { runNode } from '../../support/n8nContext';

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 0, runningPolls: 0 } });

const node = new CommCareBulkImport();
const byExternalId = { searchField: 'external_id', unmatchedRows: 'create' };

async function run(items: IDataObject[], parameters: IDataObject) {
	return await runNode({
		node,
		// One output item per upload: the upload's warnings are on it.
		parameters: {
			...ITEMS_BY_CASE_ID,
			output: 'perUpload',
			...parameters,
		},
		credentials: emulatorCredential(emulator),
		items: items.map((json) => ({ json })),
	});
}

/** Runs the node expecting the checks to stop it: the error, after asserting nothing reached the server. */
async function refusal(items: IDataObject[], parameters: IDataObject = {}) {
	const error = await run(items, parameters).then(
		() => undefined,
		(e: unknown) => e as { message: string; description?: string },
	);
	if (!error) throw new Error('expected the checks to stop the node');
	expect(emulator.requests).toHaveLength(0);
	return error;
}

/** Runs the node expecting the upload to go: the output's warnings, after asserting the one upload. */
async function warningsOf(items: IDataObject[], parameters: IDataObject = {}): Promise<CheckFinding[]> {
	const { outputs } = await run(items, parameters);
	expect(emulator.uploads.filter((u) => u.status === 200)).toHaveLength(1);
	return (outputs[0][0].json as UploadResultJson).warnings;
}

function only(warnings: CheckFinding[], code: string): CheckFinding {
	const found = warnings.filter((w) => w.code === code);
	expect(found).toHaveLength(1);
	return found[0];
}

const LONG = 'x'.repeat(256);
const SUBJECT = 'The input items were not uploaded: ';
const SKIP_CHECKS_ADVICE =
	'Nothing was sent to CommCare. Fix the data and run again, or turn on Options → Skip Checks Before Upload to send it as it is.';

describe('errors: the node stops before any request', () => {
	it('emptySheet: every item blank', async () => {
		const error = await refusal([
			{ name: '', age: null },
			{ name: '', age: '' },
		]);
		expect(error.message).toBe(`${SUBJECT}The sheet has a header row but no data rows`);
		expect(error.description).toBe(
			`There is nothing to import. Check that the right file (or input) was used.\n${SKIP_CHECKS_ADVICE}`,
		);
	});

	it('invalidHeader: a key CommCare cannot take as a property name', async () => {
		const error = await refusal([{ name: 'A', 'first name': 'Asha' }]);
		expect(error.message).toBe(`${SUBJECT}Header 'first name' contains a space`);
		expect(error.description).toMatch(
			/^CommCare rejects the whole upload: headers are case property names and must start with a letter and contain only letters, digits, underscores and hyphens\. Rename the column\.\n/,
		);
	});

	it('reservedHeader: type, closed, parent_ref', async () => {
		const error = await refusal([{ name: 'A', closed: 'no', type: 'x', parent_ref: 'p' }]);
		expect(error.message).toBe(`${SUBJECT}Column 'type' is reserved (and 2 more problems)`);
		expect(error.description).toBe(
			[
				'The whole import would fail with "Error: Field name "type" is reserved". Rename or remove the column.',
				'Also:',
				"• Column 'closed' is reserved",
				"• Column 'parent_ref' is reserved",
				SKIP_CHECKS_ADVICE,
			].join('\n'),
		);
	});

	it('builtInHeader: case_name or case_type', async () => {
		const error = await refusal([{ case_name: 'A' }]);
		expect(error.message).toBe(`${SUBJECT}Column 'case_name' collides with a built-in case field`);
		expect(error.description).toMatch(/^Rows that create cases fail with 'Case Generation Error'/);
		expect(error.description).toContain("case names go in the name column ('name')");
	});

	it('tooManyColumns: 300 keys plus the search column', async () => {
		const item = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`p${i + 1}`, 'x']));
		const error = await refusal([item]);
		expect(error.message).toBe(`${SUBJECT}The sheet has 301 columns; CommCare accepts at most 300`);
		expect(error.description).toMatch(
			/^CommCare rejects the upload\. Split the properties over several imports \(each with the ID column\)\./,
		);
	});

	it('missingSearchColumn: the search column excluded', async () => {
		const error = await refusal([{ name: 'A', case_id: '' }], { options: { excludeColumns: 'case_id' } });
		expect(error.message).toBe(`${SUBJECT}The ID column 'case_id' is not in the sheet`);
		expect(error.description).toMatch(
			/^CommCare accepts the upload and then fails the whole import with 'case_id'\. Add the column 'case_id'/,
		);
	});

	it('blankExternalIds: matching by external id, none has one', async () => {
		const error = await refusal([{ name: 'A', external_id: '' }, { name: 'B' }], byExternalId);
		expect(error.message).toBe(
			`${SUBJECT}Sheet rows 2 and 3 (items 1 and 2) have no external id in 'external_id': no row would import`,
		);
		expect(error.description).toMatch(/'Blank External ID'/);
	});

	it('blankCaseIds: matching by case id with creation off, none has one', async () => {
		const error = await refusal(
			[
				{ name: 'A', case_id: '' },
				{ name: 'B', case_id: null },
			],
			{ unmatchedRows: 'skip' },
		);
		expect(error.message).toBe(
			`${SUBJECT}Sheet rows 2 and 3 (items 1 and 2) have no case id in 'case_id': no row would import`,
		);
		expect(error.description).toMatch(
			/^Matching by case id while "Rows That Match No Case" is set to Skip \("Create New Cases" off in older nodes\), CommCare skips such rows without an error\./,
		);
	});

	it('nameTooLong: every name over 255 characters', async () => {
		const error = await refusal([{ name: LONG }, { name: '' }, { name: `${LONG}y` }]);
		// Item 1 is blank (nothing but an empty name): the server skips it, so it does not count.
		expect(error.message).toBe(
			`${SUBJECT}Sheet rows 2 and 4 (items 1 and 3) have case names in 'name' longer than 255 characters: no row would import`,
		);
		expect(error.description).toMatch(/^CommCare rejects such rows \('Name Too Long'\)\. Shorten the names\./);
	});

	it('externalIdTooLong: every external id over 255 characters', async () => {
		const error = await refusal([{ name: 'A', external_id: LONG }], byExternalId);
		expect(error.message).toBe(
			`${SUBJECT}Sheet row 2 (item 1) has an external id in 'external_id' longer than 255 characters: no row would import`,
		);
		expect(error.description).toMatch(/^CommCare rejects such rows \('External ID Too Long'\)\. Shorten the ids\./);
	});

	it('nestedValue and invalidValue: values a cell cannot hold, naming the key and the item', async () => {
		const nested = await refusal([
			{ name: 'A', visits: null },
			{ name: 'B', visits: [1, 2] },
		]);
		expect(nested.message).toBe(
			`${SUBJECT}Key 'visits' of item 2 holds an array, which a spreadsheet cell cannot hold`,
		);
		// Skipping the checks would not send it either (the writer refuses it too): no such advice.
		expect(nested.description).toBe(
			'Flatten it (e.g. with a Set node), exclude the column, or turn on Options → Write Nested Values as JSON to write it as JSON text.\nNothing was sent to CommCare.',
		);
		const notANumber = await refusal([{ name: 'A', score: Number.NaN }]);
		expect(notANumber.message).toBe(`${SUBJECT}Key 'score' of item 1 holds NaN, which a spreadsheet cannot store`);
	});

	it('in several uploads, says which upload a row problem is in', async () => {
		const error = await refusal([{ name: 'A' }, { name: 'B' }, { name: LONG }], { options: { rowsPerUpload: 2 } });
		expect(error.message).toBe(
			`${SUBJECT}Upload 2 of 2: Sheet row 2 (item 3) has a case name in 'name' longer than 255 characters: no row would import`,
		);
	});
});

describe('warnings: the upload goes, the warning rides along in the output', () => {
	it('missingNameColumn: creating cases without names', async () => {
		const warning = only(await warningsOf([{ village: 'Kisumu' }]), 'missingNameColumn');
		expect(warning).toMatchObject({ column: 'name' });
		expect(warning.message).toBe("The name column 'name' is not in the sheet");
		expect(warning.description).toMatch(/^New cases would be created with empty names\./);
	});

	it('nameColumnCollision: the name column and a name column', async () => {
		const warning = only(
			await warningsOf([{ full_name: 'Asha A', name: 'Asha' }], { nameColumn: 'full_name' }),
			'nameColumnCollision',
		);
		expect(warning.message).toMatch(/^Both the name column 'full_name' and a 'name' column are present/);
	});

	it('blankExternalIds: some rows without an external id', async () => {
		const warning = only(
			await warningsOf(
				[
					{ name: 'A', external_id: 'E1' },
					{ name: 'B', external_id: '' },
				],
				byExternalId,
			),
			'blankExternalIds',
		);
		expect(warning).toMatchObject({ column: 'external_id', rows: [3], items: [1] });
		expect(warning.message).toBe("Sheet row 3 (item 2) has no external id in 'external_id'");
		// The server reports exactly that row.
		expect(emulator.cases.byType('demo', 'patient').map((c) => c.external_id)).toEqual(['E1']);
	});

	it('duplicateExternalIds: one id on several rows', async () => {
		const items = [
			{ name: 'A', external_id: 'E1' },
			{ name: 'B', external_id: 'E2' },
			{ name: 'C', external_id: 'E1' },
		];
		const warning = only(await warningsOf(items, byExternalId), 'duplicateExternalIds');
		expect(warning).toMatchObject({ column: 'external_id', rows: [2, 4], items: [0, 2] });
		expect(warning.message).toBe(
			"1 external id in 'external_id' appears on more than one row: 'E1' (sheet rows 2 and 4 (items 1 and 3))",
		);
	});

	it('searchIdsChangedByServer: number-like external ids lose their zeros at the server', async () => {
		const warning = only(
			await warningsOf([{ name: 'A', external_id: '00123' }], byExternalId),
			'searchIdsChangedByServer',
		);
		expect(warning.message).toBe(
			"CommCare reads the ids in 'external_id' as whole numbers: '00123' → '123' in sheet row 2 (item 1)",
		);
		expect(warning.description).toMatch(
			/^It looks such rows up by the changed id\. A case it creates from such a row keeps the id as written, so the next import .* creates another\./,
		);
		// What the warning says: the case keeps '00123', the next import looks for '123' and creates a second case.
		expect(emulator.cases.byType('demo', 'patient').map((found) => found.external_id)).toEqual(['00123']);
		await run([{ name: 'A again', external_id: '00123' }], byExternalId);
		expect(emulator.cases.byType('demo', 'patient').map((found) => found.external_id)).toEqual(['00123', '00123']);
	});

	it('blankCaseIds: some rows without a case id while creation is off', async () => {
		const existing = emulator.cases.add('demo', { case_type: 'patient', name: 'Old' });
		const warnings = await warningsOf(
			[
				{ case_id: existing.case_id, name: 'Renamed' },
				{ case_id: '', name: 'New?' },
			],
			{ unmatchedRows: 'skip' },
		);
		expect(only(warnings, 'blankCaseIds')).toMatchObject({ rows: [3], items: [1], column: 'case_id' });
		expect(emulator.cases.byType('demo', 'patient').map((c) => c.name)).toEqual(['Renamed']);
	});

	it('nameTooLong and externalIdTooLong: some rows, which the server then reports', async () => {
		const warnings = await warningsOf(
			[
				{ name: 'A', external_id: 'E1' },
				{ name: LONG, external_id: 'E2' },
				{ name: 'C', external_id: LONG },
			],
			byExternalId,
		);
		expect(only(warnings, 'nameTooLong')).toMatchObject({ rows: [3], items: [1], column: 'name' });
		expect(only(warnings, 'externalIdTooLong')).toMatchObject({ rows: [4], items: [2], column: 'external_id' });
		expect(emulator.cases.byType('demo', 'patient').map((c) => c.name)).toEqual(['A']);
	});

	it('blankNames: by external ID, a row with an id and no name; CommCare creates that case without a name', async () => {
		const items = [
			{ name: 'A', external_id: 'E1', age: 30 },
			{ name: '', external_id: 'E2', age: 31 },
			{ name: null, external_id: '', age: 32 },
		];
		const warnings = await warningsOf(items, byExternalId);
		// The row without an id creates nothing ('Blank External ID'): it is not named.
		expect(only(warnings, 'blankNames')).toEqual({
			code: 'blankNames',
			message: "Sheet row 3 (item 2) has an empty name in 'name': a case it creates gets no name",
			description:
				"Matching by external ID, a row whose id matches no case creates one, named by its 'name' cell (on an update the empty cell changes nothing). Fill in the names of new cases, or set Name Column to the column holding them.",
			column: 'name',
			rows: [3],
			items: [1],
		});
		const created = emulator.cases.byType('demo', 'patient');
		expect(created.map((c) => [c.external_id, c.name])).toEqual([
			['E1', 'A'],
			['E2', ''],
		]);
	});

	it('blankNames: by case ID, a row without a case ID and without a name creates a nameless case', async () => {
		const warning = only(
			await warningsOf([
				{ case_id: '', name: 'A', age: 30 },
				{ case_id: '', name: '', age: 31 },
			]),
			'blankNames',
		);
		expect(warning).toMatchObject({ column: 'name', rows: [3], items: [1] });
		expect(warning.message).toBe("Sheet row 3 (item 2) creates a case with an empty name in 'name'");
		expect(emulator.cases.byType('demo', 'patient').map((c) => c.name)).toEqual(['A', '']);
	});

	it('blankRows: a blank item between others', async () => {
		const warning = only(await warningsOf([{ name: 'A' }, { name: '' }, { name: 'C' }]), 'blankRows');
		expect(warning).toMatchObject({ rows: [3], items: [1] });
		expect(warning.message).toBe('Sheet row 3 (item 2) is blank');
		expect(warning.description).toBe(
			'CommCare skips blank rows without reporting them. Remove them if they were meant to hold data.',
		);
	});

	it('rowsAfterBlankGap: items after 1000 blank ones are never read', async () => {
		const items = [{ name: 'First' }, ...Array.from({ length: 1000 }, () => ({ name: '' })), { name: 'Lost' }];
		const warning = only(await warningsOf(items), 'rowsAfterBlankGap');
		expect(warning.message).toBe('1 row from sheet row 1003 on comes after 1000 or more empty rows');
		expect(emulator.cases.byType('demo', 'patient').map((c) => c.name)).toEqual(['First']);
	});

	it('dateOpenedIgnored: date_opened is dropped', async () => {
		const warning = only(await warningsOf([{ name: 'A', date_opened: '2024-01-01' }]), 'dateOpenedIgnored');
		expect(warning).toMatchObject({ column: 'date_opened' });
	});

	it('closeValueNotYes: a boolean does not close a case', async () => {
		const existing = emulator.cases.add('demo', { case_type: 'patient', name: 'Old' });
		const warning = only(
			await warningsOf([{ case_id: existing.case_id, close: true }], { unmatchedRows: 'skip' }),
			'closeValueNotYes',
		);
		expect(warning.message).toBe("Column 'close' holds values other than 'yes' ('True') in sheet row 2 (item 1)");
		expect(emulator.cases.get('demo', existing.case_id)?.closed).toBe(false);
	});
});
