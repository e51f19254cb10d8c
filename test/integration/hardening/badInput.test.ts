/**
 * What users actually feed the nodes. Each case must end in a clear message, before any request
 * where the problem can be seen locally (the emulator counts requests), and never in a partial or silent upload.
 * Both sources: files (source "Spreadsheet File"), and input items (source "Input Items", written as an .xlsx by the
 * node). Problems in the file that the checks before upload can see (unreadable file, headers, an empty sheet) are
 * refused before any request; each such test also shows the server's own message when the checks are skipped.
 */
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';

import * as ExcelJS from 'exceljs';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import * as XLSX from 'xlsx';

import { UPLOAD_MESSAGES, type Emulator } from '../../../emulator';
import { xlsxFile } from '../../support/emulator';
import { binaryItem, type BinaryMode } from '../../support/n8nContext';
import {
	apiKeyCredential,
	bulkImport,
	closedPort,
	expectNoMarkup,
	FAST_POLLING,
	importStatus,
	onlyItem,
	received,
	runScenario,
	statusOf as sharedStatusOf,
	uploadsLine,
	startSecretEmulator,
	thrown,
	type RunResult,
} from './harness';
import { outcomeTable, plural } from './outcomeTable';
import { useEmulator } from '../../support/emulator';

const table = outcomeTable('badInput');
const AREA = 'Bad input';

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 0, runningPolls: 0 } }, startSecretEmulator);
afterAll(() => table.finish());

const patients = [
	['case_id', 'name'],
	['', 'Asha'],
];

async function upload(
	options: {
		items?: INodeExecutionData[];
		parameters?: IDataObject;
		credentials?: IDataObject;
		continueOnFail?: boolean;
	} = {},
) {
	return await runScenario({
		node: bulkImport,
		credentials: (options.credentials ?? apiKeyCredential(emulator)) as never,
		items: options.items ?? [binaryItem(await xlsxFile(patients), 'patients.xlsx')],
		parameters: {
			projectSpace: 'demo',
			caseType: 'patient',
			searchField: 'case_id',
			unmatchedRows: 'create',
			...options.parameters,
		},
		continueOnFail: options.continueOnFail,
	});
}

const statusOf = async (result: RunResult) => await sharedStatusOf(emulator, result);
const serverLine = () => uploadsLine(emulator);

const REFUSED_BY_SERVER = 'CommCare refused the file before queueing the import; nothing was imported.';
const NOTHING_SENT = 'nothing: refused before any request';
/** How a refusal of the checks ends its description, when skipping the checks would send the data as it is. */
const CHECKS_ADVICE =
	'Nothing was sent to CommCare. Fix the data and run again, or turn on Options → Skip Checks Before Upload to send it as it is.';
/** The description of a refusal of the checks: what to do about its (first) problem, then the advice above. */
const checksAdvice = (toDo: string) => `${toDo}\n${CHECKS_ADVICE}`;
const SKIP_CHECKS = { options: { skipChecks: true } };

/** With the checks skipped, the file goes to CommCare: the server's own refusal, and nothing queued. */
async function expectServerRefusal(items: INodeExecutionData[], message: string) {
	emulator.reset();
	const error = thrown(await upload({ items, parameters: SKIP_CHECKS }));
	expect(error.message).toBe(message);
	expect(error.description).toBe(REFUSED_BY_SERVER);
	expect(received(emulator)).toMatchObject({ uploadPosts: 1, importsQueued: 0 });
}

describe('the file', () => {
	it('a missing binary field: the message lists the fields the item has; no request', async () => {
		const item = binaryItem(await xlsxFile(patients), 'patients.xlsx', { property: 'attachment' });
		item.binary!.photo = { ...item.binary!.attachment, fileName: 'photo.jpg', mimeType: 'image/jpeg' };
		const error = thrown(await upload({ items: [item] }));
		expect(error.message).toBe("Item 1 has no binary field 'data'; its binary fields are: 'attachment', 'photo'");
		expect(error.description).toBe('Set "Input Data Field Name" to the field that holds the spreadsheet.');
		expect(received(emulator).all).toBe(0);
		table.record({
			id: 'input.missingBinaryField',
			area: AREA,
			case: "Input Data Field Name 'data' missing; the item has 'attachment' and 'photo'",
			userSees: error.message,
			advice: error.description,
			server: serverLine(),
			lost: NOTHING_SENT,
			alsoCoveredBy: [
				'test/integration/CommCareBulkImport/fileSource.test.ts › lists the binary fields the item has when the named one is missing',
			],
		});
	});

	it('a PDF renamed .xlsx: refused before any request (it cannot be read); the server says "not a zip file"', async () => {
		const items = [binaryItem(Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n'), 'report.xlsx')];
		const error = thrown(await upload({ items }));
		expect(error.message).toMatch(/^'report\.xlsx' \(item 1\) not uploaded: The \.xlsx file could not be read \(.+\)$/);
		expect(error.description).toBe(
			checksAdvice('Is it a valid, unprotected .xlsx file? Save it again as .xlsx (without a password).'),
		);
		expect(received(emulator).all).toBe(0);
		const server = serverLine();
		await expectServerRefusal(items, UPLOAD_MESSAGES.fileError('File is not a zip file'));
		table.record({
			id: 'input.notASpreadsheet',
			area: AREA,
			case: 'A PDF renamed report.xlsx',
			userSees: error.message,
			advice: error.description,
			server,
			lost: `${NOTHING_SENT} (with the checks skipped, the server refuses it: "File is not a zip file", nothing queued)`,
		});
	});

	it('a password-protected .xlsx: refused before any request; the server gives its password message', async () => {
		// An encrypted .xlsx is an OLE2 container, whatever its extension: what the server (and the emulator) detect.
		const encrypted = Buffer.concat([
			Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
			Buffer.alloc(4096),
		]);
		const items = [binaryItem(encrypted, 'locked.xlsx')];
		const error = thrown(await upload({ items }));
		expect(error.message).toMatch(/^'locked\.xlsx' \(item 1\) not uploaded: The \.xlsx file could not be read \(.+\)$/);
		expect(error.description).toBe(
			checksAdvice('Is it a valid, unprotected .xlsx file? Save it again as .xlsx (without a password).'),
		);
		expect(received(emulator).all).toBe(0);
		const server = serverLine();
		await expectServerRefusal(items, UPLOAD_MESSAGES.passwordProtected);
		table.record({
			id: 'input.passwordProtected',
			area: AREA,
			case: 'A password-protected .xlsx',
			userSees: error.message,
			advice: error.description,
			server,
			lost: `${NOTHING_SENT} (with the checks skipped, the server refuses it as password protected, nothing queued)`,
		});
	});

	it.each<BinaryMode>(['default', 'filesystem'])(
		'an empty file (%s binary mode): refused before any request',
		async (mode) => {
			const error = thrown(await upload({ items: [binaryItem(Buffer.alloc(0), 'empty.xlsx', { mode })] }));
			expect(error.message).toBe("The file 'empty.xlsx' is empty (0 bytes)");
			expect(error.description).toBe(
				'There is nothing to import: check that the node before this one gives the spreadsheet itself.',
			);
			expect(received(emulator).all).toBe(0);
			table.record({
				id: `input.emptyFile.${mode}`,
				area: AREA,
				case: `An empty (0-byte) .xlsx, binary data ${mode === 'default' ? 'in memory' : 'on disk (filesystem mode)'}`,
				userSees: error.message,
				advice: error.description,
				server: serverLine(),
				lost: NOTHING_SENT,
			});
		},
	);

	it('a sheet with only the header row: refused before any request; with the checks skipped, an empty Success', async () => {
		const items = [binaryItem(await xlsxFile([['case_id', 'name']]), 'header-only.xlsx')];
		const error = thrown(await upload({ items }));
		expect(error.message).toBe("'header-only.xlsx' (item 1) not uploaded: The sheet has a header row but no data rows");
		expect(error.description).toBe(
			checksAdvice('There is nothing to import. Check that the right file (or input) was used.'),
		);
		expect(received(emulator).all).toBe(0);
		const server = serverLine();
		// The server itself accepts such a file and records an empty import.
		const result = await upload({ items, parameters: SKIP_CHECKS });
		expect(onlyItem(await statusOf(result), 0).summary).toBe('0 patient cases created, 0 updated');
		expect(received(emulator)).toMatchObject({ uploadPosts: 1, importsQueued: 1 });
		expect(emulator.cases.all('demo')).toHaveLength(0);
		table.record({
			id: 'input.headerOnly',
			area: AREA,
			case: 'A sheet with the header row only',
			userSees: error.message,
			advice: error.description,
			server,
			lost: `${NOTHING_SENT} (with the checks skipped, CommCare records an empty import: Success, 0 cases)`,
		});
	});

	it('301 columns: refused before any request (the server says "too many columns"); 300 columns are accepted', async () => {
		const header = (count: number) => [
			'case_id',
			'name',
			...Array.from({ length: count - 2 }, (_, i) => `property_${i + 1}`),
		];
		const sheet = async (count: number) =>
			xlsxFile([header(count), header(count).map((column) => (column === 'case_id' ? '' : 'x'))]);
		const items = [binaryItem(await sheet(301), 'wide.xlsx')];
		const error = thrown(await upload({ items }));
		expect(error.message).toBe(
			"'wide.xlsx' (item 1) not uploaded: The sheet has 301 columns; CommCare accepts at most 300",
		);
		expect(error.description).toBe(
			checksAdvice('CommCare rejects the upload. Split the properties over several imports (each with the ID column).'),
		);
		expect(received(emulator).all).toBe(0);
		const line = serverLine();
		await expectServerRefusal(items, UPLOAD_MESSAGES.tooManyColumns);
		emulator.reset();
		expect((await upload({ items: [binaryItem(await sheet(300), 'widest.xlsx')] })).error).toBeUndefined();
		expect(emulator.cases.all('demo')[0].properties.property_298).toBe('x');
		table.record({
			id: 'input.301columns',
			area: AREA,
			case: '301 columns (300 pass)',
			userSees: error.message,
			advice: error.description,
			server: line,
			lost: `${NOTHING_SENT} (with the checks skipped, the server refuses it before queueing)`,
		});
	});

	it("invalid header names: refused before any request, naming every one; the server's message is plain text too", async () => {
		const sheet = await xlsxFile([
			['case_id', 'name', 'first name', '2nd_visit', 'weight/kg', 'prénom'],
			['', 'Asha', 'A', 'x', '50', 'Asha'],
		]);
		const items = [binaryItem(sheet, 'headers.xlsx')];
		const error = thrown(await upload({ items }));
		// 'prénom' is valid (a letter first, then Unicode word characters), the other three are not.
		expect(error.message).toBe(
			"'headers.xlsx' (item 1) not uploaded: Header 'first name' (column C) contains a space (and 2 more problems)",
		);
		expect(error.description).toBe(
			checksAdvice(
				[
					'CommCare rejects the whole upload: headers are case property names and must start with a letter and contain only letters, digits, underscores and hyphens. Rename the column.',
					'Also:',
					"• Header '2nd_visit' (column D) does not start with a letter (a-z, A-Z)",
					"• Header 'weight/kg' (column E) contains '/'",
				].join('\n'),
			),
		);
		expect(error.description).not.toContain('prénom');
		expect(received(emulator).all).toBe(0);
		const server = serverLine();

		emulator.reset();
		const serverError = thrown(await upload({ items, parameters: SKIP_CHECKS }));
		expect(serverError.message).toBe(UPLOAD_MESSAGES.invalidColumnNames(['first name', '2nd_visit', 'weight/kg']));
		expect(serverError.description).toBe(
			'Column names correspond to case property names (https://confluence.dimagi.com/display/commcarepublic/Case+Configuration). They must start with a letter, and can only contain letters, numbers and underscores. Please update the following: first name, 2nd_visit, weight/kg.',
		);
		expectNoMarkup(String(serverError.description));
		expect(received(emulator)).toMatchObject({ uploadPosts: 1, importsQueued: 0 });
		table.record({
			id: 'input.invalidHeaders',
			area: AREA,
			case: "Headers 'first name', '2nd_visit', 'weight/kg' (and a valid 'prénom')",
			userSees: error.message,
			advice: error.description,
			server,
			lost: `${NOTHING_SENT} (with the checks skipped, the server refuses it, naming all three, in plain text)`,
			alsoCoveredBy: [
				'test/integration/CommCareBulkImport/fileSource.test.ts › keeps the HTML-bearing column-name message verbatim, with a plain-text description',
			],
		});
	});
});

describe('cell contents', () => {
	it('Unicode, emoji and right-to-left text arrive intact in the case store', async () => {
		const people = [
			{ name: 'Zoë Ångström-Ødegård', village: 'Kisumu', note: 'naïve café, façade' },
			{ name: '李小龍', village: '北京市', note: '𠜎𠜱 (outside the BMP)' },
			{ name: 'مريم العربية', village: 'القاهرة', note: 'שָׁלוֹם עֲלֵיכֶם (Hebrew with points)' },
			{ name: '👩‍⚕️ Nurse Amani 🇰🇪', village: 'Mombasa 🌊', note: '👍🏽 skin tone, ZWJ family 👨‍👩‍👧' },
		];
		const sheet = await xlsxFile([
			['case_id', 'name', 'village', 'note'],
			...people.map((p) => ['', p.name, p.village, p.note]),
		]);
		const result = await upload({ items: [binaryItem(sheet, 'unicode.xlsx')] });
		const json = onlyItem(await statusOf(result), 0);
		expect(json.summary).toBe('4 patient cases created, 0 updated');
		const stored = emulator.cases
			.byType('demo', 'patient')
			.map((c) => ({ name: c.name, village: c.properties.village, note: c.properties.note }));
		expect(stored.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
			[...people].sort((a, b) => a.name.localeCompare(b.name)),
		);
		table.record({
			id: 'input.unicode',
			area: AREA,
			case: 'Accents, CJK, characters outside the BMP, Arabic and Hebrew (right-to-left), emoji with ZWJ and skin tones',
			userSees: `Success output: ${json.summary}. Every value stored byte for byte`,
			server: serverLine(),
			lost: 'nothing: every value arrives intact',
		});
	});

	it("a cell longer than 32,767 characters (Excel's limit) in the user's file arrives whole", async () => {
		const long = 'Lorem ipsum dolor sit amet. '.repeat(1500);
		expect(long.length).toBeGreaterThan(32_767);
		const sheet = await xlsxFile([
			['case_id', 'name', 'notes'],
			['', 'Asha', long],
		]);
		const result = await upload({ items: [binaryItem(sheet, 'long.xlsx')] });
		const json = onlyItem(await statusOf(result), 0);
		expect(emulator.cases.byType('demo', 'patient')[0].properties.notes).toBe(long);
		table.record({
			id: 'input.cellOver32767',
			area: AREA,
			case: `A ${long.length.toLocaleString('en')}-character cell in the user's .xlsx`,
			userSees: `Success output: ${json.summary}`,
			server: serverLine(),
			lost: 'nothing: the file is passed on untouched and the value stored whole',
		});
	});

	it('a case name longer than 255 characters: that row is reported (Warning), the others import', async () => {
		const sheet = await xlsxFile([
			['case_id', 'name'],
			['', 'Asha'],
			['', 'N'.repeat(256)],
			['', 'Baraka'],
		]);
		const json = onlyItem(await statusOf(await upload({ items: [binaryItem(sheet, 'names.xlsx')] })), 1);
		expect(json.summary).toBe('2 patient cases created, 0 updated; 1 sheet row not imported (Name Too Long)');
		expect(json.errors).toEqual([expect.objectContaining({ title: 'Name Too Long', rows: [3] })]);
		expect(
			emulator.cases
				.byType('demo', 'patient')
				.map((c) => c.name)
				.sort(),
		).toEqual(['Asha', 'Baraka']);
		table.record({
			id: 'input.nameOver255',
			area: AREA,
			case: 'A case name of 256 characters in one of three rows',
			userSees: `Warning output: ${json.summary}`,
			server: serverLine(),
			lost: 'nothing silently: the row is named in the Warning with its error',
		});
	});

	it.each([
		[
			'xlsx',
			async () =>
				await xlsxFile([
					['case_id', 'name', 'link', 'sum'],
					['', 'Asha', '=HYPERLINK("http://example.org/x","click")', '=1+1'],
				]),
		],
		[
			'csv',
			async () => Buffer.from('case_id,name,link,sum\n,Asha,"=HYPERLINK(""http://example.org/x"",""click"")",=1+1\n'),
		],
	])('text that looks like a formula stays text (.%s)', async (extension, build) => {
		const result = await upload({ items: [binaryItem(await build(), `formulas.${extension}`)] });
		expect(result.error).toBeUndefined();
		const [stored] = emulator.cases.byType('demo', 'patient');
		expect(stored.properties).toEqual({ link: '=HYPERLINK("http://example.org/x","click")', sum: '=1+1' });
		table.record({
			id: `input.formulaText.${extension}`,
			area: AREA,
			case: `Text cells '=HYPERLINK("http://example.org/x","click")' and '=1+1' in a .${extension}`,
			userSees: 'Success: stored as the literal text, never evaluated',
			server: serverLine(),
			lost: 'nothing: the text arrives as typed',
		});
	});
});

describe('files as other tools write them', () => {
	/** What n8n's Convert to File node does with items (SheetJS, its defaults: no compression, no shared strings). */
	function convertToFile(rows: IDataObject[]): Buffer {
		const workbook = XLSX.utils.book_new();
		XLSX.utils.book_append_sheet(workbook, XLSX.utils.json_to_sheet(rows), 'Sheet1');
		return XLSX.write(workbook, { bookType: 'xlsx', bookSST: false, type: 'buffer' }) as Buffer;
	}

	it("an .xlsx from n8n's Convert to File (uncompressed): checked and uploaded every time, in both binary modes", async () => {
		const file = convertToFile([
			{ case_id: '', name: 'Asha', village: 'Kisumu' },
			{ case_id: '', name: 'Baraka', village: 'Siaya' },
		]);
		const runs = 20;
		const refusals: string[] = [];
		for (let run = 0; run < runs; run++) {
			const mode: BinaryMode = run % 2 === 0 ? 'default' : 'filesystem';
			const result = await upload({ items: [binaryItem(file, 'converted.xlsx', { mode })] });
			if (result.error) refusals.push(`${mode}: ${result.error.message}`);
			else expect(result.outputs![0][0].json).toMatchObject({ rowCount: 2, warnings: [] });
		}
		// Before the fix, the checks lost the workbook part of such files about one run in three ("not a readable
		// .xlsx workbook"): their zip reader stopped at unzipper's early 'end'.
		expect(refusals).toEqual([]);
		expect(received(emulator)).toMatchObject({ uploadPosts: runs, importsQueued: runs });
		table.record({
			id: 'input.convertToFileXlsx',
			area: AREA,
			case: `An .xlsx written by n8n's Convert to File node (SheetJS: uncompressed zip, the sheet before the workbook part), uploaded ${runs} times in both binary-data modes`,
			userSees: `Success every time: the checks read the file (rowCount 2, no warning) and it is uploaded`,
			server: `${plural(runs, 'upload request')}, ${plural(runs, 'import')} queued`,
			lost: 'nothing (before the fix, about one run in three was refused as "not a readable .xlsx workbook")',
		});
	});

	it('names of 255 two-byte characters, read from disk in chunks: none is miscounted as too long', async () => {
		// 2,000 names of 255 'é' (510 bytes each in UTF-8): about a megabyte of sheet, so many names straddle the
		// 64 KB chunks the file is read in. Decoded chunk by chunk, a straddling 'é' became two replacement characters:
		// a 256-character name, reported as too long.
		const name = 'é'.repeat(255);
		const rows = Array.from({ length: 2000 }, (_, index) => ({ case_id: '', name, visit: index + 1 }));
		const result = await upload({ items: [binaryItem(convertToFile(rows), 'accents.xlsx', { mode: 'filesystem' })] });
		expect(result.error).toBeUndefined();
		const json = result.outputs![0][0].json;
		expect(json).toMatchObject({ rowCount: 2000, warnings: [] });
		expect(emulator.cases.byType('demo', 'patient').every((c) => c.name === name)).toBe(true);
		table.record({
			id: 'input.multiByteAtChunkEdges',
			area: AREA,
			case: "2,000 names of exactly 255 'é' (two bytes each) in an uncompressed .xlsx read from disk in 64 KB chunks",
			userSees: 'Success, no warning: every name counted as 255 characters',
			server: serverLine(),
			lost: 'nothing (before the fix, names split across two chunks were garbled in the checks and warned about as too long)',
		});
	});

	it('a workbook with megabytes of text in its shared strings (as Excel writes text): the checks read every row', async () => {
		// Excel, LibreOffice and Google Sheets put text in xl/sharedStrings.xml, after the sheet. Past 4 MB the checks
		// keep shared strings on disk; the last row's name is among those.
		const chunks: Buffer[] = [];
		const out = new PassThrough().on('data', (chunk: Buffer) => chunks.push(chunk));
		const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: true });
		const sheet = workbook.addWorksheet('cases');
		sheet.addRow(['case_id', 'name', 'notes']).commit();
		const rows = 400;
		let textBytes = 0;
		for (let row = 1; row <= rows; row++) {
			const name = row === rows ? 'N'.repeat(256) : `Patient ${row}`;
			const notes = `Visit ${row}: ${'household visited, child weighed, next visit booked. '.repeat(260)}`;
			textBytes += Buffer.byteLength(name) + Buffer.byteLength(notes);
			sheet.addRow(['', name, notes]).commit();
		}
		expect(textBytes).toBeGreaterThan(5 * 1024 * 1024);
		sheet.commit();
		await workbook.commit();
		const file = Buffer.concat(chunks);

		const result = await upload({ items: [binaryItem(file, 'notes.xlsx', { mode: 'filesystem' })] });
		expect(result.error).toBeUndefined();
		const json = result.outputs![0][0].json;
		expect(json.rowCount).toBe(rows);
		expect(json.warnings).toEqual([expect.objectContaining({ code: 'nameTooLong', column: 'name', rows: [rows + 1] })]);
		const warning = (json.warnings as Array<{ message: string }>)[0].message;
		table.record({
			id: 'input.largeSharedStrings',
			area: AREA,
			case: `An .xlsx with ${(textBytes / 1024 / 1024).toFixed(1)} MB of text in its shared strings (after the sheet, as Excel writes them); the last of ${rows} rows has a 256-character name`,
			userSees: `Success, with the warning: ${warning}`,
			server: serverLine(),
			lost: 'nothing: every row is checked (shared strings past 4 MB are kept on disk, not in memory)',
		});
	});
});

describe('input items', () => {
	async function uploadItems(records: IDataObject[], parameters: IDataObject = {}) {
		return await upload({
			items: records.map((json) => ({ json })),
			parameters: { source: 'items', output: 'perUpload', ...parameters },
		});
	}

	it('a value longer than a cell can hold (32,767 characters): refused before any request, naming the key and the item', async () => {
		const long = 'x'.repeat(40_000);
		const error = thrown(
			await uploadItems([
				{ name: 'Asha', notes: '' },
				{ name: 'Baraka', notes: long },
				{ name: 'Chipo', notes: '' },
			]),
		);
		expect(error.message).toBe(
			"The input items were not uploaded: Key 'notes' of item 2 is 40000 characters long; a spreadsheet cell holds at most 32767",
		);
		// Skipping the checks would not send it (the writer refuses it too): the advice does not say to.
		expect(error.description).toBe(
			'Shorten it, or leave the column out (Options → Columns to Exclude).\nNothing was sent to CommCare.',
		);
		expect(received(emulator).all).toBe(0);
		// With the checks skipped, the writer refuses it too, still before any request.
		const skipped = thrown(await uploadItems([{ name: 'Baraka', notes: long }], SKIP_CHECKS));
		expect(skipped.message).toBe(
			"Key 'notes' of item 1 is 40000 characters long; a spreadsheet cell holds at most 32767",
		);
		expect(skipped.description).toBe(
			'Shorten it, or leave the column out (Options → Columns to Exclude). Nothing was sent to CommCare.',
		);
		expect(received(emulator).all).toBe(0);
		table.record({
			id: 'items.cellOver32767',
			area: AREA,
			case: 'Input items: one value of 40,000 characters (a cell holds 32,767)',
			userSees: error.message,
			advice: error.description,
			server: serverLine(),
			lost: `${NOTHING_SENT} (with the checks skipped, the writer refuses it, also before any request)`,
		});
	});

	it('text that looks like a formula arrives as that text, never a formula or a number', async () => {
		const looksLikeFormulas = { link: '=HYPERLINK("http://x","y")', plus: '+1', expression: '-2+3', at: '@SUM(A1)' };
		const result = await uploadItems([{ name: 'Asha', ...looksLikeFormulas }]);
		expect(result.error).toBeUndefined();
		const [stored] = emulator.cases.byType('demo', 'patient');
		expect(stored.properties).toEqual(looksLikeFormulas);
		table.record({
			id: 'items.formulaText',
			area: AREA,
			case: `Input items with the texts ${Object.values(looksLikeFormulas)
				.map((text) => `'${text}'`)
				.join(', ')}`,
			userSees: 'Success: each stored in the case exactly as given, as text',
			server: serverLine(),
			lost: 'nothing: written as text cells, so no spreadsheet evaluates them and no number is made of them',
		});
	});

	it('Unicode, emoji and right-to-left text arrive intact in the case store', async () => {
		const people = [
			{ name: 'Zoë Ångström-Ødegård', village: 'Kisumu', note: 'naïve café, façade' },
			{ name: '李小龍', village: '北京市', note: '𠜎𠜱 (outside the BMP)' },
			{ name: 'مريم العربية', village: 'القاهرة', note: 'שָׁלוֹם עֲלֵיכֶם (Hebrew with points)' },
			{ name: '👩‍⚕️ Nurse Amani 🇰🇪', village: 'Mombasa 🌊', note: '👍🏽 skin tone, ZWJ family 👨‍👩‍👧' },
		];
		const result = await uploadItems(people);
		const json = onlyItem(await statusOf(result), 0);
		expect(json.summary).toBe('4 patient cases created, 0 updated');
		const stored = emulator.cases
			.byType('demo', 'patient')
			.map((c) => ({ name: c.name, village: c.properties.village, note: c.properties.note }));
		expect(stored).toEqual(people);
		table.record({
			id: 'items.unicode',
			area: AREA,
			case: 'Input items with accents, CJK, characters outside the BMP, Arabic and Hebrew (right-to-left), emoji with ZWJ and skin tones',
			userSees: `Success output: ${json.summary}. Every value stored exactly`,
			server: serverLine(),
			lost: 'nothing: every value arrives intact',
		});
	});

	it('a bad item in the last of several uploads: nothing is uploaded, not even the good first ones', async () => {
		const records: IDataObject[] = Array.from({ length: 6 }, (_, index) => ({ name: `Patient ${index}`, tags: null }));
		records[5] = { name: 'Patient 5', tags: ['pregnant', 'follow-up'] };
		const error = thrown(await uploadItems(records, { options: { rowsPerUpload: 2 } }));
		expect(error.message).toBe(
			"The input items were not uploaded: Upload 3 of 3: Key 'tags' of item 6 holds an array, which a spreadsheet cell cannot hold",
		);
		expect(error.description).toBe(
			'Flatten it (e.g. with a Set node), exclude the column, or turn on Options → Write Nested Values as JSON to write it as JSON text.\nNothing was sent to CommCare.',
		);
		expect(received(emulator).all).toBe(0);
		// With the checks skipped, every upload's file is still written before the first upload is sent.
		const skipped = thrown(await uploadItems(records, { options: { rowsPerUpload: 2, skipChecks: true } }));
		expect(skipped.message).toBe("Key 'tags' of item 6 holds an array, which a spreadsheet cell cannot hold");
		expect(skipped.description).toMatch(/Nothing was sent to CommCare\.$/);
		expect(received(emulator).all).toBe(0);
		table.record({
			id: 'items.badItemInLastUpload',
			area: AREA,
			case: 'Six input items in uploads of 2 (Rows per Upload); item 6, in the third upload, holds an array',
			userSees: error.message,
			advice: error.description,
			server: serverLine(),
			lost: `${NOTHING_SENT}: no upload goes until every upload has been checked and written (also with the checks skipped)`,
			alsoCoveredBy: [
				'test/integration/CommCareBulkImport/itemsSource.test.ts › checks every upload before the first is sent: a problem in the last stops them all',
			],
		});
	});

	it('a nested object: refused before any request naming the key and the item; with the option, sent as JSON text', async () => {
		const records = [
			{ name: 'Asha', address: null },
			{ name: 'Baraka', address: { village: 'Kisumu', district: 'Kisumu East' } },
		];
		const error = thrown(await uploadItems(records));
		expect(error.message).toBe(
			"The input items were not uploaded: Key 'address' of item 2 holds an object, which a spreadsheet cell cannot hold",
		);
		expect(error.description).toBe(
			'Flatten it (e.g. with a Set node), exclude the column, or turn on Options → Write Nested Values as JSON to write it as JSON text.\nNothing was sent to CommCare.',
		);
		expect(received(emulator).all).toBe(0);
		const server = serverLine();
		expect((await uploadItems(records, { options: { nestedAsJson: true } })).error).toBeUndefined();
		const baraka = emulator.cases.byType('demo', 'patient').find((c) => c.name === 'Baraka');
		expect(baraka?.properties.address).toBe('{"village":"Kisumu","district":"Kisumu East"}');
		table.record({
			id: 'items.nestedObject',
			area: AREA,
			case: 'Input items where item 2 holds an object (address: { village, district })',
			userSees: error.message,
			advice: error.description,
			server,
			lost: `${NOTHING_SENT} (with "Nested Values as JSON" on, the object is stored as JSON text)`,
			alsoCoveredBy: [
				'test/integration/CommCareBulkImport/itemsSource.test.ts › a nested value stops the run before any request, naming the key and the item',
			],
		});
	});
});

describe('parameters', () => {
	it.each([
		[
			'demo/other',
			"The project space 'demo/other' is not a CommCare project space name (found '/'). Did you mean 'demoother'?",
		],
		['../demo', "The project space '../demo' is not a CommCare project space name (found '/', '..')."],
		[
			'my project',
			"The project space 'my project' is not a CommCare project space name (found a space). Did you mean 'my-project'?",
		],
		[
			'Demo',
			"The project space 'Demo' has upper-case letters; CommCare project space names are lower case: type 'demo'",
		],
		['   ', 'The project space is empty'],
		[
			'https://www.commcarehq.org/a/demo/',
			"The project space 'https://www.commcarehq.org/a/demo/' looks like an address: type just the name, 'demo'",
		],
	])('project space %j: refused before any request', async (projectSpace, message) => {
		const error = thrown(await upload({ parameters: { projectSpace } }));
		expect(error.message).toBe(message);
		expect(error.description).toBe(
			'Project space names use lower-case letters, digits and hyphens, as in the address https://www.commcarehq.org/a/your-project/.',
		);
		expect(received(emulator).all).toBe(0);
		table.record({
			id: `input.projectSpace.${JSON.stringify(projectSpace)}`,
			area: AREA,
			case: `Project space ${JSON.stringify(projectSpace)}`,
			userSees: error.message,
			server: serverLine(),
			lost: NOTHING_SENT,
			alsoCoveredBy: [
				'test/unit/CommCareBulkImport/projectSpace.test.ts › names the characters found and suggests a name for spaces',
			],
		});
	});

	it.each([
		['empty', ''],
		['whitespace', ' \t '],
	])('%s case type: refused before any request', async (label, caseType) => {
		const error = thrown(await upload({ parameters: { caseType } }));
		expect(error.message).toBe('The case type is empty');
		expect(error.description).toBe('Type the case type to import, e.g. patient.');
		expect(received(emulator).all).toBe(0);
		table.record({
			id: `input.caseType.${label}`,
			area: AREA,
			case: `Case type ${JSON.stringify(caseType)}`,
			userSees: error.message,
			advice: error.description,
			server: serverLine(),
			lost: NOTHING_SENT,
		});
	});

	it('a bad second item after a good first one: every item is checked first, so nothing is uploaded', async () => {
		const items = [
			binaryItem(await xlsxFile(patients), 'first.xlsx'),
			binaryItem(await xlsxFile(patients), 'second.xlsx'),
		];
		const result = await upload({
			items,
			parameters: { projectSpace: (index: number) => (index === 0 ? 'demo' : 'Demo Project') },
		});
		const error = thrown(result);
		expect(error.message).toBe(
			"The project space 'Demo Project' is not a CommCare project space name (found a space). Did you mean 'demo-project'?",
		);
		// Every item's settings and file are read and checked before the first upload: a re-run after fixing the
		// second item cannot import the first one twice.
		expect(received(emulator).all).toBe(0);
		table.record({
			id: 'input.badSecondItem',
			area: AREA,
			case: "Two files; the second item's project space (an expression) is invalid; Continue On Fail off",
			userSees: error.message,
			server: serverLine(),
			lost: `${NOTHING_SENT}: every item is checked before the first upload, so a re-run imports each file once`,
		});
	});
});

describe('the Base URL', () => {
	it('with trailing slashes and spaces: used as the server address, plain http on loopback without a warning', async () => {
		const result = await upload({ credentials: apiKeyCredential({ baseUrl: `  ${emulator.baseUrl}/// ` }) });
		expect(result.error).toBeUndefined();
		const [item] = result.outputs![0];
		expect(item.json.status_url).toEqual(
			expect.stringMatching(new RegExp(`^${emulator.baseUrl}/a/demo/importer/history/uploads/`)),
		);
		expect(item.json.warnings).toEqual([]);
		expect(emulator.requests.map((r) => r.path)).toEqual(['/a/demo/importer/excel/bulk_upload_api/']);
		table.record({
			id: 'baseUrl.trailingSlash',
			area: AREA,
			case: "Base URL '  http://127.0.0.1:PORT/// ' (spaces, trailing slashes, plain http on loopback)",
			userSees: 'Success: the upload item, no warning',
			server: serverLine(),
			lost: 'nothing',
			alsoCoveredBy: [
				'test/integration/credentials/CommCareApi.test.ts › tolerates spaces and trailing slashes around the Base URL',
			],
		});
	});

	it('with a path where CommCare is not: the 404 names the address tried and what to check', async () => {
		const error = thrown(await upload({ credentials: apiKeyCredential({ baseUrl: `${emulator.baseUrl}/commcare` }) }));
		expect(error.message).toBe(
			`CommCare has no bulk upload endpoint at ${emulator.baseUrl}/commcare/a/demo/importer/excel/bulk_upload_api/ (HTTP 404)`,
		);
		expect(error.description).toMatch(
			new RegExp(
				`^Check the credential's Base URL \\(${emulator.baseUrl}/commcare\\) and the project space 'demo'\\. `,
			),
		);
		expectNoMarkup(`${error.message} ${error.description}`);
		expect(received(emulator)).toMatchObject({ uploadPosts: 1, importsQueued: 0 });
		table.record({
			id: 'baseUrl.wrongPath',
			area: AREA,
			case: "Base URL with a path prefix the server does not have ('…/commcare')",
			userSees: error.message,
			advice: error.description,
			server: serverLine(),
			lost: 'nothing: nothing was queued',
		});
	});

	it('with a path into a project space: refused before any request, saying what to type', async () => {
		const error = thrown(await upload({ credentials: apiKeyCredential({ baseUrl: `${emulator.baseUrl}/a/demo/` }) }));
		expect(error.message).toBe(
			`CommCare API credential: The Base URL '${emulator.baseUrl}/a/demo/' points into project space 'demo'`,
		);
		expect(error.description).toBe(
			`Use the server address only (${emulator.baseUrl}) and type the project space in the node.`,
		);
		expect(received(emulator).all).toBe(0);
		table.record({
			id: 'baseUrl.projectSpacePath',
			area: AREA,
			case: "Base URL pasted from the browser ('…/a/demo/')",
			userSees: error.message,
			advice: error.description,
			server: serverLine(),
			lost: NOTHING_SENT,
		});
	});

	it.each([
		['htps://commcare.example.org', "CommCare API credential: The Base URL must start with https:// (found 'htps://')"],
		[
			'commcare.example.org',
			"CommCare API credential: The Base URL 'commcare.example.org' does not start with https://",
		],
	])('%j: refused before any request', async (baseUrl, message) => {
		const error = thrown(await upload({ credentials: apiKeyCredential({ baseUrl }) }));
		expect(error.message).toBe(message);
		expect(received(emulator).all).toBe(0);
		table.record({
			id: `baseUrl.${baseUrl}`,
			area: AREA,
			case: `Base URL '${baseUrl}'`,
			userSees: error.message,
			advice: error.description,
			server: serverLine(),
			lost: NOTHING_SENT,
			alsoCoveredBy: [
				'test/integration/CommCareBulkImport/fileSource.test.ts › refuses a credential whose Base URL is not a web address',
			],
		});
	});

	it('plain http to a host that is not loopback by name: uploads, with a warning in the output item', async () => {
		// The machine's own host name resolves to loopback here, but is not "localhost": it stands for a remote host.
		const host = hostname();
		const { address } = await lookup(host, { family: 4 });
		expect(address).toBe('127.0.0.1');
		const port = await closedPort();
		const remote = await startSecretEmulator({ port, publicBaseUrl: `http://${host}:${port}` });
		try {
			const result = await runScenario({
				node: bulkImport,
				credentials: apiKeyCredential({ baseUrl: `http://${host}:${port}` }) as never,
				items: [binaryItem(await xlsxFile(patients), 'patients.xlsx')],
				parameters: { projectSpace: 'demo', caseType: 'patient', searchField: 'case_id', unmatchedRows: 'create' },
			});
			expect(result.error).toBeUndefined();
			const warnings = result.outputs![0][0].json.warnings as Array<{ code: string; message: string }>;
			expect(warnings).toEqual([
				{
					code: 'insecureBaseUrl',
					message: `The credential's Base URL uses plain http (http://${host}:${port})`,
					description: 'The API key and the case data travel unencrypted. Use https unless this is a test server.',
				},
			]);
			expect(remote.uploads).toHaveLength(1);
			table.record({
				id: 'baseUrl.plainHttp',
				area: AREA,
				case: 'Base URL with plain http to a host that is not loopback by name',
				userSees: `Success, with the warning: ${warnings[0].message.replace(host, 'HOST').replace(host, 'HOST')}`,
				advice: (warnings[0] as { description?: string }).description,
				server: `${plural(remote.uploads.length, 'upload request')}, ${plural(remote.imports.size, 'import')} queued`,
				lost: 'nothing (the user is warned that the key travels unencrypted)',
				alsoCoveredBy: ['test/unit/shared/transport/addresses.test.ts › warns about plain http except on loopback'],
			});
		} finally {
			await remote.close();
		}
	});
});

describe('CommCare Import Status input', () => {
	it('items without a usable status URL go to Error one by one, and nothing is requested', async () => {
		const items = [
			{},
			{ status_url: '' },
			{ status_url: 42 },
			{ status_url: 'not a url' },
			{ status_url: 'ftp://example.org/status' },
		].map((json) => ({ json: json as IDataObject }));
		const result = await runScenario({
			node: importStatus,
			credentials: apiKeyCredential(emulator) as never,
			items,
			parameters: FAST_POLLING,
		});
		const errors = result.outputs![2];
		expect(errors.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3, 4].map((item) => ({ item })));
		const summaries = errors.map((item) => String(item.json.summary));
		expect(summaries).toEqual([
			'No import to check: the item has no status URL',
			'No import to check: the item has no status URL',
			'Status URL not requested: the status URL must be text, but the expression gave 42',
			"Status URL not requested: The status URL 'not a url' is not a web address: it must be absolute (https://…) or a path on the CommCare server (/a/…)",
			"Status URL not requested: The status URL 'ftp://example.org/status' is not an http(s) address",
		]);
		expect(received(emulator).all).toBe(0);
		table.record({
			id: 'status.badStatusUrls',
			area: AREA,
			case: "Import Status items whose status_url is missing, '', 42, 'not a url', 'ftp://…'",
			userSees: `5 Error items: ${summaries.join(' / ')}`,
			server: serverLine(),
			lost: 'nothing: every item is on Error, paired with its input',
			alsoCoveredBy: [
				'test/integration/CommCareImportStatus/uploadItems.test.ts › Error: an upstream item without status_url keeps the upstream error and sends nothing',
				'test/integration/CommCareImportStatus/uploadItems.test.ts › the same host under another name or scheme is another origin too',
			],
		});
	});
});
