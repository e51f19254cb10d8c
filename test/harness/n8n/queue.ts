/**
 * A real n8n in queue mode, the way organisations run it at scale: PostgreSQL and Redis (private instances from
 * Debian's packages), one `n8n start` main and N `n8n worker` processes sharing them.
 *
 * Each process has its own N8N_USER_FOLDER (like one container each) with the community package installed in
 * `<userFolder>/.n8n/nodes/node_modules/<name>` (test/harness/n8n/instance.ts does that install the way n8n does).
 * They share what a real deployment shares: the database, Redis, the encryption key, and (for `filesystem`
 * binary data, which n8n only supports in queue mode on a shared volume) one binary-data folder.
 *
 * Executions are triggered through the main (production webhooks); the main enqueues them in Redis and a
 * worker runs them. Results are read back from the database; which worker ran what comes from each worker's own
 * log ("Worker started execution <id>").
 *
 * CLI (start a cluster and leave it running until Ctrl-C):
 *   npx ts-node --transpile-only test/harness/n8n/queue.ts [--workers=2] [--binary-data-mode=database] [--tarball=x.tgz]
 */
import { randomBytes } from 'crypto';
import { mkdtempSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ITaskData, INodeExecutionData } from 'n8n-workflow';

import { ensureN8n, flattedPath, type N8nInstall } from './install';
import { createInstance, type BinaryDataMode, type N8nInstance } from './instance';
import { startPostgres, type PostgresService } from '../services/postgres';
import {
	childMemoryPeaks,
	freePort,
	peakRssKb,
	startProcess,
	waitUntil,
	type ChildMemoryPeak,
	type ManagedProcess,
} from '../services/processes';
import { startRedis, type RedisService } from '../services/redis';

export interface QueueClusterOptions {
	/** Number of `n8n worker` processes (default 2). */
	workers?: number;
	/** Jobs one worker runs at once (`n8n worker --concurrency`; n8n's default is 10). */
	concurrency?: number;
	/** N8N_DEFAULT_BINARY_DATA_MODE for every process; unset keeps n8n's queue-mode default (`database` in 2.x). */
	binaryDataMode?: BinaryDataMode;
	/** A community package tarball (`npm pack`) to install into every process's user folder. */
	tarball?: string;
	/** Imported before the processes start. */
	credentials?: object[];
	/** Imported before the processes start; those with `active: true` are published (activated). */
	workflows?: object[];
	/** Extra environment for every n8n process and command. */
	env?: Record<string, string>;
}

/** One n8n process of the cluster. */
export interface ClusterProcess {
	/** `main`, `worker-1`, `worker-2`, ... (also in the process's N8N_HARNESS_PROCESS_NAME). */
	name: string;
	instance: N8nInstance;
	process: ManagedProcess;
	/** Port of `/healthz` (the main's HTTP port, a worker's QUEUE_HEALTH_CHECK_PORT). */
	port: number;
}

export interface ExecutionSummary {
	id: string;
	workflowId: string;
	status: string;
	finished: boolean;
	mode: string;
	/** Milliseconds since the epoch (null while not yet started / stopped). */
	createdAt: number;
	startedAt: number | null;
	stoppedAt: number | null;
}

/** Statuses after which an execution changes no more. */
export const FINAL_EXECUTION_STATUSES = ['success', 'error', 'crashed', 'canceled'] as const;

/** A finished execution as stored in the database (same shape as instance.ts's RunResult, minus the CLI output). */
export interface StoredExecution extends ExecutionSummary {
	/** The run data object (`{ resultData: { runData, error? }, ... }`), deserialized. */
	data: Record<string, unknown>;
	runData: Record<string, ITaskData[]>;
	error?: { message: string; [key: string]: unknown };
	/** Items per output of a node's run: `main[0]` is the first output, ... */
	outputs(nodeName: string, runIndex?: number): INodeExecutionData[][];
}

export interface MemoryPeak {
	name: string;
	pid: number;
	/** Peak resident set size of the n8n process (VmHWM from /proc/<pid>/status), in KiB. */
	peakRssKb: number;
	/**
	 * The same for each process the n8n process started that is still alive (n8n 2.x runs Code nodes in a task
	 * runner child process, whose memory is not the worker's).
	 */
	children: ChildMemoryPeak[];
}

export interface QueueCluster {
	install: N8nInstall;
	postgres: PostgresService;
	redis: RedisService;
	main: ClusterProcess;
	workers: ClusterProcess[];
	/** `http://127.0.0.1:<main port>` */
	mainUrl: string;
	/** Ids of `options.workflows`, in the same order. */
	workflowIds: string[];
	/** The environment shared by every n8n process (database, Redis, encryption key, binary data). */
	sharedEnv: Record<string, string>;
	/** Seconds each start-up phase took (for reports; never assert on them). */
	startupSeconds: Record<string, number>;
	/** Production webhook URL on the main: `<mainUrl>/webhook/<path>`. */
	webhookUrl(webhookPath: string): string;
	importCredentials(credentials: object[]): Promise<void>;
	/**
	 * Imports a workflow (CLI, into the shared database). With `activate`, publishes it and, while the main
	 * runs, waits until the main has registered its webhooks (n8n's publication reconciler picks up CLI
	 * publishes within about 10 s). Returns the workflow id.
	 */
	importWorkflow(workflow: object, options?: { activate?: boolean }): Promise<string>;
	/** Waits until the main has registered the production webhooks of a published workflow. */
	waitForWebhooks(workflowId: string): Promise<void>;
	listExecutions(workflowId?: string): Promise<ExecutionSummary[]>;
	/**
	 * Waits until the workflow has `count` executions and all of them are final (success, error, crashed,
	 * canceled); fails if more appear. Returns them in id order.
	 */
	waitForExecutions(workflowId: string, count: number, options?: { timeoutMs?: number }): Promise<ExecutionSummary[]>;
	readExecution(executionId: string): Promise<StoredExecution>;
	/** Execution id -> name of the worker whose log says it started that execution. */
	executionsByWorker(): Promise<Map<string, string>>;
	/** Peak memory of each worker so far (read it before stop()). */
	workerMemoryPeaks(): Promise<MemoryPeak[]>;
	/** Stops workers, main, Redis and PostgreSQL and removes their folders. Safe to call twice. */
	stop(): Promise<void>;
}

const MAIN_NAME = 'main';
/** n8n logs this once the main has activated workflows and listens. */
const MAIN_READY_LOG = 'Editor is now accessible via';
const WORKER_READY_LOG = 'n8n worker is now ready';
const WORKER_STARTED_EXECUTION = /Worker started execution (\d+)/g;

export async function startQueueCluster(install: N8nInstall, options: QueueClusterOptions = {}): Promise<QueueCluster> {
	if (!install.version.startsWith('2.')) {
		// 1.x queue mode works differently (no `database` binary mode, other readiness signals); not needed yet.
		throw new Error(`startQueueCluster supports n8n 2.x, not ${install.version}`);
	}
	const workerCount = options.workers ?? 2;
	const clusterDir = mkdtempSync(path.join(os.tmpdir(), 'n8n-queue-'));
	const logsDir = path.join(clusterDir, 'logs');
	await fs.mkdir(logsDir);

	const cleanups: Array<() => Promise<void>> = [];
	const cleanUp = async () => {
		// Last started, first stopped: workers, main, then the databases.
		for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
		if (process.env.N8N_HARNESS_KEEP_LOGS !== 'true') await fs.rm(clusterDir, { recursive: true, force: true });
	};

	const timings: Record<string, number> = {};
	let lapStart = Date.now();
	const lap = () => {
		const seconds = (Date.now() - lapStart) / 1000;
		lapStart = Date.now();
		return seconds;
	};

	try {
		const [postgres, redis] = await Promise.all([
			startPostgres().then((service) => (cleanups.push(() => service.stop()), service)),
			startRedis().then((service) => (cleanups.push(() => service.stop()), service)),
		]);
		timings.postgresAndRedis = lap();

		const sharedStorageDir = path.join(clusterDir, 'storage');
		await fs.mkdir(sharedStorageDir);
		const sharedEnv: Record<string, string> = {
			EXECUTIONS_MODE: 'queue',
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: postgres.host,
			DB_POSTGRESDB_PORT: String(postgres.port),
			DB_POSTGRESDB_DATABASE: postgres.database,
			DB_POSTGRESDB_USER: postgres.user,
			DB_POSTGRESDB_PASSWORD: postgres.password,
			QUEUE_BULL_REDIS_HOST: redis.host,
			QUEUE_BULL_REDIS_PORT: String(redis.port),
			// Every process must decrypt the credentials the others stored.
			N8N_ENCRYPTION_KEY: randomBytes(24).toString('hex'),
			// The shared volume `filesystem` binary data needs in queue mode (unused in the other modes).
			N8N_STORAGE_PATH: sharedStorageDir,
			// Manual runs go to the workers too (n8n's recommended queue-mode setting; deprecated otherwise).
			OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
			// Test workflows may read N8N_HARNESS_PROCESS_NAME to record which process ran a node.
			N8N_BLOCK_ENV_ACCESS_IN_NODE: 'false',
			// Stop promptly; tests wait for their executions before stopping.
			N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '10',
			...options.env,
		};

		const mainPort = await freePort();
		const mainUrl = `http://127.0.0.1:${mainPort}`;
		const makeInstance = async (name: string, env: Record<string, string>) => {
			const instance = await createInstance(install, {
				binaryDataMode: options.binaryDataMode,
				env: { ...sharedEnv, N8N_HARNESS_PROCESS_NAME: name, ...env },
			});
			cleanups.push(() => instance.cleanup());
			return instance;
		};
		const mainInstance = await makeInstance(MAIN_NAME, {
			N8N_PORT: String(mainPort),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_WEBHOOK_URL: `${mainUrl}/`,
		});
		const workerSetups: Array<{ name: string; port: number; instance: N8nInstance }> = [];
		for (let index = 1; index <= workerCount; index++) {
			const name = `worker-${index}`;
			const port = await freePort();
			const instance = await makeInstance(name, {
				QUEUE_HEALTH_CHECK_ACTIVE: 'true',
				QUEUE_HEALTH_CHECK_PORT: String(port),
				N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
			});
			workerSetups.push({ name, port, instance });
		}

		if (options.tarball) {
			// Like a self-hosted deployment: the package goes into every process's own nodes folder.
			const tarball = options.tarball;
			await Promise.all(
				[mainInstance, ...workerSetups.map((setup) => setup.instance)].map((instance) =>
					instance.installPackage(tarball),
				),
			);
		}
		timings.processFoldersAndPackages = lap();

		// CLI imports go straight into the shared database; the first one also runs the migrations.
		const importWorkflowFile = async (workflow: object, activate: boolean) => {
			const id = await mainInstance.importWorkflow(workflow);
			if (activate) {
				const result = await mainInstance.runCommand(['publish:workflow', `--id=${id}`]);
				if (result.exitCode !== 0)
					throw new Error(`n8n publish:workflow --id=${id} failed:\n${result.stdout}${result.stderr}`);
			}
			return id;
		};
		if (options.credentials?.length) await mainInstance.importCredentials(options.credentials);
		const workflowIds: string[] = [];
		for (const workflow of options.workflows ?? []) {
			workflowIds.push(await importWorkflowFile(workflow, (workflow as { active?: boolean }).active === true));
		}

		timings.importsAndMigrations = lap();

		const startN8n = (name: string, instance: N8nInstance, port: number, args: string[], readyLog: string) =>
			startN8nProcess({
				install,
				name,
				instance,
				port,
				args,
				logsDir,
				readyLog,
				onSpawn: (child) => cleanups.push(() => child.stop('SIGTERM', 30_000)),
			});
		// Main first: it runs the database migrations when no import did, and workers need the schema.
		const main = await startN8n(MAIN_NAME, mainInstance, mainPort, ['start'], MAIN_READY_LOG);
		const workerArgs = ['worker', ...(options.concurrency ? [`--concurrency=${options.concurrency}`] : [])];
		const workers = await Promise.all(
			workerSetups.map(({ name, port, instance }) => startN8n(name, instance, port, workerArgs, WORKER_READY_LOG)),
		);

		timings.mainAndWorkers = lap();

		const query = (sql: string) => postgres.query(sql);
		const waitForWebhooks = async (workflowId: string) => {
			assertId(workflowId);
			await waitUntil(
				`the main to register webhooks of workflow ${workflowId}`,
				async () =>
					Number(await query(`SELECT count(*) FROM webhook_entity WHERE "workflowId" = '${workflowId}'`)) > 0
						? true
						: undefined,
				{ process: main.process, timeoutMs: 90_000, intervalMs: 500 },
			);
		};
		for (const [index, workflow] of (options.workflows ?? []).entries()) {
			if (hasWebhookTrigger(workflow) && (workflow as { active?: boolean }).active === true)
				await waitForWebhooks(workflowIds[index]);
		}
		timings.webhooksRegistered = lap();

		/** Execution summaries matching `where` (SQL built from checked ids only), in id order. */
		const selectExecutions = async (where: string): Promise<ExecutionSummary[]> => {
			const epochMs = (column: string) => `round(extract(epoch from "${column}") * 1000)`;
			const rows = await query(
				`SELECT id, "workflowId", status, finished, mode, ${epochMs('createdAt')}, ${epochMs('startedAt')}, ${epochMs('stoppedAt')} FROM execution_entity ${where} ORDER BY id`,
			);
			return parseRows(rows).map(toExecutionSummary);
		};
		const listExecutions = async (workflowId?: string): Promise<ExecutionSummary[]> => {
			if (workflowId === undefined) return await selectExecutions('');
			assertId(workflowId);
			return await selectExecutions(`WHERE "workflowId" = '${workflowId}'`);
		};

		let stopped = false;
		return {
			install,
			postgres,
			redis,
			main,
			workers,
			mainUrl,
			workflowIds,
			sharedEnv,
			startupSeconds: timings,
			webhookUrl: (webhookPath) => `${mainUrl}/webhook/${webhookPath.replace(/^\//, '')}`,
			importCredentials: (credentials) => mainInstance.importCredentials(credentials),
			async importWorkflow(workflow, { activate = false } = {}) {
				const id = await importWorkflowFile(workflow, activate);
				if (activate && hasWebhookTrigger(workflow)) await waitForWebhooks(id);
				return id;
			},
			waitForWebhooks,
			listExecutions,
			async waitForExecutions(workflowId, count, { timeoutMs = 300_000 } = {}) {
				return await waitUntil(
					`${count} finished executions of workflow ${workflowId}`,
					async () => {
						const executions = await listExecutions(workflowId);
						if (executions.length > count) {
							throw new UnexpectedExecutionsError(
								`Expected ${count} executions of workflow ${workflowId}, found ${executions.length}`,
							);
						}
						const finished = executions.filter((execution) =>
							(FINAL_EXECUTION_STATUSES as readonly string[]).includes(execution.status),
						);
						return finished.length === count ? executions : undefined;
					},
					{
						process: main.process,
						timeoutMs,
						intervalMs: 500,
						rethrow: (error) => error instanceof UnexpectedExecutionsError,
					},
				);
			},
			async readExecution(executionId) {
				assertId(executionId);
				const [summary] = await selectExecutions(`WHERE id = ${Number(executionId)}`);
				if (!summary) throw new Error(`No execution ${executionId} in the database`);
				const serialized = (
					await query(`SELECT data FROM execution_data WHERE "executionId" = ${Number(executionId)}`)
				).replace(/\n$/, '');
				if (!serialized) throw new Error(`Execution ${executionId} has no stored data`);
				return toStoredExecution(summary, parseFlatted(install, serialized));
			},
			async executionsByWorker() {
				const byExecution = new Map<string, string>();
				for (const worker of workers) {
					for (const match of (await worker.process.readLog()).matchAll(WORKER_STARTED_EXECUTION)) {
						byExecution.set(match[1], worker.name);
					}
				}
				return byExecution;
			},
			workerMemoryPeaks: () =>
				Promise.all(
					workers.map(async (worker) => ({
						name: worker.name,
						pid: worker.process.pid,
						peakRssKb: await peakRssKb(worker.process.pid),
						children: await childMemoryPeaks(worker.process.pid),
					})),
				),
			async stop() {
				if (stopped) return;
				stopped = true;
				await cleanUp();
			},
		};
	} catch (error) {
		if (process.env.N8N_HARNESS_KEEP_LOGS !== 'true') {
			(error as Error).message += `\n(set N8N_HARNESS_KEEP_LOGS=true to keep the cluster logs in ${logsDir})`;
		}
		await cleanUp();
		throw error;
	}
}

interface StartN8nProcessOptions {
	install: N8nInstall;
	name: string;
	instance: N8nInstance;
	/** Where `/healthz/readiness` answers. */
	port: number;
	args: string[];
	logsDir: string;
	/** The log line n8n prints when it is done starting. */
	readyLog: string;
	/** Called right after spawning, so the caller can stop the process even if start-up then fails. */
	onSpawn(child: ManagedProcess): void;
}

/** Spawns a long-running n8n command and waits for its readiness log line and `/healthz/readiness`. */
async function startN8nProcess({
	install,
	name,
	instance,
	port,
	args,
	logsDir,
	readyLog,
	onSpawn,
}: StartN8nProcessOptions): Promise<ClusterProcess> {
	const child = startProcess({
		name: `n8n ${name}`,
		command: install.nodeBin,
		args: [install.n8nBin, ...args],
		env: instance.env,
		cwd: instance.userFolder,
		logFile: path.join(logsDir, `${name}.log`),
	});
	onSpawn(child);
	await waitUntil(
		`n8n ${name} to log "${readyLog}"`,
		async () => ((await child.readLog()).includes(readyLog) ? true : undefined),
		{
			process: child,
			timeoutMs: 180_000,
			intervalMs: 500,
		},
	);
	// Readiness means connected to the database and Redis.
	await waitUntil(
		`n8n ${name} /healthz/readiness`,
		async () => ((await fetch(`http://127.0.0.1:${port}/healthz/readiness`)).ok ? true : undefined),
		{
			process: child,
			timeoutMs: 60_000,
		},
	);
	return { name, instance, process: child, port };
}

function hasWebhookTrigger(workflow: object): boolean {
	const nodes = (workflow as { nodes?: Array<{ type?: string }> }).nodes ?? [];
	return nodes.some((node) => node.type === 'n8n-nodes-base.webhook');
}

/** Ids go into SQL text: accept only what n8n generates (digits for executions, alphanumerics for workflows). */
function assertId(id: string): void {
	if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new Error(`Unexpected id: ${JSON.stringify(id)}`);
}

function parseRows(psqlOutput: string): string[][] {
	return psqlOutput
		.split('\n')
		.filter((line) => line !== '')
		.map((line) => line.split('\t'));
}

/** n8n stores run data with `flatted` (handles shared references); use the copy n8n itself ships. */
function parseFlatted(install: N8nInstall, serialized: string): Record<string, unknown> {
	// A run-time require: the copy of flatted inside the n8n install being tested, found by path.
	const flatted = require(flattedPath(install)) as { parse(text: string): unknown };
	return flatted.parse(serialized) as Record<string, unknown>;
}

function toExecutionSummary([
	id,
	workflowId,
	status,
	finished,
	mode,
	createdAt,
	startedAt,
	stoppedAt,
]: string[]): ExecutionSummary {
	const epochMs = (text: string) => (text === '' ? null : Number(text));
	return {
		id,
		workflowId,
		status,
		finished: finished === 't',
		mode,
		createdAt: Number(createdAt),
		startedAt: epochMs(startedAt),
		stoppedAt: epochMs(stoppedAt),
	};
}

function toStoredExecution(summary: ExecutionSummary, data: Record<string, unknown>): StoredExecution {
	const resultData = (data.resultData ?? {}) as Record<string, unknown>;
	const runData = (resultData.runData ?? {}) as Record<string, ITaskData[]>;
	return {
		...summary,
		data,
		runData,
		error: resultData.error as StoredExecution['error'],
		outputs(nodeName, runIndex = 0) {
			const run = runData[nodeName]?.[runIndex];
			if (!run)
				throw new Error(
					`Node "${nodeName}" has no run #${runIndex} in execution ${summary.id}; ran: ${Object.keys(runData).join(', ') || 'none'}`,
				);
			return (run.data?.main ?? []).map((items) => items ?? []);
		},
	};
}

/** Thrown inside a wait to stop it at once (waiting longer cannot fix it). */
class UnexpectedExecutionsError extends Error {}

if (require.main === module) {
	const flag = (name: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
	(async () => {
		const install = await ensureN8n('2.40.7');
		const cluster = await startQueueCluster(install, {
			workers: Number(flag('workers') ?? 2),
			binaryDataMode: flag('binary-data-mode') as BinaryDataMode | undefined,
			tarball: flag('tarball') && path.resolve(flag('tarball')!),
		});
		console.log(`main: ${cluster.mainUrl}  workers: ${cluster.workers.map((w) => `${w.name} :${w.port}`).join(', ')}`);
		console.log(`postgres: ${cluster.postgres.port}  redis: ${cluster.redis.port}`);
		console.log('Ctrl-C to stop');
		process.once('SIGINT', () => void cluster.stop().then(() => process.exit(0)));
	})().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
