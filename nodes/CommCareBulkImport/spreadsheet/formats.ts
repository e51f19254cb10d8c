/** The file types CommCare's importer reads, decided by the file name's extension (docs/commcare-api.md §3, check 3). */
import { InvalidInputError } from '../../shared/invalidInputError';

export const SPREADSHEET_FORMATS = ['xlsx', 'xls', 'csv'] as const;
export type SpreadsheetFormat = (typeof SPREADSHEET_FORMATS)[number];

/** A user's file, or a sheet written from input items. */
export type SheetFormat = SpreadsheetFormat | 'items';

/** The format of a file name whose extension was already checked (`uploadFileName`). */
export function formatOf(fileName: string): SpreadsheetFormat {
	return fileName.slice(fileName.lastIndexOf('.') + 1).toLowerCase() as SpreadsheetFormat;
}

/** The Content-Type each format is sent with. */
export const CONTENT_TYPES: Record<SpreadsheetFormat, string> = {
	xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
	xls: 'application/vnd.ms-excel',
	csv: 'text/csv',
};

const EXTENSION_BY_MIME_TYPE: Record<string, SpreadsheetFormat> = {
	'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
	'application/vnd.ms-excel': 'xls',
	'text/csv': 'csv',
};

/** A file name `uploadFileName` accepted: a type CommCare imports, its extension in lower case. */
export type UploadFileName = string & { readonly __checked: 'UploadFileName' };

/**
 * The file name to send: the given name with its extension in lower case (the server's later steps may not
 * accept `.XLSX`; docs/commcare-api.md §8). A name without extension gets one from the binary's extension or MIME type.
 * Refuses types CommCare cannot import, naming the type found.
 */
export function uploadFileName(
	fileName: string | undefined,
	hints: { fileExtension?: string; mimeType?: string } = {},
): UploadFileName {
	const name = (fileName ?? '').trim();
	const dot = name.lastIndexOf('.');
	const supported = SPREADSHEET_FORMATS.map((e) => `.${e}`).join(', ');
	if (dot > 0 && dot < name.length - 1) {
		const extension = name.slice(dot + 1).toLowerCase();
		if ((SPREADSHEET_FORMATS as readonly string[]).includes(extension))
			return `${name.slice(0, dot)}.${extension}` as UploadFileName;
		throw new InvalidInputError(
			`The file '${name}' is of type '.${extension}', which CommCare cannot import (supported: ${supported})`,
			'Save or convert it as .xlsx first (for example with the Convert to File node), or switch Source to "Input Items".',
		);
	}
	const fromHints =
		(hints.fileExtension && SPREADSHEET_FORMATS.find((e) => e === hints.fileExtension?.toLowerCase())) ||
		EXTENSION_BY_MIME_TYPE[(hints.mimeType ?? '').split(';')[0].trim().toLowerCase()];
	if (fromHints) return `${name || 'cases'}.${fromHints}` as UploadFileName;
	const found = hints.mimeType ? `MIME type '${hints.mimeType}'` : 'no file extension';
	throw new InvalidInputError(
		`Cannot tell the type of the file '${name || '(no name)'}' (${found}); CommCare imports ${supported}`,
		'Give the file a name ending in .xlsx, .xls or .csv.',
	);
}
