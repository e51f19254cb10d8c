/**
 * Measures what one large import costs a queue-mode worker: a fresh cluster (one main, one worker, n8n's
 * queue-mode default binary mode), one execution that generates N rows of ten columns in a Code node, sends them to
 * the CommCare HQ emulator and waits for the result. Reports the worker's and its task runner's peak memory (VmHWM)
 * before and after, wall time, and the size of the execution data n8n stored. One cluster per route, so each
 * route's peak is its own.
 *
 * `--import=answered`: the emulator imports rows one by one against an in-memory list, which takes many minutes for
 * 100,000 new cases (longer than the node's upload timeout). With this flag its fault knobs answer instead: the
 * whole upload is still received (read to the end) before the answer, and the status goes queued, running, then
 * finished with every row created. Everything on the n8n side runs as with a real import.
 *
 * CLI (minutes per route; the figures go into docs/running-at-scale.md):
 *   npx ts-node --transpile-only test/scale/largeImport.ts [--rows=100000] [--import=real|answered]
 *     [--routes=items,items-per-record,convert-to-file]
 */
import { randomUUID } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';

import { commCareCredential } from '../../examples/workflows';
import { ensureN8n, type N8nInstall } from '../harness/n8n/install';
import { packPackage } from '../harness/n8n/pack';
import { startQueueCluster, type MemoryPeak, type QueueCluster } from '../harness/n8n/queue';
import { startEmulator, type Emulator } from '../../emulator';
import { GENERATED_ROW_COLUMNS, largeImportWorkflow, NODE, type LargeImportRoute } from './commcareWorkflows';

const CREDENTIAL = { id: 'largeImportCommCare', name: 'CommCare (emulator)' };
const ROUTES: LargeImportRoute[] = ['items', 'items-per-record', 'convert-to-file'];
/** Rows of the warm-up run, so "before" includes n8n's lazily loaded modules and not just an idle process. */
const WARM_UP_ROWS = 20;

/** `real`: the emulator imports every row; `answered`: its fault knobs answer the upload and the status polls. */
export type ImportMode = 'real' | 'answered';

export interface LargeImportMeasurement {
	route: LargeImportRoute;
	importMode: ImportMode;
	rows: number;
	columns: number;
	/** Worker (and task runner) peak memory after a small warm-up run, and after the large run, in KiB. */
	before: MemoryPeak;
	after: MemoryPeak;
	/** From the webhook call to the execution's end. */
	wallSeconds: number;
	status: string;
	/** What CommCare (the emulator) reported and holds. */
	/** Cases at the emulator (real imports only) and the created_count n8n reported. */
	casesCreated: number | null;
	reportedCreated: unknown;
	/** Upload requests the emulator received, and their bytes (the multipart body, as sent). */
	uploads: number;
	uploadBytes: number | null;
	/** Length of the run data n8n stored for the execution (execution_data.data), in bytes. */
	storedExecutionBytes: number;
}

/** The cluster being measured, so a signal can stop it (see the CLI below). */
let runningCluster: QueueCluster | undefined;

/** Arms the emulator to answer the next upload and its status polls without importing (see the file comment). */
function answerWithoutImporting(emulator: Emulator, rows: number): void {
	const json = { 'Content-Type': 'application/json' };
	const statusUrl = `${emulator.baseUrl}/a/${emulator.domain}/importer/history/uploads/${randomUUID()}/status`;
	const answer = (body: object) => ({ status: 200, headers: json, body: JSON.stringify(body) });
	emulator.faults.respond('upload', 1, answer({ code: 200, message: 'success', status_url: statusUrl }));
	emulator.faults.respond('status', 1, answer({ state: -1, progress: { percent: null }, result: null }));
	emulator.faults.respond('status', 1, answer({ state: 1, progress: { percent: 50 }, result: null }));
	emulator.faults.respond(
		'status',
		1,
		answer({
			state: 2,
			progress: { percent: 0 },
			result: { match_count: 0, created_count: rows, num_chunks: Math.ceil(rows / 100), errors: [] },
		}),
	);
}

export async function measureLargeImport(
	install: N8nInstall,
	tarball: string,
	emulator: Emulator,
	route: LargeImportRoute,
	rows: number,
	importMode: ImportMode = 'real',
): Promise<LargeImportMeasurement> {
	const workflow = largeImportWorkflow(
		{
			webhookPath: `large-${route}`,
			credential: CREDENTIAL,
			projectSpace: emulator.domain,
			caseType: 'patient',
			pollIntervalSeconds: 1,
			maxPollIntervalSeconds: 5,
			timeoutMinutes: 30,
		},
		route,
	);
	const cluster = await startQueueCluster(install, {
		workers: 1,
		tarball,
		credentials: [
			commCareCredential({
				...CREDENTIAL,
				baseUrl: emulator.baseUrl,
				username: emulator.username,
				apiKey: emulator.apiKey,
			}),
		],
		workflows: [workflow],
	});
	runningCluster = cluster;
	try {
		const [workflowId] = cluster.workflowIds;
		const url = cluster.webhookUrl(`large-${route}`);
		const post = async (count: number) => {
			const response = await fetch(url, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ rows: count }),
			});
			if (!response.ok) throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
		};

		await post(WARM_UP_ROWS);
		await cluster.waitForExecutions(workflowId, 1);
		emulator.reset();
		if (importMode === 'answered') answerWithoutImporting(emulator, rows);
		const [before] = await cluster.workerMemoryPeaks();

		const startedAt = Date.now();
		await post(rows);
		const executions = await cluster.waitForExecutions(workflowId, 2, { timeoutMs: 30 * 60_000 });
		const large = executions[1];
		const [after] = await cluster.workerMemoryPeaks();
		const storedExecutionBytes = Number(
			await cluster.postgres.query(
				`SELECT octet_length(data) FROM execution_data WHERE "executionId" = ${Number(large.id)}`,
			),
		);
		const stored = await cluster.readExecution(large.id);
		const status =
			large.status === 'success' ? large.status : `${large.status}: ${stored.error?.message ?? 'no error message'}`;
		const outcomes = stored.runData[NODE.status] ? stored.outputs(NODE.status).flat() : [];
		const uploadRequests = emulator.requests.filter(
			(request) => request.method === 'POST' && request.path.endsWith('/bulk_upload_api/'),
		);
		const lengths = uploadRequests.map((request) => Number(request.headers['content-length']));
		return {
			route,
			importMode,
			rows,
			columns: GENERATED_ROW_COLUMNS,
			before,
			after,
			wallSeconds: (large.stoppedAt! - startedAt) / 1000,
			status,
			casesCreated: importMode === 'real' ? emulator.cases.all().length : null,
			// Per upload, or per record (all records of one upload carry the same import counts).
			reportedCreated:
				outcomes[0]?.json.created_count ??
				(outcomes[0]?.json.import as { created_count?: unknown } | undefined)?.created_count,
			uploads: uploadRequests.length,
			uploadBytes: lengths.every(Number.isFinite) ? lengths.reduce((sum, length) => sum + length, 0) : null,
			storedExecutionBytes,
		};
	} finally {
		runningCluster = undefined;
		await cluster.stop();
	}
}

export function describeMeasurement(m: LargeImportMeasurement): string {
	const mib = (kb: number) => `${Math.round(kb / 1024)} MiB`;
	const runner = (peak: MemoryPeak) => mib(Math.max(0, ...peak.children.map((child) => child.peakRssKb)));
	return [
		`${m.route}: ${m.rows} rows x ${m.columns} columns, ${m.status}, ${m.wallSeconds.toFixed(0)} s`,
		`  worker VmHWM ${mib(m.before.peakRssKb)} -> ${mib(m.after.peakRssKb)} (+${mib(m.after.peakRssKb - m.before.peakRssKb)}); ` +
			`task runner VmHWM ${runner(m.before)} -> ${runner(m.after)}`,
		`  CommCare (${m.importMode === 'real' ? 'emulator imported the rows' : 'emulator answered without importing'}): ` +
			`${m.uploads} upload(s), ${m.uploadBytes === null ? 'size unknown' : `${(m.uploadBytes / 1024 / 1024).toFixed(1)} MiB`}, ` +
			`created_count reported ${String(m.reportedCreated)}${m.casesCreated === null ? '' : `, ${m.casesCreated} cases at the emulator`}; ` +
			`execution data stored by n8n: ${(m.storedExecutionBytes / 1024 / 1024).toFixed(1)} MiB`,
	].join('\n');
}

if (require.main === module) {
	const flag = (name: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
	const rows = Number(flag('rows') ?? 100_000);
	const routes = (flag('routes')?.split(',') ?? ROUTES) as LargeImportRoute[];
	const importMode = (flag('import') ?? 'real') as ImportMode;
	// Ctrl-C or a kill: stop the cluster first, or its processes outlive this one.
	for (const signal of ['SIGINT', 'SIGTERM'] as const) {
		process.once(signal, () => {
			console.error(`${signal}: stopping the cluster`);
			void (runningCluster?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
		});
	}
	(async () => {
		const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'commcare-large-'));
		// The import itself is not what is measured: report it done after one queued and one running answer.
		const emulator = await startEmulator({ timeline: { queuedPolls: 1, runningPolls: 1 } });
		try {
			const install = await ensureN8n('2.40.7');
			const tarball = await packPackage({ destination: scratch });
			for (const route of routes) {
				console.log(describeMeasurement(await measureLargeImport(install, tarball, emulator, route, rows, importMode)));
				emulator.reset();
			}
		} finally {
			await emulator.close();
			await fs.rm(scratch, { recursive: true, force: true });
		}
	})().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
