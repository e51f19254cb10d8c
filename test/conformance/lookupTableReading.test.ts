/**
 * The emulator reads a lookup-table workbook as CommCare HQ's fixture reader does, held to the real openpyxl with
 * `calculate_dimension(force=True)` (lookup_table_read.py): the header's width, short rows padded to the computed
 * size, reading stopped at the first blank row, values as `_convert_float` and `str()` leave them, and the crash of
 * an empty sheet without a `<dimension>`.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

import ExcelJS from 'exceljs';
import JSZip from 'jszip';

import { FixtureSheet, UploadCrash, WorkbookReadError, type PyValue } from '../../emulator/lookupTables/workbookReader';
import { readXlsxWorksheets } from '../../emulator/xlsxReader';
import { conformanceSuite } from './python';

const SCRIPT = path.join(__dirname, 'lookup_table_read.py');

type Answer = { error: string } | { sheets: Array<Record<string, unknown>> };

async function exceljsBook(sheets: Record<string, unknown[][]>): Promise<Buffer> {
	const book = new ExcelJS.Workbook();
	for (const [title, rows] of Object.entries(sheets)) {
		const sheet = book.addWorksheet(title);
		rows.forEach((row, index) => {
			if (row.length > 0) sheet.getRow(index + 1).values = row as ExcelJS.CellValue[];
		});
	}
	return Buffer.from(await book.xlsx.writeBuffer());
}

/** Every sheet part without its `<dimension>`, and (optionally) one sheet's rows replaced by hand-written XML. */
async function reshaped(data: Buffer, sheetData?: { part: string; xml: string }): Promise<Buffer> {
	const zip = await JSZip.loadAsync(data);
	for (const name of Object.keys(zip.files).filter((file) => /^xl\/worksheets\/sheet\d+\.xml$/.test(file))) {
		let xml = (await zip.file(name)?.async('string')) ?? '';
		xml = xml.replace(/<dimension [^>]*\/>/, '');
		if (sheetData?.part === name) xml = xml.replace(/<sheetData\s*\/>|<sheetData>[\s\S]*<\/sheetData>/, sheetData.xml);
		zip.file(name, xml);
	}
	return zip.generateAsync({ type: 'nodebuffer' });
}

const values = [
	['Delete(Y/N)', 'table_id', 'field: a', 'field: b', 'field: c'],
	['N', '  padded  ', 5, 2.5, 0.00005],
	['', 'x', 5.0, true, new Date(Date.UTC(2024, 2, 5))],
	['', 'y', new Date(Date.UTC(2024, 2, 5, 14, 30)), 1e20, -0],
	['   ', '', '', '', ''],
	[],
	['after', 'the', 'blank', 'row', 'x'],
];

async function corpus(): Promise<Array<{ name: string; data: Buffer }>> {
	const files: Array<{ name: string; data: Buffer }> = [];
	const add = (name: string, data: Buffer) => files.push({ name, data });
	add('values-with-dimension', await exceljsBook({ types: values }));
	add('values-without-dimension', await reshaped(await exceljsBook({ types: values })));
	const short = await exceljsBook({
		types: [
			['UID', 'Delete(Y/N)', 'field: a', 'field: b'],
			['', 'N', 'x'],
			['', '', '', 'only d'],
		],
	});
	add('short-rows-with-dimension', short);
	add('short-rows-without-dimension', await reshaped(short));
	add(
		'header-gap',
		await reshaped(
			await exceljsBook({
				types: [
					['a', 'b', null, 'd'],
					['1', '2', '3', '4'],
				],
			}),
		),
	);
	const two = await exceljsBook({ types: [['table_id'], ['t']], t: [['field: x'], ['1']] });
	add(
		'hand-made-rows',
		await reshaped(two, {
			part: 'xl/worksheets/sheet2.xml',
			xml:
				'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>field: x</t></is></c><c r="B1" t="inlineStr"><is><t>field: y</t></is></c></row>' +
				'<row r="3"><c r="A3"><v>7</v></c></row><row r="2"><c r="B2"><v>1.5</v></c></row>' +
				'<row r="4"><c r="A4"><v>3</v></c><c r="F4"/></row></sheetData>',
		}),
	);
	const empty = new ExcelJS.Workbook();
	empty.addWorksheet('types').addRow(['table_id']);
	empty.addWorksheet('empty');
	const emptyData = Buffer.from(await empty.xlsx.writeBuffer());
	add('empty-sheet-with-dimension', emptyData);
	add('empty-sheet-without-dimension', await reshaped(emptyData));
	add(
		'number-header',
		await exceljsBook({
			types: [
				['table_id', 2024],
				['a', 'b'],
			],
		}),
	);
	return files;
}

const typed = (value: PyValue): [string, string] =>
	typeof value === 'string' ? ['str', value] : [(value as { type: string }).type, (value as { str: string }).str];

async function ours(data: Buffer): Promise<Answer> {
	const sheets = [];
	for (const raw of await readXlsxWorksheets(data)) {
		try {
			const sheet = new FixtureSheet(raw);
			sheets.push({
				title: sheet.title,
				maxRow: sheet.maxRow,
				maxColumn: sheet.maxColumn,
				rows: [sheet.headers, ...sheet.valueRows].filter((row) => row.length > 0).map((row) => row.map(typed)),
			});
		} catch (error) {
			if (error instanceof WorkbookReadError && error.kind === 'header')
				sheets.push({ title: raw.title, crash: 'HeaderValueError' });
			else if (error instanceof UploadCrash) sheets.push({ title: raw.title, crash: 'crash' });
			else throw error;
		}
	}
	return { sheets };
}

function normalised(answer: Answer): Answer {
	if ('error' in answer) return answer;
	return {
		sheets: answer.sheets.map((sheet) =>
			'crash' in sheet ? { ...sheet, crash: sheet.crash === 'HeaderValueError' ? 'HeaderValueError' : 'crash' } : sheet,
		),
	};
}

conformanceSuite('the lookup-table reader reads workbooks as CommCare’s fixture reader does', (python) => {
	test('every sheet of every file: width, size, rows and values alike; the same crashes', async () => {
		const files = await corpus();
		const folder = mkdtempSync(path.join(os.tmpdir(), 'lookup-table-conformance-'));
		const paths = files.map((file) => {
			const where = path.join(folder, `${file.name}.xlsx`);
			writeFileSync(where, file.data);
			return where;
		});
		const output = execFileSync(python, [SCRIPT], { input: JSON.stringify({ files: paths }), timeout: 120_000 });
		const answers = (JSON.parse(output.toString('utf8')) as Answer[]).map(normalised);
		const differences: string[] = [];
		for (const [index, file] of files.entries()) {
			const mine = await ours(readFileSync(paths[index]));
			if (JSON.stringify(mine) !== JSON.stringify(answers[index])) {
				differences.push(`${file.name}: ${JSON.stringify(mine)} ≠ ${JSON.stringify(answers[index])}`);
			}
		}
		expect(differences).toEqual([]);
		// The corpus really holds the cases it is for.
		const crashes = answers.flatMap((answer) => ('sheets' in answer ? answer.sheets.filter((s) => 'crash' in s) : []));
		expect(crashes.map((sheet) => sheet.crash).sort()).toEqual(['HeaderValueError', 'crash']);
	}, 120_000);
});
