/**
 * Sample records of a community health programme (antenatal care registrations), as a Google Sheet of
 * registrations would give them to n8n: one item per row, `row_number` included (Google Sheets adds it). A few
 * carry the mistakes real sheets have, so the demo shows rows CommCare refuses or skips (Warning) next to the
 * imported ones (Success). Error is for an import that fails as a whole, which these rows do not cause.
 */
export interface RegistrationRecord {
	row_number: number;
	external_id: string;
	name: string;
	age: number | '';
	village: string;
	phone: string;
	expected_delivery: string;
	risk_level: string;
	owner_id: string;
	/** The sheet's result columns, filled in by the workflow after the import (empty before). */
	import_status: string;
	import_error: string;
}

/** Project space, case type and the id column of the demo (the emulator's default project knows these). */
export const DEMO_IMPORT = { projectSpace: 'demo', caseType: 'patient', searchField: 'external_id' } as const;

/** A registration imported last month: its row in the sheet now updates this case instead of creating one. */
export const EXISTING_CASE = {
	case_type: DEMO_IMPORT.caseType,
	external_id: 'ANC-0003',
	name: 'Fatuma Hassan',
	owner_id: 'owner-chw-2',
	properties: {
		age: '28',
		village: 'Kibera',
		phone: '+254 700 000 303',
		expected_delivery: '2026-04-02',
		risk_level: 'low',
	},
};

/** Why a sample record is there, by its row (`row_number`); the demo prints it next to the outcome. */
export const MISTAKES: Record<number, string> = {
	5: 'owner_id names a health worker who is not in the project',
	6: 'the programme ID (external_id) is missing',
	8: 'an empty row left in the sheet',
};

export const SAMPLE_RECORDS: RegistrationRecord[] = [
	{
		row_number: 2,
		external_id: 'ANC-0001',
		name: 'Amina Yusuf',
		age: 24,
		village: 'Kibera',
		phone: '+254 700 000 101',
		expected_delivery: '2026-03-14',
		risk_level: 'low',
		owner_id: 'owner-chw-1',
		import_status: '',
		import_error: '',
	},
	{
		row_number: 3,
		external_id: 'ANC-0002',
		name: 'Grace Wanjiru',
		age: 31,
		village: 'Mathare',
		phone: '+254 700 000 202',
		expected_delivery: '2026-05-21',
		risk_level: 'high',
		owner_id: 'owner-chw-1',
		import_status: '',
		import_error: '',
	},
	{
		row_number: 4,
		external_id: 'ANC-0003',
		name: 'Fatuma Hassan',
		age: 28,
		village: 'Kibera',
		phone: '+254 700 000 303',
		expected_delivery: '2026-04-02',
		// Changed since last month's import: this row updates the existing case.
		risk_level: 'high',
		owner_id: 'owner-chw-2',

		import_status: '',
		import_error: '',
	},
	{
		row_number: 5,
		external_id: 'ANC-0004',
		name: 'Mary Achieng',
		age: 19,
		village: 'Kawangware',
		phone: '+254 700 000 404',
		expected_delivery: '2026-06-30',
		risk_level: 'medium',
		owner_id: 'chw-not-in-project',

		import_status: '',
		import_error: '',
	},
	{
		row_number: 6,
		external_id: '',
		name: 'Esther Njeri',
		age: 35,
		village: 'Mathare',
		phone: '+254 700 000 505',
		expected_delivery: '2026-02-11',
		risk_level: 'high',
		owner_id: 'owner-chw-2',

		import_status: '',
		import_error: '',
	},
	{
		row_number: 7,
		external_id: 'ANC-0006',
		name: 'Lucy Akinyi',
		age: 22,
		village: 'Kawangware',
		phone: '+254 700 000 606',
		expected_delivery: '2026-07-09',
		risk_level: 'low',
		owner_id: 'group-district-a',

		import_status: '',
		import_error: '',
	},
	{
		row_number: 8,
		external_id: '',
		name: '',
		age: '',
		village: '',
		phone: '',
		expected_delivery: '',
		risk_level: '',
		owner_id: '',

		import_status: '',
		import_error: '',
	},
];
