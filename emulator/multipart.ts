/**
 * Django's view of a request body: `request.POST` (form fields, last value wins) and `request.FILES['file']`
 * (only a part with a non-empty filename counts as a file). Multipart bodies are parsed with busboy.
 */
import busboy from 'busboy';

export interface ParsedForm {
	fields: Record<string, string>;
	/** The last part named `file` (or the `fileField` asked for) that carried a non-empty filename. */
	file?: { fileName: string; data: Buffer };
}

const FIELD_SIZE_LIMIT = 50 * 1024 * 1024;

/** `fileField` names the file part the view reads (`file` for the case importer, `file-to-upload` for lookup tables). */
export function parseForm(contentType: string | undefined, body: Buffer, fileField = 'file'): Promise<ParsedForm> {
	const type = (contentType ?? '').toLowerCase();
	if (type.startsWith('application/x-www-form-urlencoded')) {
		const fields: Record<string, string> = {};
		for (const [key, value] of new URLSearchParams(body.toString('utf8'))) fields[key] = value;
		return Promise.resolve({ fields });
	}
	if (!type.startsWith('multipart/form-data')) return Promise.resolve({ fields: {} });
	return new Promise((resolve) => {
		const form: ParsedForm = { fields: {} };
		let parser: busboy.Busboy;
		try {
			parser = busboy({
				headers: { 'content-type': contentType },
				defParamCharset: 'utf8',
				limits: { fieldSize: FIELD_SIZE_LIMIT },
			});
		} catch {
			resolve(form); // e.g. no boundary: Django sees no fields either
			return;
		}
		parser.on('field', (name, value) => {
			form.fields[name] = value;
		});
		parser.on('file', (name, stream, info) => {
			const chunks: Buffer[] = [];
			stream.on('data', (chunk: Buffer) => chunks.push(chunk));
			stream.on('end', () => {
				if (name === fileField && info.filename) form.file = { fileName: info.filename, data: Buffer.concat(chunks) };
			});
		});
		parser.on('close', () => resolve(form));
		parser.on('error', () => resolve(form)); // a truncated body: keep what was parsed
		parser.end(body);
	});
}
