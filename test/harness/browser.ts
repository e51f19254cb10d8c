/**
 * Headless Chromium (Debian's `chromium` package) driven by playwright-core, signed in to a running n8n editor
 * (test/harness/n8n/editor.ts). Used by the browser test and by the screenshot script.
 */
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

import { ensureDebianPackages } from './services/debianPackages';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface EditorAccess {
	url: string;
	email: string;
	password: string;
}

export interface Browser {
	context: BrowserContext;
	page: Page;
	close(): Promise<void>;
}

/**
 * Chromium, installed from Debian's packages when it is missing (as root, or through passwordless sudo). Where that
 * cannot be done, the error says how to get it: called first, so nobody waits for n8n to install only to read it.
 */
export async function ensureChromium(): Promise<void> {
	if (existsSync(CHROMIUM)) return;
	if (process.env.CHROMIUM_PATH) {
		throw new Error(
			`CHROMIUM_PATH is set to ${CHROMIUM}, but there is no file there: point it at a Chromium or Chrome`,
		);
	}
	try {
		await ensureDebianPackages(['chromium'], () => existsSync(CHROMIUM));
	} catch (error) {
		throw new Error(
			`The browser test needs Chromium, and there is none at ${CHROMIUM}. Install it with \`sudo apt-get install chromium\` ` +
				`(Debian, Ubuntu), or set CHROMIUM_PATH to a Chromium or Chrome binary. Installing it here failed: ${(error as Error).message.slice(0, 300)}`,
		);
	}
}

/** A fresh profile each time: no cookie or local storage of an earlier run leaks in. */
export async function launchBrowser(viewport = { width: 1600, height: 900 }): Promise<Browser> {
	await ensureChromium();
	const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'n8n-chromium-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		headless: true,
		viewport,
		deviceScaleFactor: 1,
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
		],
	});
	const page = context.pages()[0] ?? (await context.newPage());
	return {
		context,
		page,
		async close() {
			await context.close();
			await fs.rm(profile, { recursive: true, force: true });
		},
	};
}

/** Signs in through n8n's own form (the same on 1.x and 2.x). */
export async function signIn(page: Page, access: EditorAccess): Promise<void> {
	await page.goto(`${access.url}/signin`);
	const email = page.locator('input[type="email"], input[name="emailOrLdapLoginId"], input[name="email"]').first();
	await email.waitFor({ timeout: 60_000 });
	await email.fill(access.email);
	await page.locator('input[type="password"]').first().fill(access.password);
	await page.keyboard.press('Enter');
	await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 60_000 });
}

/** A workflow's id, asked from n8n's REST API with the session the sign-in gave the page. */
export async function workflowIdByName(page: Page, url: string, name: string): Promise<string> {
	// Code run in the page is given as text: this file is compiled without the DOM's types.
	const browserId = (await page.evaluate('window.localStorage.getItem("n8n-browserId")')) as string | null;
	const response = await page.request.get(`${url}/rest/workflows`, {
		headers: browserId ? { 'browser-id': browserId } : {},
	});
	if (!response.ok()) throw new Error(`GET /rest/workflows: HTTP ${response.status()}`);
	const { data } = (await response.json()) as { data: Array<{ id: string; name: string }> };
	const found = data.find((workflow) => workflow.name === name);
	if (!found) {
		throw new Error(`No workflow named "${name}" in the editor (found: ${data.map((w) => w.name).join(', ')})`);
	}
	return found.id;
}

/** Presses the editor's execute button and waits until the run has finished. */
export async function executeInEditor(page: Page): Promise<void> {
	await page.locator('[data-test-id="execute-workflow-button"]').first().click();
	// While running, the button says so; afterwards the nodes carry a success or error indicator.
	await page
		.locator('[data-test-id="canvas-node-status-success"], [data-test-id="canvas-node-status-error"]')
		.first()
		.waitFor({ timeout: 120_000 });
	await page.waitForFunction(
		'!/Executing|Waiting/.test(document.querySelector(\'[data-test-id="execute-workflow-button"]\')?.textContent ?? "")',
		undefined,
		{ timeout: 120_000 },
	);
}
