/**
 * Memory and time of a benchmark case's process, for `child.ts` (the whole case) and for cases that measure stages
 * of their own (`measureStage`: a chain of nodes, each node's run a stage).
 *
 * A stage starts garbage-collected, takes the process's resident size as its baseline and resets the kernel's peak
 * counter (VmHWM), so the peak read after it is its own; each stage may also count the CPU time another process (the
 * emulator) spent meanwhile. `child.ts` collects the stages a case measured and reports them with its figures.
 */
import { readFileSync, writeFileSync } from 'fs';

const MB = 1024 * 1024;

export interface StageResult {
	name: string;
	wallSeconds: number;
	/** This process's CPU time. */
	cpuSeconds: number;
	/** CPU time of the other process named to `measureStage` (the emulator), or null. */
	otherCpuSeconds: number | null;
	baselineRssMb: number;
	peakRssMb: number;
	peakAboveBaselineMb: number;
}

/** A stage's figures over several runs: times are medians, the peak the highest seen. */
export interface StageSummary {
	name: string;
	runs: number;
	wallSeconds: number;
	cpuSeconds: number;
	otherCpuSeconds: number | null;
	baselineRssMb: number;
	peakAboveBaselineMb: number;
}

export function collectGarbage(): void {
	const gc = (global as { gc?: () => void }).gc;
	if (!gc) throw new Error('Run with node --expose-gc');
	gc();
	gc();
}

/** Resets the kernel's peak-RSS counter for this process (Linux >= 4.0). */
export function resetPeakRss(): boolean {
	try {
		writeFileSync('/proc/self/clear_refs', '5');
		return true;
	} catch {
		return false;
	}
}

export function kernelPeakRssBytes(): number {
	const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
	return match ? Number(match[1]) * 1024 : 0;
}

let measured: StageResult[] = [];

/** The stages measured since the last call, in order; the list starts again empty. */
export function takeStages(): StageResult[] {
	const stages = measured;
	measured = [];
	return stages;
}

/**
 * Runs `work` as a stage of the case: its wall and CPU time, its peak RSS above the process's RSS when it started, and
 * `otherCpuSeconds()` (another process's CPU time so far) before and after it.
 */
export async function measureStage<T>(
	name: string,
	work: () => Promise<T>,
	otherCpuSeconds?: () => Promise<number>,
): Promise<T> {
	collectGarbage();
	const baseline = process.memoryUsage().rss;
	const canReset = resetPeakRss();
	let sampledPeak = baseline;
	const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss)), 50);
	const otherBefore = otherCpuSeconds ? await otherCpuSeconds() : null;
	const cpuBefore = process.cpuUsage();
	const start = process.hrtime.bigint();
	try {
		return await work();
	} finally {
		const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
		const cpu = process.cpuUsage(cpuBefore);
		clearInterval(sampler);
		const otherAfter = otherCpuSeconds && otherBefore !== null ? await otherCpuSeconds() : null;
		sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss);
		const peak = canReset ? Math.max(kernelPeakRssBytes(), sampledPeak) : sampledPeak;
		measured.push({
			name,
			wallSeconds,
			cpuSeconds: (cpu.user + cpu.system) / 1e6,
			otherCpuSeconds: otherAfter === null || otherBefore === null ? null : otherAfter - otherBefore,
			baselineRssMb: baseline / MB,
			peakRssMb: peak / MB,
			peakAboveBaselineMb: (peak - baseline) / MB,
		});
	}
}

export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Each stage's figures over the runs of one case (matched by name, in the order of the first run that has them). */
export function summarizeStages(runs: StageResult[][]): StageSummary[] {
	const names = [...new Set(runs.flatMap((stages) => stages.map((stage) => stage.name)))];
	return names.map((name) => {
		const all = runs.flatMap((stages) => stages.filter((stage) => stage.name === name));
		const other = all.map((stage) => stage.otherCpuSeconds).filter((value): value is number => value !== null);
		return {
			name,
			runs: all.length,
			wallSeconds: median(all.map((stage) => stage.wallSeconds)),
			cpuSeconds: median(all.map((stage) => stage.cpuSeconds)),
			otherCpuSeconds: other.length === all.length ? median(other) : null,
			baselineRssMb: median(all.map((stage) => stage.baselineRssMb)),
			peakAboveBaselineMb: Math.max(...all.map((stage) => stage.peakAboveBaselineMb)),
		};
	});
}
