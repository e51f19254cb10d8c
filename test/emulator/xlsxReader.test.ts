/**
 * The emulator's import of `.xlsx` files read as CommCare HQ reads them (docs/commcare-api.md §6.1a), driven over
 * HTTP: short rows and missing rows without a dimension, the KeyError that fails the whole import (chunks already
 * submitted stay), keys that are missing leave properties unchanged, Python's numbers, HQ's last row, and the two
 * forms of an external id. How the emulator reads each cell is held to the real openpyxl in test/conformance/.
 */
import { type Emulator } from '../../emulator';
import { pollUntilDone, postUpload, type StatusBody, useEmulator } from '../support/emulator';
import { handMadeXlsx } from '../conformance/corpus';

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 0, runningPolls: 0 } });

const text = (ref: string, value: string) => `<c r="${ref}" t="str"><v>${value}</v></c>`;
const number = (ref: string, value: string) => `<c r="${ref}"><v>${value}</v></c>`;
const HEADER = `<row r="1">${text('A1', 'name')}${text('B1', 'village')}${text('C1', 'external_id')}</row>`;

async function importSheet(sheetData: string, options: { dimension?: string } = {}): Promise<StatusBody> {
	const answer = await postUpload(emulator, {
		file: { name: 'cases.xlsx', data: await handMadeXlsx({ sheetData, dimension: options.dimension }) },
		fields: {
			case_type: 'patient',
			search_field: 'external_id',
			search_column: 'external_id',
			create_new_cases: 'on',
		},
	});
	if (answer.status !== 200) throw new Error(`upload answered ${answer.status}: ${answer.text}`);
	const seen = await pollUntilDone(emulator, (JSON.parse(answer.text) as { status_url: string }).status_url);
	return seen[seen.length - 1];
}

const row = (n: number, name: string, village: string | null, id: string | null) =>
	`<row r="${n}">${text(`A${n}`, name)}${village === null ? '' : text(`B${n}`, village)}${id === null ? '' : text(`C${n}`, id)}</row>`;

describe('a row without the ID column’s cell fails the whole import (KeyError)', () => {
	it('a short row, without a dimension', async () => {
		const status = await importSheet(`${HEADER}${row(2, 'Asha', 'Kibera', 'X1')}${row(3, 'Baraka', 'Mathare', null)}`);
		expect(status).toEqual({
			state: 3,
			progress: { percent: 100 },
			result: {
				match_count: null,
				created_count: null,
				num_chunks: null,
				errors: [{ title: null, description: "'external_id'", column: null, rows: [] }],
			},
		});
		// Row 2 waited in the unsubmitted chunk: nothing reached the cases.
		expect(emulator.cases.all()).toEqual([]);
	});

	it('a missing row in the middle, without a dimension; with one, it is a blank row and skipped', async () => {
		const rows = `${HEADER}${row(2, 'Asha', 'Kibera', 'X1')}${row(4, 'Baraka', 'Mathare', 'X3')}`;
		expect((await importSheet(rows)).state).toBe(3);
		emulator.reset();
		expect((await importSheet(rows, { dimension: 'A1:C4' })).result).toEqual({
			match_count: 0,
			created_count: 2,
			num_chunks: 1,
			errors: [],
		});
	});

	it('keeps the chunks already submitted (100 rows each): rows 2-101 stay, 102 on are not imported', async () => {
		const rows = Array.from({ length: 120 }, (_, i) => row(i + 2, `P${i}`, 'V', `X${i}`)).join('');
		const status = await importSheet(`${HEADER}${rows}${row(122, 'Short', 'V', null)}`);
		expect(status.state).toBe(3);
		expect(emulator.cases.all()).toHaveLength(100);
		expect(emulator.cases.withExternalId('demo', 'X99')).toHaveLength(1);
		expect(emulator.cases.withExternalId('demo', 'X100')).toHaveLength(0);
	});
});

describe('other missing keys leave the property unchanged; present empty cells clear it', () => {
	it('a row that ends before `village` keeps it; a row with an empty `village` cell clears it', async () => {
		emulator.cases.add('demo', {
			case_type: 'patient',
			name: 'A',
			external_id: 'X1',
			properties: { village: 'Kibera' },
		});
		emulator.cases.add('demo', {
			case_type: 'patient',
			name: 'B',
			external_id: 'X2',
			properties: { village: 'Mathare' },
		});
		// external_id first, so that a short row still has its ID.
		const header = `<row r="1">${text('A1', 'external_id')}${text('B1', 'name')}${text('C1', 'village')}</row>`;
		const status = await importSheet(
			`${header}<row r="2">${text('A2', 'X1')}${text('B2', 'A')}</row><row r="3">${text('A3', 'X2')}${text('B3', 'B')}<c r="C3"/></row>`,
		);
		expect(status.result).toMatchObject({ match_count: 2, created_count: 0, errors: [] });
		expect(emulator.cases.withExternalId('demo', 'X1')[0].properties.village).toBe('Kibera');
		expect(emulator.cases.withExternalId('demo', 'X2')[0].properties.village).toBe('');
	});
});

describe("values as openpyxl gives them, then Python's str()", () => {
	it('ints exactly (any size), floats by repr; a 20-digit id is looked for as a double holds it', async () => {
		const header = `<row r="1">${text('A1', 'external_id')}${text('B1', 'dose')}${text('C1', 'count')}</row>`;
		await importSheet(
			`${header}<row r="2">${number('A2', '12345678901234567890')}${number('B2', '0.00005')}${number('C2', '30.0')}</row>`,
		);
		const [created] = emulator.cases.all('demo');
		expect(created.properties).toEqual({ dose: '5e-05', count: '30.0' });
		// Created with the cell's own text; the next import of the same row looks for '12345678901234567168'.
		expect(created.external_id).toBe('12345678901234567890');
	});

	it("creates a case with the id as written ('00123'), which the next import (looking for '123') does not find", async () => {
		const rows = `${HEADER}${row(2, 'Asha', 'Kibera', '00123')}`;
		await importSheet(rows);
		await importSheet(rows);
		expect(emulator.cases.all('demo').map((found) => found.external_id)).toEqual(['00123', '00123']);
		// A case that carries '123' is the one both would have found, and the update writes '00123' to it.
		emulator.reset();
		emulator.cases.add('demo', { case_type: 'patient', name: 'Old', external_id: '123' });
		const status = await importSheet(rows);
		expect(status.result).toMatchObject({ match_count: 1, created_count: 0 });
		expect(emulator.cases.all('demo').map((found) => found.external_id)).toEqual(['00123']);
	});

	it('does not read a last row holding only zeros and false (HQ counts rows up to the last truthy value)', async () => {
		const header = `<row r="1">${text('A1', 'external_id')}${text('B1', 'count')}</row>`;
		const status = await importSheet(
			`${header}<row r="2">${text('A2', 'X1')}${number('B2', '3')}</row><row r="3"><c r="A3"/>${number('B3', '0')}</row>`,
		);
		expect(status.result).toMatchObject({ created_count: 1, errors: [] });
	});

	it('answers an HTML 500 for a cell openpyxl cannot read (nothing in HQ catches it)', async () => {
		const answer = await postUpload(emulator, {
			file: {
				name: 'cases.xlsx',
				data: await handMadeXlsx({ sheetData: `${HEADER}<row r="2">${number('A2', 'abc')}</row>` }),
			},
			fields: { case_type: 'patient', search_field: 'external_id', search_column: 'external_id' },
		});
		expect(answer.status).toBe(500);
		expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
		expect(emulator.imports.size).toBe(0);
	});
});
