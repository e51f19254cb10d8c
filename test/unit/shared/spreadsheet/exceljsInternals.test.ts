/** exceljs's public row API, the writer's fallback (spreadsheet/exceljsInternals.ts): it writes rows full width too. */
import { PassThrough } from 'stream';

import * as ExcelJS from 'exceljs';

import { readXlsxWorkbook } from '../../../../emulator/xlsxReader';
import { exceljsRowSink } from '../../../../nodes/shared/spreadsheet/exceljsInternals';

describe('exceljsRowSink', () => {
	it("exceljs's public row API, the fallback, also writes every row full width", async () => {
		const out = new PassThrough();
		const chunks: Buffer[] = [];
		out.on('data', (chunk: Buffer) => chunks.push(chunk));
		const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
		const sheet = workbook.addWorksheet('cases');
		sheet.addRow(['a', 'b', 'c']).commit();
		const sink = exceljsRowSink(sheet);
		sink.add(2, ['x', null, null]);
		sink.add(3, [null, null, null]);
		sink.add(4, ['y', null, null]);
		sink.flush();
		sheet.commit();
		await workbook.commit();
		const [read] = await readXlsxWorkbook(Buffer.concat(chunks));
		expect(read.rows.map((row) => row.length)).toEqual([3, 3, 3, 3]);
		expect(read.rows[2]).toEqual([null, null, null]);
	});
});
