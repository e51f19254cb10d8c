/**
 * Installs Debian packages with apt-get when a program we need is missing.
 *
 * Non-interactive, no recommended extras. `apt-get update` runs only when the package index is empty or an
 * install failed (a stale index names versions the mirror no longer has). Installs are serialised inside this
 * process, and apt waits for the dpkg lock when another process installs at the same time.
 *
 * Installing a server package does not start our private instances; on a machine with a service manager it may
 * start the distribution's own service on its default port, which we never touch (ours use free ports).
 */
import { spawn } from 'child_process';
import { existsSync, readdirSync } from 'fs';

let installQueue: Promise<unknown> = Promise.resolve();

/** Installs `packages` unless `isInstalled()` already says yes; resolves when `isInstalled()` holds. */
export function ensureDebianPackages(packages: string[], isInstalled: () => boolean): Promise<void> {
	const run = installQueue.then(async () => {
		if (isInstalled()) return;
		console.log(`[apt] installing ${packages.join(' ')} (one-off, may take a minute)`);
		if (!hasPackageIndex()) await apt(['update']);
		try {
			await apt(['install', '-y', '--no-install-recommends', ...packages]);
		} catch (firstFailure) {
			console.log(`[apt] install failed, refreshing the package index and retrying: ${String(firstFailure)}`);
			await apt(['update']);
			await apt(['install', '-y', '--no-install-recommends', ...packages]);
		}
		if (!isInstalled()) throw new Error(`apt-get installed ${packages.join(' ')} but the programs are still missing`);
	});
	installQueue = run.catch(() => undefined);
	return run;
}

function hasPackageIndex(): boolean {
	const lists = '/var/lib/apt/lists';
	return existsSync(lists) && readdirSync(lists).some((name) => name.includes('_Packages'));
}

/** Runs apt-get as root (directly, or through passwordless sudo for a non-root user). */
function apt(args: string[]): Promise<void> {
	const aptArgs = ['-o', 'DPkg::Lock::Timeout=600', '-q', ...args];
	const asRoot = process.getuid?.() === 0;
	const command = asRoot ? 'apt-get' : 'sudo';
	const commandArgs = asRoot ? aptArgs : ['-n', 'apt-get', ...aptArgs];
	return new Promise((resolve, reject) => {
		const child = spawn(command, commandArgs, {
			env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let output = '';
		child.stdout.on('data', (chunk) => (output += chunk));
		child.stderr.on('data', (chunk) => (output += chunk));
		child.on('error', reject);
		child.on('close', (code) => {
			if (code === 0) resolve();
			else reject(new Error(`${command} ${commandArgs.join(' ')} exited with ${code}:\n${output.slice(-3000)}`));
		});
	});
}
