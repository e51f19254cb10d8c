/**
 * Source "Lookup Table Workbook" against the emulator: a workbook as CommCare HQ downloads it, with several tables,
 * is read, checked and sent as it is; one with a blank row among its data is refused before anything is sent, since
 * CommCare would stop reading there (and with Replace delete every row after it).
 */
import type { INodeExecutionData } from 'n8n-workflow';

import { byName } from '../../../examples/workflows';
import type { Emulator } from '../../../emulator';
import { CommCareLookupTableImport } from '../../../nodes/CommCareLookupTableImport/CommCareLookupTableImport.node';
import { emulatorCredential, useEmulator, xlsxFile, type SheetRows } from '../../support/emulator';
import { runNode } from '../../support/n8nContext';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const TYPES: SheetRows = [
	['Delete(Y/N)', 'table_id', 'is_global?', 'field 1', 'field 2'],
	['N', 'district', 'yes', 'code', 'name'],
	['N', 'village', 'yes', 'code', 'district'],
];
const DISTRICTS: SheetRows = [
	['UID', 'Delete(Y/N)', 'field: code', 'field: name'],
	['', 'N', 'ksm', 'Kisumu'],
	['', 'N', 'nbo', 'Nairobi'],
];
const VILLAGES: SheetRows = [
	['UID', 'Delete(Y/N)', 'field: code', 'field: district'],
	['', 'N', 'kib', 'nbo'],
	['', 'N', 'mat', 'nbo'],
	['', 'N', 'kon', 'ksm'],
];

async function run(workbook: Buffer, parameters: Record<string, unknown> = {}): Promise<INodeExecutionData[][]> {
	const { outputs } = await runNode({
		node: new CommCareLookupTableImport(),
		credentials: emulatorCredential(emulator),
		items: [
			{
				json: {},
				binary: {
					data: {
						data: workbook.toString('base64'),
						mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
						fileName: 'tables.xlsx',
					},
				},
			},
		],
		parameters: { projectSpace: byName(emulator.domain), source: 'binary', ...parameters },
	});
	return outputs;
}

const values = (tag: string) =>
	emulator.lookupTables.rows(emulator.domain, tag).map((row) => Object.values(row.fields).map((list) => list[0].value));

test('a workbook with two tables lands as it is: both tables, every row, the file sent byte for byte', async () => {
	const workbook = await xlsxFile({ types: TYPES, district: DISTRICTS, village: VILLAGES });

	const [success] = await run(workbook);

	expect(success[0].json).toMatchObject({
		outcome: 'success',
		tables: ['district', 'village'],
		rowsSent: 5,
		fileName: 'tables.xlsx',
		rowsAfter: { district: 2, village: 3 },
	});
	expect(values('district')).toEqual([
		['ksm', 'Kisumu'],
		['nbo', 'Nairobi'],
	]);
	expect(values('village')).toEqual([
		['kib', 'nbo'],
		['mat', 'nbo'],
		['kon', 'ksm'],
	]);
	expect(emulator.lookupTableUploads[0].file?.equals(workbook)).toBe(true);
});

test('a blank row among the data is refused, naming the sheet and the row; nothing is sent', async () => {
	emulator.lookupTables.seed(emulator.domain, {
		tag: 'village',
		fields: ['code', 'district'],
		rows: VILLAGES.slice(1).map(([, , code, district]) => ({
			fields: { code: String(code), district: String(district) },
		})),
	});
	const withGap = [...VILLAGES.slice(0, 2), ['', '', '', ''], ...VILLAGES.slice(2)];
	const workbook = await xlsxFile({ types: [TYPES[0], TYPES[2]], village: withGap });

	const outputs = run(workbook, { replace: true });

	await expect(outputs).rejects.toThrow(/^'tables\.xlsx' \(item 1\) was not uploaded: .*village.*row 3/);
	expect(emulator.lookupTableUploads).toEqual([]);
	expect(values('village')).toHaveLength(3);
});
