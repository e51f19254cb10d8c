/**
 * The lookup-table benchmark's input (`lookupTableCases.ts` runs it): a facility list of ten fields, one input item
 * a row, as a Google Sheets or Postgres read gives it: ids, names, districts and villages, a phone number, and
 * numbers (beds, coordinates) the node writes as text. Values come from `makeRows`, so they are the same on every run
 * and machine; every row has a unique `facility_id` and no row is blank. Pure: no emulator, no node.
 * Size: `npm run bench -- --table-rows N` (default 50,000 rows).
 */
import type { IDataObject } from 'n8n-workflow';

import { makeRows } from './data';

export const DEFAULT_TABLE_ROWS = 50_000;
/** The environment variable `run.ts --table-rows N` sets for the cases' processes. */
export const TABLE_ROWS_VARIABLE = 'COMMCARE_BENCH_TABLE_ROWS';
/** The table the cases upload into (new in each case's emulator). */
export const FACILITY_TABLE = 'facility_list';
export const FACILITY_FIELDS = [
	'facility_id',
	'name',
	'facility_type',
	'district',
	'village',
	'in_charge',
	'phone',
	'beds',
	'latitude',
	'longitude',
];

const FACILITY_TYPES = ['Dispensary', 'Health Centre', 'Clinic', 'Sub-County Hospital'];

/** The number of rows the cases use: `COMMCARE_BENCH_TABLE_ROWS`, or the default. */
export function tableRowCount(env: NodeJS.ProcessEnv = process.env): number {
	const raw = env[TABLE_ROWS_VARIABLE];
	if (raw === undefined || raw === '') return DEFAULT_TABLE_ROWS;
	const count = Number(raw);
	if (!Number.isInteger(count) || count < 1) throw new Error(`${TABLE_ROWS_VARIABLE} must be a positive integer`);
	return count;
}

/** `count` facility rows, fields in FACILITY_FIELDS order. */
export function facilityRows(count: number): IDataObject[] {
	return makeRows(count, 20240501).map((row, index) => {
		const type = FACILITY_TYPES[index % FACILITY_TYPES.length];
		return {
			facility_id: `FAC-${String(index + 1).padStart(6, '0')}`,
			name: `${String(row.village)} ${type} ${index + 1}`,
			facility_type: type,
			district: row.district,
			village: row.village,
			in_charge: row.name,
			phone: row.phone,
			beds: (row.household_size as number) * (type === 'Sub-County Hospital' ? 20 : 2),
			latitude: row.latitude,
			longitude: row.longitude,
		};
	});
}
