/** Reads a `.csv` for the checks, row by row, with a cap on one row's size. */
import { Readable, Transform } from 'stream';
import { createCsvParser } from '../../shared/spreadsheet/exceljsInternals';
import type { SheetInspection } from './inspection';
import { type ReadRow, SpreadsheetReadError } from '../../shared/spreadsheet/sheetReading';
import type { RowCollector } from './rowCollector';
import { isBlankMarker, isBlankText } from '../../shared/cellText';

export async function inspectCsv(input: Readable, collector: RowCollector): Promise<SheetInspection> {
	const parser = createCsvParser();
	const lines = new CsvChunker();
	input.on('error', (error) => parser.emit('error', error));
	lines.on('error', (error) => parser.emit('error', error));
	input.pipe(lines).pipe(parser);
	try {
		await readCsvRows(parser as AsyncIterable<string[]>, collector, lines).catch((error: Error) =>
			Promise.reject(
				error instanceof SpreadsheetReadError
					? error
					: new SpreadsheetReadError(
							`The .csv file could not be read (${error.message})`,
							'CommCare could not read it either. Re-save it as .csv (UTF-8) or .xlsx.',
						),
			),
		);
	} finally {
		// Reading may stop early (enough rows): release the rest of the file.
		input.unpipe(lines);
		input.destroy();
		lines.destroy();
	}
	return collector.finish([], null);
}

/**
 * The longest a .csv line (and a row, which a quoted field may spread over several lines) may be: far beyond any
 * real row (300 columns of notes), and short enough that no single row costs seconds.
 */
export const MAX_CSV_ROW_BYTES = 8 * 1024 * 1024;
/** The chunker hands the CSV parser at least this much at a time (or what is left at the end). */
const CSV_CHUNK_BYTES = 1024 * 1024;

/**
 * Regroups a .csv's bytes into chunks that end at a line break, at least CSV_CHUNK_BYTES each. fast-csv (the parser
 * exceljs uses) parses an unfinished row again from its start with every chunk it is given, so a long row arriving
 * in 64 KB pieces costs time quadratic in its length (8 MB: half a minute): given whole rows, it parses each once.
 * Fails once a line, or a row (the parser says when one ends: `rowEnded`), passes MAX_CSV_ROW_BYTES.
 */
class CsvChunker extends Transform {
	private pending: Buffer[] = [];
	private pendingBytes = 0;
	private sinceLineBreak = 0;
	private sinceRowEnded = 0;

	/** Called by the reader for each row the parser gives. */
	rowEnded(): void {
		this.sinceRowEnded = 0;
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
		const lastBreak = chunk.lastIndexOf(10);
		this.sinceLineBreak = lastBreak === -1 ? this.sinceLineBreak + chunk.length : chunk.length - lastBreak - 1;
		this.sinceRowEnded += chunk.length;
		if (this.sinceLineBreak > MAX_CSV_ROW_BYTES) return done(this.tooLong('line'));
		if (this.sinceRowEnded > MAX_CSV_ROW_BYTES + CSV_CHUNK_BYTES * 2) return done(this.tooLong('row'));
		this.pending.push(chunk);
		this.pendingBytes += chunk.length;
		if (lastBreak !== -1 && this.pendingBytes >= CSV_CHUNK_BYTES) {
			const all = Buffer.concat(this.pending);
			const cut = this.pendingBytes - (chunk.length - lastBreak - 1);
			this.push(all.subarray(0, cut));
			this.pending = cut < all.length ? [all.subarray(cut)] : [];
			this.pendingBytes = all.length - cut;
		}
		done();
	}

	override _flush(done: (error?: Error | null) => void): void {
		if (this.pendingBytes > 0) this.push(Buffer.concat(this.pending));
		this.pending = [];
		done();
	}

	private tooLong(what: 'line' | 'row'): SpreadsheetReadError {
		return new SpreadsheetReadError(
			`The .csv file has a ${what} longer than ${MAX_CSV_ROW_BYTES / 1024 / 1024} MB`,
			'It is possibly not a real spreadsheet: check that the right file was given.',
		);
	}
}

async function readCsvRows(
	parser: AsyncIterable<string[]>,
	collector: RowCollector,
	chunker: CsvChunker,
): Promise<void> {
	let rowNumber = 0;
	const row = new CsvRow();
	for await (const fields of parser) {
		chunker.rowEnded();
		rowNumber++;
		if (rowNumber === 1) {
			if (fields.length > 0) fields[0] = fields[0].replace(/^\uFEFF/, '');
			collector.setHeader(fields.map((text) => (text === '' ? { text: null, kind: 'blank' } : { text, kind: 'text' })));
			continue;
		}
		row.load(rowNumber, fields);
		if (!collector.addRow(row)) return;
	}
}

/**
 * A CSV row as the collector takes it (one object, reloaded per row). CommCare reads every row of a CSV (it counts
 * them all), so each is `truthy`: only a row that is blank is skipped.
 */
class CsvRow implements ReadRow {
	rowNumber = 0;
	cellCount = 0;
	readonly truthy = true;
	blank = true;
	hasMarker = false;
	private fields: string[] = [];

	load(rowNumber: number, fields: string[]): void {
		this.rowNumber = rowNumber;
		this.fields = fields;
		this.cellCount = fields.length;
		this.blank = fields.every((text) => isBlankText(text));
		this.hasMarker = fields.some((text) => isBlankMarker(text));
	}

	valueAt(index: number): unknown {
		return this.fields[index] ?? null;
	}

	isBlankAt(index: number): boolean {
		return isBlankText(this.fields[index] ?? null);
	}

	markerAt(index: number): boolean {
		return isBlankMarker(this.fields[index] ?? '');
	}
}
