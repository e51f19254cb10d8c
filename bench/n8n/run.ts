/**
 * `npm run bench:n8n`: our nodes and the path users build by hand, side by side in one real n8n 2.x, against the
 * CommCare emulator answering without importing (so the server's cost is not in the figures):
 *
 *   rowsOnly            baseline: the 100,000 × 20 items made by a Code node, nothing else
 *   oursItems           100,000 × 20 items (a Code node) → CommCare Bulk Import → CommCare Import Status
 *   byHand              the same items → Convert to File (xlsx) → HTTP Request (multipart) → HTTP Request polling
 *   oursFileChecked     a 100 MB .xlsx read from disk → Bulk Import (Spreadsheet File) → Import Status
 *   oursFileSkipChecks  the same, Skip Checks Before Upload on
 *   oursPerRecord       oursItems with Output One Item per Record (100,000 items through both nodes)
 *   oursPerRecordUnsaved  the same, n8n not saving successful runs (EXECUTIONS_DATA_SAVE_ON_SUCCESS=none)
 *   plain execute()     Bulk Import's execute() for the same items outside n8n (bench/cases.ts `executeItems`)
 *
 * Each run is a fresh n8n process with a warm-up run first (see measure.ts); runs are interleaved and the figures
 * are medians. Filesystem binary-data mode. Writes bench/results/n8n-latest.json.
 *
 *   npm run bench:n8n                                  all scenarios, 3 runs each (about 20 minutes)
 *   npm run bench:n8n -- --runs 1 --only oursItems,byHand
 *   npm run bench:n8n -- --profile                     also a CPU-profiled run of each: bench/results/n8n-profile-*.txt
 *   npm run bench:n8n -- --n8n 2.40.7
 */
import { createWriteStream, mkdirSync, mkdtempSync, promises as fs, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { finished } from 'stream/promises';

import { commCareCredential } from '../../examples/workflows';
import { ensureN8n, type N8nVersion } from '../../test/harness/n8n/install';
import { createInstance } from '../../test/harness/n8n/instance';
import { packPackage } from '../../test/harness/n8n/pack';
import { cases, fixtures } from '../cases';
import { buildForChildren, makeFixtures, median, ROOT, runChild, table } from '../children';
import { ROW_COUNT, writeLargeXlsx } from '../data';
import { measureRun, profileOf, startAnsweringEmulator, type RunFigures, type Scenario } from './measure';
import { formatProfile, summarizeProfile } from './profile';
import { byHandWorkflow, fileWorkflow, NODE, oursWorkflow, rowsOnlyWorkflow, type BenchCredentials } from './workflows';

const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
const WARM_UP_ROWS = 20;
const PLAIN_EXECUTE_CASE = 'executeItems';

/** Targets, as ratios of the same run. */
const TARGETS = {
	bulkImportOverPlainExecute: 1.5,
	byHandOverOursRun: 3,
	oursOverByHandGrowth: 0.5,
	perRecordGrowthMb: 600,
	fileCheckedGrowthMb: 64,
};

function parseArgs(argv: string[]) {
	const options = { runs: 3, only: null as string[] | null, profile: false, n8n: '2.41.1' as N8nVersion };
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '--runs') options.runs = Number(argv[++i]);
		else if (argv[i] === '--only') options.only = argv[++i].split(',');
		else if (argv[i] === '--profile') options.profile = true;
		else if (argv[i] === '--n8n') options.n8n = argv[++i] as N8nVersion;
		else throw new Error(`Unknown argument ${argv[i]}`);
	}
	if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error('--runs needs a positive integer');
	if (!options.n8n.startsWith('2.')) throw new Error('--n8n: the benchmark runs on n8n 2.x');
	return options;
}

function scenarios(
	credentials: BenchCredentials,
	baseUrl: string,
	files: { small: string; large: string },
): Scenario[] {
	const rows = (count: number) => ({ rows: count, body: { rows: count } });
	const itemsRuns = { warmUp: rows(WARM_UP_ROWS), measured: rows(ROW_COUNT) };
	const fileRuns = {
		warmUp: { rows: WARM_UP_ROWS, body: { file: files.small } },
		measured: { rows: ROW_COUNT, body: { file: files.large } },
	};
	const onePerUpload = { [NODE.bulkImport]: [1], [NODE.status]: [1, 0, 0] };
	return [
		{
			name: 'rowsOnly',
			description: 'baseline: the 100k x 20 items made by the Code node, and nothing else',
			workflow: rowsOnlyWorkflow(),
			...itemsRuns,
			timedNodes: [NODE.makeRows],
			expectedItems: { [NODE.makeRows]: [ROW_COUNT] },
		},
		{
			name: 'oursItems',
			description: '100k x 20 items (Code) → CommCare Bulk Import → CommCare Import Status',
			workflow: oursWorkflow(credentials, { perRecord: false }),
			...itemsRuns,
			timedNodes: [NODE.makeRows, NODE.bulkImport, NODE.status],
			expectedItems: onePerUpload,
		},
		{
			name: 'byHand',
			description: 'the same items → Convert to File (xlsx) → HTTP Request (multipart) → HTTP Request (status) → If',
			workflow: byHandWorkflow(credentials, baseUrl),
			...itemsRuns,
			timedNodes: [NODE.makeRows, NODE.convertToFile, NODE.upload, NODE.checkStatus, NODE.finished],
			expectedItems: { [NODE.upload]: [1], [NODE.checkStatus]: [1], [NODE.finished]: [1, 0] },
		},
		{
			name: 'oursFileChecked',
			description: '100 MB .xlsx (Read File, filesystem mode) → Bulk Import, checks on → Import Status',
			workflow: fileWorkflow(credentials, { checks: true }),
			...fileRuns,
			timedNodes: [NODE.readFile, NODE.bulkImport, NODE.status],
			expectedItems: onePerUpload,
		},
		{
			name: 'oursFileSkipChecks',
			description: 'the same file, Skip Checks Before Upload',
			workflow: fileWorkflow(credentials, { checks: false }),
			...fileRuns,
			timedNodes: [NODE.readFile, NODE.bulkImport, NODE.status],
			expectedItems: onePerUpload,
		},
		{
			name: 'oursPerRecord',
			description: 'oursItems with Output One Item per Record: 100k items out of each node',
			workflow: oursWorkflow(credentials, { perRecord: true }),
			...itemsRuns,
			timedNodes: [NODE.makeRows, NODE.bulkImport, NODE.status],
			expectedItems: { [NODE.bulkImport]: [ROW_COUNT], [NODE.status]: [ROW_COUNT, 0, 0] },
		},
		{
			name: 'oursPerRecordUnsaved',
			description: "oursPerRecord with n8n told not to save successful runs: what storing the run costs is n8n's own",
			workflow: oursWorkflow(credentials, { perRecord: true, id: 'oursPerRecordUnsaved' }),
			env: { EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'none' },
			...itemsRuns,
			timedNodes: [NODE.makeRows, NODE.bulkImport, NODE.status],
			expectedItems: {},
		},
	];
}

interface ScenarioSummary {
	name: string;
	description: string;
	runs: RunFigures[];
	runSeconds: number;
	/** The run without the node that makes or reads the input (the first timed node). */
	afterInputSeconds: number;
	nodeSeconds: Record<string, number>;
	peakRssMb: number;
	growthMb: number;
	storedMb: number;
}

function summarize(scenario: Scenario, runs: RunFigures[]): ScenarioSummary {
	const [inputNode] = scenario.timedNodes;
	return {
		name: scenario.name,
		description: scenario.description,
		runs,
		runSeconds: median(runs.map((r) => r.runSeconds)),
		afterInputSeconds: median(runs.map((r) => r.runSeconds - r.nodeSeconds[inputNode])),
		nodeSeconds: Object.fromEntries(
			scenario.timedNodes.map((name) => [name, median(runs.map((r) => r.nodeSeconds[name]))]),
		),
		peakRssMb: median(runs.map((r) => r.peakRssMb)),
		growthMb: median(runs.map((r) => r.growthMb)),
		storedMb: median(runs.map((r) => r.storedMb)),
	};
}

async function writeSmallXlsx(file: string): Promise<void> {
	const out = createWriteStream(file);
	await writeLargeXlsx(out, WARM_UP_ROWS);
	await finished(out);
}

async function main(): Promise<void> {
	const options = parseArgs(process.argv.slice(2));
	const log = (line: string) => process.stderr.write(`${line}\n`);

	buildForChildren();
	// The 100 MB .xlsx of the plain benchmark's upload cases, made once and kept.
	await makeFixtures(cases.filter((c) => c.fixture === 'largeXlsx'));
	const install = await ensureN8n(options.n8n);
	const tarball = await packPackage();
	const emulator = await startAnsweringEmulator();
	const work = mkdtempSync(path.join(os.tmpdir(), 'commcare-bench-n8n-'));
	const files = { small: path.join(work, 'cases-20.xlsx'), large: fixtures.largeXlsx.path };
	await writeSmallXlsx(files.small);
	const instance = await createInstance(install, {
		binaryDataMode: 'filesystem',
		env: { N8N_RESTRICT_FILE_ACCESS_TO: [work, path.dirname(files.large)].join(';') },
		commandTimeoutMs: 600_000,
	});
	try {
		await instance.installPackage(tarball);
		const credentials: BenchCredentials = {
			commCare: { id: 'benchCommCare', name: 'CommCare (emulator)' },
			headerAuth: { id: 'benchHeaderAuth', name: 'CommCare API key header' },
		};
		await instance.importCredentials([
			commCareCredential({ ...credentials.commCare, ...emulator }),
			{
				...credentials.headerAuth,
				type: 'httpHeaderAuth',
				data: { name: 'Authorization', value: `ApiKey ${emulator.username}:${emulator.apiKey}` },
			},
		]);
		const selected = scenarios(credentials, emulator.baseUrl, files).filter(
			(s) => !options.only || options.only.includes(s.name),
		);
		for (const scenario of selected) {
			await instance.importWorkflow(scenario.workflow);
			const published = await instance.runCommand(['publish:workflow', `--id=${scenario.workflow.id}`]);
			if (published.exitCode !== 0) throw new Error(`publish:workflow failed: ${published.stderr}`);
		}

		const results = new Map<string, RunFigures[]>(selected.map((s) => [s.name, []]));
		const plainExecute: number[] = [];
		for (let run = 1; run <= options.runs; run++) {
			const plain = await runChild(PLAIN_EXECUTE_CASE);
			plainExecute.push(plain.wallSeconds);
			log(`run ${run}/${options.runs}: plain execute() ${plain.wallSeconds.toFixed(2)} s`);
			for (const scenario of selected) {
				const figures = await measureRun(instance, emulator, scenario);
				results.get(scenario.name)?.push(figures);
				log(
					`run ${run}/${options.runs}: ${scenario.name} run ${figures.runSeconds.toFixed(2)} s, ` +
						`${Object.entries(figures.nodeSeconds)
							.map(([name, s]) => `${name} ${s.toFixed(2)} s`)
							.join(', ')}; peak ${figures.peakRssMb.toFixed(0)} MiB (+${figures.growthMb.toFixed(0)})`,
				);
			}
		}

		const profiles: Record<string, string> = {};
		if (options.profile) {
			const profileDir = path.join(work, 'profiles');
			mkdirSync(profileDir, { recursive: true });
			for (const scenario of selected) {
				const figures = await measureRun(instance, emulator, scenario, { cpuProfileDir: profileDir });
				const file = await profileOf(profileDir, figures.pid);
				if (!file) throw new Error(`no CPU profile of pid ${figures.pid} in ${profileDir}`);
				profiles[scenario.name] = formatProfile(scenario.name, summarizeProfile(file, figures.windowMicros));
				writeFileSync(path.join(RESULTS_DIR, `n8n-profile-${scenario.name}.txt`), profiles[scenario.name]);
				console.log(`\n${profiles[scenario.name]}`);
			}
		}

		report(
			options,
			install.version,
			selected.map((s) => summarize(s, results.get(s.name) as RunFigures[])),
			plainExecute,
		);
	} finally {
		await instance.cleanup();
		await emulator.close();
		rmSync(work, { recursive: true, force: true });
		// packPackage made a temporary folder for it.
		await fs.rm(path.dirname(tarball), { recursive: true, force: true }).catch(() => undefined);
	}
}

/** Seconds to print; a run n8n did not store has no node times. */
const seconds = (value: number) => (Number.isNaN(value) ? '—' : value.toFixed(2));

function report(
	options: ReturnType<typeof parseArgs>,
	n8nVersion: string,
	summaries: ScenarioSummary[],
	plainExecute: number[],
): void {
	const byName = new Map(summaries.map((s) => [s.name, s]));
	const rows = [
		['scenario', 'run s', 'after the input s', 'peak RSS MiB', 'growth MiB', 'stored MiB', 'node times s'],
		...summaries.map((s) => [
			s.name,
			s.runSeconds.toFixed(2),
			seconds(s.afterInputSeconds),
			s.peakRssMb.toFixed(0),
			s.growthMb.toFixed(0),
			s.storedMb.toFixed(1),
			Object.entries(s.nodeSeconds)
				.map(([name, value]) => `${name} ${seconds(value)}`)
				.join(', ') || '(not stored)',
		]),
	];
	const plainSeconds = median(plainExecute);
	console.log(
		`\nn8n ${n8nVersion}, regular mode, filesystem binary data (${options.runs} run${options.runs === 1 ? '' : 's'} each, medians; ${os.cpus().length} CPUs)\n${table(rows)}`,
	);
	console.log(
		`plain-Node Bulk Import execute() on the same items (npm run bench's executeItems): ${plainSeconds.toFixed(2)} s`,
	);

	const verdicts: Array<{ target: string; value: number; met: boolean }> = [];
	const ours = byName.get('oursItems');
	const byHand = byName.get('byHand');
	if (ours) {
		const value = ours.nodeSeconds[NODE.bulkImport] / plainSeconds;
		verdicts.push({
			target: `Bulk Import node time in n8n / plain execute() <= ${TARGETS.bulkImportOverPlainExecute}x`,
			value,
			met: value <= TARGETS.bulkImportOverPlainExecute,
		});
	}
	if (ours && byHand) {
		const run = byHand.runSeconds / ours.runSeconds;
		verdicts.push({
			target: `by hand / ours, whole run >= ${TARGETS.byHandOverOursRun}x`,
			value: run,
			met: run >= TARGETS.byHandOverOursRun,
		});
		const after = byHand.afterInputSeconds / ours.afterInputSeconds;
		verdicts.push({
			target: `by hand / ours, after the items exist >= ${TARGETS.byHandOverOursRun}x`,
			value: after,
			met: after >= TARGETS.byHandOverOursRun,
		});
		const growth = ours.growthMb / byHand.growthMb;
		verdicts.push({
			target: `ours / by hand, RSS growth <= ${TARGETS.oursOverByHandGrowth}x`,
			value: growth,
			met: growth <= TARGETS.oursOverByHandGrowth,
		});
		const rowsOnly = byName.get('rowsOnly');
		if (rowsOnly) {
			const added = (ours.growthMb - rowsOnly.growthMb) / (byHand.growthMb - rowsOnly.growthMb);
			verdicts.push({
				target: `ours / by hand, RSS growth above the items alone (rowsOnly) <= ${TARGETS.oursOverByHandGrowth}x`,
				value: added,
				met: added <= TARGETS.oursOverByHandGrowth,
			});
		}
	}
	const perRecord = byName.get('oursPerRecord');
	if (perRecord)
		verdicts.push({
			target: `per-record, 100k records: RSS growth <= ${TARGETS.perRecordGrowthMb} MiB`,
			value: perRecord.growthMb,
			met: perRecord.growthMb <= TARGETS.perRecordGrowthMb,
		});
	const fileChecked = byName.get('oursFileChecked');
	if (fileChecked)
		verdicts.push({
			target: `100 MB file, checks on: RSS growth <= ${TARGETS.fileCheckedGrowthMb} MiB`,
			value: fileChecked.growthMb,
			met: fileChecked.growthMb <= TARGETS.fileCheckedGrowthMb,
		});
	for (const v of verdicts) console.log(`${v.met ? 'MET   ' : 'MISSED'}  ${v.target}: ${v.value.toFixed(2)}`);

	mkdirSync(RESULTS_DIR, { recursive: true });
	const file = path.join(RESULTS_DIR, 'n8n-latest.json');
	writeFileSync(
		file,
		`${JSON.stringify(
			{
				date: new Date().toISOString(),
				n8n: n8nVersion,
				machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
				runs: options.runs,
				plainExecuteSeconds: { median: plainSeconds, all: plainExecute },
				scenarios: summaries,
				targets: verdicts,
			},
			null,
			'\t',
		)}\n`,
	);
	console.log(`\nwritten to ${path.relative(ROOT, file)}`);
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		console.error(error);
		process.exit(1);
	},
);
