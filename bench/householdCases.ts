/**
 * Households and members through the node chain users build for them, against the emulator (in a process of its own,
 * importing for real): Bulk Import of the households (one item per record, matched by external ID) → Import Status
 * (Look Up Case IDs) → Bulk Import of the members (one item per record, `parent_external_id` + `parent_type`
 * household, Options → Check Parents Exist) → Import Status (Look Up Case IDs). Each node's run is a stage with its
 * own time and peak memory (stages.ts), and the emulator's CPU time meanwhile: an upload's wall time includes the
 * emulator importing it, as CommCare's answer would not. The baseline: the members stage without the parent check.
 *
 * 1 % of the households fail (a name over 255 characters), so the parent check leaves their members out; the run
 * fails unless every member ends up imported (a case ID) or notSent, and no notSent member reached the emulator.
 * Size: `npm run bench -- --households N` (default 10,000 households, 50,000 members).
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { CommCareBulkImport } from '../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { validateProjectSpace } from '../nodes/shared/projectSpace';
import { CommCareImportStatus } from '../nodes/CommCareImportStatus/CommCareImportStatus.node';
import { emulatorCredential } from '../test/support/emulator';
import { runNode } from '../test/support/n8nContext';
import type { BenchCase } from './benchCase';
import { startEmulatorProcess, type EmulatorProcess } from './emulatorHost';
import {
	chainProblems,
	expectedOutcome,
	householdCount,
	householdRecords,
	memberRecords,
	type ExpectedOutcome,
} from './households';
import { measureStage } from './stages';

const GROUP = 'households and members: Bulk Import → Import Status, parents checked';

interface ChainInput {
	emulator: EmulatorProcess;
	households: INodeExecutionData[];
	members: INodeExecutionData[];
	expected: ExpectedOutcome;
}

const importParameters = (caseType: string, options: IDataObject = {}) => ({
	projectSpace: validateProjectSpace('demo'),
	caseType,
	source: 'items',
	searchField: 'external_id',
	createNewCases: true,
	output: 'perRecord',
	options,
});

async function chainInput(): Promise<ChainInput> {
	const count = householdCount();
	const emulator = await startEmulatorProcess();
	return {
		emulator,
		households: householdRecords(count).map((json) => ({ json })),
		members: memberRecords(count).map((json) => ({ json })),
		expected: expectedOutcome(count),
	};
}

async function bulkImport(
	emulator: EmulatorProcess,
	items: INodeExecutionData[],
	caseType: string,
	options: IDataObject = {},
): Promise<INodeExecutionData[]> {
	const { outputs } = await runNode({
		node: new CommCareBulkImport(),
		credentials: emulatorCredential(emulator),
		items,
		parameters: importParameters(caseType, options),
	});
	return outputs[0] ?? [];
}

/** Import Status with Look Up Case IDs: every output's items. */
async function importStatus(emulator: EmulatorProcess, items: INodeExecutionData[]): Promise<INodeExecutionData[][]> {
	const { outputs } = await runNode({
		node: new CommCareImportStatus(),
		credentials: emulatorCredential(emulator),
		items,
		parameters: { pollInterval: 1, timeout: 5, options: { lookUpCaseIds: true } },
	});
	return outputs;
}

const withCase = (items: INodeExecutionData[] = []) =>
	items.filter((item) => typeof item.json.case_id === 'string').length;
const isNotSent = (item: INodeExecutionData) => item.json.notSent === true;

const householdsChain: BenchCase<ChainInput> = {
	name: 'householdsChain',
	group: GROUP,
	description:
		'the four nodes in turn, each a stage: households imported, their case IDs, members imported with Check Parents Exist, their case IDs',
	prepare: chainInput,
	async run({ emulator, households, members, expected }) {
		const emulatorCpu = async () => await emulator.cpuSeconds();
		const householdItems = await measureStage(
			'1. Bulk Import: households',
			async () => await bulkImport(emulator, households, 'household'),
			emulatorCpu,
		);
		if (householdItems.length !== expected.households || householdItems.some(isNotSent))
			throw new Error(`${householdItems.length} household items out of Bulk Import, of ${expected.households}`);
		const householdStatus = await measureStage(
			'2. Import Status: households, Look Up Case IDs',
			async () => await importStatus(emulator, householdItems),
			emulatorCpu,
		);
		const memberItems = await measureStage(
			'3. Bulk Import: members, Check Parents Exist',
			async () => await bulkImport(emulator, members, 'member', { checkParents: true }),
			emulatorCpu,
		);
		const memberStatus = await measureStage(
			'4. Import Status: members, Look Up Case IDs',
			async () => await importStatus(emulator, memberItems),
			emulatorCpu,
		);
		const notSent = memberItems.filter(isNotSent);
		const atEmulator = await emulator.casesOfType(
			'member',
			notSent.map((item) => String((item.json.record as IDataObject).external_id)),
		);
		const problems = chainProblems(expected, {
			householdsWithCase: withCase(householdStatus[0]),
			memberItems: memberItems.length,
			membersNotSent: notSent.length,
			memberStatusItems: memberStatus.reduce((sum, output) => sum + output.length, 0),
			membersWithCase: withCase(memberStatus[0]),
			memberCasesAtEmulator: atEmulator.count,
			notSentAtEmulator: atEmulator.withExternalIds,
		});
		if (problems.length > 0) throw new Error(`households chain: ${problems.join('; ')}`);
		return { outputBytes: 0 };
	},
	cleanup: async ({ emulator }) => await emulator.close(),
};

const membersWithoutCheck: BenchCase<ChainInput> = {
	name: 'membersWithoutCheck',
	group: GROUP,
	description:
		'baseline: stage 3 without Check Parents Exist (the households imported before the measurement): every member sent',
	async prepare() {
		const input = await chainInput();
		await bulkImport(input.emulator, input.households, 'household');
		return input;
	},
	async run({ emulator, members, expected }) {
		const items = await measureStage(
			'3. Bulk Import: members, no parent check',
			async () => await bulkImport(emulator, members, 'member'),
			async () => await emulator.cpuSeconds(),
		);
		// Every member sent: those of failing households come back from CommCare as Invalid Parent ID.
		const atEmulator = await emulator.casesOfType('member');
		const imported = expected.members - expected.notSentMembers;
		if (items.length !== expected.members || items.some(isNotSent) || atEmulator.count !== imported)
			throw new Error(`${items.length} member items, ${atEmulator.count} member cases in the emulator`);
		return { outputBytes: 0 };
	},
	cleanup: async ({ emulator }) => await emulator.close(),
};

export const householdCases: BenchCase[] = [householdsChain as BenchCase, membersWithoutCheck as BenchCase];
