/** Fixed bounds on reading a zip: compressed bytes in, inflated bytes out, per part and in all (zip bombs). */
import type { ZipEntry } from './exceljsInternals';
import { SpreadsheetReadError } from './sheetReading';

/**
 * What reading an .xlsx may inflate. A real sheet of CommCare's largest size (100,000 rows) stays well below; a
 * file made to inflate without end (a "zip bomb") is refused as soon as it passes one of these.
 */
export const XLSX_READ_LIMITS = {
	/** Inflated bytes of one part (a worksheet, the shared strings). */
	partBytes: 1024 * 1024 * 1024,
	/** Inflated bytes of everything read (parts read or skipped on the way to the first sheet). */
	totalBytes: 1536 * 1024 * 1024,
	/**
	 * Inflated bytes per compressed byte. Spreadsheet XML compresses about 10 times (12 for a sheet of one repeated
	 * value, measured with this writer); deflate can reach 1,000. Checked once `ratioAfterBytes` are inflated.
	 */
	ratio: 200,
	ratioAfterBytes: 32 * 1024 * 1024,
	/** A stretch of XML without `<` or `>` (one text or attribute): Excel's longest cell, escaped, is far shorter. */
	markuplessRun: 1024 * 1024,
	/** `xl/styles.xml` is read whole (exceljs's reader needs it so): real ones are well under a megabyte. */
	stylesBytes: 16 * 1024 * 1024,
};

/** Counts compressed bytes in and inflated bytes out; refuses a file past XLSX_READ_LIMITS. */
export class InflateBudget {
	compressedBytes = 0;
	inflatedBytes = 0;

	/**
	 * `entry` as it is read, counted, failing once a limit is passed. Sizes the zip declares for the entry are
	 * checked first, so a declared bomb is refused before anything is inflated.
	 */
	async *meter(entry: ZipEntry, part: string): AsyncIterable<Buffer> {
		const declared = entry.vars;
		if (declared && declared.uncompressedSize > XLSX_READ_LIMITS.partBytes) {
			throw this.refusal(
				`its part '${part}' says it inflates to ${megabytes(declared.uncompressedSize)}, more than ${megabytes(XLSX_READ_LIMITS.partBytes)}`,
			);
		}
		if (
			declared &&
			declared.compressedSize > 0 &&
			declared.uncompressedSize > XLSX_READ_LIMITS.ratioAfterBytes &&
			declared.uncompressedSize > XLSX_READ_LIMITS.ratio * declared.compressedSize
		) {
			throw this.refusal(
				`its part '${part}' says it inflates ${Math.round(declared.uncompressedSize / declared.compressedSize)} times (${megabytes(declared.uncompressedSize)} from ${megabytes(declared.compressedSize)}), which no real spreadsheet does`,
			);
		}
		let partBytes = 0;
		for await (const chunk of entry) {
			partBytes += chunk.length;
			this.inflatedBytes += chunk.length;
			if (partBytes > XLSX_READ_LIMITS.partBytes)
				throw this.refusal(`its part '${part}' inflates to more than ${megabytes(XLSX_READ_LIMITS.partBytes)}`);
			if (this.inflatedBytes > XLSX_READ_LIMITS.totalBytes)
				throw this.refusal(`it inflates to more than ${megabytes(XLSX_READ_LIMITS.totalBytes)}`);
			if (
				this.inflatedBytes > XLSX_READ_LIMITS.ratioAfterBytes &&
				this.inflatedBytes > XLSX_READ_LIMITS.ratio * Math.max(1, this.compressedBytes)
			) {
				throw this.refusal(
					`it inflates more than ${XLSX_READ_LIMITS.ratio} times (${megabytes(this.inflatedBytes)} from ${megabytes(this.compressedBytes)} read so far), which no real spreadsheet does`,
				);
			}
			yield chunk;
		}
	}

	private refusal(why: string): SpreadsheetReadError {
		return new SpreadsheetReadError(
			`The .xlsx file was not read to the end: ${why}`,
			'It is possibly not a real spreadsheet: check that the right file was given.',
		);
	}
}

export function megabytes(bytes: number): string {
	if (bytes >= 1024 * 1024 * 1024) return `${Math.round((bytes / 1024 / 1024 / 1024) * 10) / 10} GB`;
	if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
	return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** Reads an entry to its end without keeping it (counted like any other: a bomb can hide in a part we skip). */
export async function drain(entry: AsyncIterable<Buffer>): Promise<void> {
	for await (const _chunk of entry) {
		// Only its bytes are counted.
	}
}
