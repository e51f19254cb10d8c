/**
 * CommCare Lookup Table Import on input items against the emulator: a table lands exactly as sent and reads back
 * equal through CommCare's read API; the result is routed by CommCare's code; uploads are awaited one at a time.
 */
import type { Emulator } from '../../../emulator';
import { apiKeyHeader, send, useEmulator } from '../../support/emulator';
import { lookupTableImportOutputs } from '../../support/nodeRuns';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const FACILITIES = [
	{ facility_id: 'F-001', name: 'Kisumu Health Centre', district: 'Kisumu', beds: 12, open: true },
	{ facility_id: 'F-002', name: 'Nairobi West Clinic', district: 'Nairobi', beds: 0.5, open: false },
	{ facility_id: 'F-003', name: '  Mathare Dispensary ', district: 'Nairobi', beds: 1e21, open: null },
];

/** What CommCare's fixture API answers for a table: its rows' values, in order. */
async function readBack(tag: string): Promise<Array<Record<string, unknown>>> {
	const url = `${emulator.baseUrl}/a/${emulator.domain}/api/fixture/v1/?fixture_type=${tag}`;
	const answer = await send(url, { headers: { ...apiKeyHeader(emulator), Accept: 'application/json' } });
	expect(answer.status).toBe(200);
	const body = JSON.parse(answer.text) as { objects: Array<{ fields: Record<string, unknown> }> };
	return body.objects.map((row) => row.fields);
}

describe('a table from input items', () => {
	test('lands exactly as sent and reads back equal through the fixture API; routed to Warning for the trimmed name', async () => {
		const [success, warning, error] = await lookupTableImportOutputs(emulator, FACILITIES);

		expect([success, error]).toEqual([[], []]);
		expect(warning).toHaveLength(1);
		expect(warning[0].json).toMatchObject({
			outcome: 'warning',
			reason: 'uploadedWithWarnings',
			tables: ['facility'],
			rowsSent: 3,
			rowsAfter: { facility: 3 },
			commcare: { processing: 'sync', code: 200, message: 'Successfully uploaded 1 tables.' },
			warnings: [expect.objectContaining({ code: 'valuesTrimmed', items: [2] })],
		});
		expect(warning[0].pairedItem).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(await readBack('facility')).toEqual([
			{ facility_id: 'F-001', name: 'Kisumu Health Centre', district: 'Kisumu', beds: '12', open: 'true' },
			{ facility_id: 'F-002', name: 'Nairobi West Clinic', district: 'Nairobi', beds: '0.5', open: 'false' },
			{ facility_id: 'F-003', name: 'Mathare Dispensary', district: 'Nairobi', beds: '1e+21', open: '' },
		]);
		expect(emulator.lookupTables.table(emulator.domain, 'facility')).toMatchObject({
			is_global: true,
			fields: ['facility_id', 'name', 'district', 'beds', 'open'].map((name) => expect.objectContaining({ name })),
		});
	});

	test('sent again unchanged: a no-op, the same row IDs, Success', async () => {
		const rows = FACILITIES.slice(0, 2);
		await lookupTableImportOutputs(emulator, rows);
		const before = emulator.lookupTables.rows(emulator.domain, 'facility').map((row) => row.id);

		const [success] = await lookupTableImportOutputs(emulator, rows, { replace: true });

		expect(success.map((item) => item.json)).toEqual([
			expect.objectContaining({
				outcome: 'success',
				reason: 'uploaded',
				changes: [expect.objectContaining({ added: 0, deleted: 0, unchanged: 2, rebuild: false, rowsAfter: 2 })],
				rowsAfter: { facility: 2 },
			}),
		]);
		expect(emulator.lookupTables.rows(emulator.domain, 'facility').map((row) => row.id)).toEqual(before);
	});
});
