/**
 * The layout rules a newcomer relies on, checked so they stay true: nodes/shared/ holds only what two nodes or more use,
 * no node file grows past what one reads in a sitting, imports between the dev folders go one way (bench, scripts and
 * examples reach into test/ only for its harness and support; the emulator never borrows from the nodes), and no
 * file cites a document or a tracker outside the repository. (Import cycles: `npm run cycles`, run by CI.)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';

const ROOT = join(__dirname, '..', '..');

function filesUnder(folder: string, ending: RegExp): string[] {
	const found: string[] = [];
	const walk = (dir: string) => {
		for (const name of readdirSync(dir)) {
			const path = join(dir, name);
			if (name === 'node_modules' || name === 'fixtures' || name === 'results') continue;
			if (statSync(path).isDirectory()) walk(path);
			else if (ending.test(name)) found.push(path);
		}
	};
	walk(join(ROOT, folder));
	return found;
}

/** The node folders (nodes/CommCare*), each one node. */
const NODES = readdirSync(join(ROOT, 'nodes')).filter((name) => name.startsWith('CommCare'));

const lineCount = (path: string) => readFileSync(path, 'utf8').split('\n').length;
const importsOf = (path: string) =>
	[...readFileSync(path, 'utf8').matchAll(/from '(\.[^']+)'/g)].map((match) =>
		relative(ROOT, join(path, '..', match[1])),
	);

describe('repository layout', () => {
	it('no file in nodes/ or credentials/ is over 400 lines, and no spreadsheet file over 300', () => {
		const long = [...filesUnder('nodes', /\.ts$/), ...filesUnder('credentials', /\.ts$/)]
			.map((path) => ({ file: relative(ROOT, path), lines: lineCount(path) }))
			.filter(({ file, lines }) => lines > (file.includes('/spreadsheet/') ? 300 : 400));
		expect(long).toEqual([]);
	});

	it('every module in nodes/shared/ is imported from two node folders or more (directly or through another shared module)', () => {
		const shared = filesUnder('nodes/shared', /\.ts$/).map((path) => relative(ROOT, path).replace(/\.ts$/, ''));
		const nodeFiles = (node: string) => filesUnder(`nodes/${node}`, /\.ts$/);
		const reached = (node: string): Set<string> => {
			const seen = new Set<string>();
			const queue = nodeFiles(node).flatMap(importsOf);
			while (queue.length > 0) {
				const next = queue.pop() as string;
				if (seen.has(next) || !next.startsWith('nodes/shared/')) continue;
				seen.add(next);
				queue.push(...importsOf(join(ROOT, `${next}.ts`)));
			}
			return seen;
		};
		const reachedBy = NODES.map(reached);
		expect(shared.filter((module) => reachedBy.filter((seen) => seen.has(module)).length < 2)).toEqual([]);
	});

	it('the node folders do not import each other', () => {
		const crossing = NODES.flatMap((node) =>
			filesUnder(`nodes/${node}`, /\.ts$/).flatMap((path) =>
				importsOf(path)
					.filter((target) => target.startsWith('nodes/CommCare') && !target.startsWith(`nodes/${node}/`))
					.map((target) => `${relative(ROOT, path)} → ${target}`),
			),
		);
		expect(crossing).toEqual([]);
	});

	it('test/, bench/, emulator/ and examples/ never import scripts/ (scripts use them, not the other way round)', () => {
		const backwards = ['test', 'bench', 'emulator', 'examples'].flatMap((folder) =>
			filesUnder(folder, /\.ts$/).flatMap((path) =>
				importsOf(path)
					.filter((target) => target.startsWith('scripts/'))
					.map((target) => `${relative(ROOT, path)} → ${target}`),
			),
		);
		expect(backwards).toEqual([]);
	});

	it('bench/, scripts/ and examples/ take from test/ only its harness and its support (test/harness/, test/support/)', () => {
		const reaching = ['bench', 'scripts', 'examples'].flatMap((folder) =>
			filesUnder(folder, /\.ts$/).flatMap((path) =>
				importsOf(path)
					.filter((target) => target.startsWith('test/') && !/^test\/(harness|support)\//.test(target))
					.map((target) => `${relative(ROOT, path)} → ${target}`),
			),
		);
		expect(reaching).toEqual([]);
	});

	it('emulator/ never imports nodes/ (the emulator follows CommCare, not the nodes it tests)', () => {
		const reaching = filesUnder('emulator', /\.ts$/).flatMap((path) =>
			importsOf(path)
				.filter((target) => target.startsWith('nodes/'))
				.map((target) => `${relative(ROOT, path)} → ${target}`),
		);
		expect(reaching).toEqual([]);
	});

	it('no file cites an outside tracker ("Issue 6"): what it says stands on its own', () => {
		const citing = ['nodes', 'credentials', 'emulator', 'test', 'bench', 'scripts', 'examples', 'docs']
			.flatMap((folder) => filesUnder(folder, /\.(ts|js|md|json|py)$/))
			.concat(join(ROOT, 'README.md'))
			.filter((path) => !path.endsWith('layout.test.ts') && /\bIssue \d+\b/i.test(readFileSync(path, 'utf8')))
			.map((path) => relative(ROOT, path));
		expect(citing).toEqual([]);
	});

	it('no import runs back up: nodes/shared/ imports no node, and inside a node its parts import each other one way', () => {
		// A part is a top-level file of the node folder or one of its subfolders (sources/, checks/, caseLookup/ ...).
		const partOf = (file: string) => file.split('/').slice(0, 3).join('/').replace(/\.ts$/, '');
		const sharedUp = filesUnder('nodes/shared', /\.ts$/).flatMap((path) =>
			importsOf(path)
				.filter((target) => target.startsWith('nodes/CommCare'))
				.map((target) => `${relative(ROOT, path)} → ${target}`),
		);
		expect(sharedUp).toEqual([]);
		for (const node of NODES) {
			const edges = new Map<string, Set<string>>();
			for (const path of filesUnder(`nodes/${node}`, /\.ts$/)) {
				const from = partOf(relative(ROOT, path));
				for (const target of importsOf(path).filter((file) => file.startsWith(`nodes/${node}/`))) {
					const to = partOf(target);
					if (to !== from) edges.set(from, (edges.get(from) ?? new Set()).add(to));
				}
			}
			const both = [...edges].flatMap(([from, targets]) =>
				[...targets].filter((to) => reaches(edges, to, from)).map((to) => `${from} ⇄ ${to}`),
			);
			expect(both).toEqual([]);
		}
	});

	it("a module's unit test mirrors its path: test/unit/<path>.test.ts tests <path>.ts", () => {
		const sourceOf = (test: string) => {
			const path = test.replace(/^test\/unit\//, '').replace(/(\.table)?\.test\.ts$/, '.ts');
			return /^(CommCare|shared\/)/.test(path) ? `nodes/${path}` : path;
		};
		const unmatched = filesUnder('test/unit', /\.test\.ts$/)
			.map((path) => relative(ROOT, path))
			.filter((test) => test.split('/').length > 3) // test/unit/*.test.ts hold the repository's own rules
			.filter((test) => !existsSync(join(ROOT, sourceOf(test))))
			.map((test) => `${test} → ${sourceOf(test)}`);
		expect(unmatched).toEqual([]);
	});

	it('the product and its docs cite nothing outside the repository', () => {
		const files = [
			...['nodes', 'credentials', 'emulator', 'test', 'scripts', 'bench', 'examples', 'docs'].flatMap((folder) =>
				filesUnder(folder, /\.(ts|md|json)$/),
			),
			join(ROOT, 'README.md'),
		];
		const outside = /\/work\/|\bspec §|commcare-bulk-upload-api\.md|real-n8n-on-these-machines|DESIGN\.md/;
		const citing = files
			.filter((path) => !path.endsWith('layout.test.ts') && outside.test(readFileSync(path, 'utf8')))
			.map((path) => relative(ROOT, path));
		expect(citing).toEqual([]);
	});
});

/** Whether `to` can be reached from `from` along the edges (the import graph between a node's parts). */
function reaches(edges: Map<string, Set<string>>, from: string, to: string): boolean {
	const seen = new Set<string>();
	const queue = [from];
	while (queue.length > 0) {
		const next = queue.pop() as string;
		if (next === to) return true;
		if (seen.has(next)) continue;
		seen.add(next);
		queue.push(...(edges.get(next) ?? []));
	}
	return false;
}
