/** Writes items as an `.xlsx`, row by row, streaming into the upload, in bounded memory. */
import * as ExcelJS from 'exceljs';
import type { IDataObject } from 'n8n-workflow';
import { dimensionRef } from '../../shared/spreadsheet/cellReferences';
import { CompressionPacer } from '../../shared/spreadsheet/compressionPacer';
import {
	type CellValue,
	type RowSink,
	exceljsRowSink,
	sheetXmlSink,
	sheetZipInput,
	writeDimensionOfNextSheet,
} from '../../shared/spreadsheet/exceljsInternals';
import { columnConverters, ownValue } from './values';

export interface WriteItemsOptions {
	/** See `safeSheetName`: never a case type. */
	sheetName: string;
	/** Columns always written as text (search column, ids). */
	textColumns: string[];
	/** Objects and arrays become JSON text instead of an error. */
	nestedAsJson: boolean;
	/** Index of the first row's item in the node's input, for error messages. Default 0. */
	firstItemIndex?: number;
	/** The input item index of each row, when the rows are not consecutive items (wins over `firstItemIndex`). */
	itemIndexes?: readonly number[];
	/** The workflow's time zone: JS Dates are written on its clock (see CellOptions). */
	timeZone?: string;
	/** How many rows an iterable that is not an array yields: the sheet's size is written before its rows. */
	rowCount?: number;
}

/** The input item index of row `offset` (0 = the first data row). */
export function itemIndexFor(opts: Pick<WriteItemsOptions, 'firstItemIndex' | 'itemIndexes'>, offset: number): number {
	return opts.itemIndexes?.[offset] ?? (opts.firstItemIndex ?? 0) + offset;
}

/**
 * Writes the header row and one row per item to `out` as an `.xlsx`, row by row, so memory stays bounded whatever
 * the number of rows. `out` must be consumed while this runs (a file, or a request being sent): the writer waits for
 * compressed bytes to leave, so an `out` nobody reads makes it wait forever.
 *
 * Every row reads back full width in CommCare's reader (docs/commcare-api.md §6.1a): the sheet starts with its size
 * (`<dimension ref="A1:…">`, known before writing: `rows` is an array, or `opts.rowCount` says how many it yields),
 * every column of every row has a cell (an empty one for a blank), and every item has a row, a blank item too.
 * Throws `CellValueError` for a value the rules refuse; `out` then holds an unfinished file and should be discarded.
 */
export async function writeItemsXlsx(
	rows: readonly IDataObject[] | AsyncIterable<IDataObject> | Iterable<IDataObject>,
	columns: string[],
	out: NodeJS.WritableStream,
	opts: WriteItemsOptions,
): Promise<{ rowCount: number }> {
	const expectedRows = Array.isArray(rows) ? rows.length : opts.rowCount;
	if (expectedRows === undefined) throw new Error('writeItemsXlsx: rowCount is needed for rows that are not an array');
	const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
		stream: out as unknown as import('stream').Stream,
		useStyles: false,
		useSharedStrings: false,
	});
	writeDimensionOfNextSheet(workbook, dimensionRef(columns.length, expectedRows));
	const sheet = workbook.addWorksheet(opts.sheetName);
	const pacer = new CompressionPacer(sheetZipInput(sheet), out);
	// A plain lookup per cell (the hot path); an own-property lookup only for keys named like Object.prototype's.
	const { converters, ownLookup } = columnConverters(columns, opts);

	let rowCount = 0;
	let rowSink: RowSink | undefined;
	// Both sinks copy the values out, so one array serves every row.
	const cells = new Array<CellValue>(converters.length);
	const writeRow = (item: IDataObject) => {
		const itemIndex = itemIndexFor(opts, rowCount);
		for (let i = 0; i < converters.length; i++) {
			cells[i] = converters[i].convert(ownLookup[i] ? ownValue(item, columns[i]) : item[columns[i]], itemIndex);
		}
		rowCount++;
		(rowSink as RowSink).add(rowCount + 1, cells);
	};
	let finished = false;
	try {
		// The header goes through exceljs's own row writer, which also opens the sheet's data section.
		sheet.addRow(columns).commit();
		rowSink = sheetXmlSink(workbook, sheet, columns.length) ?? exceljsRowSink(sheet);
		if (Symbol.iterator in rows) {
			// A plain loop for arrays and other sync iterables: `for await` would also cost a promise per row.
			for (const item of rows as Iterable<IDataObject>) {
				writeRow(item);
				if (pacer.isBehind(rowCount)) await pacer.catchUp();
			}
		} else {
			for await (const item of rows) {
				writeRow(item);
				if (pacer.isBehind(rowCount)) await pacer.catchUp();
			}
		}
		rowSink.flush();
		if (rowCount !== expectedRows) {
			throw new Error(`writeItemsXlsx: ${rowCount} rows written where the sheet's size says ${expectedRows}`);
		}
		sheet.commit();
		await workbook.commit();
		finished = true;
	} finally {
		// On failure, stop the zip stream so `out` ends (truncated) instead of waiting for rows that never come.
		if (!finished) (workbook as unknown as { zip?: { abort?: () => void } }).zip?.abort?.();
	}
	return { rowCount };
}

// Reading a user's file (or items) for the checks before upload
