/**
 * The lookup-table benchmark's input (bench/lookupTables.ts): its size from the environment, and a facility list the
 * node takes as it is (ten fields, unique ids, no finding that would route the run to Warning or Error).
 */
import {
	DEFAULT_TABLE_ROWS,
	FACILITY_FIELDS,
	FACILITY_TABLE,
	facilityRows,
	tableRowCount,
	TABLE_ROWS_VARIABLE,
} from '../../../bench/lookupTables';
import { tableFromItems } from '../../../nodes/CommCareLookupTableImport/sources/itemsTable';

describe('tableRowCount', () => {
	it('is the default without the variable, the variable when it is a positive integer', () => {
		expect(tableRowCount({})).toBe(DEFAULT_TABLE_ROWS);
		expect(tableRowCount({ [TABLE_ROWS_VARIABLE]: '' })).toBe(DEFAULT_TABLE_ROWS);
		expect(tableRowCount({ [TABLE_ROWS_VARIABLE]: '6000' })).toBe(6000);
	});

	it.each(['0', '-3', '2.5', 'many'])('refuses %s', (raw) => {
		expect(() => tableRowCount({ [TABLE_ROWS_VARIABLE]: raw })).toThrow(TABLE_ROWS_VARIABLE);
	});
});

describe('facilityRows', () => {
	const rows = facilityRows(2000);

	it('gives ten fields per row, in order, with unique facility ids, the same on every call', () => {
		expect(rows).toHaveLength(2000);
		for (const row of rows) expect(Object.keys(row)).toEqual(FACILITY_FIELDS);
		expect(new Set(rows.map((row) => row.facility_id)).size).toBe(2000);
		expect(rows[41]).toEqual(facilityRows(42)[41]);
		expect(rows[0].facility_id).toBe('FAC-000001');
	});

	it('mixes texts and numbers, as a sheet or database read gives them', () => {
		expect(typeof rows[0].name).toBe('string');
		for (const field of ['beds', 'latitude', 'longitude']) expect(typeof rows[0][field]).toBe('number');
	});

	it('makes a global table the node sends without a finding, every number as its text', () => {
		const { table, findings } = tableFromItems(rows, {
			tag: FACILITY_TABLE,
			fields: null,
			ownership: 'global',
			ownerFields: { user: '', group: '', location: '' },
		});
		expect(findings).toEqual([]);
		expect(table.definition.fields).toEqual(FACILITY_FIELDS);
		expect(table.definition.isGlobal).toBe(true);
		expect(table.rows).toHaveLength(2000);
		expect(table.rows[0].fields.latitude).toEqual([{ value: String(rows[0].latitude), properties: {} }]);
		expect(table.rows[0].fields.beds[0].value).toBe(String(rows[0].beds));
	});
});
