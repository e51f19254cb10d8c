/**
 * The files the conformance tests read with both the real openpyxl and our readers: what our writer makes of the
 * value-rule examples and of tricky items, what other writers make (exceljs in memory and streaming, SheetJS, as n8n's
 * Convert to File does), hand-made sheets with short and missing rows, and every `.xlsx` other test suites uploaded
 * to the emulator during the same `npm test` (see `capturedCorpus`).
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough } from 'stream';

import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import type { IDataObject } from 'n8n-workflow';
import * as XLSX from 'xlsx';

import { writeItemsXlsx, type WriteItemsOptions } from '../../nodes/CommCareBulkImport/spreadsheet/writer';
import { CAPTURED_CORPUS_FOLDER } from './capture';

export interface CorpusFile {
	name: string;
	path: string;
	/** The ID column HQ would read (`search_column`), for the row records. */
	searchColumn: string;
}

/** Writes items as Bulk Import does, into memory. */
export async function writeItems(
	items: IDataObject[],
	columns: string[],
	opts: Partial<WriteItemsOptions> = {},
): Promise<Buffer> {
	const out = new PassThrough();
	const chunks: Buffer[] = [];
	out.on('data', (chunk: Buffer) => chunks.push(chunk));
	await writeItemsXlsx(items, columns, out, {
		sheetName: 'cases',
		textColumns: ['case_id', 'external_id'],
		nestedAsJson: false,
		...opts,
	});
	return Buffer.concat(chunks);
}

const WORKBOOK = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr DATE1904/><sheets><sheet name="cases" sheetId="1" r:id="rId1"/></sheets></workbook>`;
const WORKBOOK_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`;
const ROOT_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`;
const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`;
/** Cell styles: 0 General, 1 a date (14), 2 a time (21), 3 a duration ([h]:mm:ss), 4 a custom date, 5 text (@). */
const STYLES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy\\ hh:mm"/></numFmts><fonts count="1"><font/></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="21"/><xf numFmtId="46"/><xf numFmtId="164"/><xf numFmtId="49"/></cellXfs></styleSheet>`;

/**
 * A hand-made workbook: `sheetData` is the worksheet's rows XML as given, `dimension` the `ref` of a `<dimension>`
 * (none when absent), `strings` the shared strings (each an `<si>`'s inner XML).
 */
export async function handMadeXlsx(options: {
	sheetData: string;
	dimension?: string;
	strings?: string[];
	date1904?: boolean;
}): Promise<Buffer> {
	const zip = new JSZip();
	const dimension = options.dimension === undefined ? '' : `<dimension ref="${options.dimension}"/>`;
	zip.file('[Content_Types].xml', CONTENT_TYPES);
	zip.file('_rels/.rels', ROOT_RELS);
	zip.file('xl/workbook.xml', WORKBOOK.replace('DATE1904', options.date1904 ? 'date1904="1"' : ''));
	zip.file('xl/_rels/workbook.xml.rels', WORKBOOK_RELS);
	zip.file('xl/styles.xml', STYLES);
	const strings = options.strings ?? [];
	zip.file(
		'xl/sharedStrings.xml',
		`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${strings.length}" uniqueCount="${strings.length}">${strings.map((si) => `<si>${si}</si>`).join('')}</sst>`,
	);
	zip.file(
		'xl/worksheets/sheet1.xml',
		`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">${dimension}<sheetData>${options.sheetData}</sheetData></worksheet>`,
	);
	return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

const HEADER =
	'<row r="1"><c r="A1" t="inlineStr"><is><t>external_id</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c><c r="C1" t="inlineStr"><is><t>age</t></is></c></row>';
const str = (ref: string, text: string) => `<c r="${ref}" t="str"><v>${text}</v></c>`;
const num = (ref: string, value: string, style = 0) =>
	`<c r="${ref}"${style ? ` s="${style}"` : ''}><v>${value}</v></c>`;

/** Hand-made sheets for the shapes that decide what HQ reads. */
export const HAND_MADE: Record<string, Parameters<typeof handMadeXlsx>[0]> = {
	shortRowsWithoutDimension: {
		sheetData: `${HEADER}<row r="2">${str('A2', 'X1')}${str('B2', 'Asha')}${num('C2', '30')}</row><row r="3">${str('A3', 'X2')}</row><row r="4">${str('A4', 'X3')}<c r="B4"/><c r="C4"/></row><row r="5"><c r="B5" t="str"><v>no id</v></c></row>`,
	},
	missingRowWithoutDimension: {
		sheetData: `${HEADER}<row r="2">${str('A2', 'X1')}${str('B2', 'Asha')}${num('C2', '30')}</row><row r="4">${str('A4', 'X3')}${str('B4', 'Baraka')}${num('C4', '41')}</row>`,
	},
	missingRowWithDimension: {
		dimension: 'A1:C4',
		sheetData: `${HEADER}<row r="2">${str('A2', 'X1')}</row><row r="4">${str('A4', 'X3')}${str('B4', 'Baraka')}</row>`,
	},
	dimensionCutsRowsAndColumns: {
		dimension: 'A1:B3',
		sheetData: `${HEADER}<row r="2">${str('A2', 'X1')}${str('B2', 'Asha')}${num('C2', '30')}</row><row r="3">${str('A3', 'X2')}</row><row r="4">${str('A4', 'X3')}${str('B4', 'Baraka')}</row>`,
	},
	dimensionLongerThanData: {
		dimension: 'A1:D9',
		sheetData: `${HEADER}<row r="2">${str('A2', 'X1')}</row>`,
	},
	dimensionColumnsOnly: {
		dimension: 'A:C',
		sheetData: `${HEADER}<row r="2">${str('A2', 'X1')}</row><row r="3"/><row r="4">${str('A4', 'X4')}${num('C4', '7')}</row>`,
	},
	rowsOutOfOrderAndWithoutNumbers: {
		sheetData: `${HEADER}<row r="3">${str('A3', 'X3')}</row><row r="2">${str('A2', 'X2')}</row><row><c t="str"><v>X4</v></c><c t="str"><v>no ref</v></c></row>`,
	},
	cellTypes: {
		strings: [
			'<t>shared</t>',
			'<r><t>rich </t></r><r><t>text</t></r><rPh sb="0" eb="1"><t>phonetic</t></rPh>',
			'<t>   </t>',
			'<t>---</t>',
			'<t/>',
			'<t>a_x005F_b</t>',
		],
		sheetData: `${HEADER}<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c><c r="C2" t="b"><v>1</v></c><c r="D2" t="e"><v>#N/A</v></c><c r="E2" t="d"><v>2024-03-05T10:20:30</v></c><c r="F2" t="d"><v>2024-03-05</v></c></row><row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3" t="s"><v>3</v></c><c r="C3" t="b"><v>0</v></c><c r="D3" t="s"><v>4</v></c><c r="E3" t="s"><v>5</v></c><c r="F3" t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r></is></c></row><row r="4">${num('A4', ' 12 ')}${num('B4', '1_000')}${num('C4', '007')}${num('D4', '1e3')}${num('E4', '12345678901234567890')}${num('F4', '-0')}</row><row r="5">${num('A5', '0.00005')}${num('B5', '1e-7')}${num('C5', '30.0')}${num('D5', '1e16')}${num('E5', '1.5E+300')}${num('F5', '0.1')}</row>`,
	},
	datesAndTimes: {
		sheetData: `${HEADER}<row r="2">${num('A2', '45356', 1)}${num('B2', '45356.5', 1)}${num('C2', '0.75', 2)}${num('D2', '1.25', 3)}${num('E2', '45356.999999', 4)}${num('F2', '59', 1)}</row><row r="3">${num('A3', '61', 1)}${num('B3', '0', 1)}${num('C3', '45356', 5)}${num('D3', '2958466', 1)}${num('E3', '-1', 1)}${num('F3', '0.5', 3)}</row>`,
	},
	dates1904: {
		date1904: true,
		sheetData: `${HEADER}<row r="2">${num('A2', '0', 1)}${num('B2', '43894.25', 1)}${num('C2', '1', 1)}</row>`,
	},
	falsyLastRowsAndGaps: {
		sheetData: `${HEADER}<row r="2">${str('A2', 'X1')}</row><row r="3">${num('A3', '0')}<c r="B3" t="b"><v>0</v></c></row><row r="4">${str('A4', 'X4')}</row><row r="5">${num('A5', '0')}${num('C5', '0')}</row>`,
	},
	rowsAfterAThousandBlankRows: {
		sheetData: `${HEADER}<row r="2">${str('A2', 'X1')}</row>${Array.from({ length: 1001 }, (_, i) => `<row r="${i + 3}"><c r="A${i + 3}"/></row>`).join('')}<row r="1004">${str('A1004', 'far')}</row>`,
	},
	missingRowsBeyondAThousand: {
		sheetData: `${HEADER}<row r="2">${str('A2', 'X1')}</row><row r="1500">${str('A1500', 'far')}</row>`,
	},
	textThatLooksLikeNumbers: {
		sheetData: `${HEADER}${[
			'00123',
			' 12 ',
			'1_000',
			'١٢٣',
			'１２３',
			'12.9',
			'-0.5',
			'1e3',
			'True',
			'0',
			'2024-03-05',
			'inf',
			'nan',
			'12345678901234567890',
			'---',
			' --- ',
			'\u00a012\u3000',
		]
			.map((text, i) => `<row r="${i + 2}">${str(`A${i + 2}`, text)}${str(`B${i + 2}`, `n${i}`)}</row>`)
			.join('')}`,
	},
	duplicateAndBlankHeaders: {
		sheetData: `<row r="1"><c r="A1" t="str"><v>external_id</v></c><c r="B1" t="str"><v>name</v></c><c r="C1"/><c r="D1" t="str"><v>name</v></c><c r="E1"><v>0</v></c></row><row r="2">${str('A2', 'X1')}${str('B2', 'first')}${str('C2', 'under a blank header')}${str('D2', 'second')}${str('E2', 'under 0')}</row><row r="3">${str('A3', 'X2')}${str('B3', 'only first')}</row>`,
	},
};

/** exceljs's in-memory writer (it writes a dimension). */
async function exceljsInMemory(): Promise<Buffer> {
	const workbook = new ExcelJS.Workbook();
	const sheet = workbook.addWorksheet('cases');
	sheet.addRow(['external_id', 'name', 'age', 'dob', 'visit', 'consent', 'note', 'score']);
	sheet.addRow([
		'X1',
		'Asha',
		34,
		new Date(Date.UTC(1990, 1, 3)),
		new Date(Date.UTC(2024, 2, 5, 14, 30)),
		true,
		null,
		0.5,
	]);
	sheet.addRow(['X2', { richText: [{ text: 'Ba' }, { text: 'raka' }] }, null, null, null, false, 'x', 1e-7]);
	sheet.addRow([]);
	sheet.addRow(['X4', { formula: '1+1', result: 2 }, { text: 'link', hyperlink: 'http://example.org' }]);
	sheet.addRow([null, null, null, null, null, null, null, 0]);
	return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** exceljs's streaming writer (no dimension, nulls and empty rows left out), with shared strings and styles. */
async function exceljsStreaming(): Promise<Buffer> {
	const out = new PassThrough();
	const chunks: Buffer[] = [];
	out.on('data', (chunk: Buffer) => chunks.push(chunk));
	const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: true, useStyles: true });
	const sheet = workbook.addWorksheet('cases');
	sheet.addRow(['external_id', 'name', 'age', 'dob']).commit();
	sheet.addRow(['X1', 'Asha', 34, new Date(Date.UTC(2024, 2, 5))]).commit();
	sheet.addRow(['X2', null, null, null]).commit();
	sheet.addRow([null, null, null, null]).commit();
	sheet.addRow(['X4', 'Baraka']).commit();
	sheet.addRow([null, 'no id', 5]).commit();
	await workbook.commit();
	return Buffer.concat(chunks);
}

/** SheetJS, as n8n's Convert to File writes `.xlsx` (a dimension; empty cells left out). */
function sheetJs(): Buffer {
	const sheet = XLSX.utils.json_to_sheet([
		{ external_id: 'X1', name: 'Asha', age: 34, dob: new Date(Date.UTC(2024, 2, 5)) },
		{ external_id: 'X2', name: null, age: null },
		{},
		{ external_id: '00123', name: 'Zero', age: 0.00005 },
		{ external_id: null, name: 'last', age: null },
	]);
	const book = XLSX.utils.book_new();
	XLSX.utils.book_append_sheet(book, sheet, 'cases');
	return XLSX.write(book, { type: 'buffer', bookType: 'xlsx', cellDates: true }) as Buffer;
}

/** Items our writer gets in the value rules, the hardening tests and the traps of docs/commcare-api.md §6.1a. */
export const WRITER_CASES: Record<string, { items: IDataObject[]; columns: string[]; searchColumn: string }> = {
	blankItemInTheMiddle: {
		items: [
			{ external_id: 'X1', name: 'Asha', age: 30 },
			{ external_id: null, name: null, age: null },
			{ external_id: 'X3', name: 'Baraka', age: null },
		],
		columns: ['external_id', 'name', 'age'],
		searchColumn: 'external_id',
	},
	createOnlyByCaseIdWithEmptyIdColumn: {
		items: [
			{ name: 'Asha', age: 30 },
			{ name: 'Baraka', age: 41 },
		],
		columns: ['name', 'age', 'case_id'],
		searchColumn: 'case_id',
	},
	nullIdInTheLastColumn: {
		items: [
			{ name: 'Asha', external_id: 'X1' },
			{ name: 'Baraka', external_id: null },
		],
		columns: ['name', 'external_id'],
		searchColumn: 'external_id',
	},
	nullsInTheLastColumns: {
		items: [{ external_id: 'X1', name: 'Asha', village: null, age: null }],
		columns: ['external_id', 'name', 'village', 'age'],
		searchColumn: 'external_id',
	},
	values: {
		items: [
			{ external_id: '00123', name: '=HYPERLINK("x")', n: 5, f: 5.5, tiny: 0.00005, tinier: 1e-7, big: 1e21, b: true },
			{
				external_id: 456,
				name: 'TRUE',
				n: -0,
				f: 0.1 + 0.2,
				tiny: -2.5e-7,
				tinier: 1e-10,
				big: 12345678901234567000,
				b: false,
			},
			{ external_id: true, name: '---', n: 0, f: 30, tiny: 1e-4, tinier: 9.99e-5, big: 1e16, b: null },
			{
				external_id: ' 12 ',
				name: ' --- ',
				n: 2 ** 53,
				f: 123456789012345.6,
				tiny: 5e-324,
				tinier: -1e-5,
				big: 1.5e300,
				b: true,
			},
		],
		columns: ['external_id', 'name', 'n', 'f', 'tiny', 'tinier', 'big', 'b'],
		searchColumn: 'external_id',
	},
	datesAndText: {
		items: [
			{
				case_id: 'c1',
				dob: '1990-02-03',
				visit: '2024-03-05T14:30:00.000Z',
				midnight: '2024-03-05T00:00:00Z',
				offset: '2024-03-05T14:30:00+02:00',
				js: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
				old: '1899-12-31',
				controls: 'a\u0007b\uD800c',
				cr: 'line\r\nnext',
			},
		],
		columns: ['case_id', 'dob', 'visit', 'midnight', 'offset', 'js', 'old', 'controls', 'cr'],
		searchColumn: 'case_id',
	},
	wideSheet: {
		items: [Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`p${i}`, i % 3 === 0 ? null : `v${i}`]))],
		columns: Array.from({ length: 40 }, (_, i) => `p${i}`).concat('external_id'),
		searchColumn: 'external_id',
	},
};

/** Writes the whole corpus into a fresh temporary folder. */
export async function buildCorpus(): Promise<CorpusFile[]> {
	const folder = mkdtempSync(path.join(os.tmpdir(), 'commcare-conformance-'));
	const files: CorpusFile[] = [];
	const add = (name: string, data: Buffer, searchColumn = 'external_id') => {
		const file = path.join(folder, `${name}.xlsx`);
		writeFileSync(file, data);
		files.push({ name, path: file, searchColumn });
	};
	for (const [name, { items, columns, searchColumn }] of Object.entries(WRITER_CASES)) {
		add(
			`ours-${name}`,
			await writeItems(items, columns, { textColumns: [searchColumn, 'case_id', 'external_id'] }),
			searchColumn,
		);
	}
	for (const [name, options] of Object.entries(HAND_MADE)) add(`hand-${name}`, await handMadeXlsx(options));
	add('exceljs-in-memory', await exceljsInMemory());
	add('exceljs-streaming', await exceljsStreaming());
	add('sheetjs', sheetJs());
	return files;
}

/** The `.xlsx` files the unit and integration suites uploaded to the emulator in this `npm test` (see capture.ts). */
export function capturedCorpus(): CorpusFile[] {
	if (!existsSync(CAPTURED_CORPUS_FOLDER)) return [];
	return readdirSync(CAPTURED_CORPUS_FOLDER)
		.filter((name) => name.endsWith('.xlsx'))
		.sort()
		.map((name) => ({
			name: `captured-${name}`,
			path: path.join(CAPTURED_CORPUS_FOLDER, name),
			searchColumn: name.split('--')[0],
		}));
}
