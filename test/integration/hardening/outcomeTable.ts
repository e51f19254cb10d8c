/**
 * The rows of TESTING.md, recorded by the tests that produce them. Each hardening test calls `table.record(...)`
 * with what it observed. Normally the row must equal the committed one in `outcomes/<suite>.json` (so a changed
 * message or count fails the test until the table is regenerated); with UPDATE_TESTING_TABLE=1 the rows are
 * written instead and TESTING.md is re-rendered (test/harness/testingTable.ts).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join, relative } from 'path';

import { OUTCOMES_DIR, ROOT, writeTestingMd, type OutcomeRow } from '../../harness/testingTable';

const UPDATING = process.env.UPDATE_TESTING_TABLE === '1';

/** Makes a message comparable across runs: ports, ids and measured durations vary, the words do not. */
export function normalise(text: string): string {
	return text
		.replace(
			/\b(https?):\/\/(127\.0\.0\.1|localhost|\[::1\]|[a-z0-9-]+):\d{2,5}/gi,
			(_m, scheme: string, host: string) => `${scheme}://${host}:PORT`,
		)
		.replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>')
		.replace(/after \d+(\.\d+)? (s|min), \d+ polls?/g, 'after … s, … polls')
		.replace(/\bafter \d+(\.\d+)? (s|min)\b/g, 'after … s')
		.replace(/\b(retry \d+ in) \d+ ms/g, '$1 … ms');
}

/** A message cut to `max` characters at a word boundary. */
export function shorten(text: string, max = 260): string {
	if (text.length <= max) return text;
	const cut = text.slice(0, max);
	return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max - 20))} …`;
}

export type RowInput = Omit<OutcomeRow, 'test' | 'alsoCoveredBy' | 'advice' | 'userSees'> & {
	userSees: string;
	advice?: string | null;
	alsoCoveredBy?: string[];
};

export interface OutcomeTable {
	/** Records the row for the running test; compares it with the committed row unless updating. */
	record(row: RowInput): void;
	/** In update mode: writes the suite's rows and re-renders TESTING.md. Call from afterAll. */
	finish(): void;
}

export function outcomeTable(suite: string): OutcomeTable {
	const file = join(OUTCOMES_DIR, `${suite}.json`);
	const committed: OutcomeRow[] = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as OutcomeRow[]) : [];
	const recorded = new Map<string, OutcomeRow>();

	return {
		record(input) {
			const state = expect.getState();
			const row: OutcomeRow = {
				id: input.id,
				area: input.area,
				case: input.case,
				userSees: shorten(normalise(input.userSees), 320),
				advice: input.advice ? shorten(normalise(input.advice), 200) : null,
				server: input.server,
				lost: input.lost,
				test: `${relative(ROOT, state.testPath ?? '')} › ${state.currentTestName ?? ''}`,
				alsoCoveredBy: input.alsoCoveredBy ?? [],
			};
			if (recorded.has(row.id)) throw new Error(`outcome row '${row.id}' recorded twice`);
			recorded.set(row.id, row);
			if (UPDATING) return;
			const before = committed.find((entry) => entry.id === row.id);
			if (!before) {
				throw new Error(
					`TESTING.md has no row '${row.id}' yet: run UPDATE_TESTING_TABLE=1 npx jest test/integration/hardening (then review the diff)`,
				);
			}
			try {
				expect(row).toEqual(before);
			} catch (error) {
				(error as Error).message +=
					'\n\nWhat this test observed differs from its row in TESTING.md. If the change is intended, regenerate the table: UPDATE_TESTING_TABLE=1 npx jest test/integration/hardening';
				throw error;
			}
		},
		finish() {
			if (!UPDATING || recorded.size === 0) return;
			// Rows keep the order the tests ran in. Rows of tests that did not run this time (a -t filter) are kept
			// where they were, so a partial run never drops rows; delete the file to drop rows of deleted tests.
			const fullRun = committed.every((row) => recorded.has(row.id));
			const merged = new Map(fullRun ? [] : committed.map((row) => [row.id, row]));
			for (const [id, row] of recorded) merged.set(id, row);
			mkdirSync(OUTCOMES_DIR, { recursive: true });
			const rows = [...merged.values()];
			writeFileSync(file, `${JSON.stringify(rows, null, '\t')}\n`);
			writeTestingMd();
		},
	};
}

/** "2 upload requests, 1 import queued" etc., for the `server` column. */
export function plural(count: number, noun: string): string {
	return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
