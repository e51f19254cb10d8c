/**
 * What a lookup-table upload does to the emulator's tables (CommCare's run_upload.py), over real HTTP: rows matched
 * by content and position, definition changes rebuilding the table, `replace`, `Delete(Y/N)`, sort keys, owners with
 * their warnings (code 402), and the async path with its status polls.
 */
import ExcelJS from 'exceljs';
import { type Emulator } from '../../emulator';
import { apiKeyHeader, send, useEmulator, type RawAnswer } from '../support/emulator';

let emulator: Emulator;
useEmulator((started) => (emulator = started), { lookupTableTimeline: { queuedPolls: 1, runningPolls: 1 } });

async function workbook(sheets: Record<string, unknown[][]>): Promise<Buffer> {
	const book = new ExcelJS.Workbook();
	for (const [title, rows] of Object.entries(sheets)) {
		const sheet = book.addWorksheet(title);
		rows.forEach((row, index) => (sheet.getRow(index + 1).values = row as ExcelJS.CellValue[]));
	}
	return Buffer.from(await book.xlsx.writeBuffer());
}

async function upload(sheets: Record<string, unknown[][]>, fields: Record<string, string>): Promise<RawAnswer> {
	const form = new FormData();
	for (const [name, value] of Object.entries(fields)) form.append(name, value);
	form.append('file-to-upload', new Blob([await workbook(sheets)]), 'tables.xlsx');
	return send(`${emulator.baseUrl}/a/demo/fixtures/fixapi/`, {
		method: 'POST',
		body: form,
		headers: apiKeyHeader(emulator),
	});
}

const decoded = (message: string): string =>
	message
		.split('\n\n')
		.map((line) => line.replace(/\n/g, ''))
		.join('\n');

const types = (isGlobal = 'yes', fields = ['id', 'name']) => [
	['Delete(Y/N)', 'table_id', 'is_global?', ...fields.map((_f, i) => `field ${i + 1}`)],
	['N', 'district', isGlobal, ...fields],
];
const header = ['UID', 'Delete(Y/N)', 'field: id', 'field: name'];

function seedDistricts() {
	emulator.lookupTables.seed('demo', {
		tag: 'district',
		fields: ['id', 'name'],
		rows: [
			{ fields: { id: 'd1', name: 'Delhi' } },
			{ fields: { id: 'd2', name: 'Pune' } },
			{ fields: { id: 'd3', name: 'Goa' } },
		],
	});
	return emulator.lookupTables.rows('demo', 'district');
}

const names = () => emulator.lookupTables.rows('demo', 'district').map((row) => row.fields.name[0].value);

describe('rows', () => {
	test('a re-upload of the same rows in the same places keeps every UID (a no-op)', async () => {
		const before = seedDistricts();
		const rows = before.map((row) => [row.id, 'N', row.fields.id[0].value, row.fields.name[0].value]);
		await upload({ types: types(), district: [header, ...rows] }, { replace: 'true' });
		expect(emulator.lookupTables.rows('demo', 'district')).toEqual(before);
	});

	test('an edited row gets a new UID; replace=false keeps the rows not matched', async () => {
		const before = seedDistricts();
		await upload({ types: types(), district: [header, [before[1].id, 'N', 'd2', 'Poona']] }, { replace: 'false' });
		const after = emulator.lookupTables.rows('demo', 'district');
		// The edited row (old UID deleted) comes in at position 0 with a new UID, or keeps its sort key if still increasing.
		expect(after.map((row) => row.fields.name[0].value).sort()).toEqual(['Delhi', 'Goa', 'Poona']);
		const poona = after.find((row) => row.fields.name[0].value === 'Poona');
		expect(poona?.id).not.toBe(before[1].id);
		expect(poona?.id).toMatch(/^[0-9a-f]{32}$/);
		expect(poona?.sort_key).toBe(1);
		expect(after.find((row) => row.fields.name[0].value === 'Delhi')?.id).toBe(before[0].id);
	});

	test('replace=true deletes the unmatched rows of the listed tables only', async () => {
		seedDistricts();
		emulator.lookupTables.seed('demo', { tag: 'other', fields: ['x'], rows: [{ fields: { x: '1' } }] });
		await upload({ types: types(), district: [header, ['', 'N', 'd1', 'Delhi']] }, { replace: 'true' });
		expect(names()).toEqual(['Delhi']);
		expect(emulator.lookupTables.rows('demo', 'other')).toHaveLength(1);
	});

	test('Delete(Y/N)=Y with a UID deletes that row; without one the row is skipped', async () => {
		const before = seedDistricts();
		await upload(
			{ types: types(), district: [header, [before[2].id, 'Y', 'd3', 'Goa'], ['', 'y', 'd9', 'Nowhere']] },
			{ replace: 'false' },
		);
		expect(names()).toEqual(['Delhi', 'Pune']);
	});

	test('sort keys: the row index, or a known UID’s old key while still increasing', async () => {
		const before = seedDistricts();
		await upload(
			{ types: types(), district: [header, [before[2].id, 'N', 'd3', 'Goa!'], ['', 'N', 'd4', 'Agra']] },
			{ replace: 'true' },
		);
		expect(
			emulator.lookupTables.rows('demo', 'district').map((row) => [row.fields.name[0].value, row.sort_key]),
		).toEqual([
			['Goa!', 2],
			['Agra', 3],
		]);
	});

	test('reading stops at the first blank row: with replace=true the rows after it are deleted', async () => {
		seedDistricts();
		await upload(
			{ types: types(), district: [header, ['', 'N', 'd1', 'Delhi'], [], ['', 'N', 'd2', 'Pune']] },
			{ replace: 'true' },
		);
		expect(names()).toEqual(['Delhi']);
	});

	test('values: text stripped, numbers by Python str(), whole floats as ints', async () => {
		await upload(
			{
				types: types('yes', ['a', 'b', 'c', 'd']),
				district: [
					['field: a', 'field: b', 'field: c', 'field: d'],
					['  padded ', 5, 0.00005, 2.5],
				],
			},
			{ replace: 'false' },
		);
		expect(emulator.lookupTables.rows('demo', 'district')[0].fields).toEqual({
			a: [{ value: 'padded', properties: {} }],
			b: [{ value: '5', properties: {} }],
			c: [{ value: '5e-05', properties: {} }],
			d: [{ value: '2.5', properties: {} }],
		});
	});
});

describe('tables', () => {
	test('a changed definition rebuilds the table: new table id, every row a new UID', async () => {
		const before = seedDistricts();
		const tableId = emulator.lookupTables.table('demo', 'district')?.id;
		const rows = before.map((row) => [row.id, 'N', row.fields.id[0].value, row.fields.name[0].value]);
		await upload({ types: types('no'), district: [header, ...rows.slice(0, 2)] }, { replace: 'false' });
		const table = emulator.lookupTables.table('demo', 'district');
		expect(table?.id).not.toBe(tableId);
		expect(table?.is_global).toBe(false);
		const after = emulator.lookupTables.rows('demo', 'district');
		expect(after.map((row) => row.fields.name[0].value)).toEqual(['Delhi', 'Pune']);
		for (const row of after) expect(before.map((old) => old.id)).not.toContain(row.id);
	});

	test('Delete(Y/N)=Y in types deletes the table and its rows; tables not listed are untouched', async () => {
		seedDistricts();
		emulator.lookupTables.seed('demo', { tag: 'other', fields: ['x'] });
		const answer = await upload(
			{ types: [types()[0], ['Y', 'district', 'yes', 'id', 'name']], district: [header] },
			{ replace: 'true' },
		);
		expect(decoded(JSON.parse(answer.text).message)).toBe('Successfully uploaded 1 tables.');
		expect(emulator.lookupTables.tables('demo').map((table) => table.tag)).toEqual(['other']);
	});

	test('fields with properties: one value per numbered column, with its properties', async () => {
		await upload(
			{
				types: [
					['table_id', 'is_global?', 'field 1', 'field 1: property 1'],
					['district', 'yes', 'name', 'lang'],
				],
				district: [
					['field: name 1', 'name: lang 1', 'field: name 2', 'name: lang 2'],
					['Delhi', 'en', 'दिल्ली', 'hin'],
				],
			},
			{ replace: 'false' },
		);
		expect(emulator.lookupTables.table('demo', 'district')?.fields).toEqual([
			{ name: 'name', properties: ['lang'], is_indexed: false },
		]);
		expect(emulator.lookupTables.rows('demo', 'district')[0].fields.name).toEqual([
			{ value: 'Delhi', properties: { lang: 'en' } },
			{ value: 'दिल्ली', properties: { lang: 'hin' } },
		]);
	});
});

describe('owners', () => {
	const ownedTypes = [
		['table_id', 'is_global?', 'field 1'],
		['district', 'no', 'id'],
	];

	test('known owners are stored; unknown ones are warnings (code 402), the row still written', async () => {
		const answer = await upload(
			{
				types: ownedTypes,
				district: [
					['field: id', 'user 1', 'user 2', 'group 1', 'location 1', 'location 2'],
					['d1', 'Worker', 'demo@example.org', 'district a', 'KISUMU', 'central'],
					['d2', 'ghost', '', 'District A', 'nbo', ''],
				],
			},
			{ replace: 'false' },
		);
		const body = JSON.parse(answer.text);
		expect(answer.status).toBe(200);
		expect(body.code).toBe(402);
		expect(decoded(body.message)).toBe(
			[
				'Successfully uploaded 1 tables.',
				'However, we ran into the following problems:',
				'Invalid username: &#x27;demo@example.org&#x27;. But the row is successfully added',
				'Unknown group: &#x27;district a&#x27;. But the row is successfully added',
				'Multiple locations found with the name: &#x27;central&#x27;.  Try using site code. But the row is successfully added',
				'Unknown user: &#x27;ghost&#x27;. But the row is successfully added',
			].join('\n'),
		);
		expect(emulator.lookupTables.rows('demo', 'district').map((row) => row.owners)).toEqual([
			{ users: ['worker@demo.commcarehq.org'], groups: [], locations: ['kisumu'] },
			{ users: [], groups: ['District A'], locations: ['nbo'] },
		]);
	});
});

describe('async', () => {
	const status = (url: string) => send(url, { headers: apiKeyHeader(emulator) });

	test('accepted at once with code 200, status_url and download_id; applied when the task runs', async () => {
		const answer = await upload(
			{ types: types(), district: [header, ['', 'N', 'd1', 'Delhi']] },
			{ replace: 'false', async: 'True' },
		);
		const body = JSON.parse(answer.text);
		expect(Object.keys(body)).toEqual(['message', 'code', 'status_url', 'download_id']);
		expect(body).toMatchObject({
			message: 'File has been uploaded successfully and is queued for processing.',
			code: 200,
		});
		expect(body.download_id).toMatch(/^dl-[0-9a-f]{32}$/);
		expect(body.status_url).toBe(`${emulator.baseUrl}/a/demo/fixtures/fixapi/status/${body.download_id}/`);
		expect(emulator.lookupTableUploads[0].downloadId).toBe(body.download_id);
		expect(emulator.lookupTables.tables('demo')).toEqual([]);

		const queued = await status(body.status_url);
		expect(queued.text).toBe('{"message": "Task in progress. None% complete", "progress": null}');
		const running = await status(body.status_url);
		expect(JSON.parse(running.text)).toEqual({ message: 'Task in progress. 0% complete', progress: 0 });
		const done = await send(body.status_url, { method: 'POST', headers: apiKeyHeader(emulator) });
		expect(done.text).toBe('{"complete": true, "message": "Upload complete."}');
		expect(names()).toEqual(['Delhi']);
	});

	test('no validation: a broken workbook is accepted, then the task fails with an empty reason', async () => {
		seedDistricts();
		emulator.setLookupTableTimeline({ queuedPolls: 0, runningPolls: 0 });
		const answer = await upload(
			{
				types: types(),
				district: [
					['UID', 'field: id'],
					['', 'd1'],
				],
			},
			{
				replace: 'true',
				async: 'true',
			},
		);
		const { status_url: url } = JSON.parse(answer.text);
		const failed = await status(url);
		expect(failed.text).toBe('{"message": "Upload did not complete. Reason: \'\'", "error": true}');
		expect(names()).toEqual(['Delhi', 'Pune', 'Goa']);
	});

	test('an unknown dl- id is in progress forever; an id without dl- is an HTML 500', async () => {
		const base = `${emulator.baseUrl}/a/demo/fixtures/fixapi/status`;
		const unknown = await status(`${base}/dl-${'a'.repeat(32)}/`);
		expect(JSON.parse(unknown.text)).toEqual({ message: 'Task in progress. None% complete', progress: null });
		const bare = await status(`${base}/${'a'.repeat(32)}/`);
		expect(bare.status).toBe(500);
		expect(bare.headers.get('content-type')).toMatch(/^text\/html/);
	});

	test('the status needs Edit Data too', async () => {
		const answer = await send(`${emulator.baseUrl}/a/demo/fixtures/fixapi/status/dl-${'a'.repeat(32)}/`, {
			headers: { Authorization: 'ApiKey viewer@example.org:viewer-key' },
		});
		expect(answer.status).toBe(403);
	});
});
