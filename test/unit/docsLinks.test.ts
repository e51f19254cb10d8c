/**
 * The README is a landing page and the reference lives in docs/: every link between them (and to the repository's
 * files) must lead somewhere, anchors included, or a reader following the troubleshooting index lands nowhere.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join, relative, resolve } from 'path';

import { CommCareApi } from '../../credentials/CommCareApi.credentials';

const ROOT = resolve(__dirname, '..', '..');

const pages = [
	join(ROOT, 'README.md'),
	join(ROOT, 'emulator', 'README.md'),
	...readdirSync(join(ROOT, 'docs'))
		.filter((name) => name.endsWith('.md'))
		.map((name) => join(ROOT, 'docs', name)),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
	return heading
		.trim()
		.toLowerCase()
		.replace(/[^\p{L}\p{N}\- _]/gu, '')
		.replace(/ /g, '-');
}

function anchorsIn(markdown: string): Set<string> {
	const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
	return new Set([...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1])));
}

/** Relative links `[text](target)` outside code blocks and spans. */
function linksIn(markdown: string): string[] {
	const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
	return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]).filter((target) => !/^[a-z]+:/i.test(target));
}

function brokenLinks(page: string): string[] {
	const markdown = readFileSync(page, 'utf8');
	const problems: string[] = [];
	for (const link of linksIn(markdown)) {
		const [file, anchor] = link.split('#');
		const target = file ? resolve(dirname(page), file) : page;
		const where = `${relative(ROOT, page)} → ${link}`;
		if (!existsSync(target)) {
			problems.push(`${where}: no such file`);
			continue;
		}
		if (anchor && statSync(target).isFile() && !anchorsIn(readFileSync(target, 'utf8')).has(anchor)) {
			problems.push(`${where}: no heading with that anchor`);
		}
	}
	return problems;
}

describe('docs', () => {
	it('anchors are made as GitHub makes them', () => {
		expect(anchorOf("Polling when CommCare's queue is long")).toBe('polling-when-commcares-queue-is-long');
		expect(anchorOf('`skipped_count`')).toBe('skipped_count');
		expect(anchorOf('Output, one item per upload (default)')).toBe('output-one-item-per-upload-default');
	});

	it.each(pages.map((page) => [relative(ROOT, page), page]))(
		'every relative link of %s leads somewhere',
		(_name, page) => {
			expect(brokenLinks(page)).toEqual([]);
		},
	);

	it('the check notices a missing file and a missing anchor', () => {
		const dir = mkdtempSync(join(tmpdir(), 'docs-links-'));
		try {
			const page = join(dir, 'page.md');
			writeFileSync(join(dir, 'other.md'), '# Other\n\n## A part\n');
			writeFileSync(
				page,
				'# Page\n\n[ok](other.md#a-part) [self](#page) [gone](missing.md) [no part](other.md#b-part) [web](https://example.org)\n`[code](nowhere.md)`\n',
			);
			expect(brokenLinks(page).map((problem) => problem.split(' → ')[1])).toEqual([
				'missing.md: no such file',
				'other.md#b-part: no heading with that anchor',
			]);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('the README stays a landing page: under 300 lines, the reference in docs/', () => {
		const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
		expect(lines.length).toBeLessThan(300);
		expect(lines.slice(0, 12).join('\n')).toMatch(/```sh\nnpm install && npm run demo\nnpm test\n```/);
	});
});

describe("the nodes' Docs links", () => {
	const REPOSITORY_PAGES = 'https://github.com/n8n-nodes-commcare/n8n-nodes-commcare/blob/main/';
	const nodeJsons = ['CommCareBulkImport', 'CommCareImportStatus'].map((node) =>
		join(ROOT, 'nodes', node, `${node}.node.json`),
	);
	const urls: Array<[string, string]> = [
		...nodeJsons.flatMap((file) => {
			const codex = JSON.parse(readFileSync(file, 'utf8')) as { resources: Record<string, Array<{ url: string }>> };
			return Object.values(codex.resources)
				.flat()
				.map(({ url }): [string, string] => [relative(ROOT, file), url]);
		}),
		['credentials/CommCareApi.credentials.ts', new CommCareApi().documentationUrl],
	];

	// n8n appends ?utm_… to these addresses after any #fragment, so a README anchor lands at the top of the README.
	it.each(urls)('%s links %s: a page of this repository that exists, without a fragment', (_file, url) => {
		expect(url).not.toContain('#');
		expect(url.startsWith(REPOSITORY_PAGES)).toBe(true);
		expect(existsSync(join(ROOT, url.slice(REPOSITORY_PAGES.length)))).toBe(true);
	});
});
