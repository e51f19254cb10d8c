/**
 * What CommCare's reader (openpyxl in read-only mode, docs/commcare-api.md §6.1a) makes of what Bulk Import sends,
 * against the emulator, which reads `.xlsx` the same way (held to the real openpyxl by test/conformance/): items are
 * written full width, so blank items, empty ID columns and blank last columns do what the docs say, on every node
 * version; a user's file CommCare would fail on is refused before upload, with the row named.
 */
import { PassThrough } from 'stream';

import ExcelJS from 'exceljs';
import type { IDataObject } from 'n8n-workflow';

import { CommCareBulkImport } from '../../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { CommCareImportStatus } from '../../../nodes/CommCareImportStatus/CommCareImportStatus.node';
import type { RecordOutcomeJson } from '../../../nodes/shared/outputContract';
import { type Emulator } from '../../../emulator';
import { emulatorCredential, useEmulator } from '../../support/emulator';
import { binaryItem, runNode } from '../../support/n8nContext';
import { VERSIONS } from '../../../nodes/CommCareBulkImport/versions';

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 0, runningPolls: 0 } });

const credentials = () => emulatorCredential(emulator);

/** Each version's way of saying: match by `searchField`, create the rows that match no case. */
function settingsAt(typeVersion: number, searchField: 'external_id' | 'case_id'): IDataObject {
	const locator = (value: string) => (typeVersion === 1 ? value : { __rl: true, mode: 'name', value });
	const creation = typeVersion >= 1.2 ? { unmatchedRows: 'create' } : { createNewCases: true };
	return { projectSpace: locator('demo'), caseType: locator('patient'), searchField, ...creation };
}

async function importItems(typeVersion: number, items: IDataObject[], parameters: IDataObject) {
	const { outputs } = await runNode({
		node: new CommCareBulkImport(),
		typeVersion,
		credentials: credentials(),
		items: items.map((json) => ({ json })),
		// Per record in every version: "Output" from 1.3, the option before it (each version reads only its own).
		parameters: { source: 'items', output: 'perRecord', options: { outputPerRecord: true }, ...parameters },
	});
	const { outputs: routed } = await runNode({
		node: new CommCareImportStatus(),
		credentials: credentials(),
		items: outputs[0],
		parameters: { pollInterval: 0.05, timeout: 0.2, simplify: false },
	});
	const [success, warning, error] = routed.map((output) => output.map((item) => item.json as RecordOutcomeJson));
	return { success, warning, error, finalState: [...emulator.imports.values()][0]?.finalState };
}

describe.each(VERSIONS)('Bulk Import %s, source Input Items', (typeVersion) => {
	it('imports the rows around a blank item in the middle, and reports the blank one as skipped', async () => {
		const { success, warning, error, finalState } = await importItems(
			typeVersion,
			[
				{ external_id: 'X1', name: 'Asha', village: 'Kibera' },
				{ external_id: null, name: null, village: null },
				{ external_id: 'X3', name: 'Baraka', village: 'Mathare' },
			],
			settingsAt(typeVersion, 'external_id'),
		);
		expect(finalState).toBe(2);
		expect(emulator.cases.byType('demo', 'patient').map((found) => found.name)).toEqual(['Asha', 'Baraka']);
		expect(success.map((record) => record.row)).toEqual([2, 4]);
		expect(warning.map((record) => [record.row, record.reason])).toEqual([[3, 'skippedRows']]);
		expect(error).toEqual([]);
	});

	it('creates the cases of a create-only import by case ID whose items have no case_id (the ID column empty, last)', async () => {
		const { success, finalState } = await importItems(
			typeVersion,
			[
				{ name: 'Asha', age: 30 },
				{ name: 'Baraka', age: 41 },
			],
			settingsAt(typeVersion, 'case_id'),
		);
		expect(emulator.uploads[0].fields).toMatchObject({ search_field: 'case_id', search_column: 'case_id' });
		expect(finalState).toBe(2);
		expect(emulator.cases.byType('demo', 'patient').map((found) => [found.name, found.properties.age])).toEqual([
			['Asha', '30'],
			['Baraka', '41'],
		]);
		expect(success).toHaveLength(2);
	});

	it('makes a null ID in the last column one Blank External ID row error; the other rows import', async () => {
		const { success, warning, finalState } = await importItems(
			typeVersion,
			[
				{ name: 'Asha', external_id: 'X1' },
				{ name: 'Baraka', external_id: null },
			],
			settingsAt(typeVersion, 'external_id'),
		);
		expect(finalState).toBe(2);
		expect(success.map((record) => record.row)).toEqual([2]);
		expect(warning.map((record) => [record.row, record.reason, record.errors[0]?.title])).toEqual([
			[3, 'rowErrors', 'Blank External ID'],
		]);
	});

	it('clears a property whose null is in the last column, as the value rules say', async () => {
		emulator.cases.add('demo', {
			case_type: 'patient',
			name: 'Asha',
			external_id: 'X1',
			properties: { village: 'Kibera', phone: '0700' },
		});
		const { success } = await importItems(
			typeVersion,
			[{ external_id: 'X1', name: 'Asha', village: null, phone: null }],
			settingsAt(typeVersion, 'external_id'),
		);
		expect(success).toHaveLength(1);
		expect(emulator.cases.withExternalId('demo', 'X1')[0].properties).toEqual({ village: '', phone: '' });
	});
});

describe('values CommCare would change', () => {
	it('stores a number below 1e-4 as JavaScript prints it, and names `---` before upload (CommCare clears it)', async () => {
		emulator.cases.add('demo', {
			case_type: 'patient',
			name: 'Asha',
			external_id: 'X1',
			properties: { note: 'keep?' },
		});
		const { outputs } = await runNode({
			node: new CommCareBulkImport(),
			credentials: credentials(),
			items: [{ json: { external_id: 'X1', name: 'Asha', dose: 0.00005, note: '---' } }],
			parameters: { ...settingsAt(1.2, 'external_id'), source: 'items' },
		});
		const warnings = (outputs[0][0].json.warnings as Array<{ code: string; column?: string }>).map((warning) => [
			warning.code,
			warning.column,
		]);
		expect(warnings).toEqual([['blankMarkerValues', 'note']]);
		expect(emulator.cases.withExternalId('demo', 'X1')[0].properties).toEqual({ dose: '0.00005', note: '' });
	});
});

/** An `.xlsx` as exceljs's streaming writer makes it: no dimension, no cells for nulls, no rows for empty rows. */
async function streamedXlsx(rows: unknown[][]): Promise<Buffer> {
	const out = new PassThrough();
	const chunks: Buffer[] = [];
	out.on('data', (chunk: Buffer) => chunks.push(chunk));
	const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: false });
	const sheet = workbook.addWorksheet('cases');
	for (const row of rows) sheet.addRow(row).commit();
	await workbook.commit();
	return Buffer.concat(chunks);
}

async function uploadFile(file: Buffer, options: IDataObject = {}) {
	return await runNode({
		node: new CommCareBulkImport(),
		credentials: credentials(),
		items: [await binaryItem(file, 'people.xlsx')],
		parameters: { ...settingsAt(1.2, 'external_id'), source: 'binary', options },
	}).then(
		(result) => ({ result, error: undefined }),
		(error: unknown) => ({ result: undefined, error: error as { message: string; description?: string } }),
	);
}

describe('Spreadsheet File: a file CommCare would fail on is refused before upload, with the rows named', () => {
	const header = ['name', 'village', 'external_id'];

	it('a row without its trailing ID cell (no dimension): the whole import would fail', async () => {
		const file = await streamedXlsx([header, ['Asha', 'Kibera', 'X1'], ['Baraka', 'Mathare', null]]);
		const { error } = await uploadFile(file);
		expect(emulator.requests).toHaveLength(0);
		expect(error?.message).toBe(
			"'people.xlsx' (item 1) not uploaded: Sheet row 3 has no cell for the ID column 'external_id'",
		);
		expect(error?.description).toMatch(
			/^The file does not record its sheet's size, so CommCare's reader ends each row at its last cell \(and a missing row has none\), and the whole import fails with 'external_id'\./,
		);
		// Sent anyway (Skip Checks), CommCare does what the check said: the whole import fails with the KeyError.
		const skipped = await uploadFile(file, { skipChecks: true });
		expect(skipped.error).toBeUndefined();
		const [imported] = [...emulator.imports.values()];
		expect([imported.finalState, imported.result.errors[0].description]).toEqual([3, "'external_id'"]);
		expect(emulator.cases.all()).toEqual([]);
	});

	it('an empty row in the middle (no dimension, no row written): refused, naming the row', async () => {
		const file = await streamedXlsx([
			header,
			['Asha', 'Kibera', 'X1'],
			[null, null, null],
			['Baraka', 'Mathare', 'X3'],
		]);
		const { error } = await uploadFile(file);
		expect(emulator.requests).toHaveLength(0);
		expect(error?.message).toBe(
			"'people.xlsx' (item 1) not uploaded: Sheet row 3 has no cell for the ID column 'external_id'",
		);
	});

	it('a row ending before its last columns: refused, since CommCare would leave them unchanged, not cleared', async () => {
		const file = await streamedXlsx([
			['external_id', 'name', 'village', 'phone'],
			['X1', 'Asha', 'Kibera', '0700'],
			['X2', 'Baraka', null, null],
		]);
		const { error } = await uploadFile(file);
		expect(emulator.requests).toHaveLength(0);
		expect(error?.message).toBe(
			"'people.xlsx' (item 1) not uploaded: Sheet row 3 ends before the columns 'village', 'phone'",
		);
		expect(error?.description).toMatch(
			/^The file does not record its sheet's size, so CommCare's reader leaves those properties unchanged on such rows/,
		);
		// Sent anyway, CommCare leaves them as they were.
		emulator.cases.add('demo', {
			case_type: 'patient',
			name: 'Baraka',
			external_id: 'X2',
			properties: { village: 'Old', phone: '0711' },
		});
		await uploadFile(file, { skipChecks: true });
		expect(emulator.cases.withExternalId('demo', 'X2')[0].properties).toEqual({ village: 'Old', phone: '0711' });
	});

	it('the same rows written by Excel-like writers (with a dimension) go, and the blank cells clear', async () => {
		const workbook = new ExcelJS.Workbook();
		const sheet = workbook.addWorksheet('cases');
		for (const row of [
			['external_id', 'name', 'village'],
			['X2', 'Baraka', null],
		])
			sheet.addRow(row);
		const file = Buffer.from(await workbook.xlsx.writeBuffer());
		emulator.cases.add('demo', {
			case_type: 'patient',
			name: 'Baraka',
			external_id: 'X2',
			properties: { village: 'Old' },
		});
		const { error } = await uploadFile(file);
		expect(error).toBeUndefined();
		expect(emulator.cases.withExternalId('demo', 'X2')[0].properties).toEqual({ village: '' });
	});
});
