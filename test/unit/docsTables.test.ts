/**
 * The reference tables in docs/ say what the code does: the check tables of docs/bulk-import.md and
 * docs/lookup-tables.md list exactly the codes of their node's catalogue, each with the severity it gives it.
 */
import { readFileSync } from 'fs';
import { join } from 'path';

import { CHECKS, type CheckSeverity } from '../../nodes/CommCareBulkImport/checks/catalogue';
import { TABLE_CHECK_SEVERITY } from '../../nodes/CommCareLookupTableImport/checks/findings';

const ROOT = join(__dirname, '..', '..');

/** How the docs write each severity. */
const SEVERITY_IN_DOCS: Record<string, CheckSeverity> = {
	error: 'error',
	warning: 'warning',
	'warning / error': 'byRows',
	'error (always, checks or not)': 'always',
	'error / warning (by option)': 'byOption',
};

/** The code → severity rows of the tables in one section of a page (a row may name several codes: `a` / `b`). */
function codeTableRows(page: string, section: string): Array<[string, string]> {
	const markdown = readFileSync(join(ROOT, page), 'utf8');
	const start = markdown.indexOf(`\n## ${section}\n`);
	expect(start).toBeGreaterThan(-1);
	const end = markdown.indexOf('\n## ', start + 1);
	const rows: Array<[string, string]> = [];
	for (const line of markdown.slice(start, end === -1 ? undefined : end).split('\n')) {
		const cells = line.split(' | ');
		if (!line.startsWith('| `') || cells.length < 2) continue;
		const codes = [...cells[0].matchAll(/`(\w+)`/g)].map((match) => match[1]);
		for (const code of codes) rows.push([code, cells[1].trim()]);
	}
	return rows;
}

describe('docs/bulk-import.md, "Checks before upload"', () => {
	const rows = codeTableRows('docs/bulk-import.md', 'Checks before upload');

	it('lists every code of the check catalogue once, and nothing else', () => {
		const codes = rows.map(([code]) => code);
		expect([...codes].sort()).toEqual(Object.keys(CHECKS).sort());
		expect(new Set(codes).size).toBe(codes.length);
	});

	it('gives each code the severity the catalogue gives it', () => {
		expect(rows.map(([code, severity]) => [code, SEVERITY_IN_DOCS[severity] ?? `unknown: ${severity}`])).toEqual(
			rows.map(([code]) => [code, CHECKS[code as keyof typeof CHECKS]?.severity]),
		);
	});
});

describe('docs/lookup-tables.md, "Checks before upload"', () => {
	const rows = codeTableRows('docs/lookup-tables.md', 'Checks before upload');

	it('lists every finding code of Lookup Table Import once, and nothing else', () => {
		const codes = rows.map(([code]) => code);
		expect([...codes].sort()).toEqual(Object.keys(TABLE_CHECK_SEVERITY).sort());
		expect(new Set(codes).size).toBe(codes.length);
	});

	it('gives each code its severity', () => {
		expect(rows.map(([code, severity]) => [code, severity])).toEqual(
			rows.map(([code]) => [code, TABLE_CHECK_SEVERITY[code as keyof typeof TABLE_CHECK_SEVERITY]]),
		);
	});
});
