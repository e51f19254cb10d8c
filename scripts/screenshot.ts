/**
 * Retakes docs/images/workflow.png (or, with --example=households, docs/images/households.png), the README's pictures
 * of a demo workflow in the real n8n editor.
 *
 * Runs the demo in editor mode (scripts/demo.ts --ui), logs in through n8n's sign-in form with headless Chromium,
 * opens the demo workflow, executes it in the editor (so every connection shows its item count), and saves a
 * screenshot. Needs Debian's chromium (`apt-get install chromium`); not part of CI.
 *
 *   npx ts-node --transpile-only scripts/screenshot.ts [--n8n=2.40.7] [--example=households] [--out=docs/images/…png]
 */
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';

import { executeInEditor, launchBrowser, signIn, workflowIdByName, type EditorAccess } from '../test/harness/browser';
import { REPO_ROOT } from '../test/harness/n8n/pack';
import { HOUSEHOLDS_DEMO_WORKFLOW_NAME } from './demo/households';
import { DEMO_WORKFLOW_NAME } from './demo/run';

const PORT = 5690;
const READY_TIMEOUT_MS = 20 * 60_000;

async function main(): Promise<void> {
	const args = process.argv.slice(2);
	const version = args.find((arg) => arg.startsWith('--n8n='))?.slice('--n8n='.length) ?? '2.40.7';
	const households = args.includes('--example=households');
	const out = path.resolve(
		REPO_ROOT,
		args.find((arg) => arg.startsWith('--out='))?.slice('--out='.length) ??
			(households ? 'docs/images/households.png' : 'docs/images/workflow.png'),
	);
	const workflowName = households ? HOUSEHOLDS_DEMO_WORKFLOW_NAME : DEMO_WORKFLOW_NAME;
	const demo = spawn(
		process.execPath,
		[
			require.resolve('ts-node/dist/bin.js'),
			'--transpile-only',
			path.join(__dirname, 'demo.ts'),
			'--ui',
			`--port=${PORT}`,
			`--n8n=${version}`,
			...(households ? ['--example=households'] : []),
		],
		{ cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
	);
	const demoExited = new Promise<void>((resolve) => demo.on('exit', () => resolve()));
	try {
		const access = await waitForEditor(demo);
		await takeScreenshot(access, out, workflowName);
		console.log(`saved ${path.relative(REPO_ROOT, out)}`);
	} finally {
		// The demo stops n8n and the emulator on SIGINT, like a person pressing Ctrl+C.
		demo.kill('SIGINT');
		await demoExited;
	}
}

/** Passes the demo's output through and reads the editor address and login from it. */
function waitForEditor(demo: ReturnType<typeof spawn>): Promise<EditorAccess> {
	return new Promise((resolve, reject) => {
		let output = '';
		const timer = setTimeout(() => reject(new Error('The demo did not start the editor in time')), READY_TIMEOUT_MS);
		demo.stdout!.on('data', (chunk: Buffer) => {
			process.stdout.write(chunk);
			output += chunk.toString();
			const url = /The n8n editor is running: (\S+)/.exec(output)?.[1];
			const login = /log in as\s+(\S+)\s+\/\s+(\S+)/.exec(output);
			if (url && login && output.includes('Press Ctrl+C')) {
				clearTimeout(timer);
				resolve({ url, email: login[1], password: login[2] });
			}
		});
		demo.on('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`The demo exited (code ${code}) before the editor was ready`));
		});
	});
}

async function takeScreenshot(access: EditorAccess, out: string, workflowName: string): Promise<void> {
	const browser = await launchBrowser();
	try {
		const { page } = browser;
		await signIn(page, access);
		const workflowId = await workflowIdByName(page, access.url, workflowName);
		await page.goto(`${access.url}/workflow/${workflowId}`);
		await page.locator('[data-test-id="canvas-node"]').first().waitFor({ timeout: 60_000 });
		await executeInEditor(page);
		// Close whatever the run opened over the canvas, then fit the whole workflow into the view.
		await page.keyboard.press('Escape');
		await page.locator('[data-test-id="zoom-to-fit"]').first().click();
		// Move the pointer off the button, or its tooltip ends up in the picture.
		await page.mouse.move(1500, 450);
		await page.waitForTimeout(1500);
		await fs.mkdir(path.dirname(out), { recursive: true });
		await page.screenshot({ path: out });
	} finally {
		await browser.close();
	}
}

main().catch((error: unknown) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
