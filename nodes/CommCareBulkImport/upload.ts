/**
 * The upload itself: the multipart body of CommCare's Bulk Upload Case Data API (docs/commcare-api.md §3), sent through
 * transport/, and the 200 answer read into a receipt (results.ts turns it into the node's output).
 *
 * Both sources use it: a user's file (source "Spreadsheet File") and the .xlsx written from input items (a temporary file). A
 * file is given as a `SpreadsheetFile` whose `open()` yields a Buffer or a fresh stream, so large files stream and a
 * retried request gets an unread body.
 */
import FormData from 'form-data';
import type { IExecuteFunctions } from 'n8n-workflow';

import { CHECK_IMPORT_HISTORY, errorForResponse, commCareApiError } from '../shared/errors';
import { describeBody } from '../shared/responseText';
import {
	bulkUploadUrl,
	checkedRequestUrl,
	RefusedAddressError,
	insecureBaseUrlWarning,
} from '../shared/transport/addresses';
import { type CommCareCredentials } from '../shared/transport/credentials';
import { closeIfStream, commCareRequest } from '../shared/transport/request';
import { type CommCareResponse } from '../shared/transport/response';
import { type RetryPolicy } from '../shared/transport/retryPolicy';
import type { CheckFinding } from '../shared/outputContract';
import type { ImportSettings } from './parameters';
import { CONTENT_TYPES, formatOf, type UploadFileName } from './spreadsheet/formats';

export interface SpreadsheetFile {
	/** Name sent to CommCare, checked once when the file was made (see `uploadFileName`). */
	fileName: UploadFileName;
	/** Size in bytes when known (lets form-data send a Content-Length). */
	knownLength?: number;
	/** The content: a Buffer, or a new stream each call (a retry needs an unread one). */
	open: () => Promise<Buffer | NodeJS.ReadableStream>;
}

/**
 * The multipart body. `search_field` and `search_column` are always sent (docs/commcare-api.md §3.3); `create_new_cases=on` only
 * when creation is wanted (any other value means off); `comment` only when there is one.
 */
export function buildUploadForm(
	settings: ImportSettings,
	fileName: UploadFileName,
	content: Buffer | NodeJS.ReadableStream,
	knownLength?: number,
): FormData {
	const form = new FormData();
	form.append('case_type', settings.caseType);
	form.append('search_field', settings.searchField);
	form.append('search_column', settings.searchColumn);
	form.append('name_column', settings.nameColumn);
	if (settings.createNewCases) form.append('create_new_cases', 'on');
	if (settings.comment !== '') form.append('comment', settings.comment);
	form.append('file', content, {
		filename: fileName,
		contentType: CONTENT_TYPES[formatOf(fileName)],
		// form-data measures a Buffer itself; a stream of unknown length would be sent chunked.
		...(knownLength !== undefined && !Buffer.isBuffer(content) ? { knownLength } : {}),
	});
	return form;
}

/** What CommCare said when it accepted an upload. */
export interface UploadReceipt {
	status_url: string;
	code: number;
	message: string;
	fileName: string;
	/** When CommCare accepted the upload, by its own clock (the answer's Date header), or null. */
	acceptedAt: string | null;
	/** Things worth knowing that did not stop the upload. */
	warnings: CheckFinding[];
}

export interface UploadOptions {
	itemIndex?: number;
	timeoutMs?: number;
	/** The retry policy (DEFAULT_RETRY_POLICY unless given). */
	retry?: RetryPolicy;
}

/**
 * Uploads one spreadsheet and returns CommCare's receipt. Throws NodeApiError with CommCare's message for a
 * refused upload, and never sends the file twice unless the first request certainly did not arrive.
 */
export async function uploadSpreadsheet(
	ctx: IExecuteFunctions,
	credentials: CommCareCredentials,
	settings: ImportSettings,
	file: SpreadsheetFile,
	options: UploadOptions = {},
): Promise<UploadReceipt> {
	const { fileName } = file;
	let opened: Buffer | NodeJS.ReadableStream | undefined;
	let response: CommCareResponse;
	try {
		response = await commCareRequest(ctx, credentials, {
			method: 'POST',
			url: bulkUploadUrl(credentials.baseUrl, settings.projectSpace),
			idempotent: false,
			operation: 'upload',
			projectSpace: settings.projectSpace,
			itemIndex: options.itemIndex,
			timeoutMs: options.timeoutMs,
			retry: options.retry,
			body: async () => {
				closeIfStream(opened);
				opened = await file.open();
				return buildUploadForm(settings, fileName, opened, file.knownLength);
			},
		});
	} finally {
		closeIfStream(opened);
	}
	return receiptFrom(ctx, credentials, settings, fileName, response, options.itemIndex);
}

function receiptFrom(
	ctx: IExecuteFunctions,
	credentials: CommCareCredentials,
	settings: ImportSettings,
	fileName: string,
	response: CommCareResponse,
	itemIndex?: number,
): UploadReceipt {
	const context = { operation: 'upload' as const, projectSpace: settings.projectSpace, itemIndex };
	if (response.statusCode < 200 || response.statusCode >= 300 || response.isHtml) {
		throw errorForResponse(ctx.getNode(), credentials, response, context);
	}
	const json = (response.json ?? {}) as Record<string, unknown>;
	const givenStatusUrl = typeof json.status_url === 'string' ? json.status_url.trim() : '';
	if (!givenStatusUrl) {
		// A 2xx means the server took the file: the import was probably queued even though it cannot be followed
		// (e.g. the answer was cut short). Saying "failed" here would invite a second, duplicate upload.
		throw commCareApiError(
			ctx.getNode(),
			`CommCare accepted the upload (HTTP ${response.statusCode}), but its answer has no readable status_url`,
			{
				description: `It answered ${describeBody(response, credentials.redactor)}: the import was probably queued, but it cannot be followed from here. ${CHECK_IMPORT_HISTORY} If this happens every time, the Base URL may point at something other than CommCare HQ's API.`,
				httpCode: response.statusCode,
				itemIndex,
			},
		);
	}
	const warnings: CheckFinding[] = [];
	if (insecureBaseUrlWarning(credentials.baseUrl)) {
		warnings.push({
			code: 'insecureBaseUrl',
			message: `The credential's Base URL uses plain http (${new URL(credentials.baseUrl).origin})`,
			description: 'The API key and the case data travel unencrypted. Use https unless this is a test server.',
		});
	}
	// An absolute address is kept verbatim (CommCare's status URL is opaque); a relative one (a proxy may rewrite
	// it so) is resolved against the Base URL, so that CommCare Import Status can call it.
	let statusUrl = givenStatusUrl;
	try {
		const checked = checkedRequestUrl(givenStatusUrl, credentials.baseUrl);
		if (!/^[a-z][a-z0-9+.-]*:/i.test(givenStatusUrl)) statusUrl = checked;
	} catch (error) {
		const otherOrigin = error instanceof RefusedAddressError && error.reason === 'otherOrigin';
		warnings.push({
			code: otherOrigin ? 'statusUrlOtherOrigin' : 'statusUrlInvalid',
			message: `CommCare queued the import but gave a status URL that will not be requested (${(error as Error).message})`,
			description:
				'The Import Status node will refuse it; check the progress in CommCare HQ → Data → Import Cases from Excel.',
		});
	}
	return {
		status_url: statusUrl,
		code: typeof json.code === 'number' ? json.code : response.statusCode,
		message: typeof json.message === 'string' ? json.message : '',
		fileName,
		acceptedAt: serverTime(response.headers.date),
		warnings,
	};
}

/**
 * The server's Date header as ISO 8601, or null. The Import Status node compares case times with it (both are the
 * server's clock, so the machine's clock never matters); it has whole seconds only.
 */
function serverTime(date: string | undefined): string | null {
	const time = date === undefined ? NaN : Date.parse(date);
	return Number.isNaN(time) ? null : new Date(time).toISOString();
}
