/**
 * One measured run of a scenario in a real n8n: a fresh `n8n start` process (regular mode, so the main process is
 * the one that runs the workflow, as a worker does in queue mode), a small warm-up run of the same workflow (so
 * n8n's lazily loaded modules and the node's code are in memory before the measurement), then the measured run.
 *
 * Memory: before the measured run the process's peak counter (VmHWM) is reset to its resident size; the peak read
 * after n8n has stored the run is therefore that of the run alone, saving included. Growth = peak − resident before.
 * Times come from the run data n8n stored (each node's `executionTime`; the run from the first node's start to
 * the last node's end).
 */
import { randomUUID } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';

import { startEmulator, type Emulator } from '../../emulator';
import { pythonJsonDumps } from '../../emulator/pythonFormat';
import { startEditor } from '../../test/harness/n8n/editor';
import type { N8nInstance } from '../../test/harness/n8n/instance';
import {
	childMemoryPeaks,
	freePort,
	peakRssKb,
	residentKb,
	resetPeakRss,
	waitUntil,
} from '../../test/harness/services/processes';
import { latestExecution, type ExecutionFigures } from './executions';
import { PROJECT_SPACE, type ScenarioWorkflow } from './workflows';

export interface Scenario {
	name: string;
	description: string;
	workflow: ScenarioWorkflow;
	/** The webhook's JSON body for the warm-up run and for the measured run. */
	warmUp: { rows: number; body: object };
	measured: { rows: number; body: object };
	/** The nodes whose times are printed, in order. */
	timedNodes: string[];
	/** Extra environment for the n8n process (e.g. to see what saving the run costs). */
	env?: Record<string, string>;
	/** Items per output each node must have had in the measured run: a run that did something else fails. */
	expectedItems: Record<string, number[]>;
}

export interface RunFigures {
	scenario: string;
	/** The n8n process that ran it. */
	pid: number;
	/** Seconds, from the run data: each timed node's executionTime, and the whole run. */
	nodeSeconds: Record<string, number>;
	runSeconds: number;
	/** From the webhook call to its answer (the run's end), as the caller saw it. */
	requestSeconds: number;
	/** MiB: resident before the measured run, its peak, and the growth. */
	rssBeforeMb: number;
	peakRssMb: number;
	growthMb: number;
	/** The task runner's peak (n8n 2.x runs Code nodes there), MiB; not part of the figures above. */
	runnerPeakMb: number | null;
	storedMb: number;
	uploadMb: number | null;
	/** process.hrtime (microseconds) around the measured request: the window of the profile to read. */
	windowMicros: [number, number];
}

const KB_PER_MB = 1024;

/** The emulator, answering uploads and status polls with CommCare's success without importing (see below). */
export async function startAnsweringEmulator(): Promise<Emulator> {
	return await startEmulator({ timeline: { queuedPolls: 0, runningPolls: 0 } });
}

/**
 * Arms the emulator for one run: the upload (read to its end) is answered as CommCare accepts one, and the status
 * of the import as finished with every row created. The rows are not imported: the emulator's own import of 100,000
 * rows takes minutes, and the figure is meant to be n8n's and the nodes', not the server's.
 */
function armForOneRun(emulator: Emulator, rows: number): void {
	emulator.reset();
	const json = { 'Content-Type': 'application/json' };
	const statusUrl = `${emulator.baseUrl}/a/${PROJECT_SPACE}/importer/history/uploads/${randomUUID()}/status`;
	emulator.faults.respond('upload', 1, {
		status: 200,
		headers: json,
		body: pythonJsonDumps({ code: 200, message: 'success', status_url: statusUrl }),
	});
	const finished = {
		state: 2,
		progress: { percent: 0 },
		result: { match_count: 0, created_count: rows, num_chunks: Math.ceil(rows / 100), errors: [] },
	};
	emulator.faults.respond('status', 100, { status: 200, headers: json, body: pythonJsonDumps(finished) });
}

/** Calls the workflow's webhook and waits for its answer (the run's end); n8n may still be registering it. */
async function callWebhook(url: string, body: object): Promise<void> {
	await waitUntil(
		`the webhook ${url} to run the workflow`,
		async () => {
			const response = await fetch(url, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(body),
				signal: AbortSignal.timeout(15 * 60_000),
			});
			const text = await response.text();
			if (response.status === 404) return undefined;
			if (!response.ok) throw new Error(`the webhook answered HTTP ${response.status}: ${text.slice(0, 500)}`);
			return true;
		},
		{ timeoutMs: 60_000, intervalMs: 1000, rethrow: () => true },
	);
}

async function storedRun(instance: N8nInstance): Promise<ExecutionFigures> {
	return await waitUntil('n8n to store the run', async () => (await latestExecution(instance)) ?? undefined, {
		timeoutMs: 300_000,
		intervalMs: 500,
		// null means "not yet"; a failure to read the database will not pass by waiting.
		rethrow: () => true,
	});
}

function checkItems(scenario: Scenario, figures: ExecutionFigures): void {
	for (const [nodeName, expected] of Object.entries(scenario.expectedItems)) {
		const run = figures.nodes[nodeName]?.[0];
		const got = run?.items ?? [];
		if (JSON.stringify(got) !== JSON.stringify(expected)) {
			throw new Error(
				`${scenario.name}: ${nodeName} had items ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}` +
					`${run?.error ? ` (error: ${run.error})` : ''}; its first item: ${JSON.stringify(figures.firstItems[nodeName]).slice(0, 600)}`,
			);
		}
	}
}

const settle = async (ms: number): Promise<null> => {
	await new Promise((resolve) => setTimeout(resolve, ms));
	return null;
};

const micros = () => Number(process.hrtime.bigint() / 1000n);

export async function measureRun(
	instance: N8nInstance,
	emulator: Emulator,
	scenario: Scenario,
	options: { cpuProfileDir?: string } = {},
): Promise<RunFigures> {
	const port = await freePort();
	const env: Record<string, string> = {
		...scenario.env,
		...(options.cpuProfileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${options.cpuProfileDir}` } : {}),
	};
	const saved = scenario.env?.EXECUTIONS_DATA_SAVE_ON_SUCCESS !== 'none';
	const editor = await startEditor(instance, { port, createOwner: false, env });
	const webhookUrl = `${editor.url}/webhook/${scenario.workflow.id}`;
	try {
		armForOneRun(emulator, scenario.warmUp.rows);
		await callWebhook(webhookUrl, scenario.warmUp.body);
		if (saved) await storedRun(instance);
		await latestExecution(instance, { remove: true });

		armForOneRun(emulator, scenario.measured.rows);
		const rssBefore = await residentKb(editor.pid);
		await resetPeakRss(editor.pid);
		const started = micros();
		await callWebhook(webhookUrl, scenario.measured.body);
		const answered = micros();
		// Unsaved, nothing tells when n8n is done after answering: give it the time a saved run takes to store.
		const figures = saved ? await storedRun(instance) : await settle(5000);
		const peak = await peakRssKb(editor.pid);
		const runners = await childMemoryPeaks(editor.pid);
		const uploads = emulator.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/bulk_upload_api/'));
		if (figures) checkItems(scenario, figures);
		else if (uploads.length !== 1) throw new Error(`${scenario.name}: ${uploads.length} uploads, expected 1`);
		await latestExecution(instance, { remove: true });

		const runs = Object.values(figures?.nodes ?? {}).flat();
		const firstStart = Math.min(...runs.map((run) => run.startTime));
		const lastEnd = Math.max(...runs.map((run) => run.startTime + run.executionTime));
		const uploadLength = uploads[0]?.headers['content-length'];
		return {
			scenario: scenario.name,
			pid: editor.pid,
			nodeSeconds: Object.fromEntries(
				scenario.timedNodes.map((name) => [
					name,
					figures ? (figures.nodes[name] ?? []).reduce((sum, run) => sum + run.executionTime, 0) / 1000 : NaN,
				]),
			),
			runSeconds: figures ? (lastEnd - firstStart) / 1000 : (answered - started) / 1e6,
			requestSeconds: (answered - started) / 1e6,
			rssBeforeMb: rssBefore / KB_PER_MB,
			peakRssMb: peak / KB_PER_MB,
			growthMb: (peak - rssBefore) / KB_PER_MB,
			runnerPeakMb: runners.length ? Math.max(...runners.map((r) => r.peakRssKb)) / KB_PER_MB : null,
			storedMb: (figures?.storedBytes ?? 0) / 1024 / 1024,
			uploadMb: uploadLength === undefined ? null : Number(uploadLength) / 1024 / 1024,
			windowMicros: [started, answered],
		};
	} catch (error) {
		const log = await fs.readFile(editor.logFile, 'utf8').catch(() => '');
		throw new Error(`${(error as Error).message}\nn8n's log (tail):\n${log.split('\n').slice(-30).join('\n')}`);
	} finally {
		await editor.stop();
	}
}

/** The CPU profile the n8n main process (pid) wrote when it stopped, among those in the folder. */
export async function profileOf(folder: string, pid: number): Promise<string | undefined> {
	const file = (await fs.readdir(folder)).find((name) => name.includes(`.${pid}.`) && name.endsWith('.cpuprofile'));
	return file && path.join(folder, file);
}
