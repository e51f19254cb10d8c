/**
 * The Lookup Table Import's workbooks, held to the reader CommCare uses for lookup tables (openpyxl, read-only, data
 * only): every sheet carries its size, every row reads back full width even without padding, and every cell holds
 * exactly the text the plan says CommCare stores.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

import type { LookupTablePlan } from '../../nodes/CommCareLookupTableImport/model';
import { tableFromItems } from '../../nodes/CommCareLookupTableImport/sources/itemsTable';
import { dataSheetLayout, typesHeader, typesRowCells } from '../../nodes/CommCareLookupTableImport/workbook/layout';
import { readTableWorkbook } from '../../nodes/CommCareLookupTableImport/workbook/reader';
import { writeTableWorkbook } from '../../nodes/CommCareLookupTableImport/workbook/writer';
import { conformanceSuite } from './python';

/**
 * Per sheet: its title, the dimension openpyxl reads (it raises when a sheet has none), and its rows twice: as
 * written (dimension ignored, so no padding: each row as long as its cells), and with values as CommCare's fixture
 * reader stores them (None → '', text stripped, anything else str()).
 */
const READ_SHEETS = `
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
out = []
for ws in wb.worksheets:
    dimension = ws.calculate_dimension()
    ws.reset_dimensions()
    raw = [[c.value for c in row] for row in ws.iter_rows()]
    stored = [['' if v is None else (v.strip() if isinstance(v, str) else str(v)) for v in row] for row in raw]
    types = sorted({type(v).__name__ for row in raw for v in row})
    out.append({'title': ws.title, 'dimension': dimension, 'widths': [len(r) for r in raw], 'stored': stored, 'types': types})
print(json.dumps(out))
`;

interface ReadSheet {
	title: string;
	dimension: string;
	widths: number[];
	stored: string[][];
	types: string[];
}

conformanceSuite('lookup-table workbooks read by openpyxl', (python) => {
	let folder: string;
	beforeAll(() => (folder = mkdtempSync(path.join(os.tmpdir(), 'lookup-conformance-'))));
	afterAll(() => rmSync(folder, { recursive: true, force: true }));

	const read = (file: string) =>
		JSON.parse(execFileSync(python, ['-c', READ_SHEETS, file]).toString('utf8')) as ReadSheet[];

	it('every row of every sheet reads full width, as text, with the values the plan holds', async () => {
		const { table } = tableFromItems(
			[
				{
					id: '007',
					name: ' Delhi ',
					flag: true,
					small: 0.00005,
					big: 12345678901234567890,
					when: new Date(Date.UTC(2024, 2, 5)),
					user: ['ana', 'ben'],
				},
				{ id: 'd2', name: '', flag: false, small: null, big: 5, when: null, user: 'ana' },
				{ id: 'TRUE', name: '<b>&</b>', flag: null, small: 1, big: -0, when: null, user: [] },
			],
			{ tag: 'district', fields: null, ownership: 'owned', ownerFields: { user: 'user', group: '', location: '' } },
		);
		const plan: LookupTablePlan = { tables: [table] };
		const file = path.join(folder, 'items.xlsx');
		await writeTableWorkbook(plan, file);
		const [types, data] = read(file);
		const layout = dataSheetLayout(table);
		expect(types).toEqual({
			title: 'types',
			dimension: 'A1:I2',
			widths: [9, 9],
			stored: [typesHeader([table.definition]), typesRowCells(table.definition, [table.definition])],
			types: ['str'],
		});
		expect(data.title).toBe('district');
		expect(data.dimension).toBe(`A1:J4`);
		expect(data.widths).toEqual([10, 10, 10, 10]);
		// Blank cells are read as None (empty texts); everything else as text.
		expect(data.types).toEqual(['NoneType', 'str']);
		expect(data.stored).toEqual([layout.header, ...table.rows.map(layout.cellsOf)]);
		expect(data.stored[1]).toEqual([
			'',
			'N',
			'007',
			'Delhi',
			'true',
			'0.00005',
			'12345678901234567000',
			'2024-03-05T00:00:00.000Z',
			'ana',
			'ben',
		]);
	});

	it('a workbook written from a plan reads back (openpyxl and our reader) as the same plan', async () => {
		const { table } = tableFromItems(
			[
				{ code: 'a', label: 'Alpha' },
				{ code: 'b', label: 'Beta' },
			],
			{ tag: 'codes', fields: null, ownership: 'global', ownerFields: { user: '', group: '', location: '' } },
		);
		const file = path.join(folder, 'round.xlsx');
		await writeTableWorkbook({ tables: [table] }, file);
		const [, data] = read(file);
		const { plan, findings } = await readTableWorkbook(readFileSync(file));
		expect(findings).toEqual([]);
		expect(plan.tables[0].rows.map((row) => [row.fields.code[0].value, row.fields.label[0].value])).toEqual(
			data.stored.slice(1).map((row) => [row[2], row[3]]),
		);
	});
});
