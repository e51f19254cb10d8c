/**
 * The upload endpoint's validation table (docs/commcare-api.md §3), in order and byte for byte, and its success answer (§4).
 */
import * as XLSX from 'xlsx';
import ExcelJS from 'exceljs';
import { startEmulator, UPLOAD_MESSAGES, type Emulator } from '../../emulator';
import { apiKeyHeader, postUpload, send, uploadUrl, xlsxFile, type RawAnswer, useEmulator } from '../support/emulator';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

/** Python's json.dumps of the error body: the exact bytes the server sends. */
function expectImporterError(answer: RawAnswer, message: string): void {
	expect(answer.status).toBe(500);
	expect(answer.headers.get('content-type')).toBe('application/json');
	expect(JSON.parse(answer.text)).toEqual({ code: 500, message });
	expect(answer.text).toBe(`{"code": 500, "message": ${JSON.stringify(message)}}`);
}

const goodSheet = [
	['case_id', 'name'],
	['', 'Alice'],
];
const fields = { case_type: 'patient', create_new_cases: 'on' };

function xlsFile(sheets: Record<string, unknown[][]>): Buffer {
	const book = XLSX.utils.book_new();
	for (const [title, rows] of Object.entries(sheets))
		XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet(rows), title);
	return XLSX.write(book, { type: 'buffer', bookType: 'xls' }) as Buffer;
}

describe('step 1: file and case_type are required', () => {
	test('no file part', async () => {
		expectImporterError(await postUpload(emulator, { fields }), UPLOAD_MESSAGES.missingFileOrCaseType);
		expect(UPLOAD_MESSAGES.missingFileOrCaseType).toBe(
			"Error: Invalid POST request. Both 'file' and 'case_type' are required",
		);
	});

	test('no case_type', async () => {
		const answer = await postUpload(emulator, { file: { name: 'c.xlsx', data: await xlsxFile(goodSheet) } });
		expectImporterError(answer, UPLOAD_MESSAGES.missingFileOrCaseType);
	});

	test('an empty case_type', async () => {
		const answer = await postUpload(emulator, {
			file: { name: 'c.xlsx', data: await xlsxFile(goodSheet) },
			fields: { case_type: '' },
		});
		expectImporterError(answer, UPLOAD_MESSAGES.missingFileOrCaseType);
	});

	test('a `file` field sent as text (no filename) is not a file', async () => {
		const answer = await postUpload(emulator, { fields: { ...fields, file: 'case_id,name' } });
		expectImporterError(answer, UPLOAD_MESSAGES.missingFileOrCaseType);
	});

	test('a non-multipart body has no file either', async () => {
		const answer = await send(uploadUrl(emulator), {
			method: 'POST',
			headers: { ...apiKeyHeader(emulator), 'Content-Type': 'application/x-www-form-urlencoded' },
			body: 'case_type=patient',
		});
		expectImporterError(answer, UPLOAD_MESSAGES.missingFileOrCaseType);
	});

	test('step 1 comes before step 2', async () => {
		expectImporterError(
			await postUpload(emulator, { fields: { search_field: 'bogus' } }),
			UPLOAD_MESSAGES.missingFileOrCaseType,
		);
	});
});

describe('step 2: search_field', () => {
	test.each(['name', 'CASE_ID', ''])('search_field %p is illegal', async (value) => {
		const answer = await postUpload(emulator, {
			file: { name: 'c.xlsx', data: await xlsxFile(goodSheet) },
			fields: { ...fields, search_field: value },
		});
		expectImporterError(answer, `Error: Illegal value for search_field: ${value}`);
	});

	test('step 2 comes before the extension check', async () => {
		const answer = await postUpload(emulator, {
			file: { name: 'c.txt', data: 'x' },
			fields: { ...fields, search_field: 'x' },
		});
		expectImporterError(answer, 'Error: Illegal value for search_field: x');
	});
});

describe('step 3: file extension', () => {
	test.each(['cases.txt', 'cases.xlsm', 'cases', 'cases.xlsx.pdf'])('%s is refused', async (name) => {
		const answer = await postUpload(emulator, { file: { name, data: await xlsxFile(goodSheet) }, fields });
		expectImporterError(answer, 'Please upload file with one of the following extensions: csv, xls, xlsx');
	});

	test('the extension check is case-insensitive', async () => {
		const answer = await postUpload(emulator, {
			file: { name: 'CASES.XLSX', data: await xlsxFile(goodSheet) },
			fields,
		});
		expect(answer.status).toBe(200);
	});
});

describe('step 4: opening the file', () => {
	test('4a: an OLE2 container named .xlsx (what a password-protected workbook is)', async () => {
		const ole = xlsFile({ Sheet1: goodSheet });
		expect(ole.subarray(0, 4).toString('hex')).toBe('d0cf11e0');
		const answer = await postUpload(emulator, { file: { name: 'protected.xlsx', data: ole }, fields });
		expectImporterError(
			answer,
			'The file you want to import is password protected. Please choose a file that is not password protected.',
		);
	});

	test('4b: an .xlsx that is not a zip file', async () => {
		const answer = await postUpload(emulator, { file: { name: 'cases.xlsx', data: 'case_id,name\n,Alice\n' }, fields });
		expectImporterError(answer, 'The file uploaded has the following error: File is not a zip file');
	});

	test.each([
		['an empty CSV', ''],
		['a one-byte CSV', 'a'],
	])('4b: %s', async (_label, content) => {
		const answer = await postUpload(emulator, { file: { name: 'cases.csv', data: content }, fields });
		expectImporterError(answer, 'The file uploaded has the following error: File is empty');
	});

	test('4b: a CSV that is not UTF-8 gives the decoder error as detail', async () => {
		const answer = await postUpload(emulator, {
			file: { name: 'cases.csv', data: Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0xff, 0x2c, 0x31, 0x0a]) },
			fields,
		});
		expectImporterError(
			answer,
			"The file uploaded has the following error: 'utf-8' codec can't decode byte 0xff in position 4: invalid start byte",
		);
	});

	test('4b: a workbook with no sheets', async () => {
		const empty = Buffer.from(await new ExcelJS.Workbook().xlsx.writeBuffer());
		const answer = await postUpload(emulator, { file: { name: 'cases.xlsx', data: empty }, fields });
		expectImporterError(
			answer,
			'The file uploaded has the following error: It seems as though your spreadsheet contains no sheets. Please resave it and try again.',
		);
	});

	test('4b: an .xls that is not an Excel file', async () => {
		const answer = await postUpload(emulator, { file: { name: 'cases.xls', data: 'hello world' }, fields });
		expect(answer.status).toBe(500);
		expect(JSON.parse(answer.text).message).toMatch(/^The file uploaded has the following error: /);
	});
});

describe('step 5: the project must use cases', () => {
	test('a project with no case types and no cases', async () => {
		const answer = await postUpload(
			emulator,
			{ file: { name: 'c.xlsx', data: await xlsxFile(goodSheet) }, fields },
			{ domain: 'nocases' },
		);
		expectImporterError(
			answer,
			'Error: Your project does not use cases yet. To import cases from Excel, you must first create an application with a case list.',
		);
	});

	test('existing cases count as case types', async () => {
		emulator.cases.add('nocases', { case_type: 'visit' });
		const answer = await postUpload(
			emulator,
			{ file: { name: 'c.xlsx', data: await xlsxFile(goodSheet) }, fields },
			{ domain: 'nocases' },
		);
		expect(answer.status).toBe(200);
	});

	test('step 4 comes before step 5', async () => {
		const answer = await postUpload(
			emulator,
			{ file: { name: 'c.xlsx', data: 'not a zip' }, fields },
			{ domain: 'nocases' },
		);
		expectImporterError(answer, 'The file uploaded has the following error: File is not a zip file');
	});
});

describe('step 6: headers', () => {
	const invalidMessage = (names: string) =>
		'Column names correspond to <a target="_blank" href="https://confluence.dimagi.com/display/commcarepublic/Case+Configuration">case property names</a>. ' +
		`They must start with a letter, and can only contain letters, numbers and underscores. Please update the following: ${names}.`;

	test('6a: invalid names are listed (spaces, slashes, leading digit or underscore, trailing space, numbers)', async () => {
		const rows = [
			['case_id', 'first name', 'a/b', '1abc', '_x', 'age ', 42, 'ok-name_2'],
			['', 'x', 'x', 'x', 'x', 'x', 'x', 'x'],
		];
		const answer = await postUpload(emulator, { file: { name: 'c.xlsx', data: await xlsxFile(rows) }, fields });
		expectImporterError(answer, invalidMessage('first name, a/b, 1abc, _x, age , 42'));
	});

	test('6a: blank header cells are dropped, not reported', async () => {
		const rows = [
			['case_id', null, 'name'],
			['', 'ignored', 'Alice'],
		];
		const answer = await postUpload(emulator, { file: { name: 'c.xlsx', data: await xlsxFile(rows) }, fields });
		expect(answer.status).toBe(200);
	});

	test('6a applies to CSV headers too', async () => {
		const answer = await postUpload(emulator, { file: { name: 'c.csv', data: 'case_id,full name\n,Alice\n' }, fields });
		expectImporterError(answer, invalidMessage('full name'));
	});

	test('6b: an empty .xls sheet', async () => {
		const answer = await postUpload(emulator, { file: { name: 'c.xls', data: xlsFile({ Sheet1: [] }) }, fields });
		expectImporterError(answer, 'Error: Your spreadsheet is empty. Please try again with a different spreadsheet.');
	});

	test('6b: an .xlsx with only a header, or an empty .xlsx sheet, passes', async () => {
		expect(
			(await postUpload(emulator, { file: { name: 'c.xlsx', data: await xlsxFile([['case_id']]) }, fields })).status,
		).toBe(200);
		expect((await postUpload(emulator, { file: { name: 'c.xlsx', data: await xlsxFile([]) }, fields })).status).toBe(
			200,
		);
	});

	test('6c: more than 300 columns', async () => {
		const header = ['case_id', ...Array.from({ length: 300 }, (_, i) => `p${i}`)];
		const answer = await postUpload(emulator, { file: { name: 'c.xlsx', data: await xlsxFile([header]) }, fields });
		expectImporterError(answer, 'Error: Your spreadsheet has too many columns. A maximum of 300 is supported.');
	});

	test('6c: exactly 300 columns pass', async () => {
		const header = ['case_id', ...Array.from({ length: 299 }, (_, i) => `p${i}`)];
		expect(
			(await postUpload(emulator, { file: { name: 'c.xlsx', data: await xlsxFile([header]) }, fields })).status,
		).toBe(200);
	});

	test('6a is checked before 6c', async () => {
		const header = ['bad name', ...Array.from({ length: 300 }, (_, i) => `p${i}`)];
		const answer = await postUpload(emulator, { file: { name: 'c.xlsx', data: await xlsxFile([header]) }, fields });
		expectImporterError(answer, invalidMessage('bad name'));
	});

	test('only the first sheet is checked in single-sheet mode', async () => {
		const data = await xlsxFile({ cases: goodSheet, notes: [['bad header']] });
		expect((await postUpload(emulator, { file: { name: 'c.xlsx', data }, fields })).status).toBe(200);
	});
});

describe('step 8 / §4: success', () => {
	test('exactly code, message and an absolute status_url with a uuid4', async () => {
		const answer = await postUpload(emulator, { file: { name: 'c.xlsx', data: await xlsxFile(goodSheet) }, fields });
		expect(answer.status).toBe(200);
		expect(answer.headers.get('content-type')).toBe('application/json');
		const match =
			/^\{"code": 200, "message": "success", "status_url": "(http:\/\/127\.0\.0\.1:\d+)\/a\/demo\/importer\/history\/uploads\/([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\/status"\}$/.exec(
				answer.text,
			);
		expect(match).not.toBeNull();
		expect(match?.[1]).toBe(emulator.baseUrl);
		expect(emulator.uploads).toHaveLength(1);
		expect(emulator.uploads[0]).toMatchObject({ status: 200, uploadId: match?.[2], fileName: 'c.xlsx' });
		expect(emulator.uploads[0].fields).toEqual(fields);
		expect(emulator.imports.get(match?.[2] as string)).toMatchObject({ domain: 'demo', state: -1, polls: 0 });
	});

	test('publicBaseUrl puts status_url on another origin', async () => {
		const other = await startEmulator({ publicBaseUrl: 'https://www.commcarehq.org/' });
		try {
			const answer = await postUpload(other, { file: { name: 'c.xlsx', data: await xlsxFile(goodSheet) }, fields });
			expect(JSON.parse(answer.text).status_url).toMatch(
				/^https:\/\/www\.commcarehq\.org\/a\/demo\/importer\/history\/uploads\/[0-9a-f-]{36}\/status$/,
			);
		} finally {
			await other.close();
		}
	});

	test('repeated fields: the last value wins', async () => {
		const form = new FormData();
		form.append('case_type', 'household');
		form.append('case_type', 'patient');
		form.append('create_new_cases', 'on');
		form.append('file', new Blob([await xlsxFile(goodSheet)]), 'c.xlsx');
		const answer = await send(uploadUrl(emulator), { method: 'POST', body: form, headers: apiKeyHeader(emulator) });
		expect(answer.status).toBe(200);
		expect(emulator.cases.all('demo').map((c) => c.case_type)).toEqual(['patient']);
	});

	test('xls and csv files are accepted', async () => {
		expect(
			(await postUpload(emulator, { file: { name: 'c.xls', data: xlsFile({ Sheet1: goodSheet }) }, fields })).status,
		).toBe(200);
		expect((await postUpload(emulator, { file: { name: 'c.csv', data: 'case_id,name\n,Bob\n' }, fields })).status).toBe(
			200,
		);
		expect(emulator.cases.all('demo').map((c) => c.name)).toEqual(['Alice', 'Bob']);
	});
});

describe('§3.3 multi-sheet mode', () => {
	test('a single sheet named after a case type without search_field/search_column: HTML 500', async () => {
		const data = await xlsxFile({ household: goodSheet });
		const answer = await postUpload(emulator, {
			file: { name: 'c.xlsx', data },
			fields: { case_type: 'household', create_new_cases: 'on' },
		});
		expect(answer.status).toBe(500);
		expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
		expect(() => JSON.parse(answer.text)).toThrow();
		expect(emulator.imports.size).toBe(0);
	});

	test('with the search fields present, create_new_cases=on means OFF', async () => {
		const data = await xlsxFile({ household: goodSheet });
		const answer = await postUpload(emulator, {
			file: { name: 'c.xlsx', data },
			fields: { case_type: 'household', search_field: 'case_id', search_column: 'case_id', create_new_cases: 'on' },
		});
		expect(answer.status).toBe(200);
		expect(emulator.cases.all()).toHaveLength(0);
	});

	test('create_new_cases=True creates; each sheet is imported as its title; name_column is ignored', async () => {
		const data = await xlsxFile({
			household: [
				['case_id', 'name', 'label'],
				['', 'Home 1', 'h'],
			],
			patient: [
				['case_id', 'name', 'label'],
				['', 'Pat 1', 'p'],
			],
		});
		const answer = await postUpload(emulator, {
			file: { name: 'c.xlsx', data },
			fields: {
				case_type: 'ignored',
				search_field: 'case_id',
				search_column: 'case_id',
				create_new_cases: 'True',
				name_column: 'label',
			},
		});
		expect(answer.status).toBe(200);
		const cases = emulator.cases.all('demo').map((c) => [c.case_type, c.name, c.properties.label]);
		expect(cases).toEqual([
			['household', 'Home 1', 'h'],
			['patient', 'Pat 1', 'p'],
		]);
	});

	test('headers are checked on every sheet in multi-sheet mode', async () => {
		const data = await xlsxFile({ household: goodSheet, patient: [['case_id', 'bad name']] });
		const answer = await postUpload(emulator, {
			file: { name: 'c.xlsx', data },
			fields: { case_type: 'household', search_field: 'case_id', search_column: 'case_id' },
		});
		expect(answer.status).toBe(500);
		expect(JSON.parse(answer.text).message).toContain('Please update the following: bad name.');
	});

	test('one sheet that is not a case type keeps single-sheet mode', async () => {
		const data = await xlsxFile({ household: goodSheet, Sheet2: goodSheet });
		const answer = await postUpload(emulator, {
			file: { name: 'c.xlsx', data },
			fields: { case_type: 'patient', create_new_cases: 'on' },
		});
		expect(answer.status).toBe(200);
		expect(emulator.cases.all('demo').map((c) => c.case_type)).toEqual(['patient']);
	});
});
