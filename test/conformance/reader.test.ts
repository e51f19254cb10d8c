/**
 * The emulator reads every `.xlsx` as CommCare HQ does, and so do the node's checks: both are held to the real openpyxl
 * (read-only, data only) and a small Python model of HQ's row read (hq_read.py), on a corpus of files from our
 * writer, other writers, hand-made shapes and every `.xlsx` the other suites uploaded in this run.
 */
import { readFileSync } from 'fs';

import { rowRecords } from '../../emulator/importer';
import { readXlsxWorkbook } from '../../emulator/xlsxReader';
import { inspectSpreadsheet } from '../../nodes/CommCareBulkImport/spreadsheet/inspect';
import type { SheetInspection } from '../../nodes/CommCareBulkImport/spreadsheet/inspection';
import { isBlankText } from '../../nodes/shared/cellText';
import { buildCorpus, capturedCorpus, type CorpusFile } from './corpus';
import { conformanceSuite } from './python';
import { readWithOpenpyxl, type PythonFile } from './openpyxl';

const MAX_STORED = 257;

conformanceSuite('CommCare’s reader and ours read every file alike', (python) => {
	let files: CorpusFile[];
	let answers: Array<PythonFile | { error: string }>;

	beforeAll(async () => {
		files = [...(await buildCorpus()), ...capturedCorpus()];
		answers = readWithOpenpyxl(python, {
			files: files.map(({ path, searchColumn }) => ({ path, searchColumn })),
		}).files as Array<PythonFile | { error: string }>;
	}, 600_000);

	const readable = () =>
		files.flatMap((file, index) => {
			const answer = answers[index];
			return 'error' in answer || answer.sheetNames.length === 0 ? [] : [{ file, answer }];
		});

	it('holds every file the other suites uploaded to the emulator in this run', () => {
		const captured = files.filter((file) => file.name.startsWith('captured-')).length;
		console.info(`conformance corpus: ${files.length} files, ${captured} uploaded by the other suites`);
		if (process.env.COMMCARE_CONFORMANCE === 'required') expect(captured).toBeGreaterThan(50);
		expect(readable().length).toBeGreaterThan(20);
	});

	it('the emulator gives the same rows, cell for cell and row length for row length, and the same row count', async () => {
		const differences: string[] = [];
		for (const { file, answer } of readable()) {
			const [sheet] = await readXlsxWorkbook(readFileSync(file.path));
			const rows = sheet.rows.map((row) => row.map((cell) => (cell === null ? null : [cell.kind, cell.text])));
			if (JSON.stringify(rows) !== JSON.stringify(answer.rows) || sheet.maxRow !== answer.maxRow) {
				differences.push(
					`${file.name}: ${JSON.stringify(rows).slice(0, 300)} ≠ ${JSON.stringify(answer.rows).slice(0, 300)}`,
				);
			}
		}
		expect(differences).toEqual([]);
	}, 120_000);

	it('the emulator builds the same row dicts: the same keys, stored values, search ids and KeyErrors', async () => {
		const differences: string[] = [];
		for (const { file, answer } of readable()) {
			const [sheet] = await readXlsxWorkbook(readFileSync(file.path));
			const ours = rowRecords(sheet, file.searchColumn);
			if (JSON.stringify(ours) !== JSON.stringify(answer.records)) {
				differences.push(
					`${file.name}: ${JSON.stringify(ours).slice(0, 400)} ≠ ${JSON.stringify(answer.records).slice(0, 400)}`,
				);
			}
		}
		expect(differences).toEqual([]);
	}, 120_000);

	it('the emulator refuses the files openpyxl cannot open, and finds no sheet where it finds none', async () => {
		const unreadable = files.filter((_file, index) => 'error' in answers[index]);
		for (const file of unreadable) await expect(readXlsxWorkbook(readFileSync(file.path))).rejects.toThrow();
		const sheetless = files.filter((_file, index) => {
			const answer = answers[index];
			return !('error' in answer) && answer.sheetNames.length === 0;
		});
		for (const file of sheetless) expect(await readXlsxWorkbook(readFileSync(file.path))).toEqual([]);
	}, 120_000);

	it("the node's checks see the same: rows without the ID cell, short rows, stored values and search ids", async () => {
		const differences: string[] = [];
		for (const { file, answer } of readable()) {
			const headers = (answer.rows[0] ?? []).flatMap((cell) => (cell && cell[1] !== '' ? [cell[1]] : []));
			let inspection: SheetInspection;
			try {
				inspection = await inspectSpreadsheet(readFileSync(file.path), 'xlsx', {
					valueColumns: [...new Set(headers)],
					searchColumn: file.searchColumn,
				});
			} catch (error) {
				differences.push(`${file.name}: the checks could not read it (${(error as Error).message})`);
				continue;
			}
			differences.push(...compareInspection(file, answer, inspection));
		}
		expect(differences).toEqual([]);
	}, 300_000);
});

/** Where the checks' reading of a file differs from HQ's (a list of differences, empty when none). */
function compareInspection(file: CorpusFile, answer: PythonFile, inspection: SheetInspection): string[] {
	const differences: string[] = [];
	const say = (what: string) => differences.push(`${file.name}: ${what}`);
	// Without the search column at all, every row is a KeyError: the checks say so once (missingSearchColumn).
	const hasSearchColumn = inspection.headers.includes(file.searchColumn);
	const keyErrors = answer.records
		.filter((record) => hasSearchColumn && record.keyError !== undefined)
		.map((record) => record.row);
	const noted = inspection.rowsWithoutSearchCell;
	if (
		(noted?.count ?? 0) !== keyErrors.length ||
		JSON.stringify(noted?.rows ?? []) !== JSON.stringify(keyErrors.slice(0, 5))
	) {
		say(`rows without the ID cell ${JSON.stringify(noted)} ≠ HQ's KeyError rows ${JSON.stringify(keyErrors)}`);
	}
	const headerNames = Object.keys(inspection.values);
	const shortRows = answer.records
		.filter((record) => Object.values(record.values).some((value) => value !== null && value !== ''))
		.filter((record) => headerNames.some((name) => name !== file.searchColumn && !(name in record.values)))
		.map((record) => record.row);
	if ((inspection.shortRows?.count ?? 0) !== shortRows.length) {
		say(`short rows ${JSON.stringify(inspection.shortRows)} ≠ HQ's rows lacking keys ${JSON.stringify(shortRows)}`);
	}
	for (const record of answer.records) {
		const index = record.row - 2;
		for (const name of headerNames) {
			const ours = index < inspection.values[name].length ? inspection.values[name][index] : null;
			const theirs = record.values[name] ?? null;
			const same = isBlankText(ours) ? isBlankText(theirs) : ours === (theirs ?? '').slice(0, MAX_STORED);
			if (!same) say(`row ${record.row} '${name}': ${JSON.stringify(ours)} ≠ HQ's ${JSON.stringify(theirs)}`);
		}
		if (record.searchId !== undefined && inspection.searchIds && index < inspection.searchIds.length) {
			const ours = inspection.searchIds[index];
			if (ours !== record.searchId.slice(0, MAX_STORED)) {
				say(`row ${record.row} search id ${JSON.stringify(ours)} ≠ HQ's ${JSON.stringify(record.searchId)}`);
			}
		}
	}
	return differences;
}
