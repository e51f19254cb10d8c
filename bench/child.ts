/**
 * Runs one benchmark case in this process and prints one JSON line with its figures. Started by `run.ts` as
 * `node --expose-gc child.js <case name>`; not meant to be run by hand (but it can be). `child.js --fixture <name>`
 * makes one of the large input files instead.
 *
 * Memory: after `prepare()` the process is garbage-collected and its resident size taken as the baseline; the
 * kernel's peak counter (VmHWM) is reset, so the peak read after `run()` belongs to the case alone. Where the reset is
 * not allowed, RSS sampled every 50 ms stands in (it misses peaks inside synchronous work). A case that measures
 * stages (stages.ts) resets that counter at each: its stages come with its figures, and its peak is the highest.
 */
import { mkdirSync, renameSync } from 'fs';
import * as path from 'path';

import { cases, fixtures } from './cases';
import { collectGarbage, kernelPeakRssBytes, resetPeakRss, takeStages, type StageResult } from './stages';

export interface ChildResult {
	name: string;
	wallSeconds: number;
	cpuSeconds: number;
	baselineRssMb: number;
	peakRssMb: number;
	peakAboveBaselineMb: number;
	peakSource: 'VmHWM' | 'sampled';
	outputBytes: number;
	/** The stages the case measured on its own (`measureStage`), if any. */
	stages?: StageResult[];
}

const MB = 1024 * 1024;

async function main(name: string): Promise<void> {
	const benchCase = cases.find((c) => c.name === name);
	if (!benchCase) throw new Error(`Unknown case '${name}'. Known: ${cases.map((c) => c.name).join(', ')}`);

	const input = await benchCase.prepare();
	collectGarbage();
	const baseline = process.memoryUsage().rss;
	const canReset = resetPeakRss();
	let sampledPeak = baseline;
	const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss)), 50);

	const cpuBefore = process.cpuUsage();
	const start = process.hrtime.bigint();
	const { outputBytes } = await benchCase.run(input);
	const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
	const cpu = process.cpuUsage(cpuBefore);

	clearInterval(sampler);
	sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss);
	// A stage resets the kernel's counter: the case's peak is then the highest of its stages' and what came after.
	const stages = takeStages();
	const peak = Math.max(
		canReset ? Math.max(kernelPeakRssBytes(), sampledPeak) : sampledPeak,
		...stages.map((stage) => stage.peakRssMb * MB),
	);
	// After the measurement: the input stays alive until here, so the baseline stays true.
	await benchCase.cleanup?.(input);

	const result: ChildResult = {
		name,
		wallSeconds,
		cpuSeconds: (cpu.user + cpu.system) / 1e6,
		baselineRssMb: baseline / MB,
		peakRssMb: peak / MB,
		peakAboveBaselineMb: (peak - baseline) / MB,
		peakSource: canReset ? 'VmHWM' : 'sampled',
		outputBytes,
	};
	if (stages.length > 0) result.stages = stages;
	process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function makeFixture(name: string): Promise<void> {
	const fixture = fixtures[name];
	if (!fixture) throw new Error(`Unknown fixture '${name}'. Known: ${Object.keys(fixtures).join(', ')}`);
	mkdirSync(path.dirname(fixture.path), { recursive: true });
	// Made under another name first: an interrupted run leaves no half file behind under the real one.
	const partial = `${fixture.path}.partial`;
	await fixture.make(partial);
	renameSync(partial, fixture.path);
}

(process.argv[2] === '--fixture' ? makeFixture(process.argv[3]) : main(process.argv[2])).then(
	// Sockets kept alive for reuse would hold the process open.
	() => process.exit(0),
	(error) => {
		process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
		process.exit(1);
	},
);
