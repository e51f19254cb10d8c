/**
 * The checks before upload through CommCare Bulk Import with source "Spreadsheet File", against the emulator: the
 * checks that only a file can trip (non-text and duplicate headers, sheet names, .xls, CSV headers), the row count
 * they give CommCare Import Status, checking every file before the first upload, and dry runs. Refusals of
 * unreadable files, empty sheets, 301 columns and invalid headers are in ../hardening/badInput.test.ts.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import * as XLSX from 'xlsx';

import { CommCareBulkImport } from '../../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { CommCareImportStatus } from '../../../nodes/CommCareImportStatus/CommCareImportStatus.node';
import type {
	DryRunResultJson,
	ImportOutcomeJson,
	CheckFinding,
	UploadResultJson,
} from '../../../nodes/shared/outputContract';
import { type Emulator } from '../../../emulator';
import { emulatorCredential, xlsxFile, useEmulator } from '../../support/emulator';
import { binaryItem, runNode, type BinaryMode } from '../../support/n8nContext';

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 0, runningPolls: 0 } });

const node = new CommCareBulkImport();
const credentials = () => emulatorCredential(emulator);

async function run(
	items: INodeExecutionData[],
	parameters: IDataObject = {},
	extra: { continueOnFail?: boolean; noCredential?: boolean } = {},
) {
	return await runNode({
		node,
		parameters: {
			projectSpace: 'demo',
			caseType: 'patient',
			// Matched by case ID, blank for a new case (1.2 defaults to External ID, which these rows do not carry).
			searchField: 'case_id',
			unmatchedRows: 'create',
			...parameters,
		},
		credentials: extra.noCredential ? undefined : credentials(),
		items,
		continueOnFail: extra.continueOnFail,
	});
}

async function refusal(items: INodeExecutionData[], parameters: IDataObject = {}) {
	const error = await run(items, parameters).then(
		() => undefined,
		(e: unknown) => e as { message: string; description?: string },
	);
	if (!error) throw new Error('expected the checks to stop the node');
	expect(emulator.requests).toHaveLength(0);
	return error;
}

const patients = [
	['case_id', 'name'],
	['', 'Asha'],
	['', 'Baraka'],
];

const warningsOf = (item: INodeExecutionData) => (item.json as UploadResultJson).warnings;
const codes = (issues: CheckFinding[]) => issues.map((issue) => issue.code);

describe('errors only a file can have: the node stops before any request', () => {
	it('nonTextHeader: a number as a header', async () => {
		const sheet = await xlsxFile([
			['case_id', 'name', 2024],
			['', 'Asha', 'x'],
		]);
		const error = await refusal([binaryItem(sheet, 'numbers.xlsx')]);
		// The first input item is "item 1".
		expect(error.message).toBe("'numbers.xlsx' (item 1) not uploaded: Header '2024' (column C) is a number, not text");
		expect(error.description).toMatch(/^CommCare rejects the upload: headers must be text naming a case property\./);
	});

	it('duplicateHeader: the same header twice', async () => {
		const sheet = await xlsxFile([
			['case_id', 'name', 'village', 'name'],
			['', 'Asha', 'Kisumu', 'A'],
		]);
		const error = await refusal([binaryItem(sheet, 'twice.xlsx')]);
		expect(error.message).toBe("'twice.xlsx' (item 1) not uploaded: Header 'name' appears 2 times (columns B, D)");
	});

	it('sheetNamedAfterCaseType: the only sheet named like the case type', async () => {
		const sheet = await xlsxFile({ patient: patients });
		const error = await refusal([binaryItem(sheet, 'patients.xlsx')]);
		expect(error.message).toBe(
			"'patients.xlsx' (item 1) not uploaded: The sheet is named 'patient', like the case type",
		);
		expect(error.description).toMatch(/^CommCare then switches to multi-sheet mode/);
	});

	it('missingSearchColumn: no column named like the search column', async () => {
		const sheet = await xlsxFile([['name'], ['Asha']]);
		const error = await refusal([binaryItem(sheet, 'nameonly.xlsx')]);
		expect(error.message).toBe("'nameonly.xlsx' (item 1) not uploaded: The ID column 'case_id' is not in the sheet");
	});

	it.each<BinaryMode>(['default', 'filesystem'])(
		'reads the file for the checks in %s binary-data mode',
		async (mode) => {
			const sheet = await xlsxFile([
				['case_id', 'name', 'type'],
				['', 'Asha', 'x'],
			]);
			const error = await refusal([binaryItem(sheet, 'typed.xlsx', { mode })]);
			expect(error.message).toBe("'typed.xlsx' (item 1) not uploaded: Column 'type' is reserved");
		},
	);
});

describe('warnings only a file can have: the upload goes, the warning rides along', () => {
	it('checksUnavailable: an .xls file cannot be read here, so it is sent unchecked', async () => {
		const workbook = XLSX.utils.book_new();
		XLSX.utils.book_append_sheet(workbook, XLSX.utils.aoa_to_sheet(patients), 'cases');
		const xls = XLSX.write(workbook, { bookType: 'xls', type: 'buffer' }) as Buffer;
		const { outputs } = await run([binaryItem(xls, 'old.xls')]);
		expect(emulator.uploads.map((u) => [u.fileName, u.status])).toEqual([['old.xls', 200]]);
		expect(warningsOf(outputs[0][0])).toEqual([
			{
				code: 'checksUnavailable',
				message: 'Checks before upload are not available for .xls files (they cannot be read here)',
				description: 'Save the file as .xlsx to have it checked; as it is, it is uploaded unchecked.',
			},
		]);
		expect((outputs[0][0].json as UploadResultJson).rowCount).toBeNull();
		expect(emulator.cases.byType('demo', 'patient')).toHaveLength(2);
	});

	it('possibleMultiSheetMode and extraSheetsIgnored: a second sheet named like the case type', async () => {
		const sheet = await xlsxFile({
			cases: patients,
			patient: [
				['case_id', 'name'],
				['', 'Ignored'],
			],
		});
		const { outputs } = await run([binaryItem(sheet, 'two.xlsx')]);
		const warnings = warningsOf(outputs[0][0]);
		expect(codes(warnings)).toEqual(['possibleMultiSheetMode', 'extraSheetsIgnored']);
		expect(warnings[1]).toMatchObject({
			message: "The file has 2 sheets; only the first, 'cases', is imported",
			description: "'patient' is ignored. Move their data to the first sheet if it is to be imported.",
		});
		expect(
			emulator.cases
				.byType('demo', 'patient')
				.map((c) => c.name)
				.sort(),
		).toEqual(['Asha', 'Baraka']);
	});

	it('blankNames: rows of a file that create cases without a name (sheet rows named; no items for a file)', async () => {
		const sheet = await xlsxFile([
			['case_id', 'name', 'age'],
			['', 'Asha', 30],
			['', '', 31],
			['c0ffee', '', 32],
			['', null, 33],
		]);
		const { outputs } = await run([binaryItem(sheet, 'names.xlsx')], { options: { dryRun: true } });
		const report = outputs[0][0].json as DryRunResultJson;
		// A row with a case ID updates (or, unknown, may create): only the rows without one certainly create.
		expect(report.warnings).toEqual([
			{
				code: 'blankNames',
				message: "Sheet rows 3 and 5 create cases with an empty name in 'name'",
				description:
					"Matching by case ID, a row without one always creates a case, named by its 'name' cell. Fill in the names, or set Name Column to the column holding them.",
				column: 'name',
				rows: [3, 5],
			},
		]);
		expect(report.wouldUpload).toBe(true);
	});

	it('csvHeaderMayBeRetyped: a CSV header CommCare may read as a boolean (dry run)', async () => {
		const csv = Buffer.from('case_id,name,yes\n,Asha,1\n');
		const { outputs } = await run([binaryItem(csv, 'flags.csv')], { options: { dryRun: true } });
		expect(emulator.requests).toHaveLength(0);
		const report = outputs[0][0].json as DryRunResultJson;
		expect(report).toMatchObject({ wouldUpload: true, rowCount: 1, errors: [] });
		expect(report.warnings).toEqual([expect.objectContaining({ code: 'csvHeaderMayBeRetyped', column: 'yes' })]);
		expect(report.warnings[0].message).toBe(
			"Header 'yes' (column C) is a word CommCare converts when it reads a CSV file (to a boolean or a number)",
		);
	});
});

describe('the row count', () => {
	it('is read from the file, so CommCare Import Status sees the blank row CommCare skipped', async () => {
		const sheet = await xlsxFile([
			['case_id', 'name'],
			['', 'Asha'],
			['', ''],
			['', 'Chidi'],
		]);
		const { outputs } = await run([binaryItem(sheet, 'gap.xlsx')]);
		const upload = outputs[0][0].json as UploadResultJson;
		expect(upload.rowCount).toBe(3);
		expect(upload.warnings).toEqual([expect.objectContaining({ code: 'blankRows', rows: [3] })]);
		const status = await runNode({
			node: new CommCareImportStatus(),
			credentials: credentials(),
			parameters: { pollInterval: 0.05, timeout: 0.5 },
			items: outputs[0],
		});
		const [warning] = status.outputs[1].map((item) => item.json as ImportOutcomeJson);
		expect(warning).toMatchObject({ reason: 'skippedRows', created_count: 2, skipped_count: 1 });
	});

	it('is null when the checks are skipped', async () => {
		const { outputs } = await run([binaryItem(await xlsxFile(patients), 'p.xlsx')], { options: { skipChecks: true } });
		expect((outputs[0][0].json as UploadResultJson).rowCount).toBeNull();
	});
});

describe('every file is checked before the first upload', () => {
	const files = async () => [
		binaryItem(await xlsxFile(patients), 'first.xlsx'),
		binaryItem(
			await xlsxFile([
				['case_id', 'name', 'closed'],
				['', 'Asha', 'no'],
			]),
			'second.xlsx',
		),
		binaryItem(await xlsxFile(patients), 'third.xlsx'),
	];

	it('a bad second file stops the run before the first is sent', async () => {
		const error = await refusal(await files());
		expect(error.message).toBe("'second.xlsx' (item 2) not uploaded: Column 'closed' is reserved");
	});

	it('with Continue On Fail the bad file is an error item with its findings, the others go', async () => {
		const { outputs } = await run(await files(), {}, { continueOnFail: true });
		expect(emulator.uploads.map((u) => u.fileName)).toEqual(['first.xlsx', 'third.xlsx']);
		expect(outputs[0].map((item) => [item.pairedItem, item.json.fileName, item.error === undefined])).toEqual([
			[{ item: 0 }, 'first.xlsx', true],
			[{ item: 1 }, 'second.xlsx', false],
			[{ item: 2 }, 'third.xlsx', true],
		]);
		expect(outputs[0][1].json).toMatchObject({
			source: 'binary',
			binaryPropertyName: 'data',
			errors: [expect.objectContaining({ code: 'reservedHeader', column: 'closed' })],
			warnings: [],
		});
	});
});

describe('dry run', () => {
	it("reports each file's findings and row count, sending nothing and needing no credential", async () => {
		const items = [
			binaryItem(await xlsxFile(patients), 'good.xlsx'),
			binaryItem(await xlsxFile([['name'], ['Asha']]), 'no-id.xlsx'),
		];
		const { outputs } = await run(items, { options: { dryRun: true } }, { noCredential: true });
		expect(emulator.requests).toHaveLength(0);
		const reports = outputs[0].map((item) => item.json as DryRunResultJson);
		expect(reports.map((r) => [r.fileName, r.wouldUpload, r.checked, r.rowCount, codes(r.errors)])).toEqual([
			['good.xlsx', true, true, 2, []],
			['no-id.xlsx', false, true, 1, ['missingSearchColumn']],
		]);
		expect(outputs[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(reports[0]).not.toHaveProperty('columns');
	});
});
