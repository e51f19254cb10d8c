/**
 * Writes a planned upload as a lookup-table workbook (.xlsx), streamed row by row into a file in bounded memory: a
 * `types` sheet listing the tables, then one data sheet per table titled with its `table_id`. Every cell is a text
 * cell (so CommCare stores exactly the text: leading zeros, `true`, long digit strings), every row has every column,
 * and every sheet starts with its size (`<dimension ref>`), so CommCare's reader reads each row full width and counts
 * the rows right. No sheet is ever empty: each has its header.
 */
import { createWriteStream, statSync } from 'fs';
import { once } from 'events';
import * as ExcelJS from 'exceljs';
import { dimensionRef } from '../../shared/spreadsheet/cellReferences';
import { CompressionPacer } from '../../shared/spreadsheet/compressionPacer';
import {
	exceljsRowSink,
	sheetXmlSink,
	sheetZipInput,
	writeDimensionOfNextSheet,
} from '../../shared/spreadsheet/exceljsInternals';
import type { LookupTablePlan } from '../model';
import { TYPES_SHEET, dataSheetLayout, typesHeader, typesRowCells } from './layout';

type StreamingWorkbook = InstanceType<typeof ExcelJS.stream.xlsx.WorkbookWriter>;

/**
 * Writes one sheet: its size first, then its header (through exceljs, which opens the sheet's data section), then its
 * rows (`rowCount` of them, each `header.length` texts), pausing when compression falls behind.
 */
async function writeSheet(
	workbook: StreamingWorkbook,
	out: NodeJS.WritableStream,
	title: string,
	header: string[],
	rowCount: number,
	rows: Iterable<string[]>,
): Promise<number> {
	writeDimensionOfNextSheet(workbook, dimensionRef(header.length, rowCount));
	const sheet = workbook.addWorksheet(title);
	const pacer = new CompressionPacer(sheetZipInput(sheet), out);
	sheet.addRow(header).commit();
	const sink = sheetXmlSink(workbook, sheet, header.length) ?? exceljsRowSink(sheet);
	let written = 0;
	for (const cells of rows) {
		written++;
		sink.add(written + 1, cells);
		if (pacer.isBehind(written)) await pacer.catchUp();
	}
	sink.flush();
	if (written !== rowCount)
		throw new Error(`writeTableWorkbook: ${written} rows written to '${title}', not ${rowCount}`);
	sheet.commit();
	return written + 1;
}

/**
 * Writes `plan` to `path`. Returns the file's size and the rows written (every sheet's, headers included: what
 * CommCare counts against its limit). On failure the file is unfinished and should be discarded.
 */
export async function writeTableWorkbook(
	plan: LookupTablePlan,
	path: string,
): Promise<{ bytes: number; rows: number }> {
	const out = createWriteStream(path);
	const closed = once(out, 'close');
	const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
		stream: out as unknown as import('stream').Stream,
		useStyles: false,
		useSharedStrings: false,
	});
	const definitions = plan.tables.map((table) => table.definition);
	let rows = 0;
	let finished = false;
	try {
		rows += await writeSheet(
			workbook,
			out,
			TYPES_SHEET,
			typesHeader(definitions),
			definitions.length,
			definitions.map((definition) => typesRowCells(definition, definitions)),
		);
		for (const table of plan.tables) {
			const layout = dataSheetLayout(table);
			const cells = function* () {
				for (const row of table.rows) yield layout.cellsOf(row);
			};
			rows += await writeSheet(workbook, out, table.definition.tag, layout.header, table.rows.length, cells());
		}
		await workbook.commit();
		await closed;
		finished = true;
	} finally {
		if (!finished) {
			// Stop the zip stream so the file ends (truncated) instead of waiting for rows that never come.
			(workbook as unknown as { zip?: { abort?: () => void } }).zip?.abort?.();
			out.destroy();
		}
	}
	return { bytes: statSync(path).size, rows };
}
