/**
 * Long-running child processes for the test harness (databases, n8n main and workers), with their output in a
 * log file, and a stop that leaves nothing behind.
 *
 * Each child runs in its own process group, so stopping it also stops whatever it spawned (n8n starts task
 * runner processes). If the test process dies without calling stop(), an exit hook kills the groups still alive.
 */
import { spawn, type ChildProcess } from 'child_process';
import { createWriteStream, promises as fs } from 'fs';
import * as net from 'net';

export interface ManagedProcess {
	readonly name: string;
	readonly pid: number;
	readonly logFile: string;
	/** Resolves with the exit code (or signal name) when the process has exited. */
	readonly exited: Promise<number | string>;
	isRunning(): boolean;
	/** The log so far (stdout and stderr interleaved). */
	readLog(): Promise<string>;
	/** Sends `signal` to the whole group, then SIGKILL if it is still alive after `graceMs`. */
	stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export interface StartProcessOptions {
	name: string;
	command: string;
	args: string[];
	logFile: string;
	env?: Record<string, string>;
	cwd?: string;
	/** Run as this OS user (needs root); PostgreSQL refuses to run as root. */
	uid?: number;
	gid?: number;
}

const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	process.on('exit', () => {
		for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
	});
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(-pgid, signal);
	} catch {
		// Already gone.
	}
}

export function startProcess(options: StartProcessOptions): ManagedProcess {
	installExitHook();
	const log = createWriteStream(options.logFile, { flags: 'a' });
	log.write(`$ ${options.command} ${options.args.join(' ')}\n`);
	const child: ChildProcess = spawn(options.command, options.args, {
		cwd: options.cwd,
		env: options.env ?? (process.env as Record<string, string>),
		uid: options.uid,
		gid: options.gid,
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	if (child.pid === undefined) throw new Error(`${options.name}: could not start ${options.command}`);
	const pid = child.pid;
	liveGroups.add(pid);
	child.stdout?.pipe(log, { end: false });
	child.stderr?.pipe(log, { end: false });

	let running = true;
	const exited = new Promise<number | string>((resolve) => {
		child.on('error', (error) => log.write(`\n[harness] spawn error: ${error.message}\n`));
		child.on('close', (code, signal) => {
			running = false;
			// The leader is gone; anything it left in its group goes too.
			signalGroup(pid, 'SIGKILL');
			liveGroups.delete(pid);
			log.end(`\n[harness] exited with ${code ?? signal}\n`, () => resolve(code ?? signal ?? 'unknown'));
		});
	});

	return {
		name: options.name,
		pid,
		logFile: options.logFile,
		exited,
		isRunning: () => running,
		readLog: () => fs.readFile(options.logFile, 'utf8'),
		async stop(signal = 'SIGTERM', graceMs = 15_000) {
			if (!running) return;
			signalGroup(pid, signal);
			const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
			await exited;
			clearTimeout(timer);
		},
	};
}

/** A TCP port on 127.0.0.1 that was free a moment ago (callers retry if someone takes it first). */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address() as net.AddressInfo;
			server.close(() => resolve(address.port));
		});
	});
}

export interface WaitOptions {
	/** Fail early, with the tail of its log, if this process exits. */
	process?: ManagedProcess;
	timeoutMs?: number;
	intervalMs?: number;
	/** Errors of `check` count as "not yet", except those this returns true for: they end the wait at once. */
	rethrow?: (error: unknown) => boolean;
}

/**
 * Polls `check` until it returns a value other than undefined. Fails early if `process` exits, with the tail of
 * its log, and after `timeoutMs` (a generous ceiling for a slow shared machine, not a performance assertion).
 */
export async function waitUntil<T>(
	description: string,
	check: () => Promise<T | undefined>,
	{ process: watched, timeoutMs = 120_000, intervalMs = 250, rethrow = () => false }: WaitOptions = {},
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const result = await check().catch((error: unknown) => {
			if (rethrow(error)) throw error;
			return undefined;
		});
		if (result !== undefined) return result;
		if (watched && !watched.isRunning()) {
			throw new Error(`${watched.name} exited while waiting for ${description}. Log tail:\n${await logTail(watched)}`);
		}
		if (Date.now() > deadline) {
			const tail = watched ? `\nLog tail of ${watched.name}:\n${await logTail(watched)}` : '';
			throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}${tail}`);
		}
		await new Promise((resolve) => setTimeout(resolve, intervalMs));
	}
}

export async function logTail(watched: ManagedProcess, lines = 40): Promise<string> {
	const text = await watched.readLog().catch(() => '');
	return text.split('\n').slice(-lines).join('\n');
}

/** Peak resident memory of a child of an n8n process (its task runner, for one). */
export interface ChildMemoryPeak {
	pid: number;
	command: string;
	peakRssKb: number;
}

/** VmRSS of a process, in KiB: its resident memory now. */
export async function residentKb(pid: number): Promise<number> {
	const match = /^VmRSS:\s+(\d+) kB$/m.exec(await fs.readFile(`/proc/${pid}/status`, 'utf8'));
	if (!match) throw new Error(`No VmRSS in /proc/${pid}/status`);
	return Number(match[1]);
}

/** Resets a process's peak counter (VmHWM) to its resident size now, so a later peak is that of what follows. */
export async function resetPeakRss(pid: number): Promise<void> {
	await fs.writeFile(`/proc/${pid}/clear_refs`, '5');
}

export async function peakRssKb(pid: number): Promise<number> {
	const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
	const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
	if (!match) throw new Error(`No VmHWM in /proc/${pid}/status`);
	return Number(match[1]);
}

/** VmHWM of every live descendant of `pid` (children from /proc/<pid>/task/<tid>/children, recursively). */
export async function childMemoryPeaks(pid: number): Promise<ChildMemoryPeak[]> {
	const peaks: ChildMemoryPeak[] = [];
	const visit = async (parent: number) => {
		for (const child of await childPids(parent)) {
			try {
				const command = (await fs.readFile(`/proc/${child}/cmdline`, 'utf8')).split('\0').filter(Boolean).join(' ');
				peaks.push({ pid: child, command, peakRssKb: await peakRssKb(child) });
			} catch {
				continue; // exited meanwhile
			}
			await visit(child);
		}
	};
	await visit(pid);
	return peaks;
}

export async function childPids(pid: number): Promise<number[]> {
	const tasks = await fs.readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
	const pids: number[] = [];
	for (const task of tasks) {
		const text = await fs.readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
		pids.push(...text.split(/\s+/).filter(Boolean).map(Number));
	}
	return pids;
}
