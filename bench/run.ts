/**
 * `npm run bench`: runs every case of `cases.ts` in its own child process, several times, interleaved, and prints the
 * figures side by side with the ratios the targets are stated in; writes them to `bench/results/latest.json`.
 *
 *   npm run bench                      all cases, 3 runs each
 *   npm run bench -- --runs 5          more runs (medians get steadier)
 *   npm run bench -- --only ours,sheetjs
 *   npm run bench -- --only householdsChain,membersWithoutCheck --households 1000
 *                                      households and members, smaller (default 10,000 households, 50,000 members)
 *   npm run bench -- --only lookupTableUpload,lookupTableReplaceSame --table-rows 5000
 *                                      the lookup-table cases, smaller (default 50,000 rows)
 *   npm run bench -- --only ... --results bench/results/lookup-tables.json
 *                                      figures to another file (a run of some cases, kept beside the full run's)
 *
 * Figures: wall time and CPU time are medians over the runs; peak RSS above the baseline (the input
 * already in memory) is the highest seen over the runs. CPU time is the case's process only (not the emulator's).
 * A case that measures stages of its own (stages.ts) gets a table of them too, the emulator's CPU time beside them.
 * Large input files are made once (`fixtures`). Running the children: `children.ts`.
 */
import { mkdirSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

import { cases } from './cases';
import type { ChildResult } from './child';
import { buildForChildren, makeFixtures, median, ROOT, runChild, table } from './children';
import { householdCount, HOUSEHOLDS_VARIABLE } from './households';
import { tableRowCount, TABLE_ROWS_VARIABLE } from './lookupTables';
import { summarizeStages, type StageSummary } from './stages';

const DEFAULT_RESULTS_FILE = path.join(ROOT, 'bench', 'results', 'latest.json');

/** Targets, as ratios of the same run. */
const TARGETS = {
	oursOverRawExceljs: 1.3,
	sheetjsOverOurs: 4,
	/** Peak RSS above the input items, for 100k x 20: building the file, and the whole execute(). */
	peakAboveInputMb: 150,
	/** RSS growth while uploading the 100 MB file. */
	uploadGrowthMb: 64,
	/** A file made to inflate to 1 GiB: refused within this time and memory above the baseline. */
	zipBombSeconds: 5,
	zipBombGrowthMb: 64,
	/** Looking up 100k case IDs: what execute() adds to a run without the lookup, against the bulk fetches alone. */
	lookupAddedOverFetchAlone: 4,
};

interface Summary {
	name: string;
	group: string;
	description: string;
	runs: number;
	wallSeconds: number;
	cpuSeconds: number;
	peakAboveBaselineMb: number;
	baselineRssMb: number;
	outputBytes: number;
	peakSource: string;
	stages?: StageSummary[];
	all: ChildResult[];
}

interface Arguments {
	runs: number;
	only: string[] | null;
	households: number | null;
	tableRows: number | null;
	resultsFile: string;
}

function parseArgs(argv: string[]): Arguments {
	let runs = 3;
	let only: string[] | null = null;
	let households: number | null = null;
	let tableRows: number | null = null;
	let resultsFile = DEFAULT_RESULTS_FILE;
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '--runs') runs = Number(argv[++i]);
		else if (argv[i] === '--only') only = argv[++i].split(',');
		else if (argv[i] === '--households') households = Number(argv[++i]);
		else if (argv[i] === '--table-rows') tableRows = Number(argv[++i]);
		else if (argv[i] === '--results') resultsFile = path.resolve(ROOT, argv[++i]);
		else throw new Error(`Unknown argument ${argv[i]}`);
	}
	if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs needs a positive integer');
	for (const [flag, value] of [
		['--households', households],
		['--table-rows', tableRows],
	] as const) {
		if (value !== null && (!Number.isInteger(value) || value < 1)) throw new Error(`${flag} needs a positive integer`);
	}
	return { runs, only, households, tableRows, resultsFile };
}

async function main(): Promise<void> {
	const { runs, only, households, tableRows, resultsFile } = parseArgs(process.argv.slice(2));
	// The cases' processes read them (households.ts, lookupTables.ts).
	if (households !== null) process.env[HOUSEHOLDS_VARIABLE] = String(households);
	if (tableRows !== null) process.env[TABLE_ROWS_VARIABLE] = String(tableRows);
	const selected = cases.filter((c) => !only || only.includes(c.name));
	if (selected.length === 0) throw new Error(`No case matches. Known: ${cases.map((c) => c.name).join(', ')}`);

	buildForChildren();
	await makeFixtures(selected);
	const results = new Map<string, ChildResult[]>(selected.map((c) => [c.name, []]));
	// Interleaved (a, b, c, a, b, c, ...) so that drift in machine load spreads over all cases.
	for (let run = 1; run <= runs; run++) {
		for (const benchCase of selected) {
			process.stderr.write(`run ${run}/${runs}: ${benchCase.name} ... `);
			const result = await runChild(benchCase.name);
			process.stderr.write(`${result.wallSeconds.toFixed(2)} s, +${result.peakAboveBaselineMb.toFixed(0)} MB\n`);
			results.get(benchCase.name)?.push(result);
		}
	}

	const summaries: Summary[] = selected.map((benchCase) => {
		const all = results.get(benchCase.name) as ChildResult[];
		return {
			name: benchCase.name,
			group: benchCase.group,
			description: benchCase.description,
			runs: all.length,
			wallSeconds: median(all.map((r) => r.wallSeconds)),
			cpuSeconds: median(all.map((r) => r.cpuSeconds)),
			peakAboveBaselineMb: Math.max(...all.map((r) => r.peakAboveBaselineMb)),
			baselineRssMb: median(all.map((r) => r.baselineRssMb)),
			outputBytes: all[0].outputBytes,
			peakSource: all[0].peakSource,
			...(all.some((r) => r.stages) ? { stages: summarizeStages(all.map((r) => r.stages ?? [])) } : {}),
			all,
		};
	});
	const byName = new Map(summaries.map((s) => [s.name, s]));

	for (const group of [...new Set(summaries.map((s) => s.group))]) {
		const rows = [
			[
				'case',
				'wall s (median)',
				'CPU s (median)',
				'peak RSS above input, MB (max)',
				'input RSS, MB',
				'output or sent, MB',
			],
		];
		for (const s of summaries.filter((x) => x.group === group)) {
			rows.push([
				s.name,
				s.wallSeconds.toFixed(2),
				s.cpuSeconds.toFixed(2),
				s.peakAboveBaselineMb.toFixed(0),
				s.baselineRssMb.toFixed(0),
				(s.outputBytes / 1024 / 1024).toFixed(1),
			]);
		}
		console.log(
			`\n${group} (${runs} run${runs === 1 ? '' : 's'} each, ${os.cpus().length} CPUs, Node ${process.version})\n${table(rows)}`,
		);
		const staged = summaries.filter((x) => x.group === group && x.stages);
		if (staged.length > 0) console.log(`\nstages\n${table(stageRows(staged))}`);
	}

	const ours = byName.get('ours');
	const raw = byName.get('rawExceljs');
	const sheetjs = byName.get('sheetjs');
	const ratios: Record<string, number> = {};
	const verdicts: Array<{ target: string; value: number; met: boolean }> = [];
	if (ours && raw) {
		ratios.oursOverRawExceljsWall = ours.wallSeconds / raw.wallSeconds;
		ratios.oursOverRawExceljsCpu = ours.cpuSeconds / raw.cpuSeconds;
		verdicts.push({
			target: `ours / raw exceljs, wall <= ${TARGETS.oursOverRawExceljs}x`,
			value: ratios.oursOverRawExceljsWall,
			met: ratios.oursOverRawExceljsWall <= TARGETS.oursOverRawExceljs,
		});
	}
	if (ours && sheetjs) {
		ratios.sheetjsOverOursWall = sheetjs.wallSeconds / ours.wallSeconds;
		ratios.sheetjsOverOursCpu = sheetjs.cpuSeconds / ours.cpuSeconds;
		verdicts.push({
			target: `sheetjs / ours, wall >= ${TARGETS.sheetjsOverOurs}x`,
			value: ratios.sheetjsOverOursWall,
			met: ratios.sheetjsOverOursWall >= TARGETS.sheetjsOverOurs,
		});
	}
	const peakAtMost = (summary: Summary | undefined, limitMb: number, what: string) => {
		if (summary)
			verdicts.push({
				target: `${summary.name}: ${what} <= ${limitMb} MB`,
				value: summary.peakAboveBaselineMb,
				met: summary.peakAboveBaselineMb <= limitMb,
			});
	};
	peakAtMost(ours, TARGETS.peakAboveInputMb, 'peak RSS above input');
	const executeItems = byName.get('executeItems');
	const postPrepared = byName.get('postPreparedFile');
	peakAtMost(executeItems, TARGETS.peakAboveInputMb, 'peak RSS above input');
	if (executeItems && postPrepared) {
		// The node's own part of execute(): everything but sending the finished file.
		ratios.executeItemsMinusTransferWallSeconds = executeItems.wallSeconds - postPrepared.wallSeconds;
		ratios.executeItemsOverTransferWall = executeItems.wallSeconds / postPrepared.wallSeconds;
	}
	peakAtMost(byName.get('uploadFileChecked'), TARGETS.uploadGrowthMb, 'RSS growth');
	peakAtMost(byName.get('uploadFileSkipChecks'), TARGETS.uploadGrowthMb, 'RSS growth');
	const bomb = byName.get('zipBombChecked');
	if (bomb) {
		verdicts.push({
			target: `zipBombChecked: refused within ${TARGETS.zipBombSeconds} s (wall)`,
			value: bomb.wallSeconds,
			met: bomb.wallSeconds <= TARGETS.zipBombSeconds,
		});
		peakAtMost(bomb, TARGETS.zipBombGrowthMb, 'peak RSS above baseline');
	}
	const postLarge = byName.get('postLargeFile');
	for (const name of ['uploadFileChecked', 'uploadFileSkipChecks']) {
		const upload = byName.get(name);
		if (upload && postLarge) ratios[`${name}OverPostLargeFileWall`] = upload.wallSeconds / postLarge.wallSeconds;
	}
	const lookup = byName.get('statusLookUpCaseIds');
	const withoutLookup = byName.get('statusWithoutLookup');
	const fetchAlone = byName.get('bulkFetchAlone');
	if (lookup && withoutLookup) {
		ratios.lookupAddsWallSeconds = lookup.wallSeconds - withoutLookup.wallSeconds;
		ratios.lookupAddsPeakMb = lookup.peakAboveBaselineMb - withoutLookup.peakAboveBaselineMb;
		if (fetchAlone) {
			ratios.lookupAddedOverFetchAloneWall = ratios.lookupAddsWallSeconds / fetchAlone.wallSeconds;
			verdicts.push({
				target: `case lookup: time added to Import Status / the bulk fetches alone, wall <= ${TARGETS.lookupAddedOverFetchAlone}x`,
				value: ratios.lookupAddedOverFetchAloneWall,
				met: ratios.lookupAddedOverFetchAloneWall <= TARGETS.lookupAddedOverFetchAlone,
			});
		}
	}
	const chain = byName.get('householdsChain')?.stages?.find((stage) => stage.name.startsWith('3.'));
	const unchecked = byName.get('membersWithoutCheck')?.stages?.[0];
	if (chain && unchecked) {
		ratios.parentCheckAddsWallSeconds = chain.wallSeconds - unchecked.wallSeconds;
		ratios.parentCheckAddsCpuSeconds = chain.cpuSeconds - unchecked.cpuSeconds;
		ratios.parentCheckAddsPeakMb = chain.peakAboveBaselineMb - unchecked.peakAboveBaselineMb;
		ratios.membersCheckedOverUncheckedWall = chain.wallSeconds / unchecked.wallSeconds;
	}
	const tableUpload = byName.get('lookupTableUpload');
	const tablePost = byName.get('lookupTablePostPrepared');
	if (tableUpload && tablePost) {
		// The node's own part of a lookup-table upload: everything but sending the workbook and the emulator's import.
		ratios.lookupTableNodeAddsWallSeconds = tableUpload.wallSeconds - tablePost.wallSeconds;
		ratios.lookupTableUploadOverPostPreparedWall = tableUpload.wallSeconds / tablePost.wallSeconds;
	}
	const tableWrite = byName.get('lookupTableUploadStages')?.stages?.find((stage) => stage.name.startsWith('3.'));
	const tableRawExceljs = byName.get('lookupTableRawExceljs');
	if (tableWrite && tableRawExceljs)
		ratios.lookupTableWriteOverRawExceljsWall = tableWrite.wallSeconds / tableRawExceljs.wallSeconds;
	if (Object.keys(ratios).length > 0) {
		console.log(
			`\nratios: ${Object.entries(ratios)
				.map(([k, v]) => `${k} ${v.toFixed(2)}`)
				.join(', ')}`,
		);
	}
	for (const v of verdicts) console.log(`${v.met ? 'MET   ' : 'MISSED'}  ${v.target}: ${v.value.toFixed(2)}`);

	mkdirSync(path.dirname(resultsFile), { recursive: true });
	writeFileSync(
		resultsFile,
		`${JSON.stringify(
			{
				date: new Date().toISOString(),
				machine: {
					cpus: os.cpus().length,
					cpuModel: os.cpus()[0]?.model,
					totalMemoryMb: Math.round(os.totalmem() / 1024 / 1024),
					node: process.version,
					platform: `${os.platform()} ${os.release()}`,
				},
				runs,
				households: householdCount(),
				tableRows: tableRowCount(),
				cases: summaries,
				ratios,
				targets: verdicts,
			},
			null,
			'\t',
		)}\n`,
	);
	console.log(`\nwritten to ${path.relative(ROOT, resultsFile)}`);
}

/** One row per stage of the cases that measured stages: medians, the highest peak, the emulator's CPU time. */
function stageRows(staged: Summary[]): string[][] {
	const rows = [
		[
			'case: stage',
			'wall s (median)',
			'CPU s (median)',
			'emulator CPU s (median)',
			'peak RSS above stage start, MB (max)',
			'RSS at stage start, MB',
		],
	];
	for (const s of staged) {
		for (const stage of s.stages ?? []) {
			rows.push([
				`${s.name}: ${stage.name}`,
				stage.wallSeconds.toFixed(2),
				stage.cpuSeconds.toFixed(2),
				stage.otherCpuSeconds === null ? '-' : stage.otherCpuSeconds.toFixed(2),
				stage.peakAboveBaselineMb.toFixed(0),
				stage.baselineRssMb.toFixed(0),
			]);
		}
	}
	return rows;
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
