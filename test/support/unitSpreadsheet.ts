/**
 * Items written as an .xlsx into memory, for the unit tests of the spreadsheet writer and of the inspection that reads
 * such a file back.
 */
import { PassThrough } from 'stream';

import type { IDataObject } from 'n8n-workflow';

import { writeItemsXlsx, type WriteItemsOptions } from '../../nodes/CommCareBulkImport/spreadsheet/writer';

/** The writer's options unless a test says otherwise: a sheet named `cases`, the id columns written as text. */
export const defaults: WriteItemsOptions = {
	sheetName: 'cases',
	textColumns: ['case_id', 'external_id'],
	nestedAsJson: false,
};

/** Writes items through `writeItemsXlsx` into memory (the stream is consumed while writing, as the contract asks). */
export async function writeToBuffer(
	items: Iterable<IDataObject> | AsyncIterable<IDataObject>,
	columns: string[],
	opts: Partial<WriteItemsOptions> = {},
): Promise<{ buffer: Buffer; rowCount: number }> {
	const out = new PassThrough();
	const chunks: Buffer[] = [];
	out.on('data', (chunk: Buffer) => chunks.push(chunk));
	const { rowCount } = await writeItemsXlsx(items, columns, out, { ...defaults, ...opts });
	return { buffer: Buffer.concat(chunks), rowCount };
}
