/**
 * n8n 2.40.7 in queue mode (PostgreSQL + Redis + a main + two workers), once per binary-data mode.
 *
 * Ten executions are started together through the main's production webhook. The workflow runs the throwaway
 * community package (installed into every process's user folder), waits at a hold server until all ten run at
 * once, and round-trips a text through a binary file, so the binary-data mode is used inside the workers.
 *
 * Checked: every execution finished with its own output (no cross-talk, nothing lost or duplicated), each ran
 * on a worker (the worker's own log and the process name the workflow recorded agree), both workers took jobs,
 * and the binary data was stored the way the mode says. Wall time and worker peak memory are printed.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { ensureN8n, type N8nInstall } from '../harness/n8n/install';
import type { BinaryDataMode } from '../harness/n8n/instance';
import { packPackage, REPO_ROOT } from '../harness/n8n/pack';
import { startQueueCluster, type QueueCluster } from '../harness/n8n/queue';
import { startHoldServer, type HoldServer } from './holdServer';
import { NODE, queueTestWorkflow } from './queueWorkflow';

const N8N_VERSION = '2.40.7';
const WORKERS = 2;
const CONCURRENCY_PER_WORKER = 5;
const EXECUTIONS = WORKERS * CONCURRENCY_PER_WORKER;
const TINY_PACKAGE_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'tiny-community-node');

// Installing n8n on a fresh machine takes minutes; a cluster start about half a minute on this small machine.
jest.setTimeout(20 * 60_000);

let install: N8nInstall;
let tarball: string;

beforeAll(async () => {
	install = await ensureN8n(N8N_VERSION);
	tarball = await packPackage({ packageDir: TINY_PACKAGE_DIR, skipBuild: true });
});

afterAll(async () => {
	if (tarball) await fs.rm(path.dirname(tarball), { recursive: true, force: true });
});

/** What the binary `data` of the "To File" node must look like in each mode. */
const expectedBinaryStorage: Record<BinaryDataMode, (binary: { id?: string; data: string }, text: string) => void> = {
	database: (binary) => expect(binary.id).toMatch(/^database:/),
	filesystem: (binary) => expect(binary.id).toMatch(/^filesystem-v2:/),
	default: (binary, text) => {
		expect(binary.id).toBeUndefined();
		expect(Buffer.from(binary.data, 'base64').toString('utf8')).toBe(text);
	},
};

describe.each<BinaryDataMode>(['database', 'filesystem', 'default'])(
	`n8n ${N8N_VERSION} queue mode, binary data mode "%s"`,
	(binaryDataMode) => {
		let cluster: QueueCluster | undefined;
		let holdServer: HoldServer;
		const webhookPath = `queue-${binaryDataMode}`;

		beforeAll(async () => {
			holdServer = await startHoldServer(EXECUTIONS);
			const startedAt = Date.now();
			cluster = await startQueueCluster(install, {
				workers: WORKERS,
				concurrency: CONCURRENCY_PER_WORKER,
				binaryDataMode,
				tarball,
				workflows: [queueTestWorkflow({ webhookPath, holdUrl: holdServer.url })],
			});
			console.log(
				`[${binaryDataMode}] cluster up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s ` +
					JSON.stringify(cluster.startupSeconds),
			);
		});

		afterAll(async () => {
			await cluster?.stop();
			await holdServer?.close();
		});

		it('runs ten executions started together on both workers, each with its own output', async () => {
			const activeCluster = cluster!;
			const requestIds = Array.from({ length: EXECUTIONS }, (_, index) => `${binaryDataMode}-request-${index + 1}`);

			const startedAt = Date.now();
			const responses = await Promise.all(
				requestIds.map(async (requestId) => {
					const response = await fetch(activeCluster.webhookUrl(webhookPath), {
						method: 'POST',
						headers: { 'content-type': 'application/json' },
						body: JSON.stringify({ requestId }),
					});
					return { status: response.status, body: (await response.json()) as Record<string, string> };
				}),
			);
			const wallSeconds = (Date.now() - startedAt) / 1000;

			// The webhook answers with the last node's output: each caller gets its own request back.
			for (const [index, { status, body }] of responses.entries()) {
				expect(status).toBe(200);
				expect(body).toMatchObject({ requestId: requestIds[index], roundTrip: `row of ${requestIds[index]}: world` });
			}
			expect(holdServer.reachedTogether()).toBe(true);
			expect(holdServer.maxOpen()).toBe(EXECUTIONS);
			expect([...holdServer.received].sort()).toEqual([...requestIds].sort());

			const executions = await activeCluster.listExecutions(activeCluster.workflowIds[0]);
			expect(executions).toHaveLength(EXECUTIONS);
			const ranOn = await activeCluster.executionsByWorker();
			const seenRequestIds: string[] = [];
			for (const summary of executions) {
				expect(summary).toMatchObject({ status: 'success', finished: true, mode: 'webhook' });
				const execution = await activeCluster.readExecution(summary.id);
				const [[result]] = execution.outputs(NODE.result);
				const requestId = result.json.requestId as string;
				seenRequestIds.push(requestId);
				expect(result.json).toEqual({
					requestId,
					roundTrip: `row of ${requestId}: world`,
					process: ranOn.get(summary.id),
					formDataVersion: '4.0.6',
				});
				expect(ranOn.get(summary.id)).toMatch(/^worker-\d$/);

				const [[fileItem]] = execution.outputs(NODE.toFile);
				const binary = fileItem.binary!.data as unknown as { id?: string; data: string };
				expectedBinaryStorage[binaryDataMode](binary, `row of ${requestId}: world`);
			}
			expect(seenRequestIds.sort()).toEqual([...requestIds].sort());

			const executionsPerWorker = new Map<string, number>();
			for (const worker of ranOn.values()) executionsPerWorker.set(worker, (executionsPerWorker.get(worker) ?? 0) + 1);
			expect([...executionsPerWorker.keys()].sort()).toEqual(['worker-1', 'worker-2']);

			const peaks = await activeCluster.workerMemoryPeaks();
			console.log(
				`[${binaryDataMode}] ${EXECUTIONS} executions in ${wallSeconds.toFixed(1)} s; per worker: ` +
					peaks
						.map(
							(peak) =>
								`${peak.name} ran ${executionsPerWorker.get(peak.name) ?? 0}, peak RSS ${Math.round(peak.peakRssKb / 1024)} MiB`,
						)
						.join('; '),
			);
		});
	},
);
