/**
 * The credential only goes to its own server, and never shows: a status URL CommCare gives on another origin is never
 * requested; answers that echo the key or the password (JSON, HTML, in the upload's answer, in the status, in the
 * table read) leave no piece of them in what the node outputs, throws or logs; with Continue On Fail too.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import type { Emulator } from '../../../emulator';
import { byName } from '../../../examples/workflows';
import { CommCareLookupTableImport } from '../../../nodes/CommCareLookupTableImport/CommCareLookupTableImport.node';
import {
	apiKeyCredential,
	basicCredential,
	expectNoSecrets,
	runCapturing,
	SECRET_USER,
	startSecretEmulator,
	type RunResult,
} from '../hardening/harness';
import { secretNeedles } from '../../support/secrets';

let emulator: Emulator;
let elsewhere: http.Server;
let elsewhereHits = 0;

beforeAll(async () => {
	emulator = await startSecretEmulator();
	elsewhere = http.createServer((_request, response) => {
		elsewhereHits += 1;
		response.end('{}');
	});
	await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
});
afterEach(() => {
	emulator.reset();
	elsewhereHits = 0;
});
afterAll(async () => {
	await emulator.close();
	await new Promise((resolve) => elsewhere.close(resolve));
});

const ROWS = [{ code: 'a', name: 'Alpha' }];

async function run(
	credentials: IDataObject = apiKeyCredential(emulator),
	parameters: Record<string, unknown> = {},
	continueOnFail = false,
): Promise<RunResult> {
	return await runCapturing({
		node: new CommCareLookupTableImport(),
		credentials: credentials as ICredentialDataDecryptedObject,
		items: ROWS.map((json) => ({ json })),
		continueOnFail,
		parameters: {
			projectSpace: byName(emulator.domain),
			source: 'items',
			table: { __rl: true, mode: 'id', value: 'facility' },
			...parameters,
		},
	});
}

/** Answers that echo a secret: in a JSON error, in a page's title and body. */
const echoes = (secret: string) => [
	JSON.stringify({ error: `bad key ApiKey ${SECRET_USER.username}:${secret}` }),
	`<html><title>Error ${secret}</title><body>${secret}</body></html>`,
];

test('a status URL on another server is never requested, and the result says why', async () => {
	const foreign = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/a/demo/fixtures/fixapi/status/dl-${'a'.repeat(32)}/`;
	emulator.faults.respond('lookupTableUpload', 1, {
		status: 200,
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ message: 'queued', code: 200, status_url: foreign, download_id: `dl-${'a'.repeat(32)}` }),
	});

	const result = await run(apiKeyCredential(emulator), { options: { processing: 'async' } });

	expect(elsewhereHits).toBe(0);
	// CommCare took the upload: the result says so on Error, and why its status is not followed.
	expect(result.outputs?.[2][0].json).toMatchObject({
		outcome: 'error',
		reason: 'statusUnavailable',
		message: expect.stringMatching(
			/^CommCare queued the upload of facility, but its status could not be followed: .*(server|origin)/,
		),
	});
	expectNoSecrets(result);
});

describe.each([
	['the upload', 'lookupTableUpload'],
	['the table read', 'lookupTableApi'],
] as const)('answers to %s that echo the credential', (_what, target) => {
	test.each([401, 403, 404, 500])(
		'HTTP %i: no piece of a secret anywhere, API key and Basic, Continue On Fail on and off',
		async (status) => {
			// Each scheme's own secret: the node holds only that one, so only that one can be known and removed.
			const schemes = [
				{ credentials: apiKeyCredential(emulator), secret: { ...SECRET_USER, password: undefined } },
				{ credentials: basicCredential(emulator), secret: { ...SECRET_USER, apiKey: undefined } },
			];
			for (const { credentials, secret } of schemes) {
				for (const body of echoes(secret.apiKey ?? secret.password ?? '')) {
					for (const continueOnFail of [false, true]) {
						emulator.faults.respond(target, 50, { status, body, headers: { 'Content-Type': 'text/html' } });
						const result = await run(credentials, { options: { tableReadUnavailable: 'stop' } }, continueOnFail);
						emulator.faults.clear();
						expect(result.error ?? result.outputs?.[2]?.[0]).toBeDefined();
						expectNoSecrets(result, secretNeedles(secret));
					}
				}
			}
		},
		60_000,
	);
});

test('a failed queued upload whose status echoes the key: Error, no secret in it', async () => {
	emulator.setLookupTableTimeline({ queuedPolls: 0, runningPolls: 0 });
	emulator.faults.respond('lookupTableStatus', 5, {
		status: 200,
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ error: true, message: `Upload did not complete. Reason: '${SECRET_USER.apiKey}'` }),
	});

	const result = await run(apiKeyCredential(emulator), { options: { processing: 'async' } });

	expect(result.outputs?.[2]).toHaveLength(1);
	expectNoSecrets(result);
});
