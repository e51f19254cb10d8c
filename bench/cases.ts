/**
 * The benchmark cases. Each runs alone in its own child process (`child.ts`), so its peak memory is its own.
 *
 * To add a case: append an object to `cases`. `prepare()` builds the input (the memory it holds is the baseline,
 * not counted against the case); `run()` does the measured work and says how many bytes it produced. Cases that
 * compare with each other share a `group`; the table prints groups together and `run.ts` computes the target ratios.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Writable } from 'stream';
import { finished } from 'stream/promises';

import * as ExcelJS from 'exceljs';
import type { IDataObject } from 'n8n-workflow';
import * as XLSX from 'xlsx';

import { preflightValueColumns, runPreflight } from '../nodes/shared/preflight';
import { inspectItems, inspectSpreadsheet, planColumns, safeSheetName, writeItemsXlsx } from '../nodes/shared/spreadsheet';
import type { ImportSettings } from '../nodes/shared/types';
import { makeRows } from './data';

export interface BenchCase<Input = unknown> {
	/** Stable id: the command-line name and the key in results JSON. */
	name: string;
	group: string;
	description: string;
	prepare(): Promise<Input>;
	run(input: Input): Promise<{ outputBytes: number }>;
}

/** A sink that counts bytes and drops them: measures building the file, not the disk. */
function countingSink(): Writable & { bytes: number } {
	const sink = new Writable({
		write(chunk: Buffer, _encoding, callback) {
			sink.bytes += chunk.length;
			callback();
		},
	}) as Writable & { bytes: number };
	sink.bytes = 0;
	return sink;
}

const buildInput = async () => {
	const items = makeRows();
	return { items, columns: planColumns(items) };
};
type BuildInput = Awaited<ReturnType<typeof buildInput>>;

const buildCases: Array<BenchCase<BuildInput>> = [
	{
		name: 'ours',
		group: 'build .xlsx from 100k x 20 items',
		description: "the node's path: writeItemsXlsx (value rules, text ids, dates, streaming with backpressure)",
		prepare: buildInput,
		async run({ items }) {
			const out = countingSink();
			// Column planning is part of the node's path, so it is measured too.
			const columns = planColumns(items, { ensure: ['case_id'] });
			await writeItemsXlsx(items, columns, out, {
				sheetName: safeSheetName('patient'),
				textColumns: ['case_id', 'external_id'],
				nestedAsJson: false,
			});
			return { outputBytes: out.bytes };
		},
	},
	{
		name: 'rawExceljs',
		group: 'build .xlsx from 100k x 20 items',
		description: 'exceljs stream.xlsx.WorkbookWriter, values as they are, one addRow().commit() per item',
		prepare: buildInput,
		async run({ items, columns }) {
			const out = countingSink();
			const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
			const sheet = workbook.addWorksheet('cases');
			sheet.addRow(columns).commit();
			for (const item of items) sheet.addRow(columns.map((column) => (item[column] ?? null) as ExcelJS.CellValue)).commit();
			sheet.commit();
			await workbook.commit();
			return { outputBytes: out.bytes };
		},
	},
	{
		name: 'sheetjs',
		group: 'build .xlsx from 100k x 20 items',
		description: "n8n Convert to File's path: SheetJS 0.18.5 json_to_sheet, then write (bookSST false, no compression: its defaults)",
		prepare: buildInput,
		async run({ items }) {
			const sheet = XLSX.utils.json_to_sheet(items as IDataObject[]);
			const workbook = XLSX.utils.book_new();
			XLSX.utils.book_append_sheet(workbook, sheet, 'Sheet');
			const buffer = XLSX.write(workbook, { bookType: 'xlsx', bookSST: false, type: 'buffer' }) as Buffer;
			return { outputBytes: buffer.length };
		},
	},
];

const settings: ImportSettings = {
	projectSpace: 'demo',
	caseType: 'patient',
	searchField: 'external_id',
	searchColumn: 'external_id',
	createNewCases: true,
	nameColumn: 'name',
	comment: '',
};

const checkCases: BenchCase[] = [
	{
		name: 'checkItems',
		group: 'checks before upload, 100k x 20',
		description: 'inspectItems + runPreflight on the items (what the items source does before writing)',
		prepare: buildInput,
		async run(input) {
			const { items, columns } = input as BuildInput;
			const inspection = inspectItems(items, columns, {
				sheetName: 'cases',
				textColumns: ['case_id', 'external_id'],
				nestedAsJson: false,
				valueColumns: preflightValueColumns(settings, columns),
			});
			runPreflight({ settings, ...inspection, rowToItem: (row) => row - 2 });
			return { outputBytes: 0 };
		},
	},
	{
		name: 'checkXlsxFile',
		group: 'checks before upload, 100k x 20',
		description: 'inspectSpreadsheet (exceljs streaming reader) + runPreflight on a 100k-row .xlsx file read from disk',
		async prepare() {
			const { items, columns } = await buildInput();
			const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'commcare-bench-')), 'cases.xlsx');
			const out = createWriteStream(file);
			await writeItemsXlsx(items, columns, out, { sheetName: 'cases', textColumns: ['case_id', 'external_id'], nestedAsJson: false });
			await finished(out);
			return { file, headers: columns };
		},
		async run(input) {
			const { file, headers } = input as { file: string; headers: string[] };
			const inspection = await inspectSpreadsheet(createReadStream(file), 'xlsx', {
				valueColumns: preflightValueColumns(settings, headers),
			});
			runPreflight({ settings, ...inspection });
			rmSync(path.dirname(file), { recursive: true, force: true });
			return { outputBytes: 0 };
		},
	},
];

export const cases: BenchCase[] = [...(buildCases as BenchCase[]), ...checkCases];
