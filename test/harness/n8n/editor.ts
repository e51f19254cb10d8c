/**
 * Runs the n8n editor (`n8n start`) of a harness instance on loopback and creates its owner account, so a person
 * (or the screenshot script) can log in. Works on n8n 1.123.81 and 2.40.7: both take `POST /rest/owner/setup` with
 * email, firstName, lastName and password while the instance has no owner yet.
 */
import { spawn, type ChildProcess } from 'child_process';
import { createWriteStream, promises as fs } from 'fs';
import * as path from 'path';

import type { N8nInstance } from './instance';

export interface OwnerAccount {
	email: string;
	firstName: string;
	lastName: string;
	/** n8n wants 8+ characters with a number and a capital letter. */
	password: string;
}

export const DEMO_OWNER: OwnerAccount = {
	email: 'demo@example.org',
	firstName: 'Demo',
	lastName: 'User',
	password: 'Demo-password-1',
};

export interface RunningEditor {
	/** http://localhost:<port> */
	url: string;
	port: number;
	/** The n8n process (`n8n start`): its memory is read from /proc/<pid>. */
	pid: number;
	owner: OwnerAccount;
	/** n8n's own output goes here. */
	logFile: string;
	/** Stops n8n (its whole process group) and waits for it to exit. */
	stop(): Promise<void>;
}

const START_TIMEOUT_MS = 180_000;

export async function startEditor(
	instance: N8nInstance,
	options: {
		port: number;
		owner?: OwnerAccount;
		/** false: the instance already has its owner (a second start of the same instance), or needs none. */
		createOwner?: boolean;
		/** Extra environment for this start (wins over the instance's). */
		env?: Record<string, string>;
		log?: (line: string) => void;
	},
): Promise<RunningEditor> {
	const { port } = options;
	const owner = options.owner ?? DEMO_OWNER;
	const log = options.log ?? (() => undefined);
	const url = `http://localhost:${port}`;
	const logFile = path.join(instance.userFolder, 'n8n-start.log');
	const logStream = createWriteStream(logFile, { flags: 'a' });
	const child = spawn(instance.install.nodeBin, [instance.install.n8nBin, 'start'], {
		cwd: instance.userFolder,
		env: {
			...instance.env,
			N8N_PORT: String(port),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: 'localhost',
			N8N_PROTOCOL: 'http',
			N8N_EDITOR_BASE_URL: `${url}/`,
			// Plain http on localhost: a Secure cookie would need https.
			N8N_SECURE_COOKIE: 'false',
			...options.env,
		},
		stdio: ['ignore', 'pipe', 'pipe'],
		// Its own process group: n8n starts task-runner children, and stop() ends them all.
		detached: true,
	});
	child.stdout!.pipe(logStream, { end: false });
	child.stderr!.pipe(logStream, { end: false });
	let exited = false;
	const exit = new Promise<void>((resolve) => {
		child.on('exit', () => {
			exited = true;
			resolve();
		});
	});

	const stop = async () => {
		if (!exited) {
			killGroup(child, 'SIGTERM');
			const forced = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
			await exit;
			clearTimeout(forced);
		}
		logStream.end();
	};

	try {
		log(`starting the n8n editor on ${url} (log: ${logFile})`);
		await waitUntilHealthy(url, () => exited, logFile);
		if (options.createOwner !== false) await setupOwner(url, owner);
	} catch (error) {
		await stop();
		throw error;
	}
	return { url, port, pid: child.pid as number, owner, logFile, stop };
}

async function waitUntilHealthy(url: string, hasExited: () => boolean, logFile: string): Promise<void> {
	const deadline = Date.now() + START_TIMEOUT_MS;
	while (Date.now() < deadline) {
		if (hasExited()) throw new Error(`n8n start exited early. Its log (${logFile}):\n${await tail(logFile)}`);
		try {
			const response = await fetch(`${url}/healthz`);
			if (response.ok) {
				// /healthz answers before the REST API is mounted; the settings endpoint is the real sign.
				const settings = await fetch(`${url}/rest/settings`);
				if (settings.ok) return;
			}
		} catch {
			// Not listening yet.
		}
		await new Promise((resolve) => setTimeout(resolve, 1000));
	}
	throw new Error(
		`n8n did not answer on ${url} within ${START_TIMEOUT_MS / 1000} s. Its log (${logFile}):\n${await tail(logFile)}`,
	);
}

/**
 * Creates the owner account (only possible while there is none). n8n can answer /rest/settings a moment before it
 * has mounted the owner route (CI saw a 404 "Cannot POST /rest/owner/setup"), so a 404 is asked again for a while.
 */
async function setupOwner(url: string, owner: OwnerAccount): Promise<void> {
	const deadline = Date.now() + 30_000;
	for (;;) {
		const response = await fetch(`${url}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(owner),
		});
		if (response.ok) return;
		const text = await response.text();
		if (response.status !== 404 || Date.now() > deadline) {
			throw new Error(`Creating the n8n owner account failed: HTTP ${response.status} ${text}`);
		}
		await new Promise((resolve) => setTimeout(resolve, 1000));
	}
}

async function tail(file: string): Promise<string> {
	const text = await fs.readFile(file, 'utf8').catch(() => '');
	return text.split('\n').slice(-40).join('\n');
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
	if (child.pid === undefined) return;
	try {
		process.kill(-child.pid, signal);
	} catch {
		// Already gone.
	}
}
