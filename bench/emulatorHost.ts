/**
 * The CommCare HQ emulator in a process of its own, for the benchmark cases that upload: the case's process then runs
 * only the node, so its peak memory is the node's, and what the emulator spends reading a 100 MB request is not
 * counted against it. A case calls `startEmulatorProcess()`, which forks this file; they talk over IPC.
 *
 * `acceptUploads`: uploads are answered the way CommCare accepts one (HTTP 200, `{"code": 200, "message": "success",
 * "status_url": ...}`) after the whole request has been read, but the rows are not imported: the emulator's import of
 * 100,000 rows takes tens of seconds, which would be counted in the upload's wall time, and it is the node that is
 * measured, not the emulator.
 * `importRecords`: a real import of the lookup records (`lookupRecords`), done before the measurement, for the cases
 * that look cases up after an import; `bulkFetches` then says what the Case API was asked.
 * `cpuSeconds` and `casesOfType`: for cases that import for real (households and members), what the emulator spent
 * meanwhile and what it holds afterwards. `lookupTable`: the rows a lookup table holds and the lookup-table uploads
 * received (lookupTableCases.ts). A queued lookup-table upload runs at its first status poll (no polls queued or
 * running), so the wait measures the emulator's work, not a scripted timeline.
 */
import { fork, type ChildProcess } from 'child_process';
import { randomUUID } from 'crypto';

import { startEmulator } from '../emulator';
import { pythonJsonDumps } from '../emulator/pythonFormat';
import { uploadToEmulator, type CreatedUpload, type SheetRow } from '../test/support/emulator';
import { lookupRecords } from './data';

type HostCommand =
	| { type: 'acceptUploads'; count: number }
	| { type: 'uploadsReceived' }
	| { type: 'importRecords' }
	| { type: 'bulkFetches' }
	| { type: 'cpuSeconds' }
	| { type: 'casesOfType'; caseType: string; externalIds: string[] }
	| { type: 'lookupTable'; tag: string }
	| { type: 'close' };
type HostRequest = HostCommand & { id: number };

/** What the emulator saw of the uploads accepted so far. */
export interface UploadsReceived {
	/** One entry per upload request: its Content-Length (bytes), or null when it was sent chunked. */
	contentLengths: Array<number | null>;
}

export interface CasesOfType {
	count: number;
	withExternalIds: number;
}

/** A lookup table as the emulator holds it, and the lookup-table uploads it received. */
export interface LookupTableHeld {
	/** Null when the project has no table with that tag. */
	rows: number | null;
	uploads: Array<{ status: number; async: boolean; replace: string | undefined; fileBytes: number }>;
}

export interface EmulatorProcess {
	baseUrl: string;
	domain: string;
	username: string;
	apiKey: string;
	/** Answers the next `count` uploads with CommCare's success (each its own status_url), without importing. */
	acceptUploads(count: number): Promise<void>;
	uploadsReceived(): Promise<UploadsReceived>;
	/** Imports `lookupRecords()` for real (matching by external id, creating cases); the upload, without its rows. */
	importRecords(): Promise<Omit<CreatedUpload, 'rows'>>;
	/** For each bulk fetch answered so far: how many case ids and external ids it asked for. */
	bulkFetches(): Promise<Array<{ caseIds: number; externalIds: number }>>;
	/** The emulator process's CPU time so far (user + system). */
	cpuSeconds(): Promise<number>;
	/** How many cases of the type the project holds, and how many of `externalIds` name one of them. */
	casesOfType(caseType: string, externalIds?: string[]): Promise<CasesOfType>;
	lookupTable(tag: string): Promise<LookupTableHeld>;
	close(): Promise<void>;
}

export async function startEmulatorProcess(): Promise<EmulatorProcess> {
	const child: ChildProcess = fork(__filename, ['--host'], {
		execArgv: [],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	const pending = new Map<number, (value: unknown) => void>();
	let nextId = 1;
	const ready = new Promise<{ baseUrl: string; domain: string; username: string; apiKey: string }>(
		(resolve, reject) => {
			child.once('error', reject);
			child.once('exit', (code) => reject(new Error(`the emulator process exited (${code}) before it was ready`)));
			child.on('message', (message: { id?: number; type: string; value?: unknown }) => {
				if (message.type === 'ready') resolve(message.value as never);
				else if (message.id !== undefined) pending.get(message.id)?.(message.value);
			});
		},
	);
	const ask = async (command: HostCommand) => {
		const id = nextId++;
		const answered = new Promise((resolve) => pending.set(id, resolve));
		child.send({ ...command, id });
		return await answered;
	};
	const info = await ready;
	return {
		...info,
		acceptUploads: async (count) => void (await ask({ type: 'acceptUploads', count })),
		uploadsReceived: async () => (await ask({ type: 'uploadsReceived' })) as UploadsReceived,
		importRecords: async () => (await ask({ type: 'importRecords' })) as Omit<CreatedUpload, 'rows'>,
		bulkFetches: async () => (await ask({ type: 'bulkFetches' })) as Array<{ caseIds: number; externalIds: number }>,
		cpuSeconds: async () => (await ask({ type: 'cpuSeconds' })) as number,
		casesOfType: async (caseType, externalIds = []) =>
			(await ask({ type: 'casesOfType', caseType, externalIds })) as CasesOfType,
		lookupTable: async (tag) => (await ask({ type: 'lookupTable', tag })) as LookupTableHeld,
		close: async () => {
			const exited = new Promise((resolve) => child.once('exit', resolve));
			child.send({ id: 0, type: 'close' });
			await exited;
		},
	};
}

async function host(): Promise<void> {
	const emulator = await startEmulator({
		timeline: { queuedPolls: 0, runningPolls: 0 },
		lookupTableTimeline: { queuedPolls: 0, runningPolls: 0 },
	});
	const reply = (id: number, value: unknown = null) => process.send?.({ id, type: 'reply', value });
	process.on('message', (request: HostRequest) => {
		if (request.type === 'acceptUploads') {
			for (let i = 0; i < request.count; i++) {
				const statusUrl = `${emulator.baseUrl}/a/${emulator.domain}/importer/history/uploads/${randomUUID()}/status`;
				emulator.faults.respond('upload', 1, {
					status: 200,
					headers: { 'Content-Type': 'application/json' },
					body: pythonJsonDumps({ code: 200, message: 'success', status_url: statusUrl }),
				});
			}
			reply(request.id);
		} else if (request.type === 'uploadsReceived') {
			const uploads = emulator.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/bulk_upload_api/'));
			const contentLengths = uploads.map((r) =>
				r.headers['content-length'] === undefined ? null : Number(r.headers['content-length']),
			);
			reply(request.id, { contentLengths } satisfies UploadsReceived);
		} else if (request.type === 'importRecords') {
			void uploadToEmulator(emulator, {
				rows: lookupRecords() as SheetRow[],
				searchField: 'external_id',
				createNewCases: true,
			}).then(({ rows: _rows, ...upload }) => reply(request.id, upload));
		} else if (request.type === 'bulkFetches') {
			reply(
				request.id,
				emulator.bulkFetches.map(({ caseIds, externalIds }) => ({
					caseIds: caseIds.length,
					externalIds: externalIds.length,
				})),
			);
		} else if (request.type === 'cpuSeconds') {
			const { user, system } = process.cpuUsage();
			reply(request.id, (user + system) / 1e6);
		} else if (request.type === 'casesOfType') {
			const ofType = emulator.cases.byType(emulator.domain, request.caseType);
			const asked = new Set(request.externalIds);
			const withExternalIds = new Set(ofType.map((found) => found.external_id).filter((id) => asked.has(id))).size;
			reply(request.id, { count: ofType.length, withExternalIds } satisfies CasesOfType);
		} else if (request.type === 'lookupTable') {
			const held = emulator.lookupTables.table(emulator.domain, request.tag)
				? emulator.lookupTables.rows(emulator.domain, request.tag).length
				: null;
			const uploads = emulator.lookupTableUploads.map((upload) => ({
				status: upload.status,
				async: (upload.fields.async ?? '').toLowerCase() === 'true',
				replace: upload.fields.replace,
				fileBytes: upload.file?.length ?? 0,
			}));
			reply(request.id, { rows: held, uploads } satisfies LookupTableHeld);
		} else {
			void emulator.close().then(() => process.exit(0));
		}
	});
	// The case's process went away: nothing left to serve.
	process.on('disconnect', () => process.exit(0));
	process.send?.({
		type: 'ready',
		value: { baseUrl: emulator.baseUrl, domain: emulator.domain, username: emulator.username, apiKey: emulator.apiKey },
	});
}

if (require.main === module && process.argv.includes('--host')) {
	host().catch((error: unknown) => {
		process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
		process.exit(1);
	});
}
