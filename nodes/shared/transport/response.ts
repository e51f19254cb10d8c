/** One shape for an HTTP answer, whatever n8n's version hands back (object, string, Buffer or stream). */

export interface CommCareResponse {
	statusCode: number;
	/** Lower-case names; repeated headers joined with ", ". */
	headers: Record<string, string>;
	/** The parsed body when it is JSON. */
	json?: unknown;
	/** The body as text ('' when empty). */
	text: string;
	/** The body is an HTML page (never show it raw). */
	isHtml: boolean;
	/** The URL that gave this answer (after same-origin redirects). */
	url: string;
	/** Requests sent for this call, retries and redirects included. */
	attempts: number;
	/** The body was longer than the call's byte limit: `text` holds its start only. */
	truncated: boolean;
}

function headersFrom(raw: unknown): Record<string, string> {
	const source =
		raw && typeof (raw as { toJSON?: unknown }).toJSON === 'function'
			? (raw as { toJSON: () => Record<string, unknown> }).toJSON()
			: ((raw ?? {}) as Record<string, unknown>);
	const headers: Record<string, string> = {};
	for (const [name, value] of Object.entries(source)) {
		if (value === undefined || value === null) continue;
		headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
	}
	return headers;
}

/**
 * Turns what `httpRequestWithAuthentication(..., { returnFullResponse: true })` resolved to into a CommCareResponse.
 * The body may be a parsed object, a string, a Buffer or an ArrayBuffer depending on the n8n version and options.
 */
export function normalizeResponse(raw: unknown, url: string, attempts = 1): CommCareResponse {
	const full = (raw ?? {}) as { body?: unknown; headers?: unknown; statusCode?: unknown; status?: unknown };
	const headers = headersFrom(full.headers);
	const statusCode = Number(full.statusCode ?? full.status ?? 0);
	let body = full.body;
	if (body instanceof ArrayBuffer) body = Buffer.from(body);
	let text = '';
	let json: unknown;
	if (Buffer.isBuffer(body)) text = body.toString('utf8');
	else if (typeof body === 'string') text = body;
	else if (body !== undefined && body !== null) {
		json = body;
		text = JSON.stringify(body);
	}
	const contentType = headers['content-type'] ?? '';
	const trimmed = text.trim();
	if (json === undefined && trimmed && (/json/i.test(contentType) || /^[[{]/.test(trimmed))) {
		try {
			json = JSON.parse(trimmed);
		} catch {
			json = undefined;
		}
	}
	const isHtml =
		json === undefined && (/text\/html/i.test(contentType) || /^<(!doctype\s+html|html[\s>])/i.test(trimmed));
	return { statusCode, headers, json, text, isHtml, url, attempts, truncated: false };
}
