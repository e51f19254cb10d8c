/**
 * `npm run demo -- --example households`: the households example (examples/households-to-commcare.json) fed with a
 * sample sheet of household members, run in a real n8n against the emulator, and each member's outcome told: where
 * it went, its case ID and its household's. One household's name was pasted with a whole address (over CommCare's
 * 255 characters): CommCare refuses that household, so its members are never sent (Error, reason notSent).
 */
import type { IDataObject } from 'n8n-workflow';

import type { N8nInstance } from '../../test/harness/n8n/instance';
import type { Emulator } from '../../emulator';
import { HOUSEHOLDS_EXAMPLE, householdsExampleWithRecords, householdsSheetRow } from '../../examples/workflows';
import { printTable } from './run';

export const HOUSEHOLDS_DEMO_WORKFLOW_NAME = 'CommCare demo: households and their members';

/** One sheet row per member, as Google Sheets gives them (row_number included), result columns empty. */
export type MemberRecord = ReturnType<typeof householdsSheetRow>;

const HOUSEHOLDS = {
	'HH-101': { household_name: 'Yusuf household', village: 'Kibera' },
	// The mistake: a whole address pasted into the name cell, over CommCare's 255 characters.
	'HH-102': {
		household_name: `Otieno household, ${'plot 14, behind the chief’s camp, second gate on the left, Mathare North, '.repeat(4)}`,
		village: 'Mathare',
	},
	'HH-103': { household_name: 'Chebet household', village: 'Kawangware' },
} as const;

const member = (
	row_number: number,
	member_id: string,
	name: string,
	age: number,
	household_id: keyof typeof HOUSEHOLDS,
): MemberRecord => householdsSheetRow(row_number, member_id, name, age, { household_id, ...HOUSEHOLDS[household_id] });

export const SAMPLE_MEMBERS: MemberRecord[] = [
	member(2, 'HM-1001', 'Amina Yusuf', 34, 'HH-101'),
	member(3, 'HM-1002', 'Omar Yusuf', 36, 'HH-101'),
	member(4, 'HM-1003', 'Zawadi Yusuf', 6, 'HH-101'),
	member(5, 'HM-1004', 'Joseph Otieno', 51, 'HH-102'),
	member(6, 'HM-1005', 'Grace Otieno', 45, 'HH-102'),
	member(7, 'HM-1006', 'Ruth Chebet', 27, 'HH-103'),
	member(8, 'HM-1007', 'Kevin Chebet', 2, 'HH-103'),
];

type Outputs = { success: IDataObject[]; warning: IDataObject[]; error: IDataObject[]; notFinished: IDataObject[] };

export interface HouseholdsDemoOutcome {
	workflowName: string;
	workflowId: string;
	/** Set when the run itself failed (a node threw); the message n8n recorded. */
	runFailed: string | null;
	households: Outputs;
	members: Outputs;
	executeSeconds: number;
}

export async function runHouseholdsDemo(
	instance: N8nInstance,
	emulator: Emulator,
	credential: { id: string; name: string },
): Promise<HouseholdsDemoOutcome> {
	const workflow = householdsExampleWithRecords(SAMPLE_MEMBERS, credential, emulator.domain);
	workflow.name = HOUSEHOLDS_DEMO_WORKFLOW_NAME;
	const workflowId = await instance.importWorkflow(workflow);
	console.log(`  workflow "${workflow.name}" from examples/${HOUSEHOLDS_EXAMPLE.file}`);
	console.log(
		`  (the sheet's rows replaced by ${SAMPLE_MEMBERS.length} sample members of ${Object.keys(HOUSEHOLDS).length} households; the sheet updates by Set nodes that show what they would write)`,
	);
	console.log('  n8n execute ...');

	const started = Date.now();
	const run = await instance.execute(workflowId);
	const executeSeconds = (Date.now() - started) / 1000;
	const outputsOf = (nodeName: string): Outputs => {
		const [success = [], warning = [], error = [], notFinished = []] = run.runData[nodeName]
			? run.outputs(nodeName).map((items) => items.map((item) => item.json))
			: [];
		return { success, warning, error, notFinished };
	};
	return {
		workflowName: workflow.name,
		workflowId,
		runFailed: run.error ? `${run.error.node?.name ? `${run.error.node.name}: ` : ''}${run.error.message}` : null,
		households: outputsOf(HOUSEHOLDS_EXAMPLE.householdsStatus),
		members: outputsOf(HOUSEHOLDS_EXAMPLE.membersStatus),
		executeSeconds,
	};
}

const OUTCOME_LABELS: Record<keyof Outputs, string> = {
	success: 'Success',
	warning: 'Warning',
	error: 'Error',
	notFinished: 'Not Finished',
};

/** Each item of one Import Status with the output it came out on, in that order. */
function routed(outputs: Outputs): Array<{ label: string; json: IDataObject }> {
	return (Object.keys(OUTCOME_LABELS) as Array<keyof Outputs>).flatMap((output) =>
		outputs[output].map((json) => ({ label: OUTCOME_LABELS[output], json })),
	);
}

export function printHouseholdsOutcome(outcome: HouseholdsDemoOutcome, emulator: Emulator): void {
	if (outcome.runFailed) {
		console.log(`\nThe workflow run failed: ${outcome.runFailed}`);
		return;
	}
	const counts = (caseType: string) => emulator.cases.byType(emulator.domain, caseType).length;
	console.log(
		`\nCases at CommCare (emulator, project space "${emulator.domain}"): ${counts(HOUSEHOLDS_EXAMPLE.householdType)} ${HOUSEHOLDS_EXAMPLE.householdType} cases, ${counts(HOUSEHOLDS_EXAMPLE.memberType)} ${HOUSEHOLDS_EXAMPLE.memberType} cases`,
	);

	console.log('\nHouseholds (upper branch, run first):');
	for (const { label, json } of routed(outcome.households)) {
		const record = (json.record ?? {}) as IDataObject;
		const caseId = json.case_id ? `, case ${String(json.case_id)}` : '';
		console.log(`  ${String(record.external_id)}  ${label} [${String(json.reason)}]${caseId}`);
		if (label !== 'Success') console.log(`    ${String(json.summary)}`);
	}

	console.log('\nMembers (lower branch), each with its outcome, its case ID and its household case ID:');
	const rows = routed(outcome.members).map(({ label, json }) => {
		const record = (json.record ?? {}) as IDataObject;
		return [
			String(record.external_id ?? ''),
			String(record.name ?? ''),
			String(record.parent_external_id ?? ''),
			`${label} [${String(json.reason)}]`,
			typeof json.case_id === 'string' ? json.case_id : '—',
			typeof json.parent_case_id === 'string' ? json.parent_case_id : '—',
		];
	});
	printTable(['member', 'name', 'household', 'outcome', 'case id', 'household case id'], rows);
	const notSent = outcome.members.error.filter((json) => json.reason === 'notSent');
	if (notSent.length > 0) {
		console.log(
			`\n${notSent.length} member(s) not sent: their household is not in CommCare (Check Parents Exist), e.g.\n  ${String(notSent[0].summary)}`,
		);
	}
	console.log(`n8n ran the workflow in ${outcome.executeSeconds.toFixed(1)} s (n8n start-up included).`);
}
