/**
 * A throwaway real n8n "instance": a fresh N8N_USER_FOLDER plus the CLI commands end-to-end tests need
 * (install a community package tarball, import credentials and workflows, execute a workflow headlessly).
 *
 * Every command runs as `<install.nodeBin> <install.n8nBin> ...`, never with whatever node is on PATH.
 */
import { spawn, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { INodeExecutionData, ITaskData } from 'n8n-workflow';

import { freePort } from '../services/processes';
import { envWithoutNpmVariables, npmCliPath, type N8nInstall } from './install';

export type BinaryDataMode = 'default' | 'filesystem' | 'database';

export interface InstanceOptions {
	/** Sets N8N_DEFAULT_BINARY_DATA_MODE; unset keeps the version's default (2.x: filesystem, 1.x: in memory). */
	binaryDataMode?: BinaryDataMode;
	/** Extra environment for every n8n command (wins over the harness defaults). */
	env?: Record<string, string>;
	/** Kill an n8n command that runs longer than this (default 180 s; the machine is small and shared). */
	commandTimeoutMs?: number;
}

export interface CommandResult {
	exitCode: number | null;
	stdout: string;
	stderr: string;
}

/** `data.resultData.error` of a failed run, as n8n serializes it. */
export interface ExecutionErrorJson {
	message: string;
	name?: string;
	description?: string | null;
	node?: { name: string; type?: string };
	[key: string]: unknown;
}

export interface RunResult extends CommandResult {
	/** The whole run object n8n printed (`{ data: { resultData: ... }, status, ... }`). */
	raw: Record<string, unknown>;
	/** `data.resultData.runData`: per node name, one entry per run of that node. */
	runData: Record<string, ITaskData[]>;
	/** The execution's error (`data.resultData.error`), when the run failed. */
	error?: ExecutionErrorJson;
	/** Items per output of a node's run: `main[0]` is the first output, `main[1]` the second, ... */
	outputs(nodeName: string, runIndex?: number): INodeExecutionData[][];
	/** The error a node's run recorded, if any (`runData[name][runIndex].error`). */
	nodeError(nodeName: string, runIndex?: number): ExecutionErrorJson | undefined;
}

export interface InstalledPackage {
	name: string;
	version: string;
	/** `<userFolder>/.n8n/nodes/node_modules/<name>` */
	dir: string;
}

export interface N8nInstance {
	install: N8nInstall;
	/** The N8N_USER_FOLDER (n8n keeps its data in `<userFolder>/.n8n`). */
	userFolder: string;
	/** The environment every n8n command of this instance runs with. */
	env: Record<string, string>;
	installPackage(tarballPath: string): Promise<InstalledPackage>;
	importCredentials(credentials: object[]): Promise<void>;
	/** Imports one workflow; gives it a random id when it has none. Returns the workflow id. */
	importWorkflow(workflow: object): Promise<string>;
	execute(workflowId: string): Promise<RunResult>;
	/**
	 * What n8n stored for each execution in its database (`execution_data.data`, the run as n8n serialises it),
	 * oldest first, read with the install's own sqlite3 module: what a user's n8n keeps of a run.
	 */
	storedExecutionData(): Promise<string[]>;
	/** Any other n8n CLI command, e.g. `['export:workflow', '--all']`. */
	runCommand(args: string[]): Promise<CommandResult>;
	cleanup(): Promise<void>;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 180_000;

/**
 * The npm install n8n runs inside an unpacked community package (CommunityPackagesService.getNpmInstallArgs,
 * n8n 1.123.81 and 2.40.7), minus `--registry`: we keep the machine's configured registry.
 */
const COMMUNITY_PACKAGE_NPM_INSTALL_ARGS = [
	'--audit=false',
	'--fund=false',
	'--bin-links=false',
	'--install-strategy=shallow',
	'--ignore-scripts=true',
	'--package-lock=false',
];

export async function createInstance(install: N8nInstall, options: InstanceOptions = {}): Promise<N8nInstance> {
	if (options.binaryDataMode === 'database' && !install.version.startsWith('2.')) {
		throw new Error(`binaryDataMode 'database' exists in n8n 2.x only, not in ${install.version}`);
	}
	const userFolder = await fs.mkdtemp(path.join(os.tmpdir(), `n8n-harness-${install.version}-`));
	const env: Record<string, string> = {
		...install.env,
		N8N_USER_FOLDER: userFolder,
		// `execute` prints a failed run's JSON at info level: keep it visible.
		N8N_LOG_LEVEL: 'info',
		// `execute` starts the task-runner broker; a port per instance lets instances run side by side.
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		...(options.binaryDataMode ? { N8N_DEFAULT_BINARY_DATA_MODE: options.binaryDataMode } : {}),
		...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
		...options.env,
	};
	const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
	const running = new Set<ChildProcess>();
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');

	const runCommand = (args: string[]) =>
		runProcess(install.nodeBin, [install.n8nBin, ...args], { cwd: userFolder, env, timeoutMs, running });

	const runChecked = async (args: string[]) => {
		const result = await runCommand(args);
		if (result.exitCode !== 0) throw commandError(`n8n ${args.join(' ')}`, result);
		return result;
	};

	/** A JSON file for `--input`; kept in the user folder so cleanup removes it. */
	const writeInputFile = async (prefix: string, content: unknown) => {
		const file = path.join(userFolder, `${prefix}-${randomBytes(4).toString('hex')}.json`);
		await fs.writeFile(file, JSON.stringify(content, null, 2));
		return file;
	};

	return {
		install,
		userFolder,
		env,
		runCommand,

		async installPackage(tarballPath) {
			return await installCommunityPackage(install, nodesDir, path.resolve(tarballPath), running, timeoutMs);
		},

		async importCredentials(credentials) {
			await runChecked(['import:credentials', `--input=${await writeInputFile('credentials', credentials)}`]);
		},

		async importWorkflow(workflow) {
			const withId = { active: false, settings: {}, ...workflow } as Record<string, unknown>;
			if (typeof withId.id !== 'string' || withId.id === '') withId.id = randomWorkflowId();
			await runChecked(['import:workflow', `--input=${await writeInputFile('workflow', withId)}`]);
			return withId.id as string;
		},

		async execute(workflowId) {
			const result = await runCommand(['execute', `--id=${workflowId}`, '--rawOutput']);
			const raw = extractRunJson(result.stdout) ?? extractRunJson(result.stderr);
			if (!raw) throw commandError(`n8n execute --id=${workflowId} printed no run JSON`, result);
			return toRunResult(raw, result);
		},

		async storedExecutionData() {
			const database = path.join(userFolder, '.n8n', 'database.sqlite');
			const sqlite3 = path.join(install.dir, 'node_modules', 'sqlite3');
			const script = [
				`const sqlite3 = require(${JSON.stringify(sqlite3)});`,
				`const db = new sqlite3.Database(${JSON.stringify(database)}, sqlite3.OPEN_READONLY);`,
				`db.all('SELECT data FROM execution_data ORDER BY "executionId"', (error, rows) => {`,
				'  if (error) { console.error(error.message); process.exit(1); }',
				'  process.stdout.write(JSON.stringify(rows.map((row) => String(row.data))));',
				'  db.close();',
				'});',
			].join('\n');
			const result = await runProcess(install.nodeBin, ['-e', script], { cwd: userFolder, env, timeoutMs, running });
			if (result.exitCode !== 0) throw commandError('reading the stored executions', result);
			return JSON.parse(result.stdout) as string[];
		},

		async cleanup() {
			for (const child of running) killProcessGroup(child);
			running.clear();
			await fs.rm(userFolder, { recursive: true, force: true });
		},
	};
}

/**
 * Mirrors n8n's CommunityPackagesService.downloadPackage: unpack into `nodes/node_modules/<name>`, drop
 * devDependencies/peerDependencies/optionalDependencies from its package.json, `npm install` there (plain
 * dependencies only, no scripts), and record the package in `nodes/package.json`. n8n then finds it by scanning
 * `nodes/node_modules` for `n8n-nodes-*` folders at startup. (The UI's list of installed packages lives in the
 * database; loading does not need it, so we do not write it.)
 */
async function installCommunityPackage(
	install: N8nInstall,
	nodesDir: string,
	tarballPath: string,
	running: Set<ChildProcess>,
	timeoutMs: number,
): Promise<InstalledPackage> {
	const nodeModules = path.join(nodesDir, 'node_modules');
	await fs.mkdir(nodeModules, { recursive: true });
	const nodesPackageJson = path.join(nodesDir, 'package.json');
	const nodesManifest = (await readJson(nodesPackageJson).catch(() => undefined)) ?? {
		name: 'installed-nodes',
		private: true,
		dependencies: {},
	};

	// We learn the package name only from inside the tarball, so unpack next to its final place first.
	const staging = await fs.mkdtemp(path.join(nodesDir, '.unpack-'));
	const untar = await runProcess('tar', ['-xzf', tarballPath, '-C', staging, '--strip-components=1'], {
		cwd: nodesDir,
		env: envWithoutNpmVariables(),
		timeoutMs,
		running,
	});
	if (untar.exitCode !== 0) throw commandError(`tar -xzf ${tarballPath}`, untar);
	const manifest = await readJson(path.join(staging, 'package.json'));
	// Like n8n: only plain dependencies get installed; n8n-workflow (a peer) must come from the host n8n.
	for (const key of ['devDependencies', 'peerDependencies', 'optionalDependencies']) delete manifest[key];
	const name = manifest.name as string;
	const version = manifest.version as string;
	const packageDir = path.join(nodeModules, name);
	if (path.relative(nodeModules, packageDir).split(path.sep).join('/') !== name) {
		throw new Error(`Suspicious package name in ${tarballPath}: ${name}`);
	}
	await fs.writeFile(path.join(staging, 'package.json'), JSON.stringify(manifest, null, 2));
	await fs.rm(packageDir, { recursive: true, force: true });
	await fs.mkdir(path.dirname(packageDir), { recursive: true });
	await fs.rename(staging, packageDir);

	const npmInstall = await runProcess(
		install.nodeBin,
		[npmCliPath(), 'install', ...COMMUNITY_PACKAGE_NPM_INSTALL_ARGS],
		{
			cwd: packageDir,
			env: { ...envWithoutNpmVariables(), PATH: install.env.PATH },
			timeoutMs,
			running,
		},
	);
	if (npmInstall.exitCode !== 0) throw commandError(`npm install in ${packageDir}`, npmInstall);

	nodesManifest.dependencies = { ...(nodesManifest.dependencies as object), [name]: version };
	await fs.writeFile(nodesPackageJson, JSON.stringify(nodesManifest, null, 2));
	return { name, version, dir: packageDir };
}

function toRunResult(raw: Record<string, unknown>, command: CommandResult): RunResult {
	const resultData = ((raw.data as Record<string, unknown>)?.resultData ?? {}) as Record<string, unknown>;
	const runData = (resultData.runData ?? {}) as Record<string, ITaskData[]>;
	const nodeRun = (nodeName: string, runIndex: number): ITaskData => {
		const run = runData[nodeName]?.[runIndex];
		if (!run) {
			throw new Error(
				`Node "${nodeName}" has no run #${runIndex}; nodes that ran: ${Object.keys(runData).join(', ') || 'none'}`,
			);
		}
		return run;
	};
	return {
		...command,
		raw,
		runData,
		error: resultData.error as ExecutionErrorJson | undefined,
		// A node that ran but put nothing on an output has `null` there; callers get an empty list.
		outputs: (nodeName, runIndex = 0) => (nodeRun(nodeName, runIndex).data?.main ?? []).map((items) => items ?? []),
		nodeError: (nodeName, runIndex = 0) =>
			nodeRun(nodeName, runIndex).error as unknown as ExecutionErrorJson | undefined,
	};
}

/**
 * Finds the run object in `n8n execute --rawOutput` output. Log lines may come before and after it (and a
 * failed run is printed inside log output), so try each `{`, cut the balanced object that starts there and keep
 * the first one that parses and looks like a run.
 */
export function extractRunJson(text: string): Record<string, unknown> | undefined {
	let start = text.indexOf('{');
	while (start !== -1) {
		const end = matchingBraceIndex(text, start);
		if (end !== -1) {
			try {
				const parsed = JSON.parse(text.slice(start, end + 1));
				if (isRunObject(parsed)) return parsed;
				start = text.indexOf('{', end + 1);
				continue;
			} catch {
				// Not JSON (a brace in a log line): try the next brace.
			}
		}
		start = text.indexOf('{', start + 1);
	}
	return undefined;
}

function isRunObject(value: unknown): value is Record<string, unknown> {
	const data = (value as { data?: { resultData?: unknown } } | null)?.data;
	return typeof data === 'object' && data !== null && typeof data.resultData === 'object';
}

/** Index of the `}` closing the `{` at `start`, skipping braces inside JSON strings; -1 if unbalanced. */
function matchingBraceIndex(text: string, start: number): number {
	let depth = 0;
	let inString = false;
	for (let i = start; i < text.length; i++) {
		const char = text[i];
		if (inString) {
			if (char === '\\') i++;
			else if (char === '"') inString = false;
		} else if (char === '"') {
			inString = true;
		} else if (char === '{') {
			depth++;
		} else if (char === '}') {
			depth--;
			if (depth === 0) return i;
		}
	}
	return -1;
}

/** n8n's own workflow ids are 16 alphanumerics; import accepts any string, but keep the shape. */
function randomWorkflowId(): string {
	const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
	return Array.from(randomBytes(16), (byte) => alphabet[byte % alphabet.length]).join('');
}

interface ProcessOptions {
	cwd: string;
	env: Record<string, string>;
	timeoutMs: number;
	running: Set<ChildProcess>;
}

/** Runs a command to completion in its own process group (n8n starts task-runner children). */
function runProcess(command: string, args: string[], options: ProcessOptions): Promise<CommandResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, {
			cwd: options.cwd,
			env: options.env,
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true,
		});
		options.running.add(child);
		let stdout = '';
		let stderr = '';
		let timedOut = false;
		child.stdout!.on('data', (chunk) => (stdout += chunk));
		child.stderr!.on('data', (chunk) => (stderr += chunk));
		const timer = setTimeout(() => {
			timedOut = true;
			killProcessGroup(child);
		}, options.timeoutMs);
		child.on('error', (error) => {
			clearTimeout(timer);
			options.running.delete(child);
			reject(error);
		});
		child.on('close', (exitCode) => {
			clearTimeout(timer);
			options.running.delete(child);
			if (timedOut) {
				stderr += `\n[harness] killed after ${options.timeoutMs} ms: ${command} ${args.join(' ')}`;
			}
			resolve({ exitCode, stdout, stderr });
		});
	});
}

function killProcessGroup(child: ChildProcess): void {
	if (child.pid === undefined || child.exitCode !== null) return;
	try {
		process.kill(-child.pid, 'SIGKILL');
	} catch {
		// Already gone.
	}
}

function commandError(what: string, result: CommandResult): Error {
	const tail = (text: string) => text.split('\n').slice(-60).join('\n');
	return new Error(
		`${what} failed (exit code ${result.exitCode})\n--- stdout (tail) ---\n${tail(result.stdout)}\n--- stderr (tail) ---\n${tail(result.stderr)}`,
	);
}

async function readJson(file: string): Promise<Record<string, unknown>> {
	return JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
}
