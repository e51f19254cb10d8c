/**
 * The layout rules a newcomer relies on, checked so they stay true: nodes/shared/ holds only what both nodes use,
 * no node file grows past what one reads in a sitting, imports between the dev folders go one way (bench, scripts and
 * examples reach into test/ only for its harness and support; the emulator never borrows from the nodes), and no
 * file cites a document or a tracker outside the repository. (Import cycles: `npm run cycles`, run by CI.)
 */
import { readdirSync, readFileSync, statSync } from 'fs';
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

	it('every module in nodes/shared/ is imported from both node folders (directly or through another shared module)', () => {
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
		const bulk = reached('CommCareBulkImport');
		const status = reached('CommCareImportStatus');
		expect(shared.filter((module) => !(bulk.has(module) && status.has(module)))).toEqual([]);
	});

	it('the node folders do not import each other', () => {
		const crossing = ['CommCareBulkImport', 'CommCareImportStatus'].flatMap((node) =>
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

	it('no file in test/, bench/, scripts/ or examples/ cites an outside tracker ("Issue 6")', () => {
		const citing = ['test', 'bench', 'scripts', 'examples']
			.flatMap((folder) => filesUnder(folder, /\.(ts|js|md|json|py)$/))
			.filter((path) => !path.endsWith('layout.test.ts') && /\bIssue \d+\b/i.test(readFileSync(path, 'utf8')))
			.map((path) => relative(ROOT, path));
		expect(citing).toEqual([]);
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
