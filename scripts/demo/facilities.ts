/**
 * `npm run demo -- --example facilities`: the lookup-table example (examples/facility-list-to-lookup-table.json) run
 * in a real n8n against the emulator. CommCare's `facility` table is seeded with the facilities it held last month;
 * the sample sheet changes one phone number and opens two facilities. The demo tells what the dry run said (rows to
 * add, rows to delete, with their UIDs), where the upload went, the Slack message the workflow would send, and the
 * table CommCare holds afterwards.
 */
import type { IDataObject } from 'n8n-workflow';

import type { N8nInstance } from '../../test/harness/n8n/instance';
import type { Emulator } from '../../emulator';
import {
	FACILITY_EXAMPLE,
	facilityExampleWithRecords,
	facilityFields,
	type FacilitySheetRow,
} from '../../examples/workflows';
import { printTable } from './run';

export const FACILITIES_DEMO_WORKFLOW_NAME = 'CommCare demo: facility list to lookup table';

const facility = (
	row_number: number,
	facility_id: string,
	name: string,
	district: string,
	level: string,
	phone: string,
): FacilitySheetRow => ({ row_number, facility_id, name, district, level, phone });

/** The `facility` table CommCare holds before the run (last month's list). */
const LAST_MONTH: FacilitySheetRow[] = [
	facility(2, 'F-001', 'Kisumu County Hospital', 'Kisumu', 'hospital', '+254 700 100 001'),
	facility(3, 'F-002', 'Nyalenda Health Centre', 'Kisumu', 'health centre', '+254 700 100 002'),
	facility(4, 'F-003', 'Kondele Dispensary', 'Kisumu', 'dispensary', '+254 700 100 003'),
	facility(5, 'F-004', 'Kenyatta National Hospital', 'Nairobi', 'hospital', '+254 700 100 004'),
	facility(6, 'F-005', 'Kibera Health Centre', 'Nairobi', 'health centre', '+254 700 100 005'),
	facility(7, 'F-006', 'Mathare North Dispensary', 'Nairobi', 'dispensary', '+254 700 100 006'),
	facility(8, 'F-007', 'Coast General Hospital', 'Mombasa', 'hospital', '+254 700 100 007'),
	facility(9, 'F-008', 'Likoni Health Centre', 'Mombasa', 'health centre', '+254 700 100 008'),
	facility(10, 'F-009', 'Bamburi Dispensary', 'Mombasa', 'dispensary', '+254 700 100 009'),
	facility(11, 'F-010', 'Nakuru Level 5 Hospital', 'Nakuru', 'hospital', '+254 700 100 010'),
];

/**
 * The sheet now: Kibera Health Centre has a new phone number, two facilities opened (added at the end: CommCare
 * matches rows by content and position, so a row inserted higher up would move every row below it). Replace deletes
 * the old Kibera row: 1 of 10 rows, within the 10% the example's safety valve allows.
 */
export const SAMPLE_SHEET: FacilitySheetRow[] = [
	...LAST_MONTH.slice(0, 4),
	{ ...LAST_MONTH[4], phone: '+254 711 200 005' },
	...LAST_MONTH.slice(5),
	facility(12, 'F-011', 'Lanet Health Centre', 'Nakuru', 'health centre', '+254 700 100 011'),
	facility(13, 'F-012', 'Garissa County Hospital', 'Garissa', 'hospital', '+254 700 100 012'),
];

interface FacilityRow {
	uid: string;
	fields: Record<string, string>;
}

export interface FacilitiesDemoOutcome {
	workflowName: string;
	workflowId: string;
	/** Set when the run itself failed (a node threw); the message n8n recorded. */
	runFailed: string | null;
	/** The dry run's item and the output it came out on (null when it did not run). */
	dryRun: { label: string; json: IDataObject } | null;
	upload: { label: string; json: IDataObject } | null;
	/** The Slack messages the workflow would send, by node name. */
	messages: Array<[string, string]>;
	rowsBefore: FacilityRow[];
	rowsAfter: FacilityRow[];
	executeSeconds: number;
}

function tableRows(emulator: Emulator): FacilityRow[] {
	return emulator.lookupTables.rows(emulator.domain, FACILITY_EXAMPLE.table).map((row) => ({
		uid: row.id,
		fields: Object.fromEntries(
			Object.entries(row.fields).map(([name, values]) => [name, values.map((value) => value.value).join(' | ')]),
		),
	}));
}

export async function runFacilitiesDemo(
	instance: N8nInstance,
	emulator: Emulator,
	credential: { id: string; name: string },
): Promise<FacilitiesDemoOutcome> {
	emulator.lookupTables.seed(emulator.domain, {
		tag: FACILITY_EXAMPLE.table,
		is_global: true,
		fields: [...FACILITY_EXAMPLE.fields],
		rows: LAST_MONTH.map((row) => ({ fields: facilityFields(row) })),
	});
	const rowsBefore = tableRows(emulator);
	console.log(
		`  CommCare's lookup table "${FACILITY_EXAMPLE.table}" holds ${rowsBefore.length} facilities (last month's list)`,
	);

	const workflow = facilityExampleWithRecords(SAMPLE_SHEET, credential, emulator.domain);
	workflow.name = FACILITIES_DEMO_WORKFLOW_NAME;
	const workflowId = await instance.importWorkflow(workflow);
	console.log(`  workflow "${workflow.name}" from examples/${FACILITY_EXAMPLE.file}`);
	console.log(
		`  (the sheet's rows replaced by ${SAMPLE_SHEET.length} facilities: one phone number changed, two facilities opened; the Slack messages by Set nodes that show what they would send)`,
	);
	console.log('  n8n execute ...');

	const started = Date.now();
	const run = await instance.execute(workflowId);
	const executeSeconds = (Date.now() - started) / 1000;
	const routed = (nodeName: string) => {
		if (!run.runData[nodeName]) return null;
		const outputs = run.outputs(nodeName);
		const index = outputs.findIndex((items) => items.length > 0);
		return index === -1 ? null : { label: OUTPUT_LABELS[index] ?? `output ${index}`, json: outputs[index][0].json };
	};
	const slackNodes = [
		FACILITY_EXAMPLE.onDryRunProblem,
		FACILITY_EXAMPLE.onSuccess,
		FACILITY_EXAMPLE.onWarning,
		FACILITY_EXAMPLE.onError,
	];
	return {
		workflowName: workflow.name,
		workflowId,
		runFailed: run.error ? `${run.error.node?.name ? `${run.error.node.name}: ` : ''}${run.error.message}` : null,
		dryRun: routed(FACILITY_EXAMPLE.dryRun),
		upload: routed(FACILITY_EXAMPLE.upload),
		messages: slackNodes
			.filter((name) => run.runData[name])
			.map((name) => [name, String(run.outputs(name)[0][0]?.json.text ?? '')]),
		rowsBefore,
		rowsAfter: tableRows(emulator),
		executeSeconds,
	};
}

const OUTPUT_LABELS = ['Success', 'Warning', 'Error'];

interface ChangesJson {
	table: string;
	rowsNow: number | null;
	added: number | null;
	deleted: number | null;
	unchanged: number | null;
	rowsAfter: number | null;
	deletedRows: FacilityRow[];
}

export function printFacilitiesOutcome(outcome: FacilitiesDemoOutcome, emulator: Emulator): void {
	if (outcome.runFailed) {
		console.log(`\nThe workflow run failed: ${outcome.runFailed}`);
		return;
	}
	const { dryRun, upload } = outcome;
	if (dryRun) {
		console.log(`\n"${FACILITY_EXAMPLE.dryRun}" → ${dryRun.label} [${String(dryRun.json.reason)}]`);
		console.log(`  ${String(dryRun.json.message)}`);
		for (const change of (dryRun.json.changes ?? []) as ChangesJson[]) {
			console.log(
				`  ${change.table}: ${change.rowsNow} rows now, ${change.unchanged} kept, ${change.added} to add, ${change.deleted} to delete → ${change.rowsAfter} rows`,
			);
			for (const row of change.deletedRows) {
				console.log(`    would delete ${row.uid}: ${Object.values(row.fields).join(', ')}`);
			}
		}
	}
	if (upload) {
		console.log(`\n"${FACILITY_EXAMPLE.upload}" → ${upload.label} [${String(upload.json.reason)}]`);
		console.log(`  ${String(upload.json.message)}`);
		const commcare = (upload.json.commcare ?? {}) as IDataObject;
		if (commcare.message) console.log(`  CommCare (code ${String(commcare.code)}): ${String(commcare.message)}`);
	} else {
		console.log(`\n"${FACILITY_EXAMPLE.upload}" did not run: only a clean dry run (Success) goes on to the upload.`);
	}
	for (const [name, text] of outcome.messages) {
		console.log(`\nSlack, "${name}" would send:\n${text.replace(/^/gm, '  | ')}`);
	}

	const before = new Set(outcome.rowsBefore.map((row) => row.uid));
	const knownIds = new Set(outcome.rowsBefore.map((row) => row.fields.facility_id));
	// A changed row is a new row to CommCare: the old one is deleted, this one has a new UID.
	const thisRun = (row: FacilityRow) =>
		before.has(row.uid) ? 'kept' : knownIds.has(row.fields.facility_id) ? 'changed (new UID)' : 'added';
	const after = new Set(outcome.rowsAfter.map((row) => row.uid));
	const gone = outcome.rowsBefore.filter((row) => !after.has(row.uid)).length;
	console.log(
		`\nLookup table "${FACILITY_EXAMPLE.table}" at CommCare (emulator, project space "${emulator.domain}"): ${outcome.rowsAfter.length} rows, ${gone} deleted by this run`,
	);
	printTable(
		[...FACILITY_EXAMPLE.fields, 'uid', 'this run'],
		outcome.rowsAfter.map((row) => [
			...FACILITY_EXAMPLE.fields.map((field) => row.fields[field] ?? ''),
			row.uid,
			thisRun(row),
		]),
	);
	console.log(`n8n ran the workflow in ${outcome.executeSeconds.toFixed(1)} s (n8n start-up included).`);
}
