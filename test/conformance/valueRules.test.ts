/**
 * The value rules' promise, held to CommCare's own reader: every example in docs/bulk-import.md ("Examples, checked
 * against CommCare's own reader") is written as Bulk Import writes items, read with openpyxl the way HQ reads it, and
 * must be stored (and, in the ID column, looked up) as the table says. The node's own predictions (what its checks
 * see, what Import Status looks cases up by) must agree with the real reader too.
 * `UPDATE_VALUE_EXAMPLES=1` rewrites the table's last two columns from what the reader gives.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

import type { IDataObject } from 'n8n-workflow';

import { ID_COLUMNS } from '../../nodes/CommCareBulkImport/sources/itemsPlan';
import { inspectItems } from '../../nodes/CommCareBulkImport/spreadsheet/inspect';
import { idCellText, isBlankText, searchIdOfValue } from '../../nodes/shared/cellText';
import { writeItems } from './corpus';
import { conformanceSuite } from './python';
import { readWithOpenpyxl, type PythonRecord } from './openpyxl';

const DOC = path.resolve(__dirname, '../../docs/bulk-import.md');
const START = '<!-- value-examples:start -->';
const END = '<!-- value-examples:end -->';

interface Example {
	/** The first column as written in the docs. */
	written: string;
	value: unknown;
	column: 'property' | 'ID';
	stores: string;
	looksUpBy: string;
}

/** `` `"x"` `` → "x"; `` `Date("…")` `` → a Date; *blank* → null. */
function parseValue(cell: string): unknown {
	const code = /^`(.*)`$/.exec(cell.trim())?.[1];
	if (code === undefined) throw new Error(`Not a code cell: ${cell}`);
	const date = /^Date\("(.*)"\)$/.exec(code);
	return date ? new Date(date[1]) : JSON.parse(code);
}

function readExamples(doc: string): Example[] {
	const table = doc.slice(doc.indexOf(START) + START.length, doc.indexOf(END));
	return table
		.split('\n')
		.filter((line) => line.startsWith('| `'))
		.map((line) => {
			const cells = line.split(' | ').map((cell) => cell.replace(/^\| ?| ?\|$/g, ''));
			return {
				written: cells[0],
				value: parseValue(cells[0]),
				column: cells[1] as 'property' | 'ID',
				stores: cells[2].trim(),
				looksUpBy: (cells[3] ?? '').trim(),
			};
		});
}

/** A stored value as the table writes it (the replacement character spelled out: it has no visible form). */
function shown(value: string | null | undefined): string {
	if (value === null || value === undefined) return '*blank*';
	return `\`${JSON.stringify(value).replace(/\uFFFD/g, '\\ufffd')}\``;
}

conformanceSuite('the value rules, as CommCare’s reader reads them', (python) => {
	const doc = readFileSync(DOC, 'utf8');
	const examples = readExamples(doc);
	let records: PythonRecord[];
	let items: IDataObject[];

	beforeAll(async () => {
		// One item per example: a property example in column `value`, an ID example in the ID column.
		items = examples.map((example, index) =>
			example.column === 'ID'
				? { external_id: example.value as never, value: 'x' }
				: { external_id: `E${index}`, value: example.value as never },
		);
		const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'commcare-values-')), 'values.xlsx');
		const textColumns = [...new Set(['external_id', ...ID_COLUMNS])];
		writeFileSync(file, await writeItems(items, ['external_id', 'value'], { textColumns, timeZone: 'UTC' }));
		const answer = readWithOpenpyxl(python, { files: [{ path: file, searchColumn: 'external_id' }] }).files[0];
		records = answer.records;
	});

	it('covers the rules: numbers, booleans, dates, blanks, `---`, unstorable characters, and ids CommCare changes', () => {
		expect(examples.length).toBeGreaterThan(35);
		expect(examples.filter((example) => example.column === 'ID').length).toBeGreaterThan(10);
	});

	it('stores every example as the docs say, and looks the ID examples up as they say', () => {
		const actual = examples.map((example, index) => {
			const record = records[index];
			const column = example.column === 'ID' ? 'external_id' : 'value';
			return {
				example: example.written,
				stores: shown(record.values[column]),
				looksUpBy: example.column === 'ID' ? shown(record.searchId) : '',
			};
		});
		if (process.env.UPDATE_VALUE_EXAMPLES === '1') {
			const rows = examples.map(
				(example, index) =>
					`| ${example.written} | ${example.column} | ${actual[index].stores} | ${actual[index].looksUpBy} |`,
			);
			const header =
				'| Item value | Column | CommCare stores | CommCare looks the case up by |\n| --- | --- | --- | --- |';
			const table = `${START}\n${header}\n${rows.join('\n')}\n${END}`;
			writeFileSync(DOC, doc.slice(0, doc.indexOf(START)) + table + doc.slice(doc.indexOf(END) + END.length));
		}
		expect(actual).toEqual(
			examples.map((example) => ({ example: example.written, stores: example.stores, looksUpBy: example.looksUpBy })),
		);
	});

	it("the node's checks see what CommCare stores, for every example", () => {
		const inspection = inspectItems(items, ['external_id', 'value'], {
			sheetName: 'cases',
			textColumns: [...new Set(['external_id', ...ID_COLUMNS])],
			nestedAsJson: false,
			timeZone: 'UTC',
			valueColumns: ['external_id', 'value'],
			searchColumn: 'external_id',
		});
		const differences = examples.flatMap((example, index) => {
			const column = example.column === 'ID' ? 'external_id' : 'value';
			const ours = inspection.values[column][index] ?? null;
			const theirs = records[index].values[column] ?? null;
			const same = isBlankText(ours) ? isBlankText(theirs) : ours === theirs;
			const searchSame = example.column !== 'ID' || inspection.searchIds?.[index] === records[index].searchId;
			return same && searchSame
				? []
				: [`${example.written}: checks see ${JSON.stringify(ours)}, CommCare ${JSON.stringify(theirs)}`];
		});
		expect(differences).toEqual([]);
	});

	it('Import Status looks a record up by the forms CommCare gives its case: the ID text, then the search id', () => {
		for (const [index, example] of examples.entries()) {
			if (example.column !== 'ID' || isBlankText(records[index].values.external_id ?? null)) continue;
			expect([example.written, idCellText(example.value)]).toEqual([
				example.written,
				records[index].values.external_id,
			]);
			expect([example.written, searchIdOfValue(example.value)]).toEqual([example.written, records[index].searchId]);
		}
	});
});
