/**
 * The checks on the parent columns (checks/parentChecks.ts, docs/commcare-api.md §6.7): each finding's code, severity,
 * message and rows, on a CheckInput as the spreadsheet reader gives it, and the parent columns' values as the reader
 * collects them from a file and from items.
 */
import ExcelJS from 'exceljs';

import { type CheckInput } from '../../../../nodes/CommCareBulkImport/checks/report';
import { checkedColumns, checkedValueColumns, runChecks } from '../../../../nodes/CommCareBulkImport/checks/runChecks';
import type { ImportSettings } from '../../../../nodes/CommCareBulkImport/parameters';
import { validateProjectSpace } from '../../../../nodes/shared/projectSpace';
import { inspectItems, inspectSpreadsheet } from '../../../../nodes/CommCareBulkImport/spreadsheet/inspect';
import type { CheckFinding } from '../../../../nodes/shared/outputContract';

const settings: ImportSettings = {
	projectSpace: validateProjectSpace('demo'),
	caseType: 'member',
	searchField: 'external_id',
	searchColumn: 'external_id',
	createNewCases: true,
	nameColumn: 'name',
	comment: '',
};

/** Three members, each naming its household by external id: no findings. Each test changes one thing. */
const clean: CheckInput = {
	settings,
	headers: ['external_id', 'name', 'parent_external_id', 'parent_type'],
	sheetNames: ['members'],
	dataRowCount: 3,
	values: {
		external_id: ['m1', 'm2', 'm3'],
		name: ['A', 'B', 'C'],
		parent_external_id: ['h1', 'h1', 'h2'],
		parent_type: ['household', 'household', 'household'],
	},
	format: 'xlsx',
};

type Severity = 'error' | 'warning';
type Found = CheckFinding & { severity: Severity };

function all(changes: Partial<CheckInput>): Found[] {
	const { errors, warnings } = runChecks({ ...clean, ...changes, values: { ...clean.values, ...changes.values } });
	return [
		...errors.map((issue) => ({ ...issue, severity: 'error' as const })),
		...warnings.map((issue) => ({ ...issue, severity: 'warning' as const })),
	];
}

function findings(changes: Partial<CheckInput>, code: string): Found[] {
	return all(changes).filter((issue) => issue.code === code);
}

function finding(changes: Partial<CheckInput>, code: string): Found {
	const found = findings(changes, code);
	expect(found).toHaveLength(1);
	return found[0];
}

/** Changes that put `column` (with `texts`) into the clean sheet. */
function withColumn(column: string, texts: (string | null)[], base: Partial<CheckInput> = {}): Partial<CheckInput> {
	return {
		...base,
		headers: [...(base.headers ?? clean.headers), column],
		values: { ...base.values, [column]: texts },
	};
}

const withoutParentType: Partial<CheckInput> = { headers: ['external_id', 'name', 'parent_external_id'] };

it('finds nothing wrong with members naming their households', () => {
	expect(runChecks(clean)).toEqual({ errors: [], warnings: [] });
	// Nor with child and extension relationships written out.
	const written = withColumn(
		'parent_identifier',
		['parent', 'host', 'host'],
		withColumn('parent_relationship_type', ['child', 'extension', 'extension']),
	);
	expect(all(written)).toEqual([]);
});

describe('parentTypeMissing', () => {
	it('is an error naming the rows with a parent, the imported case type and the fix', () => {
		expect(finding(withoutParentType, 'parentTypeMissing')).toEqual({
			code: 'parentTypeMissing',
			severity: 'error',
			message: "No 'parent_type' column: CommCare looks for the parents of sheet rows 2, 3 and 4 among 'member' cases",
			description:
				"Without it CommCare takes the ids in 'parent_external_id' to be of 'member' cases, so a row whose parent is of another type (a household, say) fails with 'Invalid Parent ID'. Add a 'parent_type' column holding the parents' case type, or 'member' itself if the parents really are 'member' cases.",
			column: 'parent_type',
			rows: [2, 3, 4],
		});
	});

	it('for items, names the items and says how to add the field', () => {
		const found = finding(
			{
				...withoutParentType,
				headers: ['external_id', 'name', 'parent_id'],
				values: { parent_id: [null, 'c-1', ''] },
				format: 'items',
				rowToItem: (row) => row + 1,
			},
			'parentTypeMissing',
		);
		expect(found).toMatchObject({ rows: [3], items: [4] });
		expect(found.message).toBe(
			"No 'parent_type' column: CommCare looks for the parents of sheet row 3 (item 5) among 'member' cases",
		);
		expect(found.description).toBe(
			"Without it CommCare takes the ids in 'parent_id' to be of 'member' cases, so a row whose parent is of another type (a household, say) fails with 'Invalid Parent ID'. Give the items a field 'parent_type' (for example with an Edit Fields (Set) node) holding the parents' case type, or 'member' itself if the parents really are 'member' cases.",
		);
	});

	it('names only the id columns holding values', () => {
		const found = finding(
			withColumn('parent_id', ['c-1', null, null], {
				...withoutParentType,
				values: { parent_external_id: [null, null, 'h2'] },
			}),
			'parentTypeMissing',
		);
		expect(found.rows).toEqual([2, 4]);
		expect(found.description).toMatch(
			/^Without it CommCare takes the ids in 'parent_id' and 'parent_external_id' to be/,
		);
	});

	it('is not raised when no row CommCare acts on names a parent', () => {
		// Only blank ids, '---' (stored as blank), a blank row, and a row without an external id ('Blank External ID').
		const changes: Partial<CheckInput> = {
			...withoutParentType,
			dataRowCount: 4,
			values: {
				external_id: ['m1', null, '', 'm4'],
				name: ['A', null, 'C', 'D'],
				parent_external_id: ['', null, 'h1', '---'],
			},
			blankRowNumbers: [3],
		};
		expect(findings(changes, 'parentTypeMissing')).toEqual([]);
	});
});

describe('blankParentType', () => {
	it('is a warning for the rows with a parent id and a blank parent_type', () => {
		const found = finding({ values: { parent_type: ['household', '', null] } }, 'blankParentType');
		expect(found).toEqual({
			code: 'blankParentType',
			severity: 'warning',
			message: "Sheet rows 3 and 4 name a parent but have a blank 'parent_type'",
			description:
				"With no case type, CommCare finds no parent by 'parent_id' ('Invalid Parent ID': nothing from the row is imported), and by 'parent_external_id' takes a case of any type that has the id, which may be the wrong one. Fill in the parents' case type.",
			column: 'parent_type',
			rows: [3, 4],
		});
	});

	it('is an error when every row has it, and ignores rows without a parent', () => {
		expect(finding({ values: { parent_type: ['---', '', null] } }, 'blankParentType')).toMatchObject({
			severity: 'error',
			message: "Sheet rows 2, 3 and 4 name a parent but have a blank 'parent_type': no row would import",
		});
		const someWithout = { values: { parent_external_id: ['h1', null, ''], parent_type: ['', null, null] } };
		expect(finding(someWithout, 'blankParentType')).toMatchObject({ severity: 'warning', rows: [2] });
	});
});

describe('invalidRelationship', () => {
	it('is a warning for rows with a parent whose relationship is not exactly child or extension, blank included', () => {
		const found = finding(
			withColumn('parent_relationship_type', ['child', 'Child', ''], {
				dataRowCount: 4,
				values: {
					external_id: ['m1', 'm2', 'm3', 'm4'],
					name: ['A', 'B', 'C', 'D'],
					parent_external_id: ['h1', 'h1', 'h2', null],
					parent_type: ['household', 'household', 'household', null],
				},
			}),
			'invalidRelationship',
		);
		// Row 5 has no parent: its blank relationship does nothing.
		expect(found).toEqual({
			code: 'invalidRelationship',
			severity: 'warning',
			message:
				"Sheet rows 3 and 4 have a 'parent_relationship_type' other than 'child' or 'extension' ('Child', blank)",
			description:
				"CommCare takes only the exact texts 'child' and 'extension' (a blank cell has no default) and reports such rows as 'Invalid Parent ID' (nothing from them is imported). Write 'child' or 'extension', or leave the column out for 'child'.",
			column: 'parent_relationship_type',
			rows: [3, 4],
		});
	});

	it('is an error when every row has it, quoting at most three values', () => {
		const found = finding(
			withColumn('parent_relationship_type', [' child', 'parent', 'host'], {
				dataRowCount: 4,
				values: {
					external_id: ['m1', 'm2', 'm3', 'm4'],
					name: ['A', 'B', 'C', 'D'],
					parent_external_id: ['h1', 'h1', 'h2', 'h2'],
					parent_type: ['household', 'household', 'household', 'household'],
				},
			}),
			'invalidRelationship',
		);
		// Row 5 has no cell value at all (the column's list is shorter): blank.
		expect(found).toMatchObject({ severity: 'error', rows: [2, 3, 4, 5] });
		expect(found.message).toBe(
			"Sheet rows 2, 3, 4 and 5 have a 'parent_relationship_type' other than 'child' or 'extension' (' child', 'parent', 'host' …): no row would import",
		);
	});
});

describe('extensionWithoutIdentifier', () => {
	const extensions = withColumn('parent_relationship_type', ['extension', 'extension', 'child']);

	it('is a warning for extension rows with a blank parent_identifier', () => {
		const found = finding(withColumn('parent_identifier', ['host', '', ''], extensions), 'extensionWithoutIdentifier');
		expect(found).toEqual({
			code: 'extensionWithoutIdentifier',
			severity: 'warning',
			message: "Sheet row 3 makes an extension without a 'parent_identifier'",
			description:
				"CommCare needs a name for an extension's index and reports such rows as 'Invalid Parent ID' (\"'parent_identifier' column must be provided when 'parent_relationship_type' column is set to 'extension'\"). Name the index in 'parent_identifier' (for example 'host').",
			column: 'parent_identifier',
			rows: [3],
		});
	});

	it('without the column, every extension row; an error when every row is one', () => {
		expect(finding(extensions, 'extensionWithoutIdentifier')).toMatchObject({ severity: 'warning', rows: [2, 3] });
		const everyRow = withColumn('parent_relationship_type', ['extension', 'extension', 'extension']);
		expect(finding(everyRow, 'extensionWithoutIdentifier')).toMatchObject({ severity: 'error', rows: [2, 3, 4] });
	});
});

describe('blankParentIds', () => {
	it('is a warning for rows CommCare acts on that name no parent', () => {
		const found = finding({ values: { parent_external_id: ['h1', '', null] } }, 'blankParentIds');
		expect(found).toEqual({
			code: 'blankParentIds',
			severity: 'warning',
			message: "Sheet rows 3 and 4 have no parent id in 'parent_external_id'",
			description:
				'Such rows get no parent: a case they create has none, and a case they update keeps the parent it has. Fill in the parent ids, or import such rows separately if that is intended.',
			column: 'parent_external_id',
			rows: [3, 4],
		});
		// Nothing else: a row without a parent has nothing wrong with its parent_type.
		expect(all({ values: { parent_external_id: ['h1', '', null] } }).map((f) => f.code)).toEqual(['blankParentIds']);
	});

	it('with both id columns, names both; a single row in the singular', () => {
		const found = finding(
			withColumn('parent_id', ['c-1', null, null], { values: { parent_external_id: [null, 'h1', null] } }),
			'blankParentIds',
		);
		expect(found).toMatchObject({ rows: [4], column: 'parent_id' });
		expect(found.message).toBe("Sheet row 4 has neither 'parent_id' nor 'parent_external_id'");
		expect(found.description).toMatch(
			/^Such rows get no parent: a case it creates has none, and a case it updates keeps/,
		);
	});

	it('is not raised for blank rows or rows that certainly do nothing', () => {
		// Row 3 is blank; row 4 has no external id, so CommCare reports 'Blank External ID' and never reads its parent.
		const changes: Partial<CheckInput> = {
			values: { external_id: ['m1', null, ''], name: ['A', null, 'C'], parent_external_id: ['h1', null, null] },
			blankRowNumbers: [3],
		};
		expect(findings(changes, 'blankParentIds')).toEqual([]);
		// Matching by case ID with creation off, a row without a case ID is skipped.
		const byCaseId = { ...settings, searchField: 'case_id' as const, searchColumn: 'case_id', createNewCases: false };
		const skipped: Partial<CheckInput> = {
			settings: byCaseId,
			headers: ['case_id', 'parent_id', 'parent_type'],
			values: {
				case_id: ['c1', '', 'c3'],
				parent_id: ['p1', null, 'p3'],
				parent_type: ['household', null, 'household'],
			},
		};
		expect(findings(skipped, 'blankParentIds')).toEqual([]);
		// With creation on the same row creates a case without a parent.
		expect(finding({ ...skipped, settings: { ...byCaseId, createNewCases: true } }, 'blankParentIds').rows).toEqual([
			3,
		]);
	});
});

describe('parentIdAndExternalId', () => {
	it('is a warning for rows with both ids', () => {
		const found = finding(withColumn('parent_id', ['c-1', '', 'c-3']), 'parentIdAndExternalId');
		expect(found).toEqual({
			code: 'parentIdAndExternalId',
			severity: 'warning',
			message: "Sheet rows 2 and 4 have both 'parent_id' and 'parent_external_id'",
			description:
				"CommCare looks the parent up by 'parent_id' only: 'parent_external_id' is not used, not even when no case has that 'parent_id'. Keep one of the two.",
			column: 'parent_external_id',
			rows: [2, 4],
		});
	});
});

it("parent_ref is refused, and the message says to use 'parent_identifier'", () => {
	const found = finding({ headers: [...clean.headers, 'parent_ref'] }, 'reservedHeader');
	expect(found).toMatchObject({ severity: 'error', column: 'parent_ref' });
	expect(found.description).toContain('Please use "parent_identifier" instead.');
	expect(found.description).toContain("(use 'parent_identifier' for the index name)");
});

describe('the parent columns as the reader gives them', () => {
	const columns = ['external_id', 'name', 'parent_id', 'parent_type', 'parent_relationship_type', 'parent_identifier'];

	it('asks for the five parent columns', () => {
		expect(checkedColumns(settings)).toEqual(
			expect.arrayContaining([
				'parent_id',
				'parent_external_id',
				'parent_type',
				'parent_relationship_type',
				'parent_identifier',
			]),
		);
		expect(checkedValueColumns(settings, columns)).toEqual(['external_id', 'name', ...columns.slice(2)]);
	});

	it('items: a field an item lacks is a blank cell, as written', () => {
		const items = [
			{ external_id: 'm1', name: 'A', parent_id: 'h-1', parent_type: 'household' },
			{ external_id: 'm2', name: 'B', parent_id: 'h-1' },
			{
				external_id: 'm3',
				name: 'C',
				parent_id: 'h-2',
				parent_type: 'household',
				parent_relationship_type: 'extension',
			},
		];
		const itemColumns = ['external_id', 'name', 'parent_id', 'parent_type', 'parent_relationship_type'];
		const inspection = inspectItems(items, itemColumns, {
			sheetName: 'members',
			textColumns: [],
			nestedAsJson: false,
			valueColumns: checkedValueColumns(settings, itemColumns),
			searchColumn: 'external_id',
		});
		const { errors, warnings } = runChecks({ settings, ...inspection, rowToItem: (row) => row - 2 });
		expect(errors).toEqual([]);
		expect(warnings.map((w) => [w.code, w.rows, w.items])).toEqual([
			['blankParentType', [3], [1]],
			['invalidRelationship', [2, 3], [0, 1]],
			['extensionWithoutIdentifier', [4], [2]],
		]);
	});

	it('a file: the cells as CommCare reads them', async () => {
		const workbook = new ExcelJS.Workbook();
		const sheet = workbook.addWorksheet('members');
		[
			columns,
			['m1', 'A', 'h-1', 'household', 'child', null],
			['m2', 'B', 'h-1', null, 'extension', 'host'],
			['m3', 'C', 'h-2', 'household', 'extension', null],
			['m4', 'D', null, null, null, null],
		].forEach((row, index) => (sheet.getRow(index + 1).values = row));
		const inspection = await inspectSpreadsheet(Buffer.from(await workbook.xlsx.writeBuffer()), 'xlsx', {
			valueColumns: checkedColumns(settings),
			searchColumn: 'external_id',
		});
		const { errors, warnings } = runChecks({ settings, ...inspection });
		expect(errors).toEqual([]);
		expect(warnings.map((w) => [w.code, w.rows])).toEqual([
			['blankParentType', [3]],
			['extensionWithoutIdentifier', [4]],
			['blankParentIds', [5]],
		]);
	});
});
