/**
 * Reads the user's spreadsheet from an input item's binary field through n8n's helpers, so it works in every
 * binary-data mode: a binary with an `id` (filesystem, S3, database) is streamed; one without (in-memory) is
 * read as a Buffer.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import { InvalidInputError } from '../shared/errors';
import { uploadFileName, type SpreadsheetFile } from '../shared/upload';

export function binaryPropertyName(ctx: IExecuteFunctions, itemIndex: number): string {
	return String(ctx.getNodeParameter('binaryPropertyName', itemIndex, 'data')).trim();
}

/** The spreadsheet in the item's binary field; refuses a missing field or an unsupported type before any request. */
export async function spreadsheetFromBinary(ctx: IExecuteFunctions, itemIndex: number): Promise<SpreadsheetFile> {
	const propertyName = binaryPropertyName(ctx, itemIndex);
	const item = ctx.getInputData()[itemIndex];
	const binary = item?.binary?.[propertyName];
	if (!binary) {
		const present = Object.keys(item?.binary ?? {});
		if (present.length === 0) {
			throw new InvalidInputError(
				`Item ${itemIndex} has no binary data, so there is no file in '${propertyName}' to upload`,
				'Put a node that reads the file before this one (e.g. Read/Write Files from Disk, or HTTP Request with Response Format "File"), or set Source to "Input Items".',
			);
		}
		throw new InvalidInputError(
			`Item ${itemIndex} has no binary field '${propertyName}'; its binary fields are: ${present.map((p) => `'${p}'`).join(', ')}`,
			'Set "Input Binary Field" to the field that holds the spreadsheet.',
		);
	}
	const fileName = uploadFileName(binary.fileName, { fileExtension: binary.fileExtension, mimeType: binary.mimeType });

	if (binary.id) {
		const id = binary.id;
		const metadata = await ctx.helpers.getBinaryMetadata(id);
		const size = Number(metadata?.fileSize);
		const knownLength = Number.isFinite(size) && size >= 0 ? size : undefined;
		refuseEmpty(fileName, knownLength);
		return { fileName, knownLength, open: async () => await ctx.helpers.getBinaryStream(id) };
	}
	const buffer = await ctx.helpers.getBinaryDataBuffer(itemIndex, propertyName);
	refuseEmpty(fileName, buffer.length);
	return { fileName, knownLength: buffer.length, open: async () => buffer };
}

function refuseEmpty(fileName: string, size: number | undefined): void {
	if (size === 0) {
		throw new InvalidInputError(`The file '${fileName}' is empty (0 bytes); there is nothing to import`);
	}
}
