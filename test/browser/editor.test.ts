/**
 * The n8n editor itself, driven by headless Chromium: what a person does after installing the package.
 *
 * A real n8n 2.40.7 (`n8n start`) with the packed package installed as a community package, the emulator on loopback
 * in this process. In the browser: create the CommCare credential and see n8n's credential test pass, then fail
 * with a wrong key and with a project page pasted as the Base URL, each with our message; open CommCare Bulk Import
 * and pick Project Space and Case Type from the lists the emulator serves; execute the workflow from the editor and
 * see simplified items reach Success, Warning and Error, their useful keys first; check once (Timeout 0) and see the
 * notice, Poll Interval hidden, and the unfinished imports on Not Finished, not Error; add a fresh Bulk Import and
 * see its safe defaults and its visible Output choice; pick a user without the "Access APIs" permission and see the
 * list say what to grant. Then CommCare Lookup Table Import: pick Project Space and Table from the lists (the
 * project's lookup tables, seeded in the emulator), and see the Table list say what to grant to that user.
 *
 * The steps share one editor and run in order. `UPDATE_SCREENSHOTS=1` writes the README's pictures into
 * docs/images/; otherwise they go to a scratch folder (so a run never dirties the clone).
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Locator, Page } from 'playwright-core';

import { DEFAULT_DOMAINS, DEFAULT_TIMELINE, DEFAULT_USERS, startEmulator, type Emulator } from '../../emulator';
import { xlsxFile } from '../support/emulator';
import { COMMCARE_NODE_TYPES, type WorkflowJson } from '../../examples/workflows';
import {
	ensureChromium,
	executeInEditor,
	launchBrowser,
	signIn,
	workflowIdByName,
	type Browser,
} from '../harness/browser';
import { startEditor, type RunningEditor } from '../harness/n8n/editor';
import { ensureN8n } from '../harness/n8n/install';
import { createInstance, type N8nInstance } from '../harness/n8n/instance';
import { packPackage, REPO_ROOT } from '../harness/n8n/pack';
import { TEST_MESSAGES } from '../../credentials/CommCareApi.credentials';

const N8N_VERSION = '2.40.7';
const SETUP_TIMEOUT_MS = 20 * 60_000;
const STEP_TIMEOUT_MS = 4 * 60_000;
const UI_TIMEOUT_MS = 60_000;
const PORT = 5691;
const WORKFLOW_NAME = 'CommCare: import three spreadsheet files';
const PROJECT_NAME = 'Demo Clinics';
const LOOKUP_WORKFLOW_NAME = 'CommCare: facility list to a lookup table';
const LOOKUP_NODE = 'Upload facility table';

const NODES = {
	read: 'Read spreadsheet files',
	bulkImport: 'Import cases into CommCare',
	status: 'Check import',
	success: 'Imported',
	warning: 'Rows to fix',
	error: 'Not imported',
	notFinished: 'Not finished yet',
} as const;

/** A member of the project whose role lacks "Access APIs": CommCare refuses it the lists (HTTP 403). */
const NO_API_USER = {
	username: 'no-api@example.org',
	apiKey: 'no-api-key-0001',
	domains: ['demo'],
	canAccessApi: false,
};

let emulator: Emulator;
let scratch: string;
let n8n: N8nInstance;
let editor: RunningEditor;
let browser: Browser;
let page: Page;
let screenshotsDir: string;

beforeAll(async () => {
	await ensureChromium();
	scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'commcare-browser-'));
	screenshotsDir = process.env.UPDATE_SCREENSHOTS
		? path.join(REPO_ROOT, 'docs', 'images')
		: (process.env.BROWSER_SCREENSHOTS_DIR ?? scratch);
	const filesDir = path.join(scratch, 'files');
	await fs.mkdir(filesDir);
	await writeSpreadsheets(filesDir);
	emulator = await startEmulator({
		domains: { ...DEFAULT_DOMAINS, demo: { ...DEFAULT_DOMAINS.demo, projectName: PROJECT_NAME } },
		users: [...DEFAULT_USERS, NO_API_USER],
	});
	seedLookupTables();
	const tarball = await packPackage({ destination: scratch });
	n8n = await createInstance(await ensureN8n(N8N_VERSION), { env: { N8N_RESTRICT_FILE_ACCESS_TO: filesDir } });
	await n8n.installPackage(tarball);
	await n8n.importWorkflow(threeFilesWorkflow(filesDir));
	await n8n.importWorkflow(lookupTableWorkflow());
	editor = await startEditor(n8n, { port: PORT });
	browser = await launchBrowser();
	page = browser.page;
	await signIn(page, { url: editor.url, email: editor.owner.email, password: editor.owner.password });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
	await browser?.close();
	await editor?.stop();
	await n8n?.cleanup();
	await emulator?.close();
	if (scratch) await fs.rm(scratch, { recursive: true, force: true });
});

/** Three files, one per outcome: all rows good; one row with an owner CommCare does not know; a reserved column. */
async function writeSpreadsheets(dir: string): Promise<void> {
	await fs.writeFile(
		path.join(dir, '1-registrations.xlsx'),
		await xlsxFile([
			['case_id', 'name', 'village', 'owner_id'],
			['', 'Amina Yusuf', 'Kibera', 'owner-chw-1'],
			['', 'Joseph Otieno', 'Mathare', 'owner-chw-2'],
		]),
	);
	await fs.writeFile(
		path.join(dir, '2-transfers.xlsx'),
		await xlsxFile([
			['case_id', 'name', 'village', 'owner_id'],
			['', 'Grace Wanjiru', 'Kibera', 'owner-chw-1'],
			['', 'Ruth Chebet', 'Mathare', 'chw-left-in-2024'],
		]),
	);
	await fs.writeFile(
		path.join(dir, '3-reserved-column.xlsx'),
		await xlsxFile([
			['case_id', 'name', 'type'],
			['', 'Halima Omar', 'adult'],
		]),
	);
}

/**
 * What a user builds: read the files, import each, check each import, one node per outcome. Project Space and Case
 * Type are left empty in "From List" mode and no credential is set: the test does those in the editor. Bulk Import
 * continues on error, so the file its checks refuse becomes an item that Import Status routes to Error.
 */
function threeFilesWorkflow(filesDir: string): WorkflowJson {
	const emptyFromList = { __rl: true, mode: 'list', value: '' };
	const noOp = (name: string, y: number) => ({
		id: `browser-${name.replace(/\W/g, '')}`,
		name,
		type: 'n8n-nodes-base.noOp',
		typeVersion: 1,
		position: [1000, y] as [number, number],
		parameters: {},
	});
	return {
		name: WORKFLOW_NAME,
		nodes: [
			{
				id: 'browser-trigger',
				name: 'Run manually',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {},
			},
			{
				id: 'browser-read',
				name: NODES.read,
				type: 'n8n-nodes-base.readWriteFile',
				typeVersion: 1,
				position: [220, 0],
				parameters: { operation: 'read', fileSelector: path.join(filesDir, '*.xlsx'), options: {} },
			},
			{
				id: 'browser-import',
				name: NODES.bulkImport,
				type: COMMCARE_NODE_TYPES.bulkImport,
				typeVersion: 1.3,
				position: [460, 0],
				onError: 'continueRegularOutput',
				parameters: {
					projectSpace: emptyFromList,
					caseType: emptyFromList,
					source: 'binary',
					binaryPropertyName: 'data',
					searchField: 'case_id',
					searchColumn: 'case_id',
					nameColumn: 'name',
					options: {},
				},
			},
			{
				id: 'browser-status',
				name: NODES.status,
				type: COMMCARE_NODE_TYPES.importStatus,
				typeVersion: 1.2,
				position: [720, 0],
				parameters: { statusUrl: '={{ $json.status_url }}', pollInterval: 0.2, timeout: 2, options: {} },
			},
			noOp(NODES.success, -200),
			noOp(NODES.warning, 0),
			noOp(NODES.error, 200),
			noOp(NODES.notFinished, 400),
		],
		connections: {
			'Run manually': { main: [[{ node: NODES.read, type: 'main', index: 0 }]] },
			[NODES.read]: { main: [[{ node: NODES.bulkImport, type: 'main', index: 0 }]] },
			[NODES.bulkImport]: { main: [[{ node: NODES.status, type: 'main', index: 0 }]] },
			[NODES.status]: {
				main: [
					[{ node: NODES.success, type: 'main', index: 0 }],
					[{ node: NODES.warning, type: 'main', index: 0 }],
					[{ node: NODES.error, type: 'main', index: 0 }],
					[{ node: NODES.notFinished, type: 'main', index: 0 }],
				],
			},
		},
		settings: { executionOrder: 'v1' },
	};
}

/** The project's lookup tables, as CommCare HQ would hold them: two global ones and one whose rows have owners. */
function seedLookupTables(): void {
	emulator.lookupTables.seed(emulator.domain, {
		tag: 'facility',
		fields: ['facility_id', 'name', 'district'],
		rows: [
			{ fields: { facility_id: 'F001', name: 'Kibera Health Centre', district: 'Nairobi' } },
			{ fields: { facility_id: 'F002', name: 'Kisumu County Hospital', district: 'Kisumu' } },
		],
	});
	emulator.lookupTables.seed(emulator.domain, {
		tag: 'village',
		is_global: false,
		fields: ['village_id', 'name'],
		rows: [{ fields: { village_id: 'V01', name: 'Kibera' }, owners: { users: [emulator.username] } }],
	});
	emulator.lookupTables.seed(emulator.domain, {
		tag: 'district',
		fields: ['name'],
		rows: [{ fields: { name: 'Nairobi' } }],
	});
}

/**
 * Input items to one lookup table, each outcome to its own node. Project Space and Table are left empty in "From
 * List" mode and no credential is set: the test picks them in the editor.
 */
function lookupTableWorkflow(): WorkflowJson {
	const emptyFromList = { __rl: true, mode: 'list', value: '' };
	const outcomes = ['Table updated', 'Table updated with warnings', 'Table not updated'];
	return {
		name: LOOKUP_WORKFLOW_NAME,
		nodes: [
			{
				id: 'lookup-trigger',
				name: 'Run manually',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {},
			},
			{
				id: 'lookup-import',
				name: LOOKUP_NODE,
				type: COMMCARE_NODE_TYPES.lookupTableImport,
				typeVersion: 1,
				position: [240, 0],
				parameters: { projectSpace: emptyFromList, source: 'items', table: emptyFromList },
			},
			...outcomes.map((name, index) => ({
				id: `lookup-outcome-${index}`,
				name,
				type: 'n8n-nodes-base.noOp',
				typeVersion: 1,
				position: [520, (index - 1) * 200] as [number, number],
				parameters: {},
			})),
		],
		connections: {
			'Run manually': { main: [[{ node: LOOKUP_NODE, type: 'main', index: 0 }]] },
			[LOOKUP_NODE]: { main: outcomes.map((name) => [{ node: name, type: 'main', index: 0 }]) },
		},
		settings: { executionOrder: 'v1' },
	};
}

async function screenshot(name: string, target: Page | Locator = page): Promise<void> {
	await target.screenshot({ path: path.join(screenshotsDir, name) });
}

/** The credential dialog: the fields n8n renders from our credential type, by their stored names. */
function credentialField(dialog: Locator, name: string): Locator {
	return dialog.locator(`[data-test-id="parameter-input-${name}"] input`);
}

/** Opens a resource locator's list and gives its entries as the editor shows them. */
async function openList(parameter: string): Promise<Locator> {
	const locator = page.locator(`[data-test-id="resource-locator-${parameter}"]`);
	await locator.locator('[data-test-id="rlc-input"]').click();
	const items = locator.locator('[data-test-id="rlc-item"]');
	try {
		await items.first().waitFor({ timeout: UI_TIMEOUT_MS });
	} catch (error) {
		await screenshot(`failed-list-${parameter}.png`);
		console.log(emulator.requests.map((request) => `${request.method} ${request.path}`).join('\n'));
		throw error;
	}
	return items;
}

/** Picks a credential in the open node panel, as a person does for a node that has none yet. */
async function chooseCredential(name: string): Promise<void> {
	const select = page.locator('[data-test-id="node-credentials-select"]');
	await select.click();
	// Not "CommCare account 2" when asked for "CommCare account".
	await page
		.locator('.el-select-dropdown__item:visible, [role="option"]:visible', { hasText: name })
		.filter({ hasNotText: `${name} 2` })
		.first()
		.click();
	await expect(select.locator('input').inputValue()).resolves.toBe(name);
	// Its toast ("Node credential updated") would cover the panel in the screenshot.
	const toast = page.locator('.el-notification:visible');
	await toast
		.first()
		.waitFor({ timeout: 5000 })
		.catch(() => undefined);
	for (const close of await page.locator('.el-notification:visible .el-notification__closeBtn').all())
		await close.click();
	await toast.first().waitFor({ state: 'hidden', timeout: 5000 });
}

/** Creates a CommCare credential in the credentials page, saves it (n8n tests it) and gives its open dialog. */
async function newCredential(baseUrl: string, username: string, apiKey: string): Promise<Locator> {
	await page.goto(`${editor.url}/home/credentials`);
	await page.locator('[data-test-id="add-resource-credential"]').first().click();
	await page.locator('[data-test-id="new-credential-type-select"] input').fill('CommCare');
	await page.locator('[data-test-id="new-credential-type-select-option"]', { hasText: 'CommCare API' }).click();
	await page.locator('[data-test-id="new-credential-type-button"]').click();
	// The newest dialog: a closed one may linger, hidden, in the page.
	const dialog = page.locator('[data-test-id="editCredential-modal"]').last();
	await credentialField(dialog, 'baseUrl').fill(baseUrl);
	await credentialField(dialog, 'username').fill(username);
	await credentialField(dialog, 'apiKey').fill(apiKey);
	await dialog.locator('[data-test-id="credential-save-button"]').click();
	return dialog;
}

/** Saves the open credential, expects n8n's failed test, and gives the element showing our message for it. */
async function failedTest(dialog: Locator, message: string): Promise<Locator> {
	await dialog.locator('[data-test-id="credential-save-button"]').click();
	await dialog.getByText('Couldn’t connect with these settings').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
	const shown = dialog.getByText(message.slice(0, 60));
	// The message sits under "More details", which stays open once opened (a second failure shows it at once).
	try {
		await shown.waitFor({ state: 'visible', timeout: 10_000 });
	} catch {
		await dialog.getByText('More details').click();
		await shown.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
	}
	return shown;
}

/** The API key of each credential test that reached the emulator, in order. */
const identityKeys = () =>
	emulator.requests
		.filter((request) => request.path === '/api/identity/v1/')
		.map((request) => String(request.headers.authorization).split(':').at(-1));

const requestsTo = (pathPart: string) =>
	emulator.requests.filter((request) => request.method === 'GET' && request.path.includes(pathPart));

describe(`the n8n ${N8N_VERSION} editor with the package installed`, () => {
	test(
		'credential: created in the UI, n8n tests it against the emulator; a wrong key and a pasted project URL say what to fix',
		async () => {
			const dialog = await newCredential(emulator.baseUrl, emulator.username, emulator.apiKey);
			const success = dialog.locator('[data-test-id="credentials-config-container-test-success"]');
			await success.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
			await expectText(success, 'Connection tested successfully');
			expect(identityKeys()).toEqual([emulator.apiKey]);
			await screenshot('credential.png', dialog);

			await credentialField(dialog, 'apiKey').fill('not-the-key');
			const wrongKey = await failedTest(dialog, TEST_MESSAGES[401]);
			// n8n may test a failing credential more than once; every test went with the key typed.
			expect(identityKeys().slice(1)).toEqual(expect.arrayContaining(['not-the-key']));
			expect(new Set(identityKeys().slice(1))).toEqual(new Set(['not-the-key']));
			expect(await wrongKey.innerText()).toContain('My Account Settings → API Keys');
			await screenshot('credential-wrong-key.png', dialog);

			// The address of a project page, as copied from the browser's address bar.
			await credentialField(dialog, 'apiKey').fill(emulator.apiKey);
			await credentialField(dialog, 'baseUrl').fill(`${emulator.baseUrl}/a/${emulator.domain}/dashboard/project/`);
			const projectUrl = await failedTest(dialog, TEST_MESSAGES[404]);
			expect(await projectUrl.innerText()).toContain('Enter only the server address');
			await screenshot('credential-project-url.png', dialog);

			// Back to the server address: the test passes again, and the credential is saved with it.
			await credentialField(dialog, 'baseUrl').fill(emulator.baseUrl);
			await dialog.locator('[data-test-id="credential-save-button"]').click();
			await success.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
			expect(identityKeys().at(-1)).toBe(emulator.apiKey);
			await page.keyboard.press('Escape');
			await dialog.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });

			// A second credential, for a user whose role lacks "Access APIs" (used by the last step).
			const limited = await newCredential(emulator.baseUrl, NO_API_USER.username, NO_API_USER.apiKey);
			await limited.locator('[data-test-id="credentials-config-container-test-success"]').waitFor({
				state: 'visible',
				timeout: UI_TIMEOUT_MS,
			});
			expect(identityKeys().at(-1)).toBe(NO_API_USER.apiKey);
			await page.keyboard.press('Escape');
			await limited.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
		},
		STEP_TIMEOUT_MS,
	);

	test(
		"CommCare Bulk Import: Project Space and Case Type picked from the emulator's lists",
		async () => {
			const id = await workflowIdByName(page, editor.url, WORKFLOW_NAME);
			await page.goto(`${editor.url}/workflow/${id}`);
			await page.locator('[data-test-id="canvas-node"]', { hasText: NODES.bulkImport }).dblclick();
			await page.locator('[data-test-id="resource-locator-projectSpace"]').waitFor({ timeout: UI_TIMEOUT_MS });
			await chooseCredential('CommCare account');

			const projects = await openList('projectSpace');
			// The display name and the name to type, as the list shows them.
			expect(await projects.allInnerTexts()).toEqual([`${PROJECT_NAME} (demo)`, 'nocases']);
			await projects.filter({ hasText: PROJECT_NAME }).click();
			expect(requestsTo('/api/user_domains/v1/')).toHaveLength(1);

			const caseTypes = await openList('caseType');
			expect(await caseTypes.allInnerTexts()).toEqual(['household', 'patient']);
			expect(requestsTo(`/a/${emulator.domain}/api/application/v1/`)).toHaveLength(1);
			await screenshot('bulk-import-panel.png');
			await caseTypes.filter({ hasText: 'patient' }).click();
			await page.keyboard.press('Escape');
			await page.locator('[data-test-id="canvas-node"]').first().waitFor();
		},
		STEP_TIMEOUT_MS,
	);

	test(
		'a run from the editor: one file on Success, one on Warning, the refused one on Error',
		async () => {
			await executeInEditor(page);
			const itemsTo = (target: string) =>
				page.locator(
					`[data-test-id="edge-label"][data-source-node-name="${NODES.status}"][data-target-node-name="${target}"]`,
				);
			for (const target of [NODES.success, NODES.warning, NODES.error]) {
				await expectText(itemsTo(target), '1 item');
			}
			// Every import finished: nothing is on the fourth output (its edge carries no item count).
			expect(await itemsShown(itemsTo(NODES.notFinished))).toBe('');
			await expectText(
				page.locator(
					`[data-test-id="edge-label"][data-source-node-name="${NODES.read}"][data-target-node-name="${NODES.bulkImport}"]`,
				),
				'3 items',
			);
			// What the editor showed is what CommCare got: two uploads to the picked project space and case type.
			expect(emulator.uploads.map((upload) => [upload.status, upload.fields.case_type, upload.fileName])).toEqual([
				[200, 'patient', '1-registrations.xlsx'],
				[200, 'patient', '2-transfers.xlsx'],
			]);
			expect(emulator.requests.filter((request) => request.method === 'POST')[0].path).toBe(
				`/a/${emulator.domain}/importer/excel/bulk_upload_api/`,
			);
			expect(
				emulator.cases
					.byType(emulator.domain, 'patient')
					.map((c) => c.name)
					.sort(),
			).toEqual(['Amina Yusuf', 'Grace Wanjiru', 'Joseph Otieno']);

			await page.locator('[data-test-id="canvas-node"]', { hasText: NODES.status }).dblclick();
			const panel = page.locator('[data-test-id="ndv"]');
			// The panel's output offers each branch with its item count; each shows the simplified outcome (version
			// 1.2): its verdict and counts first, the long status URL last, none of the polling figures.
			const branches = [
				['Success Branch (1 item)', 'success'],
				['Warning Branch (1 item)', 'warning'],
				['Error Branch (1 item)', 'error'],
			] as const;
			for (const [branch, outcome] of branches) {
				await panel.getByText(branch).click({ timeout: UI_TIMEOUT_MS });
				await expectText(panel, outcome);
				const shown = await panel.innerText();
				expect(shown).toContain('summary');
				for (const diagnostic of ['waitedSeconds', 'polls', 'timedOut', 'num_chunks']) {
					expect(shown).not.toContain(diagnostic);
				}
				const columns = (await panel.locator('th').allInnerTexts()).map((text) => text.trim()).filter(Boolean);
				expect(columns.slice(0, 3)).toEqual(['outcome', 'reason', 'summary']);
				expect(columns.at(-1)).toBe('status_url');
				if (outcome === 'warning') await screenshot('import-status-panel.png');
			}
			await page.keyboard.press('Escape');
		},
		STEP_TIMEOUT_MS,
	);

	test(
		'Timeout 0 (Check Once): a notice names Not Finished, Poll Interval hides, and unfinished imports go there, not to Error',
		async () => {
			await page.locator('[data-test-id="canvas-node"]', { hasText: NODES.status }).dblclick();
			const panel = page.locator('[data-test-id="ndv"]');
			await panel.locator('[data-test-id="parameter-input-pollInterval"]').waitFor({ timeout: UI_TIMEOUT_MS });
			const timeout = panel.locator('[data-test-id="parameter-input-timeout"] input').first();
			await timeout.fill('0');
			await timeout.press('Tab');
			await panel.getByText('Not Finished', { exact: false }).first().waitFor({ timeout: UI_TIMEOUT_MS });
			await panel.locator('[data-test-id="parameter-input-pollInterval"]').waitFor({
				state: 'detached',
				timeout: UI_TIMEOUT_MS,
			});
			await screenshot('import-status-check-once.png');
			await page.keyboard.press('Escape');

			// CommCare's queue does not move: both accepted uploads are still queued when the node checks once.
			const uploadsBefore = emulator.uploads.length;
			emulator.setTimeline({ queuedPolls: 1_000_000, runningPolls: 0 });
			try {
				await executeInEditor(page);
				const itemsTo = (target: string) =>
					page.locator(
						`[data-test-id="edge-label"][data-source-node-name="${NODES.status}"][data-target-node-name="${target}"]`,
					);
				await expectText(itemsTo(NODES.notFinished), '2 items');
				// The file the checks refused is still an Error (it never reached CommCare); nothing unfinished is.
				await expectText(itemsTo(NODES.error), '1 item');
				expect(await itemsShown(itemsTo(NODES.success))).toBe('');
			} finally {
				emulator.setTimeline(DEFAULT_TIMELINE);
			}
			expect(emulator.uploads.length - uploadsBefore).toBe(2);
		},
		STEP_TIMEOUT_MS,
	);

	test(
		'a fresh CommCare Bulk Import cannot skip new registrations (External ID, Create a New Case) and gives one item per record',
		async () => {
			const id = await workflowIdByName(page, editor.url, WORKFLOW_NAME);
			await page.goto(`${editor.url}/workflow/${id}`);
			await page.locator('[data-test-id="node-creator-plus-button"]').first().click();
			await page.locator('[data-test-id="node-creator-search-bar"]').fill('CommCare Bulk Import');
			await page
				.locator('[data-test-id="node-creator-item-name"]', { hasText: 'CommCare Bulk Import' })
				.first()
				.click();
			// A community node opens its details first: "Add to workflow" adds it at its default version.
			await page.getByRole('button', { name: 'Add to workflow' }).click();
			const panel = page.locator('[data-test-id="ndv"]');
			try {
				await panel.waitFor({ timeout: UI_TIMEOUT_MS });
			} catch (error) {
				await screenshot('failed-new-node.png');
				throw error;
			}
			await expect(parameterValue('searchField')).resolves.toBe('External ID');
			await expect(parameterValue('unmatchedRows')).resolves.toBe('Create a New Case');
			// From input items, one item per record is the visible default (version 1.3), not an option to find.
			await chooseOption('source', 'Input Items');
			await expect(parameterValue('output')).resolves.toBe('One Item per Record');
			await screenshot('bulk-import-new-node.png');

			// Skip meeting Match Cases By Case ID brings up the notice that new registrations would be skipped.
			await chooseOption('searchField', 'Case ID');
			await chooseOption('unmatchedRows', 'Skip');
			await panel
				.getByText('Rows with an empty or unknown case ID will be skipped')
				.waitFor({ timeout: UI_TIMEOUT_MS });
			await page.keyboard.press('Escape');
		},
		STEP_TIMEOUT_MS,
	);

	test(
		'a user without "Access APIs": the Case Type list says which permission to ask for',
		async () => {
			// The workflow as saved, without the node the last step added.
			const id = await workflowIdByName(page, editor.url, WORKFLOW_NAME);
			await page.goto(`${editor.url}/workflow/${id}`);
			await page.locator('[data-test-id="canvas-node"]', { hasText: NODES.bulkImport }).dblclick();
			await page.locator('[data-test-id="resource-locator-caseType"]').waitFor({ timeout: UI_TIMEOUT_MS });
			await chooseCredential('CommCare account 2');
			// Listing project spaces needs no "Access APIs": that list works, the case types then do not.
			const projects = await openList('projectSpace');
			await projects.filter({ hasText: PROJECT_NAME }).click();
			const locator = page.locator('[data-test-id="resource-locator-caseType"]');
			await locator.locator('[data-test-id="rlc-input"]').click();
			const refusal = page.locator('[data-test-id="rlc-error-container"]', { hasText: '"Access APIs" permission' });
			try {
				await refusal.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
			} catch (error) {
				await screenshot('failed-no-permission.png');
				console.log(
					emulator.requests
						.map((request) => `${request.method} ${request.path} ${request.headers.authorization}`)
						.join('\n'),
				);
				throw error;
			}
			expect(await refusal.innerText()).toContain('Roles & Permissions');
			expect(requestsTo(`/a/${emulator.domain}/api/application/v1/`).at(-1)?.headers.authorization).toContain(
				NO_API_USER.apiKey,
			);
			await screenshot('bulk-import-no-permission.png');
			await page.keyboard.press('Escape');
		},
		STEP_TIMEOUT_MS,
	);

	test(
		"CommCare Lookup Table Import: Project Space and Table picked from the emulator's lists",
		async () => {
			await openLookupTableNode();
			await chooseCredential('CommCare account');

			const projectListsBefore = requestsTo('/api/user_domains/v1/').length;
			const projects = await openList('projectSpace');
			expect(await projects.allInnerTexts()).toEqual([`${PROJECT_NAME} (demo)`, 'nocases']);
			await projects.filter({ hasText: PROJECT_NAME }).click();
			expect(requestsTo('/api/user_domains/v1/')).toHaveLength(projectListsBefore + 1);

			const tableApi = `/a/${emulator.domain}/api/lookup_table/v1/`;
			expect(requestsTo(tableApi)).toHaveLength(0);
			const tables = await openList('table');
			// The emulator's tables, each by its table id, owned ones marked, with its number of fields.
			const held = emulator.lookupTables
				.tables(emulator.domain)
				.map((table) => [table.tag, table.is_global, table.fields.length]);
			expect(held.sort()).toEqual([
				['district', true, 1],
				['facility', true, 3],
				['village', false, 2],
			]);
			expect(await tables.allInnerTexts()).toEqual([
				'district (1 field)',
				'facility (3 fields)',
				'village (owned, 2 fields)',
			]);
			expect(requestsTo(tableApi)).toHaveLength(1);
			expect(requestsTo(tableApi)[0].headers.authorization).toContain(emulator.apiKey);
			await screenshot('lookup-table-panel.png');
			await tables.filter({ hasText: 'facility' }).click();
			// The field shows the entry's name; the value kept is the table id, which the node's subtitle shows.
			await expect(
				page.locator('[data-test-id="resource-locator-table"] [data-test-id="rlc-input"]').inputValue(),
			).resolves.toBe('facility (3 fields)');
			await page.keyboard.press('Escape');
			await expectText(
				page.locator('[data-test-id="canvas-node"]', { hasText: LOOKUP_NODE }),
				`Upload facility into ${emulator.domain}`,
			);
		},
		STEP_TIMEOUT_MS,
	);

	test(
		'a user without "Access APIs": the Table list says which permission to ask for; the table id can still be typed (By ID)',
		async () => {
			await openLookupTableNode();
			await chooseCredential('CommCare account 2');
			const projects = await openList('projectSpace');
			await projects.filter({ hasText: PROJECT_NAME }).click();
			const locator = page.locator('[data-test-id="resource-locator-table"]');
			await locator.locator('[data-test-id="rlc-input"]').click();
			const refusal = page.locator('[data-test-id="rlc-error-container"]', { hasText: '"Access APIs" permission' });
			try {
				await refusal.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
			} catch (error) {
				await screenshot('failed-lookup-no-permission.png');
				throw error;
			}
			const shown = (await refusal.innerText()).replace(/\s+/g, ' ');
			expect(shown).toContain(`Could not list the lookup tables of project space '${emulator.domain}'`);
			// The editor splits a list's message at dashes and joins the pieces with spaces.
			expect(shown).toContain(`user '${NO_API_USER.username.replace(/-/g, ' ')}'`);
			expect(shown).toContain('"Access APIs" permission');
			expect(shown).toContain('Users → Roles & Permissions');
			expect(shown).toContain('You can still choose "By ID" and type it.');
			const tableApi = `/a/${emulator.domain}/api/lookup_table/v1/`;
			expect(requestsTo(tableApi).at(-1)?.headers.authorization).toContain(NO_API_USER.apiKey);

			// The way out the message names: "By ID", and the table id typed.
			await page.keyboard.press('Escape');
			await locator.locator('[data-test-id="rlc-mode-selector"]').click();
			await page.locator('.el-select-dropdown__item:visible, [role="option"]:visible', { hasText: 'By ID' }).click();
			const typed = locator.locator('[data-test-id="rlc-input"]');
			await typed.fill('facility');
			await typed.press('Tab');
			await page.keyboard.press('Escape');
			await expectText(
				page.locator('[data-test-id="canvas-node"]', { hasText: LOOKUP_NODE }),
				`Upload facility into ${emulator.domain}`,
			);
		},
		STEP_TIMEOUT_MS,
	);
});

/** Opens the saved lookup-table workflow and its CommCare Lookup Table Import node. */
async function openLookupTableNode(): Promise<void> {
	const id = await workflowIdByName(page, editor.url, LOOKUP_WORKFLOW_NAME);
	await page.goto(`${editor.url}/workflow/${id}`);
	await page.locator('[data-test-id="canvas-node"]', { hasText: LOOKUP_NODE }).dblclick();
	await page.locator('[data-test-id="resource-locator-table"]').waitFor({ timeout: UI_TIMEOUT_MS });
}

/** The value an options parameter of the open node panel shows. */
async function parameterValue(name: string): Promise<string> {
	return await page.locator(`[data-test-id="parameter-input-${name}"] input`).first().inputValue();
}

/** Picks an option of an options parameter in the open node panel. */
async function chooseOption(name: string, option: string): Promise<void> {
	await page.locator(`[data-test-id="parameter-input-${name}"]`).first().click();
	await page.locator('.el-select-dropdown__item:visible, [role="option"]:visible', { hasText: option }).first().click();
	await expect(parameterValue(name)).resolves.toBe(option);
	// The list fades out after the click: a screenshot taken meanwhile would show it over the panel.
	await page.locator('.el-select-dropdown:visible').first().waitFor({ state: 'hidden', timeout: 5000 });
	await page.waitForTimeout(300);
}

/** The item counts an edge's label shows ("2 items"), or '' when no item went along it in the last run. */
async function itemsShown(edgeLabels: Locator): Promise<string> {
	const texts = await edgeLabels.allInnerTexts();
	return texts
		.map((text) => text.replace(/\s+/g, ' ').trim())
		.filter((text) => /\bitems?\b/.test(text))
		.join(', ');
}

/** Waits (within the UI timeout) until the element shows the text; fails with what it showed instead. */
async function expectText(locator: Locator, text: string): Promise<void> {
	const deadline = Date.now() + UI_TIMEOUT_MS;
	let shown = '';
	while (Date.now() < deadline) {
		if (await locator.first().isVisible()) {
			shown = (await locator.first().innerText()).replace(/\s+/g, ' ');
			if (shown.includes(text)) return;
		}
		await page.waitForTimeout(250);
	}
	expect(shown).toContain(text);
}
