import { checkPlan } from '../../../../nodes/CommCareLookupTableImport/checks/tableChecks';
import type { LookupTablePlan, PlannedTable, TableRow } from '../../../../nodes/CommCareLookupTableImport/model';

const UID_A = '0123456789abcdef0123456789abcdef';

function row(index: number, values: Record<string, string>, over: Partial<TableRow> = {}): TableRow {
	return {
		sheetRow: index + 2,
		uid: '',
		delete: false,
		fields: Object.fromEntries(Object.entries(values).map(([field, value]) => [field, [{ value, properties: {} }]])),
		attributes: {},
		owners: { users: [], groups: [], locations: [] },
		...over,
	};
}

function table(
	tag: string,
	fields: string[],
	rows: TableRow[],
	over: Partial<PlannedTable['definition']> = {},
): PlannedTable {
	return {
		definition: {
			tag,
			isGlobal: true,
			fields,
			fieldProperties: {},
			indexedFields: [],
			itemAttributes: [],
			delete: false,
			...over,
		},
		rows,
		header: [],
	};
}

const plan = (...tables: PlannedTable[]): LookupTablePlan => ({ tables });
const binary = { source: 'binary', replace: false } as const;
const codes = (result: ReturnType<typeof checkPlan>) => ({
	errors: result.errors.map((finding) => finding.code),
	warnings: result.warnings.map((finding) => finding.code),
});

describe('checkPlan', () => {
	it('finds nothing in a sound table', () => {
		const result = checkPlan(plan(table('district', ['id', 'name'], [row(0, { id: 'd1', name: 'Delhi' })])), binary);
		expect(result).toEqual({ errors: [], warnings: [] });
	});

	it.each([
		['', 'is blank'],
		['xmlthings', "starts with 'xml'"],
		['2024data', 'starts with a digit'],
		['my table', 'contains a space'],
	])('refuses the table_id %j', (tag, problem) => {
		const result = checkPlan(plan(table(tag, ['id'], [row(0, { id: 'a' })])), binary);
		expect(result.errors).toEqual([
			expect.objectContaining({ code: 'invalidTableId', message: `The table_id '${tag}' ${problem}`, table: tag }),
		]);
	});

	it('refuses a table_id longer than a sheet name, named types, or listed twice (in any case)', () => {
		const long = 'a'.repeat(32);
		const result = checkPlan(
			plan(
				table(long, ['id'], [row(0, { id: 'a' })]),
				table('Types', ['id'], [row(0, { id: 'a' })]),
				table('crops', ['id'], [row(0, { id: 'a' })]),
				table('Crops', ['id'], [row(0, { id: 'a' })]),
			),
			binary,
		);
		expect(result.errors.map((finding) => finding.message)).toEqual([
			`The table_id '${long}' has 32 characters, more than 31`,
			"The table_id 'Types' is the name of the sheet that lists the tables",
			"The table_ids 'crops' and 'Crops' differ only in case",
		]);
	});

	it('refuses field names that are not names, numbers, repeats, and a table without fields', () => {
		const result = checkPlan(
			plan(
				table('t', ['ok', '12', 'first name', 'a:b', 'ok'], [row(0, { ok: 'x' })]),
				table('empty', [], [row(0, {})]),
			),
			binary,
		);
		expect(result.errors.map((finding) => [finding.code, finding.message])).toEqual([
			['invalidFieldName', "The field name '12' of 't' is a number"],
			['invalidFieldName', "The field name 'first name' of 't' contains a space"],
			['invalidFieldName', "The field name 'a:b' of 't' contains ':'"],
			['duplicateFieldName', "'t' has the field 'ok' twice"],
			['tableWithoutFields', "'empty' has no fields"],
		]);
		// A table with row properties only is allowed.
		expect(codes(checkPlan(plan(table('p', [], [row(0, {})], { itemAttributes: ['colour'] })), binary)).errors).toEqual(
			[],
		);
	});

	it('refuses duplicate UIDs; warns about UIDs CommCare cannot match and Delete without a UID', () => {
		const rows = [
			row(0, { id: 'a' }, { uid: UID_A }),
			row(1, { id: 'b' }, { uid: UID_A.toUpperCase() }),
			row(2, { id: 'c' }, { uid: UID_A }),
			row(3, { id: 'd' }, { delete: true }),
		];
		const result = checkPlan(plan(table('t', ['id'], rows)), binary);
		expect(result.errors).toEqual([
			expect.objectContaining({
				code: 'duplicateUids',
				message: "1 UID of 't' is given more than once: sheet rows 2 and 4 of 't'",
				rows: [2, 4],
				column: 'UID',
			}),
		]);
		expect(result.warnings.map((finding) => [finding.code, finding.message, finding.rows])).toEqual([
			['uidNotRecognised', "The UID in sheet row 3 of 't' is not 32 lower-case hexadecimal characters", [3]],
			['deleteWithoutUid', "sheet row 5 of 't' says Delete but has no UID: CommCare skips it", [5]],
		]);
	});

	it('names input items when the rows come from items', () => {
		const rows = [row(0, { id: 'a' }, { item: 0, uid: UID_A }), row(1, { id: 'b' }, { item: 1, uid: UID_A })];
		const [finding] = checkPlan(plan(table('t', ['id'], rows)), { source: 'items', replace: false }).errors;
		expect(finding).toEqual(
			expect.objectContaining({
				message: "1 UID of 't' is given more than once: items 1 and 2",
				items: [0, 1],
				rows: [2, 3],
			}),
		);
	});

	it('warns when a table that is not global has rows nobody owns', () => {
		const owner = { users: ['ana'], groups: [], locations: [] };
		const nobody = checkPlan(plan(table('t', ['id'], [row(0, { id: 'a' })], { isGlobal: false })), binary);
		expect(nobody.warnings).toEqual([expect.objectContaining({ code: 'noOwnerColumns', table: 't' })]);
		const some = checkPlan(
			plan(
				table(
					't',
					['id'],
					[
						row(0, { id: 'a' }, { owners: owner }),
						row(1, { id: 'b' }),
						row(2, { id: 'c' }, { delete: true, uid: UID_A }),
					],
					{ isGlobal: false },
				),
			),
			binary,
		);
		expect(some.warnings.map((finding) => [finding.code, finding.rows])).toEqual([['rowsWithoutOwners', [3]]]);
	});

	it('refuses characters a workbook cannot store, naming the column', () => {
		const result = checkPlan(plan(table('t', ['id'], [row(0, { id: 'a\u0007b' }, { item: 0 })])), {
			source: 'items',
			replace: false,
		});
		expect(result.errors).toEqual([
			expect.objectContaining({
				code: 'unstorableCharacters',
				message: "'id' of 't' holds characters a workbook cannot store (U+0007) in item 1",
				items: [0],
			}),
		]);
	});

	it('warns that Replace with no rows empties the table', () => {
		const result = checkPlan(plan(table('t', ['id'], [])), { source: 'binary', replace: true });
		expect(codes(result)).toEqual({ errors: [], warnings: ['replaceWithNoRows'] });
		expect(codes(checkPlan(plan(table('t', ['id'], [])), binary))).toEqual({ errors: [], warnings: [] });
	});

	it('counts every sheet and its header against the row limit', () => {
		const rows = Array.from({ length: 499_997 }, (_, index) => row(index, { id: 'a' }));
		expect(codes(checkPlan(plan(table('t', ['id'], rows)), binary)).errors).toEqual([]);
		rows.push(row(499_997, { id: 'a' }));
		const result = checkPlan(plan(table('t', ['id'], rows)), binary);
		expect(result.errors.map((finding) => finding.message)).toEqual([
			"The workbook would have 500,001 rows, more than CommCare's 500,000",
		]);
	});
});
