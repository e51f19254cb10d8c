/**
 * A private PostgreSQL for tests: Debian's server binaries (installed with apt-get when missing), a fresh cluster
 * in a temp folder, listening on 127.0.0.1 on a free port, its socket in that folder. The machine's own clusters
 * (`/etc/postgresql`, port 5432) are never touched.
 *
 * PostgreSQL refuses to run as root, so as root the cluster is owned by and run as the `postgres` OS user that
 * Debian's package creates. The bootstrap superuser is reachable only through the private socket; n8n gets its
 * own login role with a password (scram over TCP), owning its own database.
 *
 * CLI (for trying things by hand): npx ts-node --transpile-only test/harness/services/postgres.ts
 */
import { spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { chownSync, existsSync, mkdtempSync, promises as fs, readdirSync, readFileSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureDebianPackages } from './debianPackages';
import { freePort, logTail, startProcess, waitUntil, type ManagedProcess } from './processes';

export interface PostgresService {
	host: string;
	port: number;
	user: string;
	password: string;
	database: string;
	/** Runs SQL as the n8n role and returns psql's unaligned, tab-separated rows. */
	query(sql: string): Promise<string>;
	/** Folder with the cluster and the server log. */
	dir: string;
	stop(): Promise<void>;
}

const SERVER_PACKAGE = 'postgresql';
const N8N_ROLE = 'n8n';
const N8N_DATABASE = 'n8n';
const BOOTSTRAP_SUPERUSER = 'postgres';

/** The newest installed server's bin folder (Debian keeps them in /usr/lib/postgresql/<major>/bin). */
function serverBinDir(): string | undefined {
	const root = '/usr/lib/postgresql';
	if (!existsSync(root)) return undefined;
	const majors = readdirSync(root)
		.filter((name) => /^\d+$/.test(name) && existsSync(path.join(root, name, 'bin', 'postgres')))
		.sort((a, b) => Number(b) - Number(a));
	return majors.length > 0 ? path.join(root, majors[0], 'bin') : undefined;
}

/** As root: the `postgres` OS user's ids (from /etc/passwd); otherwise run as ourselves. */
function serverUser(): { uid?: number; gid?: number } {
	if (process.getuid?.() !== 0) return {};
	const entry = readFileSync('/etc/passwd', 'utf8')
		.split('\n')
		.map((line) => line.split(':'))
		.find((fields) => fields[0] === 'postgres');
	if (!entry)
		throw new Error("Running as root but there is no `postgres` OS user (Debian's postgresql package creates it)");
	return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

export async function startPostgres(): Promise<PostgresService> {
	await ensureDebianPackages([SERVER_PACKAGE], () => serverBinDir() !== undefined);
	const binDir = serverBinDir()!;
	const owner = serverUser();

	const dir = mkdtempSync(path.join(os.tmpdir(), 'harness-postgres-'));
	const dataDir = path.join(dir, 'data');
	const passwordFile = path.join(dir, 'bootstrap-password');
	const bootstrapPassword = randomBytes(12).toString('hex');
	writeFileSync(passwordFile, bootstrapPassword);
	if (owner.uid !== undefined) {
		chownSync(dir, owner.uid, owner.gid!);
		chownSync(passwordFile, owner.uid, owner.gid!);
	}

	await runAs(owner, path.join(binDir, 'initdb'), [
		'--pgdata',
		dataDir,
		'--username',
		BOOTSTRAP_SUPERUSER,
		'--pwfile',
		passwordFile,
		'--auth-local',
		'trust',
		'--auth-host',
		'scram-sha-256',
		'--encoding',
		'UTF8',
		'--locale',
		'C',
		'--no-sync',
	]);

	const server = await startServer(binDir, dataDir, dir, owner);
	const { process: serverProcess, port } = server;
	const password = randomBytes(12).toString('hex');
	const psqlAsSuperuser = (sql: string) =>
		runAs(owner, path.join(binDir, 'psql'), [
			'-h',
			dir,
			'-p',
			String(port),
			'-U',
			BOOTSTRAP_SUPERUSER,
			'-d',
			'postgres',
			'-v',
			'ON_ERROR_STOP=1',
			'-Atc',
			sql,
		]);
	try {
		await psqlAsSuperuser(`CREATE ROLE ${N8N_ROLE} LOGIN PASSWORD '${password}'`);
		await psqlAsSuperuser(`CREATE DATABASE ${N8N_DATABASE} OWNER ${N8N_ROLE}`);
	} catch (error) {
		await stopServer(serverProcess, dir);
		throw error;
	}

	let stopped = false;
	return {
		host: '127.0.0.1',
		port,
		user: N8N_ROLE,
		password,
		database: N8N_DATABASE,
		dir,
		query: (sql) =>
			run(
				path.join(binDir, 'psql'),
				[
					'-h',
					'127.0.0.1',
					'-p',
					String(port),
					'-U',
					N8N_ROLE,
					'-d',
					N8N_DATABASE,
					'-v',
					'ON_ERROR_STOP=1',
					'-AtF',
					'\t',
					'-c',
					sql,
				],
				{
					...process.env,
					PGPASSWORD: password,
				} as Record<string, string>,
			),
		async stop() {
			if (stopped) return;
			stopped = true;
			await stopServer(serverProcess, dir);
		},
	};
}

/** Starts `postgres` on a free port; retries with another port if one was taken between picking and binding. */
async function startServer(
	binDir: string,
	dataDir: string,
	dir: string,
	owner: { uid?: number; gid?: number },
): Promise<{ process: ManagedProcess; port: number }> {
	let lastError: unknown;
	for (let attempt = 1; attempt <= 3; attempt++) {
		const port = await freePort();
		const serverProcess = startProcess({
			name: `postgres :${port}`,
			command: path.join(binDir, 'postgres'),
			args: [
				'-D',
				dataDir,
				'-p',
				String(port),
				'-c',
				'listen_addresses=127.0.0.1',
				'-c',
				`unix_socket_directories=${dir}`,
				'-c',
				'fsync=off', // throwaway data: skip disk flushes
				'-c',
				'max_connections=200', // n8n main + workers each keep a pool
			],
			logFile: path.join(dir, 'server.log'),
			...owner,
		});
		try {
			await waitUntil(
				`postgres on port ${port}`,
				async () =>
					(await tryRun(path.join(binDir, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)])) ? true : undefined,
				{ process: serverProcess, timeoutMs: 60_000 },
			);
			return { process: serverProcess, port };
		} catch (error) {
			lastError = error;
			await serverProcess.stop('SIGKILL');
			if (!/could not bind|Address already in use/.test(await logTail(serverProcess))) break;
		}
	}
	await fs.rm(dir, { recursive: true, force: true });
	throw lastError;
}

async function stopServer(serverProcess: ManagedProcess, dir: string): Promise<void> {
	// SIGINT is PostgreSQL's "fast shutdown": ends sessions and exits cleanly.
	await serverProcess.stop('SIGINT', 20_000);
	await fs.rm(dir, { recursive: true, force: true });
}

function runAs(owner: { uid?: number; gid?: number }, command: string, args: string[]): Promise<string> {
	// Debian's postgres user has no write access to our cwd; run from / to keep tools from complaining.
	return run(command, args, process.env as Record<string, string>, { ...owner, cwd: '/' });
}

function tryRun(command: string, args: string[]): Promise<boolean> {
	return run(command, args, process.env as Record<string, string>).then(
		() => true,
		() => false,
	);
}

function run(
	command: string,
	args: string[],
	env: Record<string, string>,
	options: { uid?: number; gid?: number; cwd?: string } = {},
): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], ...options });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk) => (stdout += chunk));
		child.stderr.on('data', (chunk) => (stderr += chunk));
		child.on('error', reject);
		child.on('close', (code) => {
			if (code === 0) resolve(stdout);
			else reject(new Error(`${path.basename(command)} ${args.join(' ')} exited with ${code}:\n${stderr}${stdout}`));
		});
	});
}

if (require.main === module) {
	(async () => {
		const postgres = await startPostgres();
		console.log(
			`postgres ready: postgresql://${postgres.user}:${postgres.password}@${postgres.host}:${postgres.port}/${postgres.database}`,
		);
		console.log(await postgres.query('select version()'));
		console.log('Ctrl-C to stop');
		process.once('SIGINT', () => void postgres.stop().then(() => process.exit(0)));
	})().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
