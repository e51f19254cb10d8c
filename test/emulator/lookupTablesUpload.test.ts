/**
 * The emulator's lookup-table upload (`POST /a/<domain>/fixtures/fixapi/`) over real HTTP: decorators in order, the
 * view's checks with HQ's messages verbatim (HTTP 200, the outcome in `code`), the character-per-line message, the
 * `replace` parsing trap and the sync format validation.
 */
import ExcelJS from 'exceljs';
import { createRequire } from 'node:module';
import { type Emulator } from '../../emulator';
import { apiKeyHeader, send, useEmulator, type RawAnswer } from '../support/emulator';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

export type Sheets = Record<string, unknown[][]>;

async function workbook(sheets: Sheets): Promise<Buffer> {
	const book = new ExcelJS.Workbook();
	for (const [title, rows] of Object.entries(sheets)) {
		const sheet = book.addWorksheet(title);
		rows.forEach((row, index) => (sheet.getRow(index + 1).values = row as ExcelJS.CellValue[]));
	}
	return Buffer.from(await book.xlsx.writeBuffer());
}

interface Zip {
	file(name: string): { async(type: 'string'): Promise<string> } | null;
	file(name: string, data: string): void;
	generateAsync(options: { type: 'nodebuffer' }): Promise<Buffer>;
}
const JSZip = createRequire(require.resolve('exceljs'))('jszip') as { loadAsync(data: Buffer): Promise<Zip> };

/** The workbook with the `<dimension>` of each named sheet part removed (exceljs always writes one). */
export async function withoutDimension(data: Buffer, parts: string[]): Promise<Buffer> {
	const zip = await JSZip.loadAsync(data);
	for (const part of parts) {
		const xml = await zip.file(part)?.async('string');
		if (xml !== undefined) zip.file(part, xml.replace(/<dimension [^>]*\/>/, ''));
	}
	return zip.generateAsync({ type: 'nodebuffer' });
}

const fixapi = (domain = 'demo') => `${emulator.baseUrl}/a/${domain}/fixtures/fixapi/`;

async function post(
	fields: Record<string, string>,
	file?: Buffer | string,
	options: { domain?: string; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
	const form = new FormData();
	for (const [name, value] of Object.entries(fields)) form.append(name, value);
	if (file !== undefined) form.append('file-to-upload', new Blob([file]), 'tables.xlsx');
	return send(fixapi(options.domain), {
		method: 'POST',
		body: form,
		headers: options.headers ?? apiKeyHeader(emulator),
	});
}

/** One character per line, each original line break a blank line (Python's `re.split(r'\n*', …)`). */
function perCharacter(lines: string[]): string {
	return lines.map((line) => Array.from(line).join('\n')).join('\n\n');
}

const districtTypes = [
	['Delete(Y/N)', 'table_id', 'is_global?', 'field 1', 'field 2'],
	['N', 'district', 'yes', 'id', 'name'],
];
const districtSheets = (rows: unknown[][]): Sheets => ({
	types: districtTypes,
	district: [['UID', 'Delete(Y/N)', 'field: id', 'field: name'], ...rows],
});

function expectJson(answer: RawAnswer, body: Record<string, unknown>): void {
	expect(answer.status).toBe(200);
	expect(answer.headers.get('content-type')).toBe('application/json');
	expect(JSON.parse(answer.text)).toEqual(body);
}

describe('decorators, outermost first', () => {
	test('any method but POST: 405 with Allow: POST, before authentication', async () => {
		const answer = await send(fixapi(), { method: 'GET' });
		expect(answer.status).toBe(405);
		expect(answer.headers.get('allow')).toBe('POST');
		expect(answer.text).toBe('');
	});

	test('no credentials: the Digest challenge', async () => {
		const answer = await post({ replace: 'false' }, await workbook(districtSheets([])), { headers: {} });
		expect(answer.status).toBe(401);
		expect(answer.headers.get('www-authenticate')).toMatch(/^Digest /);
	});

	test('no Edit Data: the 403 permission page (text for XHR), recorded', async () => {
		const viewer = { Authorization: 'ApiKey viewer@example.org:viewer-key' };
		const page = await post({ replace: 'false' }, await workbook(districtSheets([])), { headers: viewer });
		expect(page.status).toBe(403);
		expect(page.text).toContain('<html');
		const xhr = await post({ replace: 'false' }, 'x', { headers: { ...viewer, 'X-Requested-With': 'XMLHttpRequest' } });
		expect(xhr.text).toBe("Sorry, you don't have permission to do this action!");
		expect(emulator.lookupTableUploads.map((upload) => upload.status)).toEqual([403, 403]);
	});

	test('not a member: an empty 403', async () => {
		const answer = await post({ replace: 'false' }, 'x', {
			headers: { Authorization: 'ApiKey outsider@example.org:outsider-key' },
		});
		expect(answer.status).toBe(403);
		expect(answer.text).toBe('');
	});

	test('throttled (a fault): 429 with Retry-After, nothing processed', async () => {
		emulator.faults.respond('lookupTableUpload', 1, { status: 429, retryAfter: 7 });
		const answer = await post({ replace: 'false' }, await workbook(districtSheets([['', 'N', 'd1', 'Delhi']])));
		expect(answer.status).toBe(429);
		expect(answer.headers.get('retry-after')).toBe('7');
		expect(emulator.lookupTables.tables('demo')).toEqual([]);
	});

	test('without its trailing slash a POST meets Django APPEND_SLASH error page', async () => {
		const answer = await send(fixapi().slice(0, -1), { method: 'POST', body: 'x', headers: apiKeyHeader(emulator) });
		expect(answer.status).toBe(500);
		expect(answer.text).toContain('APPEND_SLASH');
	});
});

describe('the plan without the lookup-tables privilege', () => {
	let planless: Emulator;
	useEmulator((started) => (planless = started), {
		domains: { demo: { caseTypes: [], owners: [], lookupTables: false } },
	});

	test('answers the "Upgrade Required" HTML page with status 200', async () => {
		const form = new FormData();
		form.append('replace', 'false');
		const answer = await send(`${planless.baseUrl}/a/demo/fixtures/fixapi/`, {
			method: 'POST',
			body: form,
			headers: apiKeyHeader(planless),
		});
		expect(answer.status).toBe(200);
		expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
		expect(answer.text).toContain('Upgrade Required');
	});
});

describe('the view checks (HTTP 200, the outcome in code)', () => {
	const invalid = "Invalid post request.Submit the form with field 'file-to-upload' and POST parameter 'replace'";

	test('no file, or no replace: code 405 with the message (no space after "request.")', async () => {
		expectJson(await post({ replace: 'true' }), { message: invalid, code: 405 });
		const answer = await post({}, await workbook(districtSheets([])));
		expectJson(answer, { message: invalid, code: 405 });
		expect(answer.text).toBe(`{"message": "${invalid}", "code": 405}`);
	});

	test('a file part under another name does not count', async () => {
		const form = new FormData();
		form.append('replace', 'true');
		form.append('file', new Blob([await workbook(districtSheets([]))]), 'tables.xlsx');
		const answer = await send(fixapi(), { method: 'POST', body: form, headers: apiKeyHeader(emulator) });
		expectJson(answer, { message: invalid, code: 405 });
	});

	test('success: code 200, the message one character per line', async () => {
		const answer = await post({ replace: 'false' }, await workbook(districtSheets([['', 'N', 'd1', 'Delhi']])));
		const message = perCharacter(['Successfully uploaded 1 tables.']);
		expect(message.startsWith('S\nu\nc\nc\ne\ns\ns')).toBe(true);
		expectJson(answer, { message, code: 200 });
		expect(emulator.lookupTables.rows('demo', 'district').map((row) => row.fields)).toEqual([
			{ id: [{ value: 'd1', properties: {} }], name: [{ value: 'Delhi', properties: {} }] },
		]);
		expect(emulator.lookupTableUploads[0]).toMatchObject({
			status: 200,
			fields: { replace: 'false' },
			fileName: 'tables.xlsx',
		});
	});

	test('a CSV is "not a zip file"', async () => {
		const answer = await post({ replace: 'false' }, 'a,b\n1,2\n');
		expectJson(answer, {
			message:
				'Please fix the following formatting issues in your Excel file: Upload failed! Please make sure you are using a valid Excel 2007 or later (.xlsx) file. Error details: File is not a zip file.',
			code: 405,
		});
	});
});

describe('replace: "true"/"false" in any case; any other non-empty text acts as true', () => {
	const seeded = () =>
		emulator.lookupTables.seed('demo', {
			tag: 'district',
			fields: ['id', 'name'],
			rows: [{ fields: { id: 'd1', name: 'Delhi' } }, { fields: { id: 'd2', name: 'Pune' } }],
		});

	test.each([
		['FALSE', 2],
		['', 2],
		['TRUE', 1],
		['yes', 1],
		['0', 1],
	])('replace=%j leaves %i rows', async (replace, count) => {
		seeded();
		const answer = await post({ replace }, await workbook(districtSheets([['', 'N', 'd1', 'Delhi']])));
		expect(JSON.parse(answer.text).code).toBe(200);
		expect(emulator.lookupTables.rows('demo', 'district')).toHaveLength(count);
	});
});

describe('format validation (sync only): code 405, every finding after the prefix, joined by "\\n"', () => {
	const prefix = 'Please fix the following formatting issues in your Excel file: ';

	test('no types sheet', async () => {
		const answer = await post({ replace: 'false' }, await workbook({ district: [['UID']] }));
		expectJson(answer, { message: `${prefix}Workbook does not contain a sheet called types`, code: 405 });
	});

	test('column checks on the first data row, each message verbatim', async () => {
		const answer = await post(
			{ replace: 'false' },
			await workbook({
				types: [
					['Delete(Y/N)', 'table_id', 'is_global?', 'field 1', 'field 2', 'property 1'],
					['N', 'district', 'yes', 'id', 'name', 'colour'],
					['N', 'region', 'yes', 'code', '', ''],
				],
				district: [
					['UID', 'Delete(Y/N)', 'field: id', 'field: extra', 'property: size'],
					['', 'N', 'd1', 'x', 'big'],
				],
			}),
		);
		expectJson(answer, {
			message:
				prefix +
				[
					"Excel worksheet 'district' does not contain the column 'field: name' as specified in its 'types' definition",
					"Excel worksheet 'district' has an extra column'field: extra' that's not defined in its 'types' definition",
					"Excel worksheet 'district' does not contain the column 'field: colour' as specified in its 'types' definition",
					"Excel worksheet 'district' has an extra column'field: size' that's not defined in its 'types' definition",
					"There's no sheet for type 'region' in 'types' sheet. There must be one sheet per row in the 'types' sheet.",
				].join('\n'),
			code: 405,
		});
	});

	test('only the first types problem is reported', async () => {
		const answer = await post(
			{ replace: 'false' },
			await workbook({
				types: [
					['table_id', 'is_global?', 'field 1'],
					['1bad', 'yes', 'id'],
					['district', 'yes', '2024'],
				],
			}),
		);
		expectJson(answer, {
			message: `${prefix}table_id '1bad' should not contain spaces or special characters, or start with a number.`,
			code: 405,
		});
	});

	test('a repeated header and a number header', async () => {
		const repeat = await post(
			{ replace: 'false' },
			await workbook({
				types: [
					['table_id', 'table_id'],
					['a', 'b'],
				],
			}),
		);
		expect(JSON.parse(repeat.text).message).toBe(
			`${prefix}Upload failed due to a problem with Excel columns. Error details: You have a repeat field: table_id.`,
		);
		const number = await post(
			{ replace: 'false' },
			await workbook({
				types: [
					['table_id', 2024],
					['a', 'b'],
				],
			}),
		);
		expect(JSON.parse(number.text).message).toBe(
			`${prefix}Upload failed! Please make sure you are using a valid Excel 2007 or later (.xlsx) file. Error details: Field 2024 is not a string..`,
		);
	});

	test('a bad boolean in types is reported raw; in a data sheet it crashes (HTML 500)', async () => {
		const types = await post(
			{ replace: 'false' },
			await workbook({
				types: [
					['table_id', 'is_global?', 'field 1'],
					['district', 'maybe', 'id'],
				],
			}),
		);
		expect(JSON.parse(types.text).message).toBe(
			`${prefix}Values for field is_global must be "yes" or "no", not "maybe"`,
		);
		const data = await post(
			{ replace: 'false' },
			await workbook({
				types: [
					['table_id', 'is_global?', 'field 1'],
					['district', 'yes', 'id'],
				],
				district: [
					['field: id', 'flag?'],
					['d1', 'maybe'],
				],
			}),
		);
		expect(data.status).toBe(500);
		expect(data.text).toContain('Server Error (500)');
	});

	test('the 500,000-row limit counts every row of every sheet, headers included', async () => {
		const file = await workbook(districtSheets([['', 'N', 'd1', 'Delhi']]));
		const zip = await JSZip.loadAsync(file);
		const part = 'xl/worksheets/sheet2.xml';
		const xml = (await zip.file(part)?.async('string')) ?? '';
		zip.file(part, xml.replace(/<dimension [^>]*\/>/, '<dimension ref="A1:D500000"/>'));
		const answer = await post({ replace: 'false' }, await zip.generateAsync({ type: 'nodebuffer' }));
		expectJson(answer, {
			message: `${prefix}Lookup tables can contain a maximum of 500000 rows. The uploaded file contains 500002 rows.`,
			code: 405,
		});
	});

	test('an empty sheet without a dimension crashes the upload (HTML 500)', async () => {
		const book = new ExcelJS.Workbook();
		const types = book.addWorksheet('types');
		types.addRow(['table_id', 'is_global?', 'field 1']);
		types.addRow(['district', 'yes', 'id']);
		book.addWorksheet('district');
		const file = Buffer.from(await book.xlsx.writeBuffer());
		const withDimension = await post({ replace: 'false' }, file);
		expect(JSON.parse(withDimension.text).code).toBe(200); // exceljs writes <dimension ref="A1"/>: no crash
		emulator.lookupTables.clear();
		const answer = await post({ replace: 'false' }, await withoutDimension(file, ['xl/worksheets/sheet2.xml']));
		expect(answer.status).toBe(500);
		expect(emulator.lookupTables.tables('demo')).toEqual([]);
	});
});
