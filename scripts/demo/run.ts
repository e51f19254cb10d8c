/**
 * The demo's run: the Google Sheets example fed with sample health-programme records (records.ts), executed in a
 * real n8n against the emulator, and the outcome told in plain words.
 */
import type { IDataObject } from 'n8n-workflow';

import type { N8nInstance } from '../../test/harness/n8n/instance';
import type { Case, Emulator } from '../../emulator';
import { DEMO_IMPORT, EXISTING_CASE, MISTAKES, SAMPLE_RECORDS } from './records';
import { SHEETS_EXAMPLE, sheetsExampleWithRecords } from '../../examples/workflows';

export const DEMO_WORKFLOW_NAME = 'CommCare demo: antenatal care registrations';

export interface DemoOutcome {
	workflowName: string;
	workflowId: string;
	/** Set when the run itself failed (a node threw); the message n8n recorded. */
	runFailed: string | null;
	/** Items of CommCare Import Status, per output. */
	success: IDataObject[];
	warning: IDataObject[];
	error: IDataObject[];
	notFinished: IDataObject[];
	/** What the workflow's sheet updates would write back, per branch (row_number, import_status, import_error, case_id). */
	writtenBack: { success: IDataObject[]; warning: IDataObject[]; error: IDataObject[]; notFinished: IDataObject[] };
	/** The Slack message the workflow would send about a failed import, if any. */
	alert: string | null;
	casesBefore: Case[];
	casesAfter: Case[];
	executeSeconds: number;
}

export async function runDemoImport(
	instance: N8nInstance,
	emulator: Emulator,
	credential: { id: string; name: string },
): Promise<DemoOutcome> {
	emulator.cases.add(emulator.domain, EXISTING_CASE);
	const casesBefore = structuredClone(emulator.cases.all(emulator.domain));
	console.log(
		`  CommCare already has 1 case: ${EXISTING_CASE.name} (${EXISTING_CASE.external_id}), imported last month`,
	);

	// The example exactly as a user imports it (Simplify on, its poll interval), only its sheet and Slack swapped.
	const workflow = sheetsExampleWithRecords(SAMPLE_RECORDS, credential, emulator.domain, {
		caseType: DEMO_IMPORT.caseType,
	});
	workflow.name = DEMO_WORKFLOW_NAME;
	const workflowId = await instance.importWorkflow(workflow);
	console.log(`  workflow "${workflow.name}" from examples/${SHEETS_EXAMPLE.file}`);
	console.log(
		`  (the sheet's rows replaced by ${SAMPLE_RECORDS.length} sample registrations; the sheet updates and the Slack alert by Set nodes that show what they would write and send)`,
	);
	console.log('  n8n execute ...');

	const started = Date.now();
	const run = await instance.execute(workflowId);
	const executeSeconds = (Date.now() - started) / 1000;
	const outputs = run.runData[SHEETS_EXAMPLE.status] ? run.outputs(SHEETS_EXAMPLE.status) : [];
	const [success = [], warning = [], error = [], notFinished = []] = outputs.map((items) =>
		items.map((item) => item.json),
	);
	const written = (nodeName: string) =>
		run.runData[nodeName] ? run.outputs(nodeName)[0].map((item) => item.json) : [];
	return {
		workflowName: workflow.name,
		workflowId,
		runFailed: run.error ? `${run.error.node?.name ? `${run.error.node.name}: ` : ''}${run.error.message}` : null,
		success,
		warning,
		error,
		notFinished,
		writtenBack: {
			success: written(SHEETS_EXAMPLE.onSuccess),
			warning: written(SHEETS_EXAMPLE.onWarning),
			error: written(SHEETS_EXAMPLE.onError),
			notFinished: written(SHEETS_EXAMPLE.onNotFinished),
		},
		alert: (written(SHEETS_EXAMPLE.alert)[0]?.text as string | undefined) ?? null,
		casesBefore,
		casesAfter: emulator.cases.all(emulator.domain),
		executeSeconds,
	};
}

export function printOutcome(outcome: DemoOutcome, emulator: Emulator): void {
	if (outcome.runFailed) {
		console.log(`\nThe workflow run failed: ${outcome.runFailed}`);
		return;
	}
	const before = new Map(outcome.casesBefore.map((c) => [c.case_id, c]));
	const rows = outcome.casesAfter.map((c) => {
		const previous = before.get(c.case_id);
		const action = !previous ? 'created' : JSON.stringify(previous) === JSON.stringify(c) ? 'unchanged' : 'updated';
		return [
			c.external_id || '—',
			c.name || '(no name)',
			c.properties.village ?? '',
			c.properties.risk_level ?? '',
			c.owner_id,
			action,
		];
	});
	const created = rows.filter((row) => row[5] === 'created').length;
	const updated = rows.filter((row) => row[5] === 'updated').length;
	console.log(
		`\nCases at CommCare (emulator, project space "${emulator.domain}", case type "${DEMO_IMPORT.caseType}"): ${created} created, ${updated} updated`,
	);
	printTable(['external_id', 'name', 'village', 'risk_level', 'owner_id', 'this run'], rows);

	const total = outcome.success.length + outcome.warning.length + outcome.error.length + outcome.notFinished.length;
	console.log(
		`\nThe ${total} sheet rows, as CommCare Import Status routed them, and what the workflow writes back to the sheet:`,
	);
	const branch = (label: string, items: IDataObject[], writtenBack: IDataObject[]) => {
		console.log(`  ${label} (${items.length})`);
		items.forEach((item, index) => {
			const record = (item.record ?? {}) as IDataObject;
			const who = record.name ? String(record.name) : '(blank row)';
			const id = record.external_id ? ` ${record.external_id}` : '';
			const sheet = writtenBack[index] ?? {};
			const error = sheet.import_error ? `, import_error "${sheet.import_error}"` : '';
			const caseId = sheet.case_id ? `, case_id ${sheet.case_id}` : '';
			console.log(
				`    sheet row ${sheet.row_number ?? item.row}  ${who}${id}  [${item.reason}]  →  import_status "${sheet.import_status ?? ''}"${caseId}${error}`,
			);
			console.log(`      ${String(item.summary)}`);
			const mistake = MISTAKES[Number(sheet.row_number ?? item.row)];
			if (mistake) console.log(`      (the sample's mistake: ${mistake})`);
		});
	};
	branch('Success', outcome.success, outcome.writtenBack.success);
	branch('Warning', outcome.warning, outcome.writtenBack.warning);
	branch('Error', outcome.error, outcome.writtenBack.error);
	if (outcome.notFinished.length > 0) branch('Not Finished', outcome.notFinished, outcome.writtenBack.notFinished);
	if (outcome.alert) console.log(`\nThe Slack alert it sends:\n${outcome.alert.replace(/^/gm, '  | ')}`);
	else if (outcome.error.length === 0) {
		console.log(
			'\nNo Slack alert: the import itself went through. Rows to fix are on Warning (reason rowErrors), written back to the sheet.',
		);
	}
	console.log(`n8n ran the workflow in ${outcome.executeSeconds.toFixed(1)} s (n8n start-up included).`);
}

export function printTable(headers: string[], rows: string[][]): void {
	const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
	const line = (cells: string[]) =>
		`  ${cells.map((cell, column) => cell.padEnd(widths[column])).join('  ')}`.trimEnd();
	console.log(line(headers));
	console.log(line(widths.map((width) => '-'.repeat(width))));
	for (const row of rows) console.log(line(row));
}
