/**
 * Reads a user's lookup-table workbook as CommCare's upload reads it, within fixed bounds (the file's size, what it
 * inflates to, the rows read): every sheet, each row as the texts CommCare stores, up to the first blank row. What
 * the sheets say is turned into the plan, and everything CommCare would refuse or crash on into findings
 * (tablesFromSheets.ts).
 */
import { createReadStream, createWriteStream } from 'fs';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { createZipParser } from '../../shared/spreadsheet/exceljsInternals';
import { InflateBudget, drain, megabytes } from '../../shared/spreadsheet/inflateBudget';
import { readSheetXml } from '../../shared/spreadsheet/sheetXml';
import {
	type HeaderCell,
	type ReadRow,
	type SheetRowReceiver,
	SpreadsheetReadError,
	StopReading,
} from '../../shared/spreadsheet/sheetReading';
import { WorkbookParts } from '../../shared/spreadsheet/xlsxParts';
import { ScratchFolder } from '../../shared/temporaryFolder';
import { type TableFinding, tableFinding } from '../checks/findings';
import { type LookupTablePlan, MAX_WORKBOOK_ROWS } from '../model';
import { storedCellText } from './rowDict';
import type { ReadSheet } from './readSheet';
import { tablesFromSheets } from './tablesFromSheets';

export interface WorkbookReadLimits {
	/** The largest file read. */
	fileBytes: number;
	/** Rows read in all sheets: past CommCare's limit (with a margin to say by how much), reading stops. */
	rows: number;
}

export const TABLE_WORKBOOK_LIMITS: WorkbookReadLimits = {
	fileBytes: 256 * 1024 * 1024,
	rows: MAX_WORKBOOK_ROWS + 1000,
};

/** Collects one sheet from the shared sheet reader. */
class SheetCollector implements SheetRowReceiver {
	readonly sheet: ReadSheet;
	private blankAt: number | null = null;
	private lastRow = 1;

	constructor(
		name: string,
		private readonly keepKinds: boolean,
		private readonly budget: { rowsLeft: number },
	) {
		this.sheet = {
			name,
			header: [],
			hasHeader: false,
			hasDimension: false,
			rows: [],
			blankRowBeforeData: null,
			dataWithoutHeader: [],
			rowCount: 0,
		};
	}

	setDimensionWidth(): void {
		this.sheet.hasDimension = true;
	}

	setHeader(cells: HeaderCell[]): void {
		const width = cells.findIndex((cell) => cell.kind === 'blank');
		this.sheet.header = width < 0 ? cells : cells.slice(0, width);
		this.sheet.hasHeader = true;
		this.sheet.rowCount = 1;
	}

	addRow(row: ReadRow): boolean {
		const { sheet } = this;
		sheet.rowCount = row.rowNumber;
		if (--this.budget.rowsLeft < 0) return false;
		const width = sheet.header.length;
		const texts: string[] = [];
		const kinds: string[] = [];
		let blank = true;
		for (let index = 0; index < width; index++) {
			const value = index < row.cellCount ? row.valueAt(index) : null;
			const text = storedCellText(value);
			// Blank for CommCare: no value (an empty text reads as none); a text of spaces is a value, stored as ''.
			if (value !== null && value !== '') blank = false;
			texts.push(text);
			if (this.keepKinds) kinds.push(value === null ? 'blank' : typeof value === 'string' ? 'text' : 'other');
		}
		for (let index = width; index < row.cellCount; index++) {
			if (!row.isBlankAt(index)) {
				if (sheet.dataWithoutHeader.length < 5) sheet.dataWithoutHeader.push(row.rowNumber);
				break;
			}
		}
		// Rows missing from the file between two rows are blank rows to CommCare's reader.
		if (this.blankAt === null && row.rowNumber > this.lastRow + 1) this.blankAt = this.lastRow + 1;
		this.lastRow = row.rowNumber;
		if (blank) {
			this.blankAt ??= row.rowNumber;
			return true;
		}
		if (this.blankAt !== null) {
			sheet.blankRowBeforeData ??= { blankRow: this.blankAt, nextDataRow: row.rowNumber, dataRowsAfter: 0 };
			sheet.blankRowBeforeData.dataRowsAfter++;
			return true;
		}
		sheet.rows.push({ sheetRow: row.rowNumber, texts, kinds: this.keepKinds ? kinds : undefined });
		return true;
	}

	noteOutsideDimension(): void {
		// openpyxl reads nothing past the sheet's size: neither does this reader, and CommCare never sees it.
	}

	noteRowOutOfOrder(): void {
		// openpyxl skips such rows too.
	}
}

/**
 * Reads `input` (a workbook file's bytes). A file that cannot be read at all gives one `unreadableWorkbook` finding
 * and an empty plan; otherwise the plan holds every table the `types` sheet lists, with the rows CommCare would read.
 */
export async function readTableWorkbook(
	input: Buffer,
	limits: Partial<WorkbookReadLimits> = {},
): Promise<{ plan: LookupTablePlan; findings: TableFinding[] }> {
	const bounds = { ...TABLE_WORKBOOK_LIMITS, ...limits };
	if (input.length > bounds.fileBytes) {
		return unreadable(
			`The workbook is ${megabytes(input.length)}, more than the ${megabytes(bounds.fileBytes)} this node reads`,
			"A lookup-table workbook that size is far beyond CommCare's row limit. Check that the right file was given.",
		);
	}
	let sheets: ReadSheet[];
	let tooManyRows = false;
	try {
		const budget = { rowsLeft: bounds.rows };
		sheets = await readSheets(input, budget);
		tooManyRows = budget.rowsLeft < 0;
	} catch (error) {
		if (error instanceof SpreadsheetReadError) return unreadable(error.message, error.description);
		return unreadable(
			`The workbook could not be read (${(error as Error).message})`,
			'CommCare accepts only .xlsx files. Is it a valid, unprotected .xlsx? Save it again as .xlsx (without a password).',
		);
	}
	const { plan, findings } = tablesFromSheets(sheets);
	if (tooManyRows) {
		findings.push(
			tableFinding(
				'tooManyRows',
				`The workbook has more than ${bounds.rows.toLocaleString('en-US')} rows`,
				`CommCare refuses a lookup-table workbook with more than ${MAX_WORKBOOK_ROWS.toLocaleString('en-US')} rows, counting every sheet and its header. Split it into several files.`,
			),
		);
	}
	return { plan, findings };
}

function unreadable(message: string, description: string): { plan: LookupTablePlan; findings: TableFinding[] } {
	return { plan: { tables: [] }, findings: [tableFinding('unreadableWorkbook', message, description)] };
}

/**
 * Every worksheet, in workbook order. Worksheets are set aside in a temporary folder as the zip gives them (the parts
 * their cells need may come after them), then read; every entry is metered against the inflate limits.
 */
async function readSheets(input: Buffer, budget: { rowsLeft: number }): Promise<ReadSheet[]> {
	const scratch = new ScratchFolder();
	const parts = new WorkbookParts(scratch);
	try {
		const inflate = new InflateBudget();
		// The whole file is at hand: the ratio is measured against all of it.
		inflate.compressedBytes = input.length;
		const zip = createZipParser();
		const feeding = pipeline(Readable.from(chunksOf(input)), zip).catch((error: Error) => zip.destroy(error));
		const setAside = new Map<string, string>();
		try {
			for await (const entry of zip) {
				const part = entry.path.replace(/^\/+/, '');
				const xml = inflate.meter(entry, part);
				if (await parts.readPart(part, xml)) continue;
				if (/^xl\/worksheets\/[^/]+\.xml$/.test(part)) {
					const file = scratch.path(`sheet-${setAside.size + 1}.xml`);
					await pipeline(Readable.from(xml), createWriteStream(file));
					setAside.set(part, file);
				} else await drain(xml);
			}
		} finally {
			zip.destroy();
			await feeding;
		}
		const worksheets = parts.worksheetParts();
		if (!worksheets || worksheets.length === 0) {
			throw new SpreadsheetReadError(
				'The file is not a readable .xlsx workbook (no sheets found)',
				'CommCare accepts only .xlsx files. It may be password-protected, or another format with an .xlsx name: save it again as .xlsx.',
			);
		}
		const sheets: ReadSheet[] = [];
		for (const { name, part } of worksheets) {
			const collector = new SheetCollector(name, name === 'types', budget);
			const file = setAside.get(part);
			if (file) {
				await readSheetXml(createReadStream(file), collector, parts).catch((error: unknown) =>
					error instanceof StopReading ? undefined : Promise.reject(error),
				);
			}
			sheets.push(collector.sheet);
			if (budget.rowsLeft < 0) break;
		}
		return sheets;
	} finally {
		parts.strings.close();
		scratch.remove();
	}
}

function* chunksOf(input: Buffer): Generator<Buffer> {
	const size = 64 * 1024;
	for (let start = 0; start < input.length; start += size) yield input.subarray(start, start + size);
}
