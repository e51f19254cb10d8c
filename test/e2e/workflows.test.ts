/**
 * The example workflows of examples/ in a real n8n, on both supported lines, against the CommCare HQ emulator.
 *
 * The package is built and packed once for the whole file and installed into each n8n the way n8n installs a
 * community package. The emulator runs in this jest process on loopback; n8n (a child process) reaches it over HTTP.
 * Nodes that need an outside service are swapped for local nodes of the same name (examples/workflows.ts): the
 * Google Sheets and Postgres sources become Code nodes giving the same item shape; sheet updates, SQL updates, Slack
 * and email become Set nodes computing what they would write or send, so the examples' expressions run too.
 *
 * First run on a machine installs n8n (minutes per version, cached). Timings are printed at the end.
 */
import { promises as fs, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { INodeExecutionData } from 'n8n-workflow';

import { ensureN8n, SUPPORTED_N8N_VERSIONS, type N8nVersion } from '../harness/n8n/install';
import { createInstance, type BinaryDataMode, type N8nInstance, type RunResult } from '../harness/n8n/instance';
import { packPackage } from '../harness/n8n/pack';
import {
	byName,
	codeNodeReturning,
	commCareCredential,
	exampleFileNames,
	FACILITY_EXAMPLE,
	facilityExampleWithRecords,
	facilityFields,
	FILE_EXAMPLE,
	findNode,
	type FacilitySheetRow,
	HOUSEHOLDS_EXAMPLE,
	householdsExampleWithRecords,
	householdsSheetRow,
	loadExample,
	localizeOutsideServices,
	LONG_QUEUE_EXAMPLE,
	POSTGRES_EXAMPLE,
	replaceNode,
	setParameters,
	SHEETS_EXAMPLE,
	sheetsExampleWithRecords,
	useCommCareCredential,
	type WorkflowJson,
} from '../../examples/workflows';
import { DEFAULT_TIMELINE, ERROR_TEXT, startEmulator, userIdOf, type Emulator } from '../../emulator';
import { xlsxFile } from '../support/emulator';
import { secretNeedles } from '../support/secrets';
import { baseNodeProblems, isBaseNode, loadNodeCatalog } from './nodeCatalog';

const INSTALL_TIMEOUT_MS = 20 * 60_000;
const RUN_TIMEOUT_MS = 4 * 60_000;

const GOOD_CREDENTIAL = { id: 'e2eCommCareGood', name: 'CommCare (emulator)' };
const WRONG_KEY_CREDENTIAL = { id: 'e2eCommCareWrongKey', name: 'CommCare (wrong key)' };
const WRONG_KEY = 'not-the-key';

let emulator: Emulator;
let scratchDir: string;
/** Folder n8n may read files from (N8N_RESTRICT_FILE_ACCESS_TO): the spreadsheet fixtures. */
let filesDir: string;
let tarball: string;
const timings: string[] = [];

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
	const started = Date.now();
	try {
		return await work();
	} finally {
		timings.push(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
	}
}

beforeAll(async () => {
	scratchDir = await fs.mkdtemp(path.join(os.tmpdir(), 'commcare-e2e-'));
	filesDir = path.join(scratchDir, 'files');
	await fs.mkdir(filesDir);
	tarball = await timed('build + pack', () => packPackage({ destination: scratchDir }));
	emulator = await startEmulator();
	await fs.writeFile(
		path.join(filesDir, 'patients.xlsx'),
		await xlsxFile([
			['case_id', 'name', 'age', 'village', 'owner_id'],
			['', 'Amina Yusuf', 34, 'Kibera', 'owner-chw-1'],
			['', 'Joseph Otieno', 51, 'Mathare', 'owner-chw-2'],
			['', 'Grace Wanjiru', 27, 'Kibera', ''],
		]),
	);
	// A reserved `type` column: CommCare accepts the upload, then fails the whole import (docs/commcare-api.md §5, §6.5).
	await fs.writeFile(
		path.join(filesDir, 'reserved-column.xlsx'),
		await xlsxFile([
			['case_id', 'name', 'type'],
			['', 'Amina Yusuf', 'adult'],
		]),
	);
}, RUN_TIMEOUT_MS);

afterAll(async () => {
	await emulator?.close();
	if (scratchDir) await fs.rm(scratchDir, { recursive: true, force: true });
	if (timings.length > 0) console.log(`End-to-end timings:\n  ${timings.join('\n  ')}`);
});

beforeEach(() => emulator.reset());

/** A fresh n8n with our package and both credentials. */
async function prepareInstance(version: N8nVersion, binaryDataMode?: BinaryDataMode): Promise<N8nInstance> {
	const label = `n8n ${version}${binaryDataMode ? ` (binary mode ${binaryDataMode})` : ''}`;
	const install = await timed(`${label}: ensure install`, () => ensureN8n(version));
	const instance = await createInstance(install, {
		binaryDataMode,
		env: { N8N_RESTRICT_FILE_ACCESS_TO: filesDir },
	});
	await timed(`${label}: install package`, () => instance.installPackage(tarball));
	await timed(`${label}: import credentials`, () =>
		instance.importCredentials([
			commCareCredential({
				...GOOD_CREDENTIAL,
				baseUrl: emulator.baseUrl,
				username: emulator.username,
				apiKey: emulator.apiKey,
			}),
			commCareCredential({
				...WRONG_KEY_CREDENTIAL,
				baseUrl: emulator.baseUrl,
				username: emulator.username,
				apiKey: WRONG_KEY,
			}),
		]),
	);
	return instance;
}

/** The spreadsheet-file example reading `fileName` from the fixtures, polling fast enough for a local server. */
function fileExample(
	fileName: string,
	options: { credential?: typeof GOOD_CREDENTIAL; skipChecks?: boolean } = {},
): WorkflowJson {
	const workflow = useCommCareCredential(loadExample(FILE_EXAMPLE.file), options.credential ?? GOOD_CREDENTIAL);
	setParameters(workflow, FILE_EXAMPLE.read, { fileSelector: path.join(filesDir, fileName) });
	setParameters(workflow, FILE_EXAMPLE.bulkImport, {
		projectSpace: byName(emulator.domain),
		caseType: byName('patient'),
	});
	if (options.skipChecks) setParameters(workflow, FILE_EXAMPLE.bulkImport, { options: { skipChecks: true } });
	setParameters(workflow, FILE_EXAMPLE.status, { pollInterval: 0.1 });
	return localizeOutsideServices(workflow);
}

async function run(instance: N8nInstance, label: string, workflow: WorkflowJson): Promise<RunResult> {
	const version = instance.install.version;
	const id = await timed(`n8n ${version}: import "${label}"`, () => instance.importWorkflow(workflow));
	return await timed(`n8n ${version}: execute "${label}"`, () => instance.execute(id));
}

const jsonOf = (items: INodeExecutionData[]) => items.map((item) => item.json);
const pairedOf = (items: INodeExecutionData[]) => items.map((item) => item.pairedItem);

/** Status GETs the emulator answered (each poll of the Import Status node is one). */
function statusPolls(): number {
	return emulator.requests.filter((request) => request.method === 'GET' && request.path.endsWith('/status')).length;
}

/** The cases of a type at the emulator, reduced to what the tests compare. */
function caseIdByExternalId(externalId: string): string {
	const found = emulator.cases.all(emulator.domain).filter((c) => c.external_id === externalId);
	expect(found).toHaveLength(1);
	return found[0].case_id;
}

function casesOfType(caseType: string) {
	return emulator.cases.byType(emulator.domain, caseType).map((c) => ({
		external_id: c.external_id,
		name: c.name,
		owner_id: c.owner_id,
		properties: c.properties,
	}));
}

/** Rows of a Google Sheet of registrations, as the Google Sheets node reads them (row_number included). */
const SHEET_ROWS = [
	{
		row_number: 10,
		external_id: 'ANC-0101',
		name: 'Halima Omar',
		village: 'Kibera',
		owner_id: 'owner-chw-1',
		import_status: '',
		import_error: '',
		case_id: '',
	},
	{
		row_number: 11,
		external_id: 'ANC-0102',
		name: 'Ruth Chebet',
		village: 'Mathare',
		owner_id: 'chw-left-in-2024',
		import_status: '',
		import_error: '',
		case_id: '',
	},
	{
		row_number: 12,
		external_id: 'ANC-0103',
		name: 'Agnes Wambui',
		village: 'Kawangware',
		owner_id: 'owner-chw-2',
		import_status: '',
		import_error: '',
		case_id: '',
	},
	{
		row_number: 13,
		external_id: 'ANC-0104',
		name: 'Zainab Ali',
		village: 'Kibera',
		owner_id: 'chw-left-in-2024',
		import_status: '',
		import_error: '',
		case_id: '',
	},
	// An empty row left in the sheet: CommCare skips it without a word.
	{
		row_number: 14,
		external_id: '',
		name: '',
		village: '',
		owner_id: '',
		import_status: '',
		import_error: '',
		case_id: '',
	},
];

const YUSUF = { household_id: 'HH-01', household_name: 'Yusuf household', village: 'Kibera' };
// A name over CommCare's 255 characters: CommCare refuses that household's row ('Name Too Long'), so its members
// name a household CommCare never gets.
const OTIENO = { household_id: 'HH-02', household_name: 'Otieno household of Mathare '.repeat(10), village: 'Mathare' };
const CHEBET = { household_id: 'HH-03', household_name: 'Chebet household', village: 'Kawangware' };
const MEMBER_ROWS = [
	householdsSheetRow(2, 'HM-001', 'Amina Yusuf', 34, YUSUF),
	householdsSheetRow(3, 'HM-002', 'Omar Yusuf', 8, YUSUF),
	householdsSheetRow(4, 'HM-003', 'Joseph Otieno', 51, OTIENO),
	householdsSheetRow(5, 'HM-004', 'Grace Otieno', 45, OTIENO),
	householdsSheetRow(6, 'HM-005', 'Ruth Chebet', 27, CHEBET),
];

/**
 * The Postgres example as users saved it with version 1 of both nodes: Project Space and Case Type as plain
 * strings. Such workflows must keep running unchanged on the new package.
 */
const SAVED_V1_POSTGRES_WORKFLOW = (): WorkflowJson =>
	JSON.parse(
		readFileSync(path.join(__dirname, '..', 'fixtures', 'workflows', 'postgres-to-commcare.saved-v1.json'), 'utf8'),
	) as WorkflowJson;

/** Rows of the Postgres example's query (its SELECT aliases the columns to case property names). */
const DATABASE_ROWS = [
	{
		external_id: 'ANC-0201',
		name: 'Mercy Atieno',
		age: '23',
		village: 'Kibera',
		phone: '+254 700 000 801',
		expected_delivery: '2026-08-01',
		risk_level: 'low',
		owner_id: 'owner-chw-1',
	},
	{
		external_id: 'ANC-0202',
		name: 'Joy Mwangi',
		age: '30',
		village: 'Mathare',
		phone: '+254 700 000 802',
		expected_delivery: '2026-09-12',
		risk_level: 'high',
		owner_id: 'group-district-a',
	},
];

/**
 * The facility sheet of the lookup-table example: 20 facilities, the `facility` table's current rows. Twenty, not ten:
 * the sheet below changes one and removes one, and with Replace CommCare deletes the old version of a changed row,
 * so 2 rows go: 10% of 20 is what the example's safety valve allows (its default), 20% of 10 would be refused.
 */
const FACILITY_SHEET: FacilitySheetRow[] = [
	['F-001', 'Kisumu County Hospital', 'Kisumu', 'hospital', '+254 700 100 001'],
	['F-002', 'Nyalenda Health Centre', 'Kisumu', 'health centre', '+254 700 100 002'],
	['F-003', 'Kenyatta National Hospital', 'Nairobi', 'hospital', '+254 700 100 003'],
	['F-004', 'Mathare North Dispensary', 'Nairobi', 'dispensary', '+254 700 100 004'],
	['F-005', 'Kibera Health Centre', 'Nairobi', 'health centre', '+254 700 100 005'],
	['F-006', 'Kondele Dispensary', 'Kisumu', 'dispensary', '+254 700 100 006'],
	['F-007', 'Coast General Hospital', 'Mombasa', 'hospital', '+254 700 100 007'],
	['F-008', 'Likoni Health Centre', 'Mombasa', 'health centre', '+254 700 100 008'],
	['F-009', 'Bamburi Dispensary', 'Mombasa', 'dispensary', '+254 700 100 009'],
	['F-010', 'Nakuru Level 5 Hospital', 'Nakuru', 'hospital', '+254 700 100 010'],
	['F-011', 'Lanet Health Centre', 'Nakuru', 'health centre', '+254 700 100 011'],
	['F-012', 'Bondeni Dispensary', 'Nakuru', 'dispensary', '+254 700 100 012'],
	['F-013', 'Moi Teaching and Referral Hospital', 'Uasin Gishu', 'hospital', '+254 700 100 013'],
	['F-014', 'Huruma Health Centre', 'Uasin Gishu', 'health centre', '+254 700 100 014'],
	['F-015', 'Langas Dispensary', 'Uasin Gishu', 'dispensary', '+254 700 100 015'],
	['F-016', 'Garissa County Hospital', 'Garissa', 'hospital', '+254 700 100 016'],
	['F-017', 'Iftin Health Centre', 'Garissa', 'health centre', '+254 700 100 017'],
	['F-018', 'Bulla Dispensary', 'Garissa', 'dispensary', '+254 700 100 018'],
	['F-019', 'Kakamega County Hospital', 'Kakamega', 'hospital', '+254 700 100 019'],
	['F-020', 'Shirere Dispensary', 'Kakamega', 'dispensary', '+254 700 100 020'],
].map(([facility_id, name, district, level, phone], index) => ({
	row_number: index + 2,
	facility_id,
	name,
	district,
	level,
	phone,
}));

/** CommCare's `facility` table holding these sheet rows, in order (the example's five fields, global). */
function seedFacilityTable(rows: FacilitySheetRow[]) {
	return emulator.lookupTables.seed(emulator.domain, {
		tag: FACILITY_EXAMPLE.table,
		is_global: true,
		fields: [...FACILITY_EXAMPLE.fields],
		rows: rows.map((row) => ({ fields: facilityFields(row) })),
	});
}

/** The `facility` rows at the emulator, in order: their UID and each field's one value. */
function facilityRows(): Array<{ uid: string; fields: Record<string, string> }> {
	return emulator.lookupTables.rows(emulator.domain, FACILITY_EXAMPLE.table).map((row) => ({
		uid: row.id,
		fields: Object.fromEntries(
			Object.entries(row.fields).map(([name, values]) => [name, values.map((v) => v.value).join(' | ')]),
		),
	}));
}

describe.each(SUPPORTED_N8N_VERSIONS)('n8n %s runs the examples against the emulator', (version) => {
	let n8n: N8nInstance;

	beforeAll(async () => {
		n8n = await prepareInstance(version);
	}, INSTALL_TIMEOUT_MS);

	afterAll(async () => {
		await n8n?.cleanup();
	});

	test('every n8n node of the examples exists here, in its type version, with its parameters and credentials', async () => {
		const catalog = await loadNodeCatalog(n8n.install);
		const baseNodes = exampleFileNames().flatMap((file) => loadExample(file).nodes.filter(isBaseNode));
		expect(new Set(baseNodes.map((node) => node.type)).size).toBeGreaterThanOrEqual(8);
		expect(baseNodes.flatMap((node) => baseNodeProblems(catalog, node))).toEqual([]);
		// The check itself notices a version this n8n lacks and a parameter a node does not have.
		const sheets = baseNodes.find((node) => node.type === 'n8n-nodes-base.googleSheets')!;
		expect(baseNodeProblems(catalog, { ...sheets, typeVersion: 99 })).toEqual([
			`${sheets.name}: n8n-nodes-base.googleSheets version 99 does not exist`,
		]);
		expect(baseNodeProblems(catalog, { ...sheets, parameters: { ...sheets.parameters, sheetTitle: 'x' } })).toEqual([
			`${sheets.name}: parameter "sheetTitle" is not defined by n8n-nodes-base.googleSheets v${sheets.typeVersion}`,
		]);
	});

	test(
		'spreadsheet file: every row imported, the upload on Success, the cases at CommCare',
		async () => {
			const result = await run(n8n, 'file, all rows good', fileExample('patients.xlsx'));

			expect(result.error).toBeUndefined();
			await expectSuccessfulFileImport(result);
		},
		RUN_TIMEOUT_MS,
	);

	test(
		"Google Sheets rows, per record: invalid owners on Warning with CommCare's reason, a blank row on Warning as skipped, the rest on Success, each result written back to its own sheet row",
		async () => {
			emulator.cases.add(emulator.domain, {
				case_type: 'patient',
				external_id: 'ANC-0103',
				name: 'Agnes Wambui',
				owner_id: 'owner-chw-2',
				properties: { village: 'Kangemi' },
			});
			const workflow = sheetsExampleWithRecords(SHEET_ROWS, GOOD_CREDENTIAL, emulator.domain, { pollInterval: 0.2 });

			const result = await run(n8n, 'Google Sheets, invalid owners', workflow);

			expect(result.error).toBeUndefined();
			// CommCare Bulk Import: one item per record, on its own spreadsheet row of one upload.
			const [records] = result.outputs(SHEETS_EXAMPLE.bulkImport);
			const statusUrl = records[0].json.status_url;
			expect(records.map((item) => [item.json.row, item.json.status_url, item.json.record])).toEqual(
				SHEET_ROWS.map((row, index) => [index + 2, statusUrl, withoutSheetColumns(row)]),
			);
			expect(pairedOf(records)).toEqual(SHEET_ROWS.map((_row, item) => ({ item })));

			const [success, warning, error, notFinished] = result.outputs(SHEETS_EXAMPLE.status);
			// The example's Import Status is at version 1.2: the simplified outcome in reading order, one `outcome` per
			// item. Each imported row comes back with the case ID the emulator's store holds, created or updated.
			const caseIdOf = (externalId: string) =>
				emulator.cases.all(emulator.domain).find((c) => c.external_id === externalId)!.case_id;
			expect(jsonOf(success)).toEqual(
				(
					[
						[0, 'created'],
						[2, 'updated'],
					] as const
				).map(([index, action]) => {
					const caseId = caseIdOf(SHEET_ROWS[index].external_id);
					return {
						outcome: 'success',
						reason: 'imported',
						summary: `Sheet row ${index + 2} imported: patient case ${caseId} ${action}`,
						description: null,
						case_id: caseId,
						row: index + 2,
						errors: [],
						warnings: [],
						record: withoutSheetColumns(SHEET_ROWS[index]),
						status_url: statusUrl,
					};
				}),
			);
			// Per the node's rule, a row CommCare lists in its errors is a Warning (reason rowErrors): the import went
			// through, the row is one to fix and send again. Warning items come in input order, the blank row last.
			const refused = (index: number) => ({
				outcome: 'warning',
				reason: 'rowErrors',
				summary: `Sheet row ${index + 2} not imported: Invalid Owner (owner_id)`,
				description: 'Fix the record as errors say and send it again.',
				case_id: null,
				row: index + 2,
				errors: [{ ...ERROR_TEXT.invalidOwner, column: 'owner_id' }],
				warnings: [],
				record: withoutSheetColumns(SHEET_ROWS[index]),
				status_url: statusUrl,
			});
			expect(jsonOf(warning)).toEqual([
				refused(1),
				refused(3),
				expect.objectContaining({
					outcome: 'warning',
					reason: 'skippedRows',
					summary: 'Sheet row 6 skipped: blank row',
					description:
						'CommCare skips a blank row (every mapped cell empty) without an error: fill in the record, or leave it out.',
					case_id: null,
					row: 6,
					errors: [],
					record: withoutSheetColumns(SHEET_ROWS[4]),
					status_url: statusUrl,
				}),
			]);
			// The checks' warning about the blank row travels with its record.
			expect(JSON.stringify(jsonOf(warning)[2].warnings)).toContain('blankRows');
			// Error is for an import that failed or could not be checked, Not Finished for one still running: none here.
			expect([error, notFinished]).toEqual([[], []]);
			// Every result item stays linked to the sheet row (input item) it came from.
			expect(pairedOf(success)).toEqual([{ item: 0 }, { item: 2 }]);
			expect(pairedOf(warning)).toEqual([{ item: 1 }, { item: 3 }, { item: 4 }]);

			// The example's write-backs reach back through both CommCare nodes to the sheet's row_number.
			expect(jsonOf(result.outputs(SHEETS_EXAMPLE.onSuccess)[0])).toEqual([
				{ row_number: '10', import_status: 'imported', import_error: '', case_id: caseIdOf('ANC-0101') },
				{ row_number: '12', import_status: 'imported', import_error: '', case_id: caseIdOf('ANC-0103') },
			]);
			// Refused rows get CommCare's reason to fix; the blank row gets the summary to check.
			const invalidOwner = `Invalid Owner (column owner_id): ${ERROR_TEXT.invalidOwner.description}`;
			expect(jsonOf(result.outputs(SHEETS_EXAMPLE.onWarning)[0])).toEqual([
				{ row_number: '11', import_status: 'not imported', import_error: invalidOwner, case_id: '' },
				{ row_number: '13', import_status: 'not imported', import_error: invalidOwner, case_id: '' },
				{ row_number: '14', import_status: 'check', import_error: jsonOf(warning)[2].summary, case_id: '' },
			]);
			// No alert: the import itself went through.
			expect(result.runData[SHEETS_EXAMPLE.onError]).toBeUndefined();
			expect(result.runData[SHEETS_EXAMPLE.alert]).toBeUndefined();

			// At CommCare: one upload; the good rows created or updated, without the sheet's own columns.
			expect(emulator.uploads.map((upload) => upload.status)).toEqual([200]);
			expect(casesOfType('patient')).toEqual([
				{
					external_id: 'ANC-0103',
					name: 'Agnes Wambui',
					owner_id: 'owner-chw-2',
					properties: { village: 'Kawangware' },
				},
				{ external_id: 'ANC-0101', name: 'Halima Omar', owner_id: 'owner-chw-1', properties: { village: 'Kibera' } },
			]);
		},
		RUN_TIMEOUT_MS,
	);

	test(
		'Google Sheets rows, Check Only: each row previewed on Warning (checkOnly), nothing sent, nothing marked imported, no alert',
		async () => {
			const workflow = sheetsExampleWithRecords(SHEET_ROWS, GOOD_CREDENTIAL, emulator.domain, { pollInterval: 0.2 });
			const options = findNode(workflow, SHEETS_EXAMPLE.bulkImport).parameters.options as Record<string, unknown>;
			setParameters(workflow, SHEETS_EXAMPLE.bulkImport, { options: { ...options, dryRun: true } });

			const result = await run(n8n, 'Google Sheets, check only', workflow);

			expect(result.error).toBeUndefined();
			// Bulk Import: one preview per record (version 1.3 outputs per record), each on its own sheet row.
			const [previews] = result.outputs(SHEETS_EXAMPLE.bulkImport);
			expect(previews.map((item) => [item.json.dryRun, item.json.row, item.json.record])).toEqual(
				SHEET_ROWS.map((row, index) => [true, index + 2, withoutSheetColumns(row)]),
			);
			expect(pairedOf(previews)).toEqual(SHEET_ROWS.map((_row, item) => ({ item })));
			// Import Status: a preview is for a person to read, never a failure and never "imported".
			const [success, warning, error, notFinished] = result.outputs(SHEETS_EXAMPLE.status);
			expect([success, error, notFinished]).toEqual([[], [], []]);
			expect(jsonOf(warning)).toEqual(
				SHEET_ROWS.map((row, index) =>
					expect.objectContaining({
						outcome: 'warning',
						reason: 'checkOnly',
						summary: expect.stringMatching(/^Check only, nothing uploaded/),
						row: index + 2,
						record: withoutSheetColumns(row),
					}),
				),
			);
			// The blank sheet row is named by the checks as CommCare would skip it.
			expect(JSON.stringify(jsonOf(warning)[4])).toContain('blankRows');
			expect(pairedOf(warning)).toEqual(SHEET_ROWS.map((_row, item) => ({ item })));
			// The sheet says "check" with the preview; no row is marked imported, and the team is not alerted.
			expect(jsonOf(result.outputs(SHEETS_EXAMPLE.onWarning)[0])).toEqual(
				jsonOf(warning).map((json, index) => ({
					row_number: String(SHEET_ROWS[index].row_number),
					import_status: 'check',
					import_error: json.summary,
					case_id: '',
				})),
			);
			expect(result.runData[SHEETS_EXAMPLE.onSuccess]).toBeUndefined();
			expect(result.runData[SHEETS_EXAMPLE.alert]).toBeUndefined();
			// Nothing reached CommCare: no upload, no status request.
			expect(emulator.uploads).toEqual([]);
			expect(statusPolls()).toBe(0);
		},
		RUN_TIMEOUT_MS,
	);

	test(
		'Google Sheets rows, the whole import fails: every row on Error, the failure written to each row, one Slack alert',
		async () => {
			// A column named "type" that nobody noticed, with the checks before upload switched off: CommCare accepts the
			// upload and then fails the whole import (docs/commcare-api.md §5, §6.5).
			const rows = SHEET_ROWS.slice(0, 2).map((row) => ({ ...row, type: 'anc' }));
			const workflow = sheetsExampleWithRecords(rows, GOOD_CREDENTIAL, emulator.domain, { pollInterval: 0.2 });
			const options = findNode(workflow, SHEETS_EXAMPLE.bulkImport).parameters.options as Record<string, unknown>;
			setParameters(workflow, SHEETS_EXAMPLE.bulkImport, { options: { ...options, skipChecks: true } });

			const result = await run(n8n, 'Google Sheets, import fails', workflow);

			expect(result.error).toBeUndefined();
			const [success, warning, error, notFinished] = result.outputs(SHEETS_EXAMPLE.status);
			expect([success, warning, notFinished]).toEqual([[], [], []]);
			const statusUrl = error[0].json.status_url;
			const reserved = 'Error: Field name "type" is reserved';
			expect(jsonOf(error)).toEqual(
				rows.map((row, index) => ({
					outcome: 'error',
					reason: 'failed',
					summary: `Sheet row ${index + 2} may not have been imported: the import of patient cases failed`,
					description:
						'CommCare may have applied some rows before it failed: check the patient cases in CommCare (or Data → Import Cases from Excel in CommCare HQ) before sending the rows again.',
					case_id: null,
					row: index + 2,
					errors: [{ title: null, description: reserved, column: null }],
					warnings: [],
					record: withoutSheetColumns(row),
					status_url: statusUrl,
				})),
			);
			expect(pairedOf(error)).toEqual([{ item: 0 }, { item: 1 }]);

			// Each row gets the import's failure and CommCare's reason; the team gets one message for the whole import.
			expect(jsonOf(result.outputs(SHEETS_EXAMPLE.onError)[0])).toEqual([
				{
					row_number: '10',
					import_status: 'import failed',
					import_error: `Sheet row 2 may not have been imported: the import of patient cases failed (${reserved})`,
				},
				{
					row_number: '11',
					import_status: 'import failed',
					import_error: `Sheet row 3 may not have been imported: the import of patient cases failed (${reserved})`,
				},
			]);
			expect(jsonOf(result.outputs(SHEETS_EXAMPLE.alert)[0])).toEqual([
				{
					text: `CommCare import failed or could not be checked: 2 row(s) without a result.\n• Error: Field name "type" is reserved (status URL: ${statusUrl})`,
				},
			]);
			expect(result.runData[SHEETS_EXAMPLE.onSuccess]).toBeUndefined();
			expect(result.runData[SHEETS_EXAMPLE.onWarning]).toBeUndefined();
			expect(result.runData[SHEETS_EXAMPLE.onNotFinished]).toBeUndefined();
			expect(emulator.uploads.map((upload) => upload.status)).toEqual([200]);
			expect(emulator.cases.all()).toEqual([]);
		},
		RUN_TIMEOUT_MS,
	);

	test(
		"households and their members: a household CommCare refuses on Warning, its members on Error as notSent and never sent; every other member on Success with its own case ID and its household's",
		async () => {
			const workflow = householdsExampleWithRecords(MEMBER_ROWS, GOOD_CREDENTIAL, emulator.domain, {
				pollInterval: 0.2,
			});
			expect(workflow.settings).toEqual(expect.objectContaining({ executionOrder: 'v1' }));

			const result = await run(n8n, 'households and members', workflow);

			expect(result.error).toBeUndefined();
			const stored = (externalId: string) =>
				emulator.cases.all(emulator.domain).find((c) => c.external_id === externalId);
			const caseIdOf = (externalId: string) => stored(externalId)!.case_id;

			// Upper branch: one record per household, in sheet order; the refused one on Warning with CommCare's reason.
			expect(jsonOf(result.outputs(HOUSEHOLDS_EXAMPLE.households)[0])).toEqual(
				[YUSUF, OTIENO, CHEBET].map(({ household_id, household_name, village }) => ({
					external_id: household_id,
					name: household_name,
					village,
				})),
			);
			const [households, householdProblems, householdErrors, householdsNotFinished] = result.outputs(
				HOUSEHOLDS_EXAMPLE.householdsStatus,
			);
			expect([householdErrors, householdsNotFinished]).toEqual([[], []]);
			expect(jsonOf(households)).toEqual(
				['HH-01', 'HH-03'].map((externalId) =>
					expect.objectContaining({
						outcome: 'success',
						reason: 'imported',
						case_id: caseIdOf(externalId),
						record: expect.objectContaining({ external_id: externalId }),
					}),
				),
			);
			expect(jsonOf(householdProblems)).toEqual([
				expect.objectContaining({
					outcome: 'warning',
					reason: 'rowErrors',
					case_id: null,
					errors: [{ ...ERROR_TEXT.nameTooLong, column: 'name' }],
					record: expect.objectContaining({ external_id: 'HH-02' }),
				}),
			]);
			// Each household's result goes to its first member's row, reached back through Remove Duplicates.
			expect(jsonOf(result.outputs(HOUSEHOLDS_EXAMPLE.onHouseholdSuccess)[0])).toEqual([
				{ row_number: '2', household_status: 'imported', household_error: '', household_case_id: caseIdOf('HH-01') },
				{ row_number: '6', household_status: 'imported', household_error: '', household_case_id: caseIdOf('HH-03') },
			]);
			expect(jsonOf(result.outputs(HOUSEHOLDS_EXAMPLE.onHouseholdWarning)[0])).toEqual([
				{
					row_number: '4',
					household_status: 'not imported',
					household_error: `Name Too Long (column name): ${ERROR_TEXT.nameTooLong.description}`,
					household_case_id: '',
				},
			]);
			expect(stored('HH-02')).toBeUndefined();

			// Lower branch, run after the upper one: the members of the refused household are not sent (notSent).
			const [members, memberProblems, memberErrors, membersNotFinished] = result.outputs(
				HOUSEHOLDS_EXAMPLE.membersStatus,
			);
			expect([memberProblems, membersNotFinished]).toEqual([[], []]);
			const imported = [0, 1, 4].map((index) => MEMBER_ROWS[index]);
			expect(jsonOf(members)).toEqual(
				imported.map((row) =>
					expect.objectContaining({
						outcome: 'success',
						reason: 'imported',
						case_id: caseIdOf(row.member_id),
						parent_case_id: caseIdOf(row.household_id),
						record: {
							external_id: row.member_id,
							name: row.name,
							age: String(row.age),
							parent_external_id: row.household_id,
							parent_type: 'household',
						},
					}),
				),
			);
			expect(jsonOf(memberErrors)).toEqual(
				[2, 3].map((index) =>
					expect.objectContaining({
						outcome: 'error',
						reason: 'notSent',
						summary: expect.stringMatching(
							new RegExp(`^Not sent: parent not found for item ${index + 1}: no case has external ID 'HH-02'`),
						),
						errors: [expect.objectContaining({ code: 'parentNotFound' })],
						record: expect.objectContaining({ external_id: MEMBER_ROWS[index].member_id }),
						status_url: null,
					}),
				),
			);
			// Each of Bulk Import's items, sent or not, stays paired with its member's row, so the write-backs below reach
			// back to the right sheet row through both CommCare nodes.
			const [memberItems] = result.outputs(HOUSEHOLDS_EXAMPLE.importMembers);
			expect(memberItems.map((item) => (item.json.record as { external_id: string }).external_id).sort()).toEqual(
				MEMBER_ROWS.map((row) => row.member_id),
			);
			for (const item of memberItems) {
				const row = MEMBER_ROWS[(item.pairedItem as { item: number }).item];
				expect((item.json.record as { external_id: string }).external_id).toBe(row.member_id);
			}
			// The member rows get their own case ID and their household's, or why they were not sent.
			expect(jsonOf(result.outputs(HOUSEHOLDS_EXAMPLE.onMemberSuccess)[0])).toEqual(
				imported.map((row) => ({
					row_number: String(row.row_number),
					import_status: 'imported',
					import_error: '',
					case_id: caseIdOf(row.member_id),
					household_case_id: caseIdOf(row.household_id),
				})),
			);
			expect(jsonOf(result.outputs(HOUSEHOLDS_EXAMPLE.onMemberError)[0])).toEqual(
				jsonOf(memberErrors).map((json, index) => ({
					row_number: String(MEMBER_ROWS[index + 2].row_number),
					import_status: 'not sent',
					import_error: json.summary,
				})),
			);
			for (const name of [
				HOUSEHOLDS_EXAMPLE.onHouseholdError,
				HOUSEHOLDS_EXAMPLE.onHouseholdNotFinished,
				HOUSEHOLDS_EXAMPLE.onMemberWarning,
				HOUSEHOLDS_EXAMPLE.onMemberNotFinished,
			]) {
				expect(result.runData[name]).toBeUndefined();
			}

			// At CommCare: two uploads (households, then members); the members of HH-02 never arrived; every other
			// member is a child of its household.
			expect(emulator.uploads.map((upload) => upload.status)).toEqual([200, 200]);
			expect(
				emulator.cases.byType(emulator.domain, 'member').map((c) => [c.external_id, c.indices.parent?.case_id]),
			).toEqual(imported.map((row) => [row.member_id, caseIdOf(row.household_id)]));
			expect(emulator.cases.byType(emulator.domain, 'household').map((c) => c.external_id)).toEqual(['HH-01', 'HH-03']);
		},
		RUN_TIMEOUT_MS,
	);

	test(
		'facility list to lookup table: the dry run on Success, the upload replaces the table with the sheet exactly, on Success; the team is told the counts',
		async () => {
			seedFacilityTable(FACILITY_SHEET);
			const before = facilityRows();
			// The sheet now: F-005's phone changed, F-020 closed, F-021 opened. CommCare matches rows by content AND
			// position, so the closed facility is the last row and the new one takes its place: a row removed higher up
			// would shift every row below it, and CommCare would delete and re-create them all.
			const changed = { ...FACILITY_SHEET[4], phone: '+254 711 200 005' };
			const opened = {
				row_number: 21,
				facility_id: 'F-021',
				name: 'Lurambi Health Centre',
				district: 'Kakamega',
				level: 'health centre',
				phone: '+254 700 100 021',
			};
			const sheet = [...FACILITY_SHEET.slice(0, 4), changed, ...FACILITY_SHEET.slice(5, 19), opened];
			const workflow = facilityExampleWithRecords(sheet, GOOD_CREDENTIAL, emulator.domain);

			const result = await run(n8n, 'facility list, clean dry run', workflow);

			expect(result.error).toBeUndefined();
			// The dry run: what would go is the changed row's old version and the closed facility, with their UIDs.
			const changes = {
				table: FACILITY_EXAMPLE.table,
				exists: true,
				replace: true,
				tableDeleted: false,
				rebuild: false,
				rebuildReasons: [],
				rowsSent: 20,
				deletedRows: [before[4], before[19]],
				deletedRowsListed: 2,
				rowsNow: 20,
				added: 2,
				updated: 0,
				unchanged: 18,
				deleted: 2,
				rowsAfter: 20,
				note: expect.stringContaining('does not show which fields are indexed'),
			};
			expect(before[4].fields).toEqual(facilityFields(FACILITY_SHEET[4]));
			expect(before[19].fields).toEqual(facilityFields(FACILITY_SHEET[19]));
			const [dryRun, dryRunWarning, dryRunError] = result.outputs(FACILITY_EXAMPLE.dryRun);
			expect([dryRunWarning, dryRunError]).toEqual([[], []]);
			expect(jsonOf(dryRun)).toEqual([
				{
					outcome: 'success',
					reason: 'dryRun',
					message: 'Dry run: nothing was sent. It would change facility: 2 rows added, 2 deleted.',
					projectSpace: emulator.domain,
					tables: [FACILITY_EXAMPLE.table],
					replace: true,
					dryRun: true,
					rowsSent: 20,
					changes: [changes],
					rowsAfter: null,
					commcare: null,
					warnings: [],
					errors: [],
					fileName: 'lookup-table.xlsx',
				},
			]);
			// One item for the whole table, paired with every sheet row.
			expect(pairedOf(dryRun)).toEqual([sheet.map((_row, item) => ({ item }))]);

			// Only the clean dry run's Success goes on: "Facilities again" hands the sheet's rows to the upload.
			expect(jsonOf(result.outputs(FACILITY_EXAMPLE.again)[0])).toEqual(sheet);
			// Success, not Warning: no value to trim, no owners, and the rows read back are the 20 the upload should leave.
			const [uploaded, uploadWarning, uploadError] = result.outputs(FACILITY_EXAMPLE.upload);
			expect([uploadWarning, uploadError]).toEqual([[], []]);
			expect(jsonOf(uploaded)).toEqual([
				{
					outcome: 'success',
					reason: 'uploaded',
					message: 'Uploaded facility',
					projectSpace: emulator.domain,
					tables: [FACILITY_EXAMPLE.table],
					replace: true,
					dryRun: false,
					rowsSent: 20,
					changes: [changes],
					rowsAfter: { [FACILITY_EXAMPLE.table]: 20 },
					commcare: {
						processing: 'sync',
						code: 200,
						message: 'Successfully uploaded 1 tables.',
						statusUrl: null,
						downloadId: null,
					},
					warnings: [],
					errors: [],
					fileName: 'lookup-table.xlsx',
				},
			]);
			expect(jsonOf(result.outputs(FACILITY_EXAMPLE.onSuccess)[0])).toEqual([
				{ text: 'Facility table updated in CommCare: facility: 2 added, 2 deleted, 20 rows now' },
			]);
			for (const name of [FACILITY_EXAMPLE.onWarning, FACILITY_EXAMPLE.onError, FACILITY_EXAMPLE.onDryRunProblem]) {
				expect(result.runData[name]).toBeUndefined();
			}

			// At CommCare: one upload (the dry run sent nothing), with Replace; the table is the sheet, values and order
			// (row_number, the sheet's own column, is not a field); the 18 untouched rows keep their UIDs.
			expect(emulator.lookupTableUploads.map((upload) => [upload.fields.replace, upload.status])).toEqual([
				['true', 200],
			]);
			const after = facilityRows();
			expect(after.map((row) => row.fields)).toEqual(sheet.map(facilityFields));
			const kept = (rows: typeof before) => rows.filter((_row, index) => index !== 4 && index !== 19);
			expect(kept(after).map((row) => row.uid)).toEqual(kept(before).map((row) => row.uid));
			expect(before.map((row) => row.uid)).not.toContain(after[4].uid);
			expect(before.map((row) => row.uid)).not.toContain(after[19].uid);
		},
		RUN_TIMEOUT_MS,
	);

	test(
		'facility list to lookup table, a half-empty sheet: the dry run ends on Error (wouldBeRefused), the team is told why, nothing is uploaded',
		async () => {
			seedFacilityTable(FACILITY_SHEET);
			const before = facilityRows();
			// The sheet came back with its first half only: Replace would delete the other 10 of the 20 rows (50%).
			const sheet = FACILITY_SHEET.slice(0, 10);
			const workflow = facilityExampleWithRecords(sheet, GOOD_CREDENTIAL, emulator.domain);

			const result = await run(n8n, 'facility list, half-empty sheet', workflow);

			// A dry run the valve would stop is routed, not thrown: the workflow goes on to tell the team.
			expect(result.error).toBeUndefined();
			const valve =
				"The upload would delete 10 of the 20 rows of lookup table 'facility' (50%), more than the 10% that " +
				'"Max Share of Rows to Delete (%)" allows; nothing was uploaded. Replace deletes the rows of lookup table ' +
				"'facility' that the upload does not reproduce (a row whose values changed is deleted and added anew).";
			const [dryRunSuccess, dryRunWarning, dryRunError] = result.outputs(FACILITY_EXAMPLE.dryRun);
			expect([dryRunSuccess, dryRunWarning]).toEqual([[], []]);
			expect(jsonOf(dryRunError)).toEqual([
				{
					outcome: 'error',
					reason: 'wouldBeRefused',
					message: expect.stringMatching(/^Dry run: the upload would be refused: The upload would delete 10 of/),
					projectSpace: emulator.domain,
					tables: [FACILITY_EXAMPLE.table],
					replace: true,
					dryRun: true,
					rowsSent: 10,
					changes: [
						{
							table: FACILITY_EXAMPLE.table,
							exists: true,
							replace: true,
							tableDeleted: false,
							rebuild: false,
							rebuildReasons: [],
							rowsSent: 10,
							deletedRows: before.slice(10),
							deletedRowsListed: 10,
							rowsNow: 20,
							added: 0,
							updated: 0,
							unchanged: 10,
							deleted: 10,
							rowsAfter: 10,
							note: expect.stringContaining('does not show which fields are indexed'),
						},
					],
					rowsAfter: null,
					commcare: null,
					warnings: [],
					errors: [
						{
							code: 'tooManyDeletions',
							message: valve,
							description: expect.stringMatching(/^Check the source first: a half-empty sheet/),
						},
					],
					fileName: 'lookup-table.xlsx',
				},
			]);
			const { message } = dryRunError[0].json as { message: string };
			// The valve's message once, then the counts; one full stop between them.
			expect(message).toBe(
				`Dry run: the upload would be refused: ${valve} It would change facility: 0 rows added, 10 deleted.`,
			);
			expect(jsonOf(result.outputs(FACILITY_EXAMPLE.onDryRunProblem)[0])).toEqual([
				{ text: `Facility table NOT updated. ${message}` },
			]);
			// The upload never ran, nor anything after it.
			for (const name of [
				FACILITY_EXAMPLE.again,
				FACILITY_EXAMPLE.upload,
				FACILITY_EXAMPLE.onSuccess,
				FACILITY_EXAMPLE.onWarning,
				FACILITY_EXAMPLE.onError,
			]) {
				expect(result.runData[name]).toBeUndefined();
			}
			// At CommCare: only reads, no upload; the table as it was, UIDs included.
			expect(emulator.lookupTableUploads).toEqual([]);
			expect(emulator.requests.filter((request) => request.method !== 'GET')).toEqual([]);
			expect(facilityRows()).toEqual(before);
		},
		RUN_TIMEOUT_MS,
	);

	test.each([
		['the example (Bulk Import 1.3, Import Status 1.2: the simplified outcome)', 1.3],
		['the same workflow as saved with version 1 of both nodes, run unchanged (the full outcome)', 1],
	])(
		"Postgres rows, per record, %s: all imported, every record on Success, the SQL update gets each row's id",
		async (_label, bulkImportVersion) => {
			const saved = bulkImportVersion === 1 ? SAVED_V1_POSTGRES_WORKFLOW() : loadExample(POSTGRES_EXAMPLE.file);
			const workflow = useCommCareCredential(saved, GOOD_CREDENTIAL);
			expect(findNode(workflow, POSTGRES_EXAMPLE.bulkImport).typeVersion).toBe(bulkImportVersion);
			replaceNode(workflow, POSTGRES_EXAMPLE.read, codeNodeReturning(DATABASE_ROWS));
			localizeOutsideServices(workflow);
			setParameters(workflow, POSTGRES_EXAMPLE.bulkImport, {
				projectSpace: bulkImportVersion === 1 ? emulator.domain : byName(emulator.domain),
				caseType: bulkImportVersion === 1 ? 'patient' : byName('patient'),
			});
			setParameters(workflow, POSTGRES_EXAMPLE.status, { pollInterval: 0.1 });

			const result = await run(n8n, `Postgres, all good, Bulk Import v${bulkImportVersion}`, workflow);

			expect(result.error).toBeUndefined();
			const outputs = result.outputs(POSTGRES_EXAMPLE.status);
			// Version 1 has three outputs; the example's Import Status (1.2) a fourth, Not Finished.
			expect(outputs).toHaveLength(bulkImportVersion === 1 ? 3 : 4);
			const [success, ...others] = outputs;
			expect(others).toEqual(others.map(() => []));
			expect(jsonOf(success)).toEqual(
				DATABASE_ROWS.map((row, index) =>
					expect.objectContaining({ outcome: 'success', reason: 'imported', row: index + 2, record: row, errors: [] }),
				),
			);
			// Version 1 keeps the full outcome its saved expressions may read; a new node gives only what a person reads.
			for (const item of jsonOf(success)) {
				if (bulkImportVersion === 1) {
					expect(item).toMatchObject({
						import: expect.objectContaining({ outcome: 'success', state: 2, timedOut: false }),
						case: expect.objectContaining({ case_type: 'patient' }),
						caseLookup: expect.objectContaining({ result: 'found', action: 'created' }),
					});
				} else {
					expect(Object.keys(item)).toEqual([
						'outcome',
						'reason',
						'summary',
						'description',
						'case_id',
						'row',
						'errors',
						'warnings',
						'record',
						'status_url',
					]);
				}
			}
			expect(pairedOf(success)).toEqual([{ item: 0 }, { item: 1 }]);
			// The query parameters, as the Set node standing in for Postgres writes an array: JSON text.
			// Save imported gets each row's programme id and the CommCare case ID it now has.
			expect(jsonOf(result.outputs(POSTGRES_EXAMPLE.onSuccess)[0])).toEqual(
				['ANC-0201', 'ANC-0202'].map((externalId) => ({
					'options.queryReplacement': JSON.stringify([externalId, caseIdByExternalId(externalId)]),
				})),
			);
			expect(result.runData[POSTGRES_EXAMPLE.onWarning]).toBeUndefined();
			expect(result.runData[POSTGRES_EXAMPLE.onError]).toBeUndefined();
			expect(result.runData[POSTGRES_EXAMPLE.alert]).toBeUndefined();
			expect(casesOfType('patient')).toEqual(
				DATABASE_ROWS.map(({ external_id, name, owner_id, ...properties }) => ({
					external_id,
					name,
					owner_id,
					properties,
				})),
			);
		},
		RUN_TIMEOUT_MS,
	);

	test(
		'Postgres rows, per record: a row CommCare refuses goes to Warning and Save warning stores its reason; no email',
		async () => {
			const refusedRow = {
				...DATABASE_ROWS[1],
				external_id: 'ANC-0203',
				name: 'Faith Njoki',
				owner_id: 'chw-left-in-2024',
			};
			const rows = [...DATABASE_ROWS, refusedRow];
			const workflow = useCommCareCredential(loadExample(POSTGRES_EXAMPLE.file), GOOD_CREDENTIAL);
			replaceNode(workflow, POSTGRES_EXAMPLE.read, codeNodeReturning(rows));
			localizeOutsideServices(workflow);
			setParameters(workflow, POSTGRES_EXAMPLE.bulkImport, {
				projectSpace: byName(emulator.domain),
				caseType: byName('patient'),
			});
			setParameters(workflow, POSTGRES_EXAMPLE.status, { pollInterval: 0.1 });

			const result = await run(n8n, 'Postgres, a refused row', workflow);

			expect(result.error).toBeUndefined();
			const [success, warning, error, notFinished] = result.outputs(POSTGRES_EXAMPLE.status);
			expect([error, notFinished]).toEqual([[], []]);
			expect(jsonOf(success)).toEqual(
				DATABASE_ROWS.map((row, index) =>
					expect.objectContaining({ outcome: 'success', reason: 'imported', row: index + 2, record: row, errors: [] }),
				),
			);
			expect(jsonOf(warning)).toEqual([
				expect.objectContaining({
					outcome: 'warning',
					reason: 'rowErrors',
					summary: 'Sheet row 4 not imported: Invalid Owner (owner_id)',
					description: 'Fix the record as errors say and send it again.',
					row: 4,
					record: refusedRow,
					errors: [{ ...ERROR_TEXT.invalidOwner, column: 'owner_id' }],
				}),
			]);
			expect(pairedOf(warning)).toEqual([{ item: 2 }]);
			// The SQL updates' parameters, as JSON text: the refused row gets CommCare's reason, the others their id.
			expect(jsonOf(result.outputs(POSTGRES_EXAMPLE.onWarning)[0])).toEqual([
				{
					'options.queryReplacement': JSON.stringify([
						`Invalid Owner (column owner_id): ${ERROR_TEXT.invalidOwner.description}`,
						'ANC-0203',
						null,
					]),
				},
			]);
			// Save imported gets each row's programme id and the CommCare case ID it now has.
			expect(jsonOf(result.outputs(POSTGRES_EXAMPLE.onSuccess)[0])).toEqual(
				['ANC-0201', 'ANC-0202'].map((externalId) => ({
					'options.queryReplacement': JSON.stringify([externalId, caseIdByExternalId(externalId)]),
				})),
			);
			expect(result.runData[POSTGRES_EXAMPLE.onError]).toBeUndefined();
			expect(result.runData[POSTGRES_EXAMPLE.alert]).toBeUndefined();
			expect(casesOfType('patient')).toEqual(
				DATABASE_ROWS.map(({ external_id, name, owner_id, ...properties }) => ({
					external_id,
					name,
					owner_id,
					properties,
				})),
			);
		},
		RUN_TIMEOUT_MS,
	);

	test(
		'long queue: Check import looks once per round, Not Finished goes round the Wait loop until Success; the rows are sent once',
		async () => {
			const workflow = useCommCareCredential(loadExample(LONG_QUEUE_EXAMPLE.file), GOOD_CREDENTIAL);
			setParameters(workflow, LONG_QUEUE_EXAMPLE.read, { fileSelector: path.join(filesDir, 'patients.xlsx') });
			setParameters(workflow, LONG_QUEUE_EXAMPLE.bulkImport, {
				projectSpace: byName(emulator.domain),
				caseType: byName('patient'),
			});
			// Waits under 65 s stay in the process (n8n's Wait node), so the loop runs under `n8n execute`.
			setParameters(workflow, LONG_QUEUE_EXAMPLE.wait, { amount: 0.5, unit: 'seconds' });
			// Queued for 3 looks, running for 1, finished at the 5th.
			emulator.setTimeline({ queuedPolls: 3, runningPolls: 1 });
			let result: RunResult;
			try {
				result = await run(n8n, 'long queue loop', workflow);
			} finally {
				emulator.setTimeline(DEFAULT_TIMELINE);
			}

			expect(result.error).toBeUndefined();
			const rounds = result.runData[LONG_QUEUE_EXAMPLE.status];
			expect(rounds).toHaveLength(5);
			const [uploaded] = result.outputs(LONG_QUEUE_EXAMPLE.bulkImport);
			for (let round = 0; round < 4; round++) {
				const [success, warning, error, notFinished] = result.outputs(LONG_QUEUE_EXAMPLE.status, round);
				// Not finished is not a failure: nothing on Error, ever.
				expect([success, warning, error]).toEqual([[], [], []]);
				expect(jsonOf(notFinished)).toEqual([
					expect.objectContaining({
						outcome: 'notFinished',
						reason: 'notFinished',
						summary: expect.stringMatching(round < 3 ? /^Not finished yet.*queued/i : /^Not finished yet.*running/i),
						status_url: uploaded[0].json.status_url,
						errors: [],
					}),
				]);
				const [again, givenUp] = result.outputs(LONG_QUEUE_EXAMPLE.roundsLeft, round);
				expect([again.length, givenUp.length]).toEqual([1, 0]);
			}
			const [success, warning, error, notFinished] = result.outputs(LONG_QUEUE_EXAMPLE.status, 4);
			expect([warning, error, notFinished]).toEqual([[], [], []]);
			expect(jsonOf(success)).toEqual([
				expect.objectContaining({
					outcome: 'success',
					summary: expect.stringMatching(/3 patient cases created/),
					status_url: uploaded[0].json.status_url,
					upload: uploaded[0].json,
				}),
			]);
			expect(result.runData[LONG_QUEUE_EXAMPLE.wait]).toHaveLength(4);
			expect(jsonOf(result.outputs(LONG_QUEUE_EXAMPLE.onSuccess)[0])).toEqual(jsonOf(success));
			expect(result.runData[LONG_QUEUE_EXAMPLE.onError]).toBeUndefined();
			expect(result.runData[LONG_QUEUE_EXAMPLE.onWarning]).toBeUndefined();
			expect(result.runData[LONG_QUEUE_EXAMPLE.givenUp]).toBeUndefined();
			expect(emulator.uploads.map((upload) => upload.status)).toEqual([200]);
			expect(statusPolls()).toBe(5);
			expect(casesOfType('patient')).toHaveLength(3);
		},
		RUN_TIMEOUT_MS,
	);

	test(
		'spreadsheet file with a reserved column: the checks stop it at CommCare Bulk Import, naming the column; nothing is sent',
		async () => {
			const result = await run(n8n, 'file, reserved column', fileExample('reserved-column.xlsx'));

			expect(result.exitCode).not.toBe(0);
			expect(result.error?.node?.name).toBe(FILE_EXAMPLE.bulkImport);
			// One short line naming the file (items counted from 1, as the editor shows them), what to do below it.
			expect(result.error?.message).toBe(`'reserved-column.xlsx' (item 1) not uploaded: Column 'type' is reserved`);
			expect(result.error?.description).toContain('Rename or remove the column');
			expect(emulator.requests).toEqual([]);
		},
		RUN_TIMEOUT_MS,
	);

	test(
		'spreadsheet file with a reserved column, checks skipped: CommCare fails the whole import, the upload goes to Error',
		async () => {
			const result = await run(
				n8n,
				'file, reserved column, no checks',
				fileExample('reserved-column.xlsx', { skipChecks: true }),
			);

			expect(result.error).toBeUndefined();
			const [success, warning, error, notFinished] = result.outputs(FILE_EXAMPLE.status);
			expect([success, warning, notFinished]).toEqual([[], [], []]);
			const mayHaveApplied =
				'CommCare may have applied some rows before it failed: check the patient cases in CommCare (or Data → Import Cases from Excel in CommCare HQ) before sending the rows again.';
			expect(jsonOf(error)).toEqual([
				expect.objectContaining({
					outcome: 'error',
					reason: 'failed',
					summary: 'Import of patient cases failed',
					description: mayHaveApplied,
					created_count: null,
					match_count: null,
					errors: [{ title: null, description: 'Error: Field name "type" is reserved', column: null, rows: [] }],
				}),
			]);
			expect(pairedOf(error)).toEqual([{ item: 0 }]);
			// The example's failure email, as it would be sent.
			expect(jsonOf(result.outputs(FILE_EXAMPLE.onError)[0])).toEqual([
				{
					subject: 'CommCare import of reserved-column.xlsx failed',
					text: `Import of patient cases failed: Error: Field name "type" is reserved\n\n${mayHaveApplied}\n\nStatus URL: ${error[0].json.status_url}`,
				},
			]);
			expect(result.runData[FILE_EXAMPLE.onSuccess]).toBeUndefined();
			expect(result.runData[FILE_EXAMPLE.onWarning]).toBeUndefined();
			expect(result.runData[FILE_EXAMPLE.onNotFinished]).toBeUndefined();
			expect(emulator.uploads.map((upload) => upload.status)).toEqual([200]);
			expect(emulator.cases.all()).toEqual([]);
		},
		RUN_TIMEOUT_MS,
	);

	test(
		'wrong API key: the run fails at CommCare Bulk Import with a message naming the credential',
		async () => {
			const result = await run(
				n8n,
				'file, wrong API key',
				fileExample('patients.xlsx', { credential: WRONG_KEY_CREDENTIAL }),
			);

			expect(result.exitCode).not.toBe(0);
			expect(result.error?.message).toBe('CommCare rejected the credential (HTTP 401)');
			expect(result.error?.description).toContain(`(user '${emulator.username}')`);
			expect(result.error?.node?.name).toBe(FILE_EXAMPLE.bulkImport);
			expect(result.nodeError(FILE_EXAMPLE.bulkImport)?.message).toBe(result.error?.message);
			// The key never reaches the run's error (it could end up in logs and error workflows).
			expect(JSON.stringify(result.raw)).not.toContain(WRONG_KEY);
			expect(result.runData[FILE_EXAMPLE.status]).toBeUndefined();
			// The emulator refused the one upload request; nothing was imported.
			expect(emulator.uploads).toEqual([]);
			expect(emulator.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
				`POST /a/${emulator.domain}/importer/excel/bulk_upload_api/`,
			]);
			expect(emulator.cases.all()).toEqual([]);
		},
		RUN_TIMEOUT_MS,
	);

	test(
		'an upload answered with a JSON 500 that echoes the key: no piece of it in the error, nor in what n8n stored',
		async () => {
			const header = `ApiKey ${emulator.username}:${emulator.apiKey}`;
			const key = emulator.apiKey;
			// The shapes that leaked before: a line break, tabs, a tag inside the key, an entity, the header whole.
			const message = [
				`Bad header\n${header}`,
				`key:\t\t${key.slice(0, 9)}<b>${key.slice(9)}</b>`,
				`&amp; ${key}`,
			].join(' | ');
			emulator.faults.respond('upload', 1, {
				status: 500,
				body: JSON.stringify({ code: 500, message }),
				headers: { 'Content-Type': 'application/json' },
			});
			const result = await run(n8n, 'file, JSON 500 echoing the key', fileExample('patients.xlsx'));

			expect(result.error?.message).toMatch(/^Bad header\nApiKey \[redacted\] \| key:\t\t\[redacted\]/);
			const stored = await n8n.storedExecutionData();
			// The last execution is this run's; its error (with the redacted message) is what n8n keeps.
			expect(stored[stored.length - 1]).toContain('[redacted]');
			const needles = secretNeedles({ username: emulator.username, apiKey: key });
			for (const text of [stored[stored.length - 1], JSON.stringify(result.raw), result.stdout, result.stderr]) {
				for (const needle of needles) expect(text.includes(needle) ? needle : null).toBeNull();
			}
		},
		RUN_TIMEOUT_MS,
	);
});

/** The other binary-data mode of each line: 2.x defaults to filesystem (so try in-memory), 1.x the other way round. */
const otherBinaryMode: Record<N8nVersion, BinaryDataMode> = {
	'2.41.1': 'default',
	'2.40.7': 'default',
	'1.123.81': 'filesystem',
};

describe.each(SUPPORTED_N8N_VERSIONS)('n8n %s with its other binary data mode', (version) => {
	let n8n: N8nInstance;

	beforeAll(async () => {
		n8n = await prepareInstance(version, otherBinaryMode[version]);
	}, INSTALL_TIMEOUT_MS);

	afterAll(async () => {
		await n8n?.cleanup();
	});

	test(
		`spreadsheet file in binary mode "${otherBinaryMode[version]}": every row imported, the upload on Success`,
		async () => {
			const result = await run(n8n, `file, binary mode ${otherBinaryMode[version]}`, fileExample('patients.xlsx'));

			expect(result.error).toBeUndefined();
			const binary = result.outputs(FILE_EXAMPLE.read)[0][0].binary?.data;
			if (otherBinaryMode[version] === 'filesystem') expect(binary?.id).toMatch(/^filesystem-v2:/);
			else expect(binary?.id).toBeUndefined();
			await expectSuccessfulFileImport(result);
		},
		RUN_TIMEOUT_MS,
	);
});

/** A sheet row as the Bulk Import sends it: the example excludes the sheet's own columns. */
function withoutSheetColumns(row: (typeof SHEET_ROWS)[number]) {
	const { row_number: _row, import_status: _status, import_error: _error, case_id: _caseId, ...sent } = row;
	return sent;
}

/** What a run of the file example with patients.xlsx must show: n8n side and CommCare side. */
async function expectSuccessfulFileImport(result: RunResult): Promise<void> {
	const [uploaded] = result.outputs(FILE_EXAMPLE.bulkImport);
	expect(jsonOf(uploaded)).toEqual([
		expect.objectContaining({
			status_url: expect.stringMatching(new RegExp(`^${emulator.baseUrl}/a/${emulator.domain}/importer/`)),
			code: 200,
			message: 'success',
			projectSpace: emulator.domain,
			caseType: 'patient',
			fileName: 'patients.xlsx',
			createNewCases: true,
			rowCount: 3,
		}),
	]);
	expect(pairedOf(uploaded)).toEqual([{ item: 0 }]);

	const [success, warning, error, notFinished] = result.outputs(FILE_EXAMPLE.status);
	expect([warning, error, notFinished]).toEqual([[], [], []]);
	// The example's Import Status is at version 1.2: the simplified outcome, in reading order.
	expect(jsonOf(success)).toEqual([
		{
			outcome: 'success',
			reason: 'imported',
			summary: '3 patient cases created, 0 updated',
			description: null,
			created_count: 3,
			match_count: 0,
			skipped_count: 0,
			errors: [],
			warnings: [],
			upload: uploaded[0].json,
			status_url: uploaded[0].json.status_url,
		},
	]);
	expect(Object.keys(success[0].json).at(-1)).toBe('status_url');
	expect(pairedOf(success)).toEqual([{ item: 0 }]);
	expect(statusPolls()).toBe(3);
	// Only the Success branch ran.
	expect(jsonOf(result.outputs(FILE_EXAMPLE.onSuccess)[0])).toEqual(jsonOf(success));
	expect(result.runData[FILE_EXAMPLE.onWarning]).toBeUndefined();
	expect(result.runData[FILE_EXAMPLE.onError]).toBeUndefined();
	expect(result.runData[FILE_EXAMPLE.onNotFinished]).toBeUndefined();

	// The file arrived intact and the cases exist with the sheet's values.
	expect(emulator.uploads).toHaveLength(1);
	expect(emulator.uploads[0].fileName).toBe('patients.xlsx');
	expect(emulator.uploads[0].file).toEqual(await fs.readFile(path.join(filesDir, 'patients.xlsx')));
	expect(casesOfType('patient')).toEqual([
		{ external_id: '', name: 'Amina Yusuf', owner_id: 'owner-chw-1', properties: { age: '34', village: 'Kibera' } },
		{ external_id: '', name: 'Joseph Otieno', owner_id: 'owner-chw-2', properties: { age: '51', village: 'Mathare' } },
		{
			external_id: '',
			name: 'Grace Wanjiru',
			owner_id: userIdOf(emulator.username),
			properties: { age: '27', village: 'Kibera' },
		},
	]);
}
