/**
 * Reads an `.xlsx` for the checks: the first sheet's rows, streaming.
 *
 * exceljs's WorkbookReader is not used, only parts of exceljs (its zip reader unzipper, its XML parser saxes), for
 * three reasons found with large and with uncompressed files; and rows are read the way CommCare's reader reads
 * them (sheetXml.ts):
 * - its loop over the zip's entries stops when unzipper emits 'end', which unzipper does as soon as its input is
 *   consumed, while entries it has already parsed still wait to be read. Small uncompressed files (what SheetJS, and so
 *   n8n's Convert to File node, writes) lost their workbook part about one time in three, and were refused as
 *   unreadable. Node's own iterator over the zip reads what is waiting first.
 * - it keeps every shared string in memory (see SharedStringTable);
 * - it builds a Row and a Cell object per value, garbage that V8 promotes faster than it collects (see readSheetXml).
 */
import { createReadStream, createWriteStream } from 'fs';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { ScratchFolder } from '../../shared/temporaryFolder';
import { type ZipParser, createZipParser } from '../../shared/spreadsheet/exceljsInternals';
import { InflateBudget, drain } from '../../shared/spreadsheet/inflateBudget';
import type { SheetInspection } from './inspection';
import { SpreadsheetReadError, StopReading } from '../../shared/spreadsheet/sheetReading';
import type { RowCollector } from './rowCollector';
import { readSheetXml } from '../../shared/spreadsheet/sheetXml';
import { WorkbookParts } from '../../shared/spreadsheet/xlsxParts';

export async function inspectXlsx(input: Readable, collector: RowCollector): Promise<SheetInspection> {
	const scratch = new ScratchFolder();
	const parts = new WorkbookParts(scratch);
	try {
		const found = await readFirstSheet(input, parts, collector, scratch).catch((error: Error) =>
			Promise.reject(
				error instanceof SpreadsheetReadError
					? error
					: new SpreadsheetReadError(
							`The .xlsx file could not be read (${error.message})`,
							'Is it a valid, unprotected .xlsx file? Save it again as .xlsx (without a password).',
						),
			),
		);
		const sheetNames = (parts.sheets ?? []).map((sheet) => sheet.name);
		if (sheetNames.length === 0 || !found) {
			throw new SpreadsheetReadError(
				'The file is not a readable .xlsx workbook (no sheets found)',
				'It may be password-protected, or another format with an .xlsx name. Save it again as .xlsx (without a password).',
			);
		}
		return collector.finish(sheetNames, null);
	} finally {
		parts.strings.close();
		scratch.remove();
	}
}

/**
 * Reads the zip's entries in the order they come and the first worksheet into `collector`; false when the workbook
 * has none. A worksheet that comes before the parts it needs (the sheet list, the shared strings, the styles: Excel
 * writes the shared strings after the sheets) is kept in a temporary file and read at the end. Every entry, read
 * or skipped, is metered against XLSX_READ_LIMITS.
 */
async function readFirstSheet(
	input: Readable,
	parts: WorkbookParts,
	collector: RowCollector,
	scratch: ScratchFolder,
): Promise<boolean> {
	const budget = new InflateBudget();
	const zip = createZipParser();
	// Fed by hand, one chunk at a time: piped, the parser would take 16 chunks ahead of what it has inflated, and
	// the compressed count (the ratio's divisor) would run ahead of the inflated one.
	const feeding = feedZipParser(input, zip, budget).catch((error: Error) => zip.destroy(error));
	const setAside = new Map<string, string>();
	try {
		for await (const entry of zip) {
			const part = entry.path.replace(/^\/+/, '');
			const xml = budget.meter(entry, part);
			if (await parts.readPart(part, xml)) continue;
			if (/^xl\/worksheets\/[^/]+\.xml$/.test(part)) {
				const first = parts.firstSheetPart();
				if (first !== undefined && part !== first) {
					await drain(xml);
				} else if (first === part && parts.readyForSheets()) {
					await readSheetStoppable(xml, collector, parts);
					// Everything the checks need is read; the rest of the zip is not.
					return true;
				} else {
					const file = scratch.path(`sheet-${setAside.size + 1}.xml`);
					await pipeline(Readable.from(xml), createWriteStream(file));
					setAside.set(part, file);
				}
			} else await drain(xml);
		}
		const first = parts.firstSheetPart();
		const file = first ? setAside.get(first) : undefined;
		if (!file) return false;
		await readSheetStoppable(createReadStream(file), collector, parts);
		return true;
	} finally {
		zip.destroy();
		input.destroy();
		await feeding;
	}
}

/**
 * Writes `input` into the zip parser, waiting for each chunk to be taken before counting and writing the next. Ends
 * when the parser closes too: a parser destroyed early (the checks read enough) never calls back the write it holds.
 */
async function feedZipParser(input: Readable, zip: ZipParser, budget: InflateBudget): Promise<void> {
	const closed = new Promise<'closed'>((resolve) => zip.once('close', () => resolve('closed')));
	for await (const chunk of input) {
		if (zip.destroyed) return;
		budget.compressedBytes += (chunk as Buffer).length;
		const taken = new Promise<'taken'>((resolve, reject) => {
			zip.write(chunk as Buffer, (error?: Error | null) => (error ? reject(error) : resolve('taken')));
		});
		if ((await Promise.race([taken, closed])) === 'closed') return;
	}
	zip.end();
}

/** `readSheetXml`, where the collector saying "enough" ends the read normally. */
async function readSheetStoppable(
	xml: AsyncIterable<Buffer>,
	collector: RowCollector,
	parts: WorkbookParts,
): Promise<void> {
	await readSheetXml(xml, collector, parts).catch((error: unknown) =>
		error instanceof StopReading ? undefined : Promise.reject(error),
	);
}
