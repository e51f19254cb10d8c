/** Reads a user's file (or the items) just enough for the checks: `.xlsx` and `.csv`, streaming. */
import { Readable } from 'stream';
import type { IDataObject } from 'n8n-workflow';
import { inspectCsv } from './csv';
import { type SpreadsheetFormat } from './formats';
import { type SheetInspection } from './inspection';
import type { ReadRow } from '../../shared/spreadsheet/sheetReading';
import { RowCollector } from './rowCollector';
import {
	isTruthyCell,
	serverText,
	isBlankMarker,
	isBlankText,
	hasUnstorableCharacters,
	textAsWritten,
} from '../../shared/cellText';
import type { CellValue } from '../../shared/spreadsheet/exceljsInternals';
import { columnConverters, ownValue } from './values';
import { type WriteItemsOptions, itemIndexFor } from './writer';
import { inspectXlsx } from './xlsxReader';

/**
 * Reads the first sheet's header, row count and the values of `valueColumns`, streaming: memory holds the requested
 * columns' values, not the sheet. `.xlsx` through exceljs's zip reader and XML parser (see "Reading an .xlsx for the
 * checks" below); `.csv` through the CSV parser exceljs uses (fast-csv), raw text as written. `.xls` cannot be read by exceljs: the result says so in `limitation` and holds nothing else; the
 * input is not consumed.
 */
export async function inspectSpreadsheet(
	input: NodeJS.ReadableStream | Buffer,
	extension: SpreadsheetFormat,
	opts: { valueColumns: string[]; searchColumn?: string },
): Promise<SheetInspection> {
	const collector = new RowCollector(extension, opts.valueColumns, opts.searchColumn);
	if (extension === 'xls') {
		return collector.finish([], 'Checks before upload are not available for .xls files (they cannot be read here)');
	}
	const stream = toReadable(input);
	if (extension === 'csv') return inspectCsv(stream, collector);
	return inspectXlsx(stream, collector);
}

/**
 * The same inspection for items about to be written by `writeItemsXlsx` with the same options: the values are those
 * of the cells it would write, as CommCare reads them back. Throws `CellValueError` as the writer would, before
 * anything is written.
 */
export function inspectItems(
	items: IDataObject[],
	columns: string[],
	opts: WriteItemsOptions & { valueColumns: string[]; searchColumn?: string },
): SheetInspection {
	const collector = new RowCollector('items', opts.valueColumns, opts.searchColumn);
	collector.setHeader(
		columns.map((column) => ({ text: column === '' ? null : column, kind: column === '' ? 'blank' : 'text' })),
	);
	const { converters, ownLookup } = columnConverters(columns, opts);
	const row = new ItemRow(columns.length);
	for (let offset = 0; offset < items.length; offset++) {
		const item = items[offset];
		const itemIndex = itemIndexFor(opts, offset);
		row.start(offset + 2);
		for (let i = 0; i < converters.length; i++) {
			const value = ownLookup[i] ? ownValue(item, columns[i]) : item[columns[i]];
			let cell = converters[i].convert(value, itemIndex);
			// Text columns refuse such values (the converter threw); elsewhere the writer drops the characters.
			if (typeof cell === 'string' && hasUnstorableCharacters(cell)) {
				collector.noteUnstorable(columns[i], offset + 2);
				cell = textAsWritten(cell);
			}
			row.set(i, cell);
		}
		if (!collector.addRow(row)) break;
	}
	// Unlike a file's trailing empty rows, every item is written as a row: blank items at the end are sent too, and
	// CommCare skips them silently like any blank row, so report them.
	collector.addTrailingBlankRows(items.length + 1);
	return collector.finish([opts.sheetName], null);
}

/** An item's row of cells, as the collector takes it (one object, refilled per item). */
class ItemRow implements ReadRow {
	rowNumber = 0;
	truthy = false;
	blank = true;
	hasMarker = false;
	private readonly cells: CellValue[];

	constructor(readonly cellCount: number) {
		this.cells = new Array<CellValue>(cellCount).fill(null);
	}

	start(rowNumber: number): void {
		this.rowNumber = rowNumber;
		this.truthy = false;
		this.blank = true;
		this.hasMarker = false;
	}

	set(index: number, cell: CellValue): void {
		this.cells[index] = cell;
		if (!isTruthyCell(cell)) {
			if (cell === 0 || cell === false) this.blank = false;
			return;
		}
		this.truthy = true;
		if (typeof cell === 'string' && isBlankMarker(cell)) this.hasMarker = true;
		else this.blank = false;
	}

	valueAt(index: number): unknown {
		return this.cells[index];
	}

	isBlankAt(index: number): boolean {
		return isBlankText(serverText(this.cells[index]));
	}

	markerAt(index: number): boolean {
		const cell = this.cells[index];
		return typeof cell === 'string' && isBlankMarker(cell);
	}
}

function toReadable(input: NodeJS.ReadableStream | Buffer): Readable {
	// In slices, so that a reader that stops early (or a zip parser that is behind) reads no more than it needs.
	if (Buffer.isBuffer(input)) return Readable.from(bufferSlices(input, 64 * 1024), { objectMode: false });
	if (input instanceof Readable) return input;
	return new Readable().wrap(input);
}

function* bufferSlices(buffer: Buffer, size: number): Generator<Buffer> {
	for (let start = 0; start < buffer.length; start += size) yield buffer.subarray(start, start + size);
}
