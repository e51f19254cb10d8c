/**
 * Builds and packs a package the way it would be published, so end-to-end tests install the real tarball.
 *
 * CLI: npx ts-node --transpile-only test/harness/n8n/pack.ts [--skip-build] [packageDir]
 */
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';

const execFileAsync = promisify(execFile);

/** The checkout root (this file lives in test/harness/n8n/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface PackOptions {
	/** Package folder to pack; defaults to the checkout root (n8n-nodes-commcare). */
	packageDir?: string;
	/** Skip `npm run build` (when dist/ is known to be fresh, or the package has no build). */
	skipBuild?: boolean;
	/** Where to write the tarball; defaults to a fresh temp folder (the caller removes it when done). */
	destination?: string;
}

/** Runs `npm run build` (unless skipped) and `npm pack`; returns the absolute path of the tarball. */
export async function packPackage(options: PackOptions = {}): Promise<string> {
	const packageDir = options.packageDir ?? REPO_ROOT;
	const destination = options.destination ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'n8n-harness-pack-')));
	const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
	const maxBuffer = 64 * 1024 * 1024;
	if (!options.skipBuild) {
		await execFileAsync(npm, ['run', 'build'], { cwd: packageDir, maxBuffer }).catch((error) => {
			throw new Error(`npm run build failed in ${packageDir}:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
		});
	}
	const { stdout } = await execFileAsync(npm, ['pack', '--json', '--pack-destination', destination], {
		cwd: packageDir,
		maxBuffer,
	}).catch((error) => {
		throw new Error(`npm pack failed in ${packageDir}:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
	});
	// `npm pack --json` prints an array with one entry per packed package.
	const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string }>;
	return path.join(destination, packed.filename);
}

if (require.main === module) {
	const args = process.argv.slice(2);
	const packageDir = args.find((arg) => !arg.startsWith('--'));
	packPackage({ packageDir: packageDir && path.resolve(packageDir), skipBuild: args.includes('--skip-build') })
		.then((tarball) => console.log(tarball))
		.catch((error) => {
			console.error(error instanceof Error ? error.message : error);
			process.exit(1);
		});
}
