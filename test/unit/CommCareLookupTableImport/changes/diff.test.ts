/** The dry run's simulation of CommCare's upload on one table (pure logic): definitions, rows, UIDs, Replace. */
import type { CurrentRow, CurrentTable } from '../../../../nodes/CommCareLookupTableImport/current/tableReader';
import {
	MAX_LISTED_DELETED_ROWS,
	definitionChanges,
	planChanges,
} from '../../../../nodes/CommCareLookupTableImport/changes/diff';
import type { PlannedTable, TableDefinition, TableRow } from '../../../../nodes/CommCareLookupTableImport/model';

const FIELDS = ['id', 'name'];

function definition(overrides: Partial<TableDefinition> = {}): TableDefinition {
	return {
		tag: 'district',
		isGlobal: true,
		fields: FIELDS,
		fieldProperties: {},
		indexedFields: [],
		itemAttributes: [],
		delete: false,
		...overrides,
	};
}

const uidOf = (n: number) => n.toString(16).padStart(32, '0');
const values = (texts: string[]) =>
	Object.fromEntries(FIELDS.map((field, index) => [field, [{ value: texts[index] ?? '', properties: {} }]]));

/** A sent row: `[id, name]`, optionally naming a current row's UID. */
function sent(texts: string[], options: Partial<TableRow> = {}): TableRow {
	return {
		sheetRow: 0,
		uid: '',
		delete: false,
		fields: values(texts),
		attributes: {},
		owners: { users: [], groups: [], locations: [] },
		...options,
	};
}

function plan(rows: TableRow[], overrides: Partial<TableDefinition> = {}): PlannedTable {
	return {
		definition: definition(overrides),
		rows: rows.map((row, index) => ({ ...row, sheetRow: index + 2 })),
		header: [],
	};
}

/** CommCare's table with rows `d1..dn` at positions 0..n-1 and UIDs 1..n. */
function current(count: number, overrides: Partial<TableDefinition> = {}): CurrentTable {
	const { tag, isGlobal, fields, fieldProperties, itemAttributes } = definition(overrides);
	const rows: CurrentRow[] = [];
	for (let i = 0; i < count; i++) {
		rows.push({ uid: uidOf(i + 1), fields: values([`d${i + 1}`, `District ${i + 1}`]), attributes: {}, position: i });
	}
	return {
		id: 'table-1',
		definition: { tag, isGlobal, fields, fieldProperties, itemAttributes },
		rows,
		rowSource: 'items',
	};
}

/** The sent rows that reproduce `current(count)` exactly, with or without their UIDs. */
const download = (count: number, withUids = true) =>
	Array.from({ length: count }, (_, i) =>
		sent([`d${i + 1}`, `District ${i + 1}`], { uid: withUids ? uidOf(i + 1) : '' }),
	);

const counts = (changes: ReturnType<typeof planChanges>) => ({
	added: changes.added,
	updated: changes.updated,
	unchanged: changes.unchanged,
	deleted: changes.deleted,
	rowsAfter: changes.rowsAfter,
});

describe('planChanges: a table CommCare does not have', () => {
	test('every row sent is added', () => {
		const changes = planChanges(plan(download(3, false)), null, true);
		expect(changes).toMatchObject({ table: 'district', exists: false, rebuild: false, rowsNow: 0, rowsSent: 3 });
		expect(counts(changes)).toEqual({ added: 3, updated: 0, unchanged: 0, deleted: 0, rowsAfter: 3 });
		expect(changes.note).toBeUndefined();
	});

	test('deleting a table that does not exist does nothing, and says so', () => {
		const changes = planChanges(plan(download(2), { delete: true }), null, false);
		expect(counts(changes)).toEqual({ added: 0, updated: 0, unchanged: 0, deleted: 0, rowsAfter: 0 });
		expect(changes.note).toMatch(/no table 'district': there is nothing to delete/);
	});
});

describe('planChanges: the same definition, row by row', () => {
	test('re-uploading what CommCare holds changes nothing, with or without UIDs', () => {
		for (const withUids of [true, false]) {
			for (const replace of [true, false]) {
				const changes = planChanges(plan(download(5, withUids)), current(5), replace);
				expect(changes.rebuild).toBe(false);
				expect(counts(changes)).toEqual({ added: 0, updated: 0, unchanged: 5, deleted: 0, rowsAfter: 5 });
				expect(changes.deletedRows).toEqual([]);
			}
		}
	});

	test('the note says that indexing and the description cannot be compared', () => {
		const changes = planChanges(plan(download(1), { indexedFields: ['id'] }), current(1), false);
		expect(changes.note).toMatch(/does not show which fields are indexed nor a description/);
		expect(changes.note).toMatch(/indexes 'id' and has no description/);
		expect(planChanges(plan(download(1)), current(1), false).note).toMatch(/indexes no field/);
	});

	test('appending without Replace: the new rows are added, the current rows stay', () => {
		const rows = [...download(3), sent(['d4', 'District 4']), sent(['d5', 'District 5'])];
		const changes = planChanges(plan(rows), current(3), false);
		expect(counts(changes)).toEqual({ added: 2, updated: 0, unchanged: 3, deleted: 0, rowsAfter: 5 });
	});

	test('sending only new rows without Replace: nothing is deleted; the new rows take positions 0.. (no upsert)', () => {
		// Same content as current row 1 but without its UID, sent first: position 0 matches row 1 exactly.
		const changes = planChanges(plan([sent(['d1', 'District 1']), sent(['x', 'New'])]), current(3), false);
		expect(counts(changes)).toEqual({ added: 1, updated: 0, unchanged: 1, deleted: 0, rowsAfter: 4 });
		// Sent second, the same content sits at another position: a duplicate row is created.
		const moved = planChanges(plan([sent(['x', 'New']), sent(['d1', 'District 1'])]), current(3), false);
		expect(counts(moved)).toEqual({ added: 2, updated: 0, unchanged: 0, deleted: 0, rowsAfter: 5 });
	});

	test('Replace deletes every current row the upload does not reproduce, and lists them in table order', () => {
		const rows = download(10).filter((_, i) => i % 2 === 0); // rows 1, 3, 5, 7, 9 with their UIDs
		const changes = planChanges(plan(rows), current(10), true);
		expect(counts(changes)).toEqual({ added: 0, updated: 0, unchanged: 5, deleted: 5, rowsAfter: 5 });
		expect(changes.deletedRows.map((row) => row.uid)).toEqual([2, 4, 6, 8, 10].map(uidOf));
		expect(changes.deletedRows[0]).toEqual({ uid: uidOf(2), fields: { id: 'd2', name: 'District 2' } });
		expect(changes.deletedRowsListed).toBe(5);
		const kept = planChanges(plan(rows), current(10), false);
		expect(counts(kept)).toEqual({ added: 0, updated: 0, unchanged: 5, deleted: 0, rowsAfter: 10 });
	});

	test('without UIDs, a row left out shifts every later row: they are recreated, the old ones deleted (Replace)', () => {
		const rows = download(4, false).filter((_, i) => i !== 1); // d1, d3, d4 at positions 0, 1, 2
		const changes = planChanges(plan(rows), current(4), true);
		expect(counts(changes)).toEqual({ added: 2, updated: 0, unchanged: 1, deleted: 3, rowsAfter: 3 });
	});

	test('with UIDs, a row left out keeps the later rows at their old positions', () => {
		const rows = download(4).filter((_, i) => i !== 1);
		const changes = planChanges(plan(rows), current(4), true);
		expect(counts(changes)).toEqual({ added: 0, updated: 0, unchanged: 3, deleted: 1, rowsAfter: 3 });
	});

	test('an edited row with its UID replaces that row (updated: a new UID), with or without Replace', () => {
		const rows = download(3);
		rows[1] = sent(['d2', 'Renamed'], { uid: uidOf(2) });
		for (const replace of [false, true]) {
			const changes = planChanges(plan(rows), current(3), replace);
			expect(counts(changes)).toEqual({ added: 0, updated: 1, unchanged: 2, deleted: 0, rowsAfter: 3 });
			expect(changes.deletedRows).toEqual([]);
		}
	});

	test('an edited row without its UID is added; the old row stays without Replace, goes with it', () => {
		const rows = download(3);
		rows[1] = sent(['d2', 'Renamed']);
		expect(counts(planChanges(plan(rows), current(3), false))).toEqual({
			added: 1,
			updated: 0,
			unchanged: 2,
			deleted: 0,
			rowsAfter: 4,
		});
		expect(counts(planChanges(plan(rows), current(3), true))).toEqual({
			added: 1,
			updated: 0,
			unchanged: 2,
			deleted: 1,
			rowsAfter: 3,
		});
	});

	test('an unknown UID creates a new row', () => {
		const changes = planChanges(plan([...download(2), sent(['d9', 'Nine'], { uid: uidOf(99) })]), current(2), false);
		expect(counts(changes)).toEqual({ added: 1, updated: 0, unchanged: 2, deleted: 0, rowsAfter: 3 });
	});

	test('Delete(Y/N) = Y with a known UID deletes the row even without Replace; unknown or no UID: nothing', () => {
		const rows = download(4);
		rows[1] = { ...rows[1], delete: true };
		rows.push(sent(['zz', 'Gone'], { uid: uidOf(77), delete: true }), sent(['zz', 'Skipped'], { delete: true }));
		const changes = planChanges(plan(rows), current(4), false);
		expect(changes.rowsSent).toBe(3);
		expect(counts(changes)).toEqual({ added: 0, updated: 0, unchanged: 3, deleted: 1, rowsAfter: 3 });
		expect(changes.deletedRows.map((row) => row.uid)).toEqual([uidOf(2)]);
	});

	test('a deleted row still counts for the positions of the rows after it (without UIDs)', () => {
		// CommCare gives a row the index of its data row, deleted rows included: d3 sent third stays at position 2.
		const rows = [
			sent(['d1', 'District 1']),
			sent(['', ''], { uid: uidOf(2), delete: true }),
			sent(['d3', 'District 3']),
		];
		const changes = planChanges(plan(rows), current(3), false);
		expect(counts(changes)).toEqual({ added: 0, updated: 0, unchanged: 2, deleted: 1, rowsAfter: 2 });
	});

	test('a known UID keeps its old position only while positions still increase', () => {
		// Row 3 sent first keeps position 2; row 1 after it must take position 3, so it is recreated.
		const rows = [sent(['d3', 'District 3'], { uid: uidOf(3) }), sent(['d1', 'District 1'], { uid: uidOf(1) })];
		const changes = planChanges(plan(rows), current(3), true);
		expect(counts(changes)).toEqual({ added: 0, updated: 1, unchanged: 1, deleted: 1, rowsAfter: 2 });
		expect(changes.deletedRows.map((row) => row.uid)).toEqual([uidOf(2)]);
	});

	test('row attributes and field properties are part of a row; their order is not', () => {
		const table = current(1, { itemAttributes: ['level'] });
		table.rows![0].attributes = { level: '1', zone: 'a' };
		table.rows![0].fields.name = [{ value: 'District 1', properties: { lang: 'en', script: 'latin' } }];
		const same = sent(['d1', 'District 1'], { uid: uidOf(1), attributes: { zone: 'a', level: '1' } });
		same.fields.name = [{ value: 'District 1', properties: { script: 'latin', lang: 'en' } }];
		const planned = plan([same], { itemAttributes: ['level'] });
		expect(counts(planChanges(planned, table, true))).toMatchObject({ unchanged: 1, updated: 0 });
		const edited = plan([{ ...same, attributes: { level: '2', zone: 'a' } }], { itemAttributes: ['level'] });
		expect(counts(planChanges(edited, table, true))).toMatchObject({ unchanged: 0, updated: 1 });
	});

	test('a duplicate UID: the first copy keeps the row, the second replaces it', () => {
		const rows = [...download(2), sent(['d2', 'Copy'], { uid: uidOf(2) })];
		const changes = planChanges(plan(rows), current(2), false);
		expect(counts(changes)).toEqual({ added: 0, updated: 1, unchanged: 1, deleted: 0, rowsAfter: 2 });
	});

	test('current rows not read: the definition is still compared, the row counts are unknown', () => {
		const table = { ...current(3), rows: null, rowSource: null };
		const changes = planChanges(plan(download(3)), table, true);
		expect(changes.rowsNow).toBeNull();
		expect(counts(changes)).toEqual({ added: null, updated: null, unchanged: null, deleted: null, rowsAfter: null });
		expect(changes.note).toMatch(/current rows were not read/);
		expect(planChanges(plan(download(3), { isGlobal: false }), table, false).rebuild).toBe(true);
	});
});

describe('planChanges: a changed definition rebuilds the table', () => {
	test('a field order change: every current row is deleted and every row sent is created, even without Replace', () => {
		const changes = planChanges(plan(download(1), { fields: ['name', 'id'] }), current(4), false);
		expect(changes.rebuild).toBe(true);
		expect(changes.rebuildReasons).toEqual(['fields: order changes (id, name → name, id)']);
		expect(counts(changes)).toEqual({ added: 1, updated: 0, unchanged: 0, deleted: 4, rowsAfter: 1 });
		expect(changes.deletedRows.map((row) => row.uid)).toEqual([1, 2, 3, 4].map(uidOf));
		// Content and position equal an old row: CommCare's code keeps it as the old row, which the rebuild deletes.
		expect(changes.rowsAtRisk).toBe(1);
		expect(changes.note).toMatch(/1 of the rows sent equal a current row .* may be missing afterwards/);
	});

	test('each kind of difference is named', () => {
		const now = current(0, { fieldProperties: { name: ['lang'] }, itemAttributes: ['level'] }).definition;
		const reasons = definitionChanges(
			definition({ isGlobal: false, fields: ['id', 'name', 'code'], fieldProperties: { name: ['lang', 'script'] } }),
			now,
		);
		expect(reasons).toEqual([
			'it becomes owned (is_global? no)',
			"fields: 'code' added",
			"properties of field 'name': 'script' added",
			"row attributes: 'level' removed",
		]);
		expect(definitionChanges(definition({ fields: ['id'] }), now)).toContain("fields: 'name' removed");
		expect(
			definitionChanges(definition({ fieldProperties: { name: ['lang'] }, itemAttributes: ['level'] }), now),
		).toEqual([]);
	});

	test('a rebuild with nothing equal has no rows at risk', () => {
		const rows = [sent(['x1', 'X']), sent(['x2', 'Y'])];
		const changes = planChanges(plan(rows, { isGlobal: false }), current(3), true);
		expect(counts(changes)).toEqual({ added: 2, updated: 0, unchanged: 0, deleted: 3, rowsAfter: 2 });
		expect(changes.rowsAtRisk).toBeUndefined();
		expect(changes.note).not.toMatch(/may be missing/);
	});
});

describe('planChanges: deleting the table', () => {
	test('Delete(Y/N) = Y on the types row deletes every row; nothing is sent', () => {
		const changes = planChanges(plan(download(2), { delete: true }), current(3), false);
		expect(changes).toMatchObject({ tableDeleted: true, rowsNow: 3, rowsSent: 0, rebuild: false });
		expect(counts(changes)).toEqual({ added: 0, updated: 0, unchanged: 0, deleted: 3, rowsAfter: 0 });
		expect(changes.note).toMatch(/deleted with all its rows/);
	});
});

describe('planChanges: size', () => {
	// Its speed is measured by the benchmark (npm run bench -- --only lookupTableReplaceSame), not timed here.
	test('50,000 rows: a no-op, and a Replace keeping half, the rows that go listed up to the cap', () => {
		const size = 50_000;
		const table = current(size);
		const rows = download(size, false);
		const same = planChanges(plan(rows), table, true);
		const half = planChanges(plan(rows.slice(0, size / 2)), table, true);
		expect(counts(same)).toEqual({ added: 0, updated: 0, unchanged: size, deleted: 0, rowsAfter: size });
		expect(half.deleted).toBe(size / 2);
		expect(half.deletedRows).toHaveLength(MAX_LISTED_DELETED_ROWS);
		expect(half.deletedRowsListed).toBe(MAX_LISTED_DELETED_ROWS);
		expect(half.deletedRows[0].uid).toBe(uidOf(size / 2 + 1));
	});
});
