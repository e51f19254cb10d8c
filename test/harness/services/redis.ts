/**
 * A private Redis for tests: Debian's `redis-server` (installed with apt-get when missing), in the foreground, on
 * 127.0.0.1 and a free port, nothing persisted, its working folder a temp dir. The machine's own Redis service
 * (if any) is never touched.
 *
 * CLI (for trying things by hand): npx ts-node --transpile-only test/harness/services/redis.ts
 */
import { existsSync, mkdtempSync, promises as fs } from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { ensureDebianPackages } from './debianPackages';
import { freePort, logTail, startProcess, waitUntil } from './processes';

export interface RedisService {
	host: string;
	port: number;
	/** Sends one command (RESP) and returns the raw reply, e.g. `+PONG\r\n`. */
	command(...args: string[]): Promise<string>;
	stop(): Promise<void>;
}

const REDIS_SERVER = '/usr/bin/redis-server';

export async function startRedis(): Promise<RedisService> {
	await ensureDebianPackages(['redis-server'], () => existsSync(REDIS_SERVER));
	const dir = mkdtempSync(path.join(os.tmpdir(), 'harness-redis-'));
	let lastError: unknown;
	for (let attempt = 1; attempt <= 3; attempt++) {
		const port = await freePort();
		const server = startProcess({
			name: `redis :${port}`,
			command: REDIS_SERVER,
			args: [
				'--bind',
				'127.0.0.1',
				'--port',
				String(port),
				'--dir',
				dir,
				'--save',
				'', // no snapshots
				'--appendonly',
				'no',
				'--daemonize',
				'no',
				'--protected-mode',
				'yes',
			],
			logFile: path.join(dir, 'server.log'),
		});
		try {
			await waitUntil(
				`redis on port ${port}`,
				async () => ((await sendCommand(port, ['PING'])).startsWith('+PONG') ? true : undefined),
				{
					process: server,
					timeoutMs: 30_000,
				},
			);
		} catch (error) {
			lastError = error;
			await server.stop('SIGKILL');
			if (/Address already in use/.test(await logTail(server))) continue;
			break;
		}
		let stopped = false;
		return {
			host: '127.0.0.1',
			port,
			command: (...args) => sendCommand(port, args),
			async stop() {
				if (stopped) return;
				stopped = true;
				await server.stop('SIGTERM', 10_000);
				await fs.rm(dir, { recursive: true, force: true });
			},
		};
	}
	await fs.rm(dir, { recursive: true, force: true });
	throw lastError;
}

/** Minimal RESP client: one command, the first reply chunk. Enough for PING/INFO/KEYS checks. */
function sendCommand(port: number, args: string[]): Promise<string> {
	return new Promise((resolve, reject) => {
		const socket = net.connect(port, '127.0.0.1');
		let reply = '';
		socket.setTimeout(5_000, () => socket.destroy(new Error('redis did not answer')));
		socket.on('connect', () => {
			socket.write(`*${args.length}\r\n` + args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join(''));
		});
		socket.on('data', (chunk) => {
			reply += chunk;
			if (isCompleteReply(reply)) socket.end();
		});
		socket.on('error', reject);
		socket.on('close', () => resolve(reply));
	});
}

function isCompleteReply(reply: string): boolean {
	if (!reply.endsWith('\r\n')) return false;
	if (reply[0] !== '$') return true; // simple string, error, integer: one line
	const length = Number(reply.slice(1, reply.indexOf('\r\n')));
	return length < 0 || Buffer.byteLength(reply) >= reply.indexOf('\r\n') + 2 + length + 2;
}

if (require.main === module) {
	(async () => {
		const redis = await startRedis();
		console.log(`redis ready on ${redis.host}:${redis.port}: ${await redis.command('PING')}`);
		console.log('Ctrl-C to stop');
		process.once('SIGINT', () => void redis.stop().then(() => process.exit(0)));
	})().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
