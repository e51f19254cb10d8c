/**
 * Shared parts of the hardening suites: an emulator whose working user has distinctive secrets, a node
 * runner that captures everything a user or an operator could ever see (output items, the thrown error with all its
 * fields, log lines, UI messages), a search of all of it for the secrets, and counters for what reached the server.
 *
 * Every hardening scenario runs through `runScenario`, so every fault and bad input is also a secret-leak test.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
} from 'n8n-workflow';

import { CommCareBulkImport } from '../../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { CommCareImportStatus } from '../../../nodes/CommCareImportStatus/CommCareImportStatus.node';
import { executeBulkImport } from '../../../nodes/CommCareBulkImport/execute';
import { retryPolicyWith } from '../../../nodes/shared/transport/retryPolicy';
import { DEFAULT_USERS, startEmulator, type Emulator, type StartOptions } from '../../../emulator';
import { emulatorCredential } from '../../support/emulator';
import { binaryItem, createExecuteContext, type ContextOptions } from '../../support/n8nContext';
import { secretNeedles } from '../../support/secrets';
import { plural } from './outcomeTable';

/**
 * Transport back-off shrunk for these suites, passed to the node's run as n8n's would be passed the default: only
 * waiting times change; attempts, the Retry-After ceiling and every retry rule stay the product's. The suites assert
 * counts, never durations.
 */
export const QUICK_RETRIES = retryPolicyWith({ baseDelayMs: 5, maxDelayMs: 20 });

/** CommCare Bulk Import: its description, and its run with QUICK_RETRIES. */
export const bulkImport: INodeType = {
	description: new CommCareBulkImport().description,
	async execute(this: IExecuteFunctions) {
		return await executeBulkImport(this, { retryPolicy: QUICK_RETRIES });
	},
};
export const importStatus = new CommCareImportStatus();

/** The night-run user: a key and a password nobody could mistake for ordinary text. */
export const SECRET_USER = {
	username: 'night-runner@example.org',
	apiKey: 'ak-SECRET-3f9c1e7d5b20-night',
	password: 'pw-SECRET-b81d0c4a97e6-night',
};

export const SECRET_NEEDLES = secretNeedles(SECRET_USER);

/**
 * The secret sweep's user (secretSweep.test.ts): a password with a double space, a tab, `/`, `&`, `<`, `>` and `"`,
 * the characters that whitespace collapsing, URL parsing and HTML escaping change.
 */
export const SWEEP_USER = {
	username: 'sweep.user@example.org',
	apiKey: 'sk-SWEEP-7d41c0e9a2b6f358-key',
	password: 'pw-SWEEP  x\t9e/3b&7c<a1>"f40d',
};

/**
 * Polling as fast as the Import Status node allows, and a short timeout (0.01 min = 0.6 s) so the "until the
 * timeout" cases end quickly; cases that must finish pass a longer one. Simplify off: the full outcome is what the
 * suites assert, and the most a run can expose to the secret search.
 */
export const FAST_POLLING = { pollInterval: 0.05, timeout: 0.01, simplify: false, options: { maxPollInterval: 0.1 } };

export async function startSecretEmulator(options: StartOptions = {}): Promise<Emulator> {
	return await startEmulator({
		users: [{ ...SECRET_USER, domains: ['demo', 'nocases'], firstName: 'Night', lastName: 'Runner' }, ...DEFAULT_USERS],
		...options,
	});
}

/** The night-run user's credential, API key scheme. */
export function apiKeyCredential(
	emulator: Pick<Emulator, 'baseUrl'>,
	overrides: ICredentialDataDecryptedObject = {},
): IDataObject {
	return emulatorCredential({ ...SECRET_USER, baseUrl: emulator.baseUrl }, overrides);
}

/** The night-run user's credential, Basic scheme (the password instead of the key). */
export function basicCredential(
	emulator: Pick<Emulator, 'baseUrl'>,
	overrides: ICredentialDataDecryptedObject = {},
): IDataObject {
	return emulatorCredential({ ...SECRET_USER, baseUrl: emulator.baseUrl }, { authType: 'basicAuth', ...overrides });
}

/** What one node run left behind, for the user and for an operator reading the logs. */
export interface RunResult {
	outputs?: INodeExecutionData[][];
	/** The error `execute()` threw, if it did. */
	error?: { message: string; description?: string | null; httpCode?: string | null } & Record<string, unknown>;
	logs: string[];
}

export interface ScenarioOptions extends ContextOptions {
	/** Called with every log line as it is written (e.g. to act between two retries). */
	onLog?: (line: string) => void;
}

/** Runs a node like `runNode`, but with a logger and a UI channel that record every line. */
export async function runCapturing(options: ScenarioOptions): Promise<RunResult> {
	const test = createExecuteContext(options);
	const logs: string[] = [];
	const record =
		(level: string) =>
		(message: unknown, meta?: unknown): void => {
			const line = `${level}: ${deepText(message)} ${deepText(meta)}`;
			logs.push(line);
			options.onLog?.(line);
		};
	const context = test.context as unknown as Record<string, unknown>;
	context.logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
	context.sendMessageToUI = (...args: unknown[]) => logs.push(`ui: ${deepText(args)}`);
	try {
		const outputs = (await options.node.execute!.call(test.context)) as INodeExecutionData[][];
		return { outputs, logs };
	} catch (error) {
		return { error: error as RunResult['error'], logs };
	}
}

/**
 * All text reachable from a value: own properties enumerable or not (an Error's message, stack, description,
 * cause, context, messages...), nested, cycles cut. Buffers are skipped: they hold the user's own file.
 */
export function deepText(value: unknown, seen = new Set<unknown>(), depth = 0): string {
	if (value === null || value === undefined) return '';
	if (typeof value === 'string') return value;
	if (typeof value !== 'object') return String(value);
	if (seen.has(value) || depth > 12 || Buffer.isBuffer(value)) return '';
	seen.add(value);
	const parts: string[] = [];
	const names = new Set<string>(Object.getOwnPropertyNames(value));
	if (value instanceof Error) for (const name of ['message', 'stack', 'cause', 'description']) names.add(name);
	for (const name of names) {
		let entry: unknown;
		try {
			entry = (value as Record<string, unknown>)[name];
		} catch {
			continue;
		}
		if (typeof entry === 'function') continue;
		parts.push(`${name}=${deepText(entry, seen, depth + 1)}`);
	}
	return parts.join(' ');
}

/** Everything a run exposed, as one searchable text (outputs, the error and its whole tree, logs). */
export function exposedText(result: RunResult): string {
	return [
		deepText(result.outputs),
		deepText(result.error),
		result.error ? JSON.stringify(result.error) : '',
		...result.logs,
	].join('\n');
}

/** Fails when any secret needle appears anywhere the run exposed (whitespace runs compared as one space). */
export function expectNoSecrets(result: RunResult, needles: readonly string[] = SECRET_NEEDLES): void {
	const text = exposedText(result).replace(/\s+/g, ' ');
	for (const needle of needles) {
		const at = text.indexOf(needle);
		if (at === -1) continue;
		const context = text
			.slice(Math.max(0, at - 200), at + needle.length + 60)
			.split(needle)
			.join('«SECRET»');
		throw new Error(`A secret leaked (${needle.length} characters) in: ${context}`);
	}
}

/** Runs a node, searches everything it exposed for the secrets, and returns the result. */
export async function runScenario(options: ScenarioOptions): Promise<RunResult> {
	const result = await runCapturing(options);
	expectNoSecrets(result);
	return result;
}

/** Requests the emulator received, by endpoint. */
export function received(emulator: Emulator) {
	const uploadPosts = emulator.requests.filter((r) => r.method === 'POST' && r.path.includes('/bulk_upload_api'));
	const statusGets = emulator.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/status'));
	return {
		all: emulator.requests.length,
		uploadPosts: uploadPosts.length,
		statusGets: statusGets.length,
		/** Imports the server queued (each one would create cases). */
		importsQueued: emulator.imports.size,
	};
}

/** The thrown error, or a failure of the test when the run did not throw. */
export function thrown(result: RunResult): NonNullable<RunResult['error']> {
	if (!result.error)
		throw new Error(`expected the node to fail, but it returned ${JSON.stringify(result.outputs)?.slice(0, 300)}`);
	return result.error;
}

/** The single item on the given output (0 Success, 1 Warning, 2 Error, 3 Not Finished) of a Status run; fails otherwise. */
export function onlyItem(result: RunResult, output: number): IDataObject {
	if (!result.outputs) throw new Error(`the node threw: ${result.error?.message}`);
	const all = result.outputs.flat();
	if (all.length !== 1 || result.outputs[output]?.length !== 1) {
		throw new Error(`expected one item on output ${output}, got ${result.outputs.map((o) => o.length).join('/')}`);
	}
	return result.outputs[output][0].json;
}

/** No text shown to the user may be an HTML page or carry markup. */
export function expectNoMarkup(text: string): void {
	expect(text).not.toMatch(/<\s*(!doctype|html|head|body|title|h1|div|a\s)/i);
}

/** A loopback port with nothing listening on it (a closed one, freshly released by the OS). */
export async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise((resolve) => server.close(resolve));
	return port;
}

/** Waits (bounded) until `condition` holds: for work the emulator finishes after the client has given up. */
export async function eventually(condition: () => boolean, what: string, limitMs = 5000): Promise<void> {
	const start = Date.now();
	while (!condition()) {
		if (Date.now() - start > limitMs) throw new Error(`gave up waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

/**
 * One run of CommCare Bulk Import on one spreadsheet file (project space demo, case type patient, matched by case ID,
 * creation on).
 */
export async function sendFile(
	emulator: Pick<Emulator, 'baseUrl'>,
	file: Buffer,
	options: { name?: string; mode?: 'default' | 'filesystem'; parameters?: IDataObject } = {},
): Promise<RunResult> {
	return await runScenario({
		node: bulkImport,
		credentials: apiKeyCredential(emulator) as never,
		items: [binaryItem(file, options.name ?? 'patients.xlsx', { mode: options.mode })],
		parameters: {
			projectSpace: 'demo',
			caseType: 'patient',
			searchField: 'case_id',
			unmatchedRows: 'create',
			...options.parameters,
		},
	});
}

/** Feeds a Bulk Import run's output items to CommCare Import Status, as a workflow would. */
export async function statusOf(
	emulator: Pick<Emulator, 'baseUrl'>,
	result: RunResult,
	parameters: IDataObject = FAST_POLLING,
): Promise<RunResult> {
	if (!result.outputs) throw new Error(`the upload failed: ${result.error?.message}`);
	return await runScenario({
		node: importStatus,
		credentials: apiKeyCredential(emulator) as never,
		items: result.outputs[0],
		parameters,
	});
}

/** "1 upload request, 1 import queued" (or "no request"), for the `server` column of TESTING.md. */
export function uploadsLine(emulator: Emulator): string {
	const seen = received(emulator);
	if (seen.all === 0) return 'no request';
	return `${plural(seen.uploadPosts, 'upload request')}, ${plural(seen.importsQueued, 'import')} queued`;
}

/** A self-signed certificate for 127.0.0.1, made with openssl for this test file; `remove()` deletes it. */
export function selfSignedCertificate(): { key: Buffer; cert: Buffer; remove(): void } {
	const dir = mkdtempSync(join(tmpdir(), 'commcare-tls-'));
	execFileSync(
		'openssl',
		[
			'req',
			'-x509',
			'-newkey',
			'ec',
			'-pkeyopt',
			'ec_paramgen_curve:prime256v1',
			'-nodes',
			'-days',
			'1',
			'-subj',
			'/CN=127.0.0.1',
			'-addext',
			'subjectAltName=IP:127.0.0.1',
			'-keyout',
			join(dir, 'key.pem'),
			'-out',
			join(dir, 'cert.pem'),
		],
		{ stdio: 'ignore' },
	);
	const pair = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
	return { ...pair, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
