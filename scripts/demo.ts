/**
 * `npm run demo`: the whole thing in one command, no CommCare account needed. Builds and packs this package,
 * starts the CommCare HQ emulator, gets a real n8n ready (installed into a cache on first use), installs the package
 * into a fresh n8n instance with a CommCare credential and the Google Sheets example (its Google Sheets, Slack
 * nodes swapped for local ones, the sheet's rows replaced by sample health-programme records), runs it, and says
 * what happened: the cases at CommCare and where each record went.
 *
 *   npm run demo                            n8n 2.40.7
 *   npm run demo -- --n8n=1.123.81          the 1.x line
 *   npm run demo -- --example households    the households example instead: households, then their members
 *                                           (a member of a household CommCare refuses is never sent)
 *   npm run demo -- --example facilities    the lookup-table example: a facility sheet dry-run against CommCare's
 *                                           facility table, then uploaded with Replace
 *   npm run demo:ui                         same, then leaves the n8n editor running on localhost (Ctrl+C stops it)
 *   options: --ui, --port=5678 (editor port), --example=sheets|households|facilities
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';

import { ensureN8n, SUPPORTED_N8N_VERSIONS, type N8nVersion } from '../test/harness/n8n/install';
import { createInstance, type N8nInstance } from '../test/harness/n8n/instance';
import { packPackage } from '../test/harness/n8n/pack';
import { startEditor, type RunningEditor } from '../test/harness/n8n/editor';
import { runDemoImport, printOutcome } from './demo/run';
import { printHouseholdsOutcome, runHouseholdsDemo } from './demo/households';
import { printFacilitiesOutcome, runFacilitiesDemo } from './demo/facilities';
import { commCareCredential, exampleFileNames, loadExample, useCommCareCredential } from '../examples/workflows';
import { startEmulator, type Emulator } from '../emulator';

/** The examples the demo can run: the Google Sheets one (default), households and their members, a lookup table. */
const DEMO_EXAMPLES = ['sheets', 'households', 'facilities'] as const;
type DemoExample = (typeof DEMO_EXAMPLES)[number];
/** What the demo's first line says it runs. */
const DEMO_TITLES: Record<DemoExample, string> = {
	sheets: '',
	households: ' of households and their members',
	facilities: ' of a facility list to a lookup table',
};

interface DemoOptions {
	version: N8nVersion;
	ui: boolean;
	port: number;
	example: DemoExample;
}

function parseArguments(args: string[]): DemoOptions {
	const options: DemoOptions = { version: '2.40.7', ui: false, port: 5678, example: 'sheets' };
	for (let index = 0; index < args.length; index++) {
		const arg = args[index];
		let [name, value] = arg.split('=', 2);
		// `--example households` as well as `--example=households`.
		if (name === '--example' && value === undefined) value = args[++index];
		if (name === '--ui') options.ui = true;
		else if (name === '--example' && DEMO_EXAMPLES.includes(value as DemoExample))
			options.example = value as DemoExample;
		else if (name === '--n8n' && SUPPORTED_N8N_VERSIONS.includes(value as N8nVersion))
			options.version = value as N8nVersion;
		else if (name === '--port' && /^\d+$/.test(value ?? '')) options.port = Number(value);
		else {
			throw new Error(
				`Unknown argument ${arg}. Use --n8n=${SUPPORTED_N8N_VERSIONS.join('|')}, --ui, --port=<editor port>, --example=${DEMO_EXAMPLES.join('|')}.`,
			);
		}
	}
	return options;
}

const DEMO_CREDENTIAL = { id: 'commCareDemoEmulator', name: 'CommCare (demo emulator)' };

async function main(): Promise<void> {
	const options = parseArguments(process.argv.slice(2));
	const started = Date.now();
	const timings: Array<[string, number]> = [];
	const step = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
		const stepStarted = Date.now();
		console.log(`\n▸ ${label}`);
		const result = await work();
		timings.push([label, Date.now() - stepStarted]);
		return result;
	};

	let emulator: Emulator | undefined;
	let instance: N8nInstance | undefined;
	let editor: RunningEditor | undefined;
	let scratch: string | undefined;
	let shuttingDown = false;
	const shutdown = async (exitCode: number) => {
		if (shuttingDown) return;
		shuttingDown = true;
		await editor?.stop();
		await instance?.cleanup();
		await emulator?.close();
		if (scratch) await fs.rm(scratch, { recursive: true, force: true });
		process.exit(exitCode);
	};
	for (const signal of ['SIGINT', 'SIGTERM'] as const) {
		process.on(signal, () => {
			console.log(`\n${signal}: stopping n8n and the emulator ...`);
			void shutdown(0);
		});
	}

	try {
		console.log(
			`CommCare nodes for n8n: demo${DEMO_TITLES[options.example]} on n8n ${options.version}${options.ui ? ' (editor mode)' : ''}`,
		);
		scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'commcare-demo-'));
		const tarball = await step('Building and packing the package (npm run build, npm pack)', () =>
			packPackage({ destination: scratch }),
		);
		console.log(`  ${path.basename(tarball)}`);

		emulator = await step('Starting the CommCare HQ emulator', () => startEmulator());
		console.log(`  ${emulator.baseUrl}  project space "${emulator.domain}", user ${emulator.username}`);

		const install = await step(
			`Getting n8n ${options.version} ready (the first run installs it: about 5 minutes)`,
			() => ensureN8n(options.version),
		);
		console.log(`  ${install.dir}`);

		instance = await step('Creating an n8n instance with the package and a CommCare credential', async () => {
			const created = await createInstance(install);
			const installed = await created.installPackage(tarball);
			console.log(`  installed ${installed.name}@${installed.version} as a community package`);
			await created.importCredentials([
				commCareCredential({
					...DEMO_CREDENTIAL,
					baseUrl: emulator!.baseUrl,
					username: emulator!.username,
					apiKey: emulator!.apiKey,
				}),
			]);
			console.log(`  credential "${DEMO_CREDENTIAL.name}" → ${emulator!.baseUrl}`);
			return created;
		});

		const outcome = await step('Running the workflow', async () => {
			if (options.example === 'households') {
				const households = await runHouseholdsDemo(instance!, emulator!, DEMO_CREDENTIAL);
				return { ...households, print: () => printHouseholdsOutcome(households, emulator!) };
			}
			if (options.example === 'facilities') {
				const facilities = await runFacilitiesDemo(instance!, emulator!, DEMO_CREDENTIAL);
				return { ...facilities, print: () => printFacilitiesOutcome(facilities, emulator!) };
			}
			const sheets = await runDemoImport(instance!, emulator!, DEMO_CREDENTIAL);
			return { ...sheets, print: () => printOutcome(sheets, emulator!) };
		});
		outcome.print();

		console.log('\nTimings:');
		for (const [label, ms] of timings) console.log(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${label}`);
		console.log(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  total`);

		if (!options.ui) {
			await shutdown(outcome.runFailed ? 1 : 0);
			return;
		}

		await step('Loading the example workflows into the editor', async () => {
			for (const file of exampleFileNames()) {
				await instance!.importWorkflow(useCommCareCredential(loadExample(file), DEMO_CREDENTIAL));
				console.log(`  examples/${file}`);
			}
		});
		editor = await step(`Starting the n8n editor on port ${options.port}`, () =>
			startEditor(instance!, { port: options.port, log: (line) => console.log(`  ${line}`) }),
		);
		console.log(`
The n8n editor is running: ${editor.url}
  log in as  ${editor.owner.email}  /  ${editor.owner.password}
  workflows: "${outcome.workflowName}" (the one just run: open it and press Execute to run it again),
             and the examples (their Google Sheets, Postgres, Slack and email nodes need your own accounts)
  credential "${DEMO_CREDENTIAL.name}" points at the emulator, which keeps running at ${emulator.baseUrl}
Press Ctrl+C to stop n8n and the emulator.`);
	} catch (error) {
		console.error(`\nThe demo failed: ${error instanceof Error ? error.message : String(error)}`);
		await shutdown(1);
	}
}

void main();
