/**
 * Messages the hardening work added or sharpened, checked on their own (the integration suites see them end to end):
 * a timed-out upload says "did not answer in time" and how to check; a refused (429/503) upload says nothing was
 * imported; status failures say the import may still have finished; no sentence ends in "..".
 */
import type { INode } from 'n8n-workflow';

import { CHECK_IMPORT_HISTORY, errorForNetworkFailure, errorForResponse } from '../../../nodes/shared/errors';
import { classifyImport } from '../../../nodes/CommCareImportStatus/importOutcome';
import { unpolledImport } from '../../../nodes/CommCareImportStatus/statusBody';
import { commCareCredentialsFrom } from '../../../nodes/shared/transport/credentials';
import { normalizeResponse } from '../../../nodes/shared/transport/response';

const node = { name: 'CommCare', type: 'test', typeVersion: 1, position: [0, 0], parameters: {} } as unknown as INode;
const credentials = commCareCredentialsFrom({
	baseUrl: 'https://commcare.example.org',
	username: 'me@example.org',
	apiKey: 'k3y-0123456789',
});
const url = 'https://commcare.example.org/a/demo/importer/excel/bulk_upload_api/';

describe('no answer in time', () => {
	it.each(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT'])(
		'%s on the upload: "did not answer within", may or may not be queued',
		(code) => {
			const error = errorForNetworkFailure(
				node,
				credentials,
				{ kind: 'maybeSent', code, message: 'timeout of 2500ms exceeded' },
				{ operation: 'upload', url, timeoutMs: 2500 },
			);
			expect(error.message).toBe(
				`CommCare did not answer the upload within 2.5 s (${code}): the import may or may not have been queued.`,
			);
			expect(error.description).toBe(
				`${CHECK_IMPORT_HISTORY} If CommCare is only slow to accept large files, raise the node's Upload Timeout option.`,
			);
		},
	);

	it('without a known timeout says "in time"; a status poll gets no upload advice', () => {
		const failure = { kind: 'maybeSent' as const, code: 'ECONNABORTED', message: 'timeout' };
		expect(errorForNetworkFailure(node, credentials, failure, { operation: 'upload', url }).message).toMatch(
			/^CommCare did not answer the upload in time \(ECONNABORTED\)/,
		);
		const status = errorForNetworkFailure(node, credentials, failure, {
			operation: 'status',
			url,
			timeoutMs: 1000,
			attempts: 1,
		});
		expect(status.message).toBe('CommCare at https://commcare.example.org did not answer within 1 s (ECONNABORTED)');
		expect(status.description).toBeUndefined();
	});

	it('a reset connection is still "broke during the upload"', () => {
		const error = errorForNetworkFailure(
			node,
			credentials,
			{ kind: 'maybeSent', code: 'ECONNRESET', message: 'socket hang up' },
			{ operation: 'upload', url, timeoutMs: 1000 },
		);
		expect(error.message).toBe(
			'The connection to CommCare broke during the upload (ECONNRESET): the import may or may not have been queued.',
		);
	});
});

describe('refused before processing', () => {
	it.each([429, 503])('HTTP %i on the upload says nothing was imported; on a status poll it does not', (status) => {
		const response = normalizeResponse({ statusCode: status, headers: {}, body: '' }, url, 5);
		expect(errorForResponse(node, credentials, response, { operation: 'upload' }).description).toBe(
			'The server answered an empty body. Nothing was imported, so running it again later is safe.',
		);
		expect(errorForResponse(node, credentials, response, { operation: 'status' }).description).toBe(
			'The server answered an empty body.',
		);
	});
});

describe('status outcomes that leave the import unknown', () => {
	const statusUrl = 'https://commcare.example.org/a/demo/importer/history/uploads/x/status';
	const unknown =
		'The import itself may have finished or may still finish: check CommCare HQ → Data → Import Cases from Excel before uploading the same rows again.';

	it('an HTTP error says the import may have finished, without a doubled full stop', () => {
		const outcome = classifyImport(
			statusUrl,
			{},
			unpolledImport({ kind: 'httpError', httpStatus: 500, message: 'CommCare failed (HTTP 500).' }),
		);
		expect(outcome.summary).toBe(`The status check failed (HTTP 500): CommCare failed (HTTP 500). ${unknown}`);
	});

	it('a refused credential says so too', () => {
		expect(
			classifyImport(statusUrl, {}, unpolledImport({ kind: 'denied', httpStatus: 403, message: null })).summary,
		).toBe(
			`CommCare HQ denied access (HTTP 403): the user must be a member of the project space and have the Edit Data permission. ${unknown}`,
		);
	});

	it('a timeout whose last problem ends in a full stop reads as one sentence', () => {
		const outcome = classifyImport(
			statusUrl,
			{},
			unpolledImport({ kind: 'timedOut', lastProblem: 'The connection failed (ECONNRESET); try again later.' }),
		);
		expect(outcome.summary).toBe(
			'Not finished yet (no status from CommCare HQ after 0 s, 0 polls; last poll: The connection failed (ECONNRESET); try again later) — it may still finish; do not send these rows again yet, check the status URL again later.',
		);
	});
});
