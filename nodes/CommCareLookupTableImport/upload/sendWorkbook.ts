/**
 * The upload itself: one multipart POST of a lookup-table workbook to CommCare's lookup-table upload API, and its
 * answer read. CommCare answers HTTP 200 for every outcome of the upload itself: the outcome is the `code` in the
 * body (200 done, 402 done with owners' warnings, 405 refused), and a queued upload gives a status URL instead.
 * Only the checks in front of it (sign-in, permission, throttle) answer with other HTTP statuses; a plan without
 * lookup tables answers with a web page.
 */
import FormData from 'form-data';
import type { IExecuteFunctions } from 'n8n-workflow';

import { commCareApiError, errorForResponse } from '../../shared/errors';
import { describeBody } from '../../shared/responseText';
import {
	checkedRequestUrl,
	lookupTableUploadUrl,
	RefusedAddressError,
	type ProjectSpace,
} from '../../shared/transport/addresses';
import type { CommCareCredentials } from '../../shared/transport/credentials';
import { closeIfStream, commCareRequest } from '../../shared/transport/request';
import type { CommCareResponse } from '../../shared/transport/response';
import { readableMessage } from './commCareMessage';

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The workbook to send: a Buffer, or a fresh stream each call (a retried request needs an unread body). */
export interface WorkbookFile {
	fileName: string;
	knownLength?: number;
	open: () => Promise<Buffer | NodeJS.ReadableStream>;
}

export interface SendOptions {
	projectSpace: ProjectSpace;
	replace: boolean;
	queued: boolean;
	itemIndex: number;
	/** Wall-clock deadline for the request (a synchronous upload is processed inside it). */
	timeoutMs: number;
}

export type UploadAnswer =
	/** Processed in the request: `code` 200 (done), 402 (done, with warnings) or 405 (refused); `message` decoded. */
	| { kind: 'processed'; code: number; message: string }
	/**
	 * Queued: follow `statusUrl`, checked to be on the credential's own server. When it is not (or is no address),
	 * `refusedStatusUrl` says why, and it is never requested: the credential would go with it.
	 */
	| { kind: 'queued'; statusUrl: string; downloadId: string; message: string; refusedStatusUrl?: string };

/**
 * `replace` is always sent as exactly 'true' or 'false': CommCare takes any other non-empty text as true, and refuses
 * an upload without it.
 */
export function buildTableUploadForm(
	content: Buffer | NodeJS.ReadableStream,
	fileName: string,
	options: Pick<SendOptions, 'replace' | 'queued'>,
	knownLength?: number,
): FormData {
	const form = new FormData();
	form.append('replace', options.replace ? 'true' : 'false');
	if (options.queued) form.append('async', 'true');
	form.append('file-to-upload', content, {
		filename: fileName,
		contentType: XLSX_CONTENT_TYPE,
		...(knownLength !== undefined && !Buffer.isBuffer(content) ? { knownLength } : {}),
	});
	return form;
}

export async function sendWorkbook(
	ctx: IExecuteFunctions,
	credentials: CommCareCredentials,
	file: WorkbookFile,
	options: SendOptions,
): Promise<UploadAnswer> {
	let opened: Buffer | NodeJS.ReadableStream | undefined;
	let response: CommCareResponse;
	try {
		response = await commCareRequest(ctx, credentials, {
			method: 'POST',
			url: lookupTableUploadUrl(credentials.baseUrl, options.projectSpace),
			idempotent: false,
			operation: 'tableUpload',
			projectSpace: options.projectSpace,
			itemIndex: options.itemIndex,
			timeoutMs: options.timeoutMs,
			body: async () => {
				closeIfStream(opened);
				opened = await file.open();
				return buildTableUploadForm(opened, file.fileName, options, file.knownLength);
			},
		});
	} finally {
		closeIfStream(opened);
	}
	return answerOf(ctx, credentials, response, options);
}

function answerOf(
	ctx: IExecuteFunctions,
	credentials: CommCareCredentials,
	response: CommCareResponse,
	options: SendOptions,
): UploadAnswer {
	const { itemIndex, projectSpace } = options;
	const node = ctx.getNode();
	if (response.statusCode === 500 && response.isHtml) {
		throw commCareApiError(node, 'CommCare failed while processing the workbook (HTTP 500) and gave no reason', {
			description:
				"CommCare's lookup-table upload crashes on some workbooks it cannot read (an empty sheet, a yes/no column holding other text, a table ID that is a number, misaligned property columns). Tables processed before the crash may already be changed: check the table in CommCare HQ (Data → Lookup Tables) before running this again.",
			httpCode: 500,
			itemIndex,
			redactor: credentials.redactor,
		});
	}
	if (response.statusCode !== 200) {
		throw errorForResponse(node, credentials, response, { operation: 'tableUpload', projectSpace, itemIndex });
	}
	const json = response.json as Record<string, unknown> | undefined;
	if (response.isHtml || !json || typeof json !== 'object' || typeof json.code !== 'number') {
		throw commCareApiError(
			node,
			`CommCare answered the lookup-table upload with ${describeBody(response, credentials.redactor)}, not with its JSON answer`,
			{
				description: `CommCare answers this way when the project's plan does not include lookup tables (it shows an "upgrade required" page), or when the credential's Base URL (${credentials.baseUrl}) does not point at CommCare HQ. Nothing says the table was changed.`,
				httpCode: 200,
				itemIndex,
				redactor: credentials.redactor,
			},
		);
	}
	const message = typeof json.message === 'string' ? readableMessage(json.message) : '';
	if (typeof json.status_url === 'string' && json.status_url.trim() !== '') {
		const downloadId = typeof json.download_id === 'string' ? json.download_id : '';
		const given = json.status_url.trim();
		try {
			return { kind: 'queued', statusUrl: checkedRequestUrl(given, credentials.baseUrl), downloadId, message };
		} catch (error) {
			// CommCare took the upload: say so, and that it cannot be followed, rather than fail as if nothing was sent.
			const why = error instanceof RefusedAddressError ? error.message : String(error);
			return { kind: 'queued', statusUrl: given, downloadId, message, refusedStatusUrl: why };
		}
	}
	return { kind: 'processed', code: json.code, message };
}
