/**
 * Replace, the dry run and the safety valve against the emulator: a dry run lists the rows a Replace would delete and
 * sends nothing; a half-empty source or blank rows never delete anything unless the user raises the valve.
 */
import { NodeOperationError } from 'n8n-workflow';

import type { Emulator } from '../../../emulator';
import { useEmulator } from '../../support/emulator';
import { lookupTableImportOutputs } from '../../support/nodeRuns';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const FIELDS = ['facility_id', 'name', 'district'];
const facility = (n: number) => ({
	facility_id: `F-${String(n).padStart(3, '0')}`,
	name: `Facility ${n}`,
	district: n % 2 ? 'Kisumu' : 'Nairobi',
});
const TEN = Array.from({ length: 10 }, (_, index) => facility(index + 1));

function seedTen(): void {
	emulator.lookupTables.seed(emulator.domain, {
		tag: 'facility',
		fields: FIELDS,
		rows: TEN.map((fields) => ({ fields })),
	});
}

const storedRows = () =>
	emulator.lookupTables
		.rows(emulator.domain, 'facility')
		.map((row) => Object.fromEntries(Object.entries(row.fields).map(([name, values]) => [name, values[0]?.value])));

describe('the dry run', () => {
	test('with Replace lists the rows that would go, with their UIDs, and sends nothing', async () => {
		seedTen();
		const uids = emulator.lookupTables.rows(emulator.domain, 'facility').map((row) => row.id);
		const sheet = [...TEN.slice(0, 8), { ...TEN[8], name: 'Facility 9 (renamed)' }, facility(11)];

		const [success, warning, error] = await lookupTableImportOutputs(emulator, sheet, {
			replace: true,
			options: { dryRun: true, maxDeletePercent: 30 },
		});

		expect([warning, error]).toEqual([[], []]);
		expect(success[0].json).toMatchObject({
			outcome: 'success',
			reason: 'dryRun',
			dryRun: true,
			rowsSent: 10,
			commcare: null,
			changes: [
				expect.objectContaining({
					table: 'facility',
					exists: true,
					rebuild: false,
					rowsNow: 10,
					added: 2,
					unchanged: 8,
					deleted: 2,
					rowsAfter: 10,
					deletedRows: [
						{ uid: uids[8], fields: TEN[8] },
						{ uid: uids[9], fields: TEN[9] },
					],
				}),
			],
		});
		expect(String(success[0].json.message)).toContain('facility: 2 rows added, 2 deleted');
		expect(emulator.lookupTableUploads).toEqual([]);
		expect(storedRows()).toEqual(TEN);
	});

	test('says when the upload would rebuild the table (a field added), and that every row is deleted and created anew', async () => {
		seedTen();
		const withPhone = TEN.map((row) => ({ ...row, phone: '0700' }));

		const [success] = await lookupTableImportOutputs(emulator, withPhone, { options: { dryRun: true } });

		expect(success[0].json.changes).toEqual([
			expect.objectContaining({ rebuild: true, rowsNow: 10, deleted: 10, added: 10, rowsAfter: 10 }),
		]);
		expect((success[0].json.changes as Array<{ rebuildReasons: string[] }>)[0].rebuildReasons.join()).toMatch(/phone/);
		expect(emulator.lookupTableUploads).toEqual([]);
	});
});

describe('the safety valve', () => {
	test('a half-empty source with Replace is refused before anything is sent, saying how many rows and how to raise it', async () => {
		seedTen();

		const run = lookupTableImportOutputs(emulator, TEN.slice(0, 5), { replace: true });

		await expect(run).rejects.toThrow(NodeOperationError);
		await expect(run).rejects.toThrow(
			/^The input items were not uploaded: The upload would delete 5 of the 10 rows of lookup table 'facility' \(50%\), more than the 10%/,
		);
		await run.catch((error: NodeOperationError) =>
			expect(error.description).toContain('raise "Max Share of Rows to Delete (%)" under Options'),
		);
		expect(emulator.lookupTableUploads).toEqual([]);
		expect(storedRows()).toEqual(TEN);
	});

	test('in a dry run, the same source ends on Error as wouldBeRefused, naming the rows that would go', async () => {
		seedTen();

		const [success, warning, error] = await lookupTableImportOutputs(emulator, TEN.slice(0, 5), {
			replace: true,
			options: { dryRun: true },
		});

		expect([success, warning]).toEqual([[], []]);
		expect(error[0].json).toMatchObject({
			outcome: 'error',
			reason: 'wouldBeRefused',
			errors: [expect.objectContaining({ code: 'tooManyDeletions' })],
			changes: [
				expect.objectContaining({
					deleted: 5,
					deletedRows: TEN.slice(5).map((fields) => expect.objectContaining({ fields })),
				}),
			],
		});
		expect(emulator.lookupTableUploads).toEqual([]);
	});

	test('raised to 100%, the same upload goes and the table holds exactly the five rows', async () => {
		seedTen();

		const [success] = await lookupTableImportOutputs(emulator, TEN.slice(0, 5), {
			replace: true,
			options: { maxDeletePercent: 100 },
		});

		expect(success[0].json).toMatchObject({ outcome: 'success', rowsAfter: { facility: 5 } });
		expect(emulator.lookupTableUploads.map((upload) => upload.fields.replace)).toEqual(['true']);
		expect(storedRows()).toEqual(TEN.slice(0, 5));
	});

	test('without Replace nothing is deleted, so nothing is judged: the rows are added', async () => {
		seedTen();

		const [success] = await lookupTableImportOutputs(emulator, [facility(11)]);

		expect(success[0].json).toMatchObject({ outcome: 'success', rowsAfter: { facility: 11 } });
		expect(emulator.lookupTableUploads.map((upload) => upload.fields.replace)).toEqual(['false']);
	});
});

describe('blank rows', () => {
	test('an input item with every field blank is refused (CommCare would stop reading there), nothing is sent', async () => {
		seedTen();
		const withBlank = [...TEN.slice(0, 3), { facility_id: '', name: null, district: '  ' }, ...TEN.slice(3)];

		const run = lookupTableImportOutputs(emulator, withBlank, { replace: true });

		await expect(run).rejects.toThrow(
			"The input items were not uploaded: Item 4 has no value in any field of 'facility'",
		);
		expect(emulator.lookupTableUploads).toEqual([]);
		expect(storedRows()).toEqual(TEN);
	});
});
