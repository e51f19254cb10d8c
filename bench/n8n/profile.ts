/**
 * Reads a V8 CPU profile of the n8n process (`--cpu-prof`) for the measured run only: the samples inside the
 * request's window (V8's and process.hrtime's clocks are both the system's monotonic clock). Says where the time
 * went by package (self time), how much of it had our package's code on the stack (inclusive), and the top frames.
 */
import { readFileSync } from 'fs';

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	children?: number[];
}

interface CpuProfile {
	nodes: ProfileNode[];
	startTime: number;
	samples: number[];
	timeDeltas: number[];
}

export interface ProfileSummary {
	/** Sampled milliseconds inside the window, idle excluded. */
	busyMs: number;
	idleMs: number;
	/** Milliseconds with a frame of our package on the stack (our code, and what it called). */
	oursInclusiveMs: number;
	/** Self time per package (or Node.js internals, garbage collection, ...), most first. */
	byPackage: Array<{ name: string; ms: number }>;
	topFrames: Array<{ frame: string; where: string; ms: number }>;
}

const OUR_PACKAGE = 'n8n-nodes-commcare';

/** The package a script belongs to: the folder after the last node_modules (with its scope), or what V8 calls it. */
export function packageOf(url: string, functionName: string): string {
	if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
	if (url.startsWith('node:')) return 'Node.js internals';
	const parts = url.replace(/^file:\/\//, '').split('/node_modules/');
	if (parts.length < 2) return '(other)';
	const rest = parts[parts.length - 1].split('/');
	return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
}

export function summarizeProfile(file: string, [from, to]: [number, number], top = 20): ProfileSummary {
	const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const parentOf = new Map<number, number>();
	for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
	const hasOurs = new Map<number, boolean>();
	const oursOnStack = (id: number): boolean => {
		const known = hasOurs.get(id);
		if (known !== undefined) return known;
		const node = byId.get(id) as ProfileNode;
		const parent = parentOf.get(id);
		const result =
			packageOf(node.callFrame.url, node.callFrame.functionName) === OUR_PACKAGE ||
			(parent !== undefined && oursOnStack(parent));
		hasOurs.set(id, result);
		return result;
	};

	const selfMs = new Map<number, number>();
	let time = profile.startTime;
	let idleMs = 0;
	let oursInclusiveMs = 0;
	for (let index = 0; index < profile.samples.length; index++) {
		time += profile.timeDeltas[index];
		if (time < from || time > to) continue;
		const id = profile.samples[index];
		// A sample stands for the time until the next one.
		const ms = (profile.timeDeltas[index + 1] ?? 0) / 1000;
		const node = byId.get(id) as ProfileNode;
		if (node.callFrame.functionName === '(idle)') {
			idleMs += ms;
			continue;
		}
		selfMs.set(id, (selfMs.get(id) ?? 0) + ms);
		if (oursOnStack(id)) oursInclusiveMs += ms;
	}

	const packages = new Map<string, number>();
	const frames = new Map<string, { frame: string; where: string; ms: number }>();
	for (const [id, ms] of selfMs) {
		const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame;
		const name = packageOf(url, functionName);
		packages.set(name, (packages.get(name) ?? 0) + ms);
		const where = url === '' ? name : `${url.split('/node_modules/').pop()}:${lineNumber + 1}`;
		const key = `${functionName}@${where}`;
		const entry = frames.get(key) ?? { frame: functionName || '(anonymous)', where, ms: 0 };
		entry.ms += ms;
		frames.set(key, entry);
	}
	return {
		busyMs: [...selfMs.values()].reduce((a, b) => a + b, 0),
		idleMs,
		oursInclusiveMs,
		byPackage: [...packages].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms),
		topFrames: [...frames.values()].sort((a, b) => b.ms - a.ms).slice(0, top),
	};
}

export function formatProfile(scenario: string, summary: ProfileSummary): string {
	const pct = (ms: number) => `${((100 * ms) / summary.busyMs).toFixed(1)}%`;
	const lines = [
		`CPU profile of the n8n process, measured run of ${scenario}: ${(summary.busyMs / 1000).toFixed(2)} s busy, ${(summary.idleMs / 1000).toFixed(2)} s idle`,
		`our package on the stack (inclusive): ${(summary.oursInclusiveMs / 1000).toFixed(2)} s = ${pct(summary.oursInclusiveMs)} of the busy time`,
		'',
		'self time by package:',
		...summary.byPackage
			.slice(0, 15)
			.map((p) => `  ${p.name.padEnd(40)} ${(p.ms / 1000).toFixed(2).padStart(7)} s  ${pct(p.ms)}`),
		'',
		'top frames by self time:',
		...summary.topFrames.map(
			(f) => `  ${(f.ms / 1000).toFixed(2).padStart(6)} s  ${pct(f.ms).padStart(6)}  ${f.frame}  (${f.where})`,
		),
	];
	return `${lines.join('\n')}\n`;
}
