/**
 * Running benchmark cases in child processes (`child.ts`), shared by `npm run bench` (run.ts) and
 * `npm run bench:n8n` (n8n/run.ts, which runs the plain-Node `execute()` case next to the real-n8n ones).
 *
 * Children run plain JavaScript, transpiled here once into node_modules/.cache, so no TypeScript compiler sits in
 * their memory. Each child gets a temporary directory of its own (TMPDIR), removed when it exits, so files the cases
 * and the node leave there (binary data, temporary spreadsheets) do not pile up.
 */
import { execFile } from 'child_process';
import {
	copyFileSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	statSync,
	writeFileSync,
} from 'fs';
import * as path from 'path';
import { promisify } from 'util';

import * as ts from 'typescript';

import { fixtures, type BenchCase } from './cases';
import type { ChildResult } from './child';

export { median } from './stages';

export const ROOT = path.resolve(__dirname, '..');
export const BUILD_DIR = path.join(ROOT, 'node_modules', '.cache', 'commcare-bench');
/** Folders whose TypeScript a case may import. */
const SOURCE_DIRS = ['bench', 'nodes', 'credentials', 'emulator', 'test/support'];
/** Transpiles (no type check) every .ts file of SOURCE_DIRS into BUILD_DIR, keeping paths; copies .json files. */
export function buildForChildren(): void {
	const walk = (dir: string): string[] =>
		readdirSync(dir).flatMap((entry) => {
			const full = path.join(dir, entry);
			return statSync(full).isDirectory() ? walk(full) : [full];
		});
	for (const dir of SOURCE_DIRS) {
		const absolute = path.join(ROOT, dir);
		if (!statSync(absolute, { throwIfNoEntry: false })?.isDirectory()) continue;
		for (const file of walk(absolute)) {
			const target = path.join(BUILD_DIR, path.relative(ROOT, file));
			mkdirSync(path.dirname(target), { recursive: true });
			if (file.endsWith('.json')) copyFileSync(file, target);
			if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
			const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
				compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2021, esModuleInterop: true },
				fileName: file,
			});
			writeFileSync(target.replace(/\.ts$/, '.js'), outputText);
		}
	}
}

export async function runChildProcess(args: string[]): Promise<string> {
	const child = path.join(BUILD_DIR, 'bench', 'child.js');
	mkdirSync(path.join(BUILD_DIR, 'tmp'), { recursive: true });
	const tmp = mkdtempSync(path.join(BUILD_DIR, 'tmp', 'run-'));
	try {
		const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', child, ...args], {
			cwd: ROOT,
			env: { ...process.env, TMPDIR: tmp },
			maxBuffer: 16 * 1024 * 1024,
		});
		return stdout;
	} finally {
		rmSync(tmp, { recursive: true, force: true });
	}
}

export async function runChild(name: string): Promise<ChildResult> {
	const lastLine = (await runChildProcess([name])).trim().split('\n').pop() as string;
	return JSON.parse(lastLine) as ChildResult;
}

/** Makes the large input files the selected cases read, unless an earlier run made them. */
export async function makeFixtures(selected: BenchCase[]): Promise<void> {
	for (const name of new Set(selected.flatMap((c) => (c.fixture ? [c.fixture] : [])))) {
		if (existsSync(fixtures[name].path)) continue;
		process.stderr.write(`making ${path.relative(ROOT, fixtures[name].path)} (once) ... `);
		await runChildProcess(['--fixture', name]);
		process.stderr.write(`${(statSync(fixtures[name].path).size / 1024 / 1024).toFixed(1)} MB\n`);
	}
}

export function table(rows: string[][]): string {
	const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
	return rows
		.map((row) =>
			row
				.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
				.join('  '),
		)
		.join('\n');
}
