/**
 * The households-and-members benchmark's input and the counts its run must end with (`householdCases.ts` runs it):
 * households, each with the same number of members naming it by `parent_external_id` (and `parent_type`
 * household); one household in `FAILING_EVERY` has a name over CommCare's 255 characters, so CommCare refuses it
 * and the parent check leaves its members out (`notSent`). Values come from `makeRows`, so they are the same on every
 * run and machine. Pure: no emulator, no node.
 */
import type { IDataObject } from 'n8n-workflow';

import { makeRows } from './data';

export const DEFAULT_HOUSEHOLDS = 10_000;
export const MEMBERS_PER_HOUSEHOLD = 5;
/** Households 1, 1 + FAILING_EVERY, 1 + 2 × FAILING_EVERY, ... fail: 1 %. */
export const FAILING_EVERY = 100;
/** The environment variable `run.ts --households N` sets for the cases' processes. */
export const HOUSEHOLDS_VARIABLE = 'COMMCARE_BENCH_HOUSEHOLDS';

const TOO_LONG_NAME = `Household with a name CommCare refuses ${'x'.repeat(260)}`;

/** The number of households the cases use: `COMMCARE_BENCH_HOUSEHOLDS`, or the default. */
export function householdCount(env: NodeJS.ProcessEnv = process.env): number {
	const raw = env[HOUSEHOLDS_VARIABLE];
	if (raw === undefined || raw === '') return DEFAULT_HOUSEHOLDS;
	const count = Number(raw);
	if (!Number.isInteger(count) || count < 1) throw new Error(`${HOUSEHOLDS_VARIABLE} must be a positive integer`);
	return count;
}

export function isFailingHousehold(index: number): boolean {
	return index % FAILING_EVERY === 0;
}

export function householdExternalId(index: number): string {
	return `HH-${String(index + 1).padStart(6, '0')}`;
}

/** Households as new cases matched by external id (case type household). */
export function householdRecords(count: number): IDataObject[] {
	return makeRows(count, 20240401).map((row, index) => ({
		external_id: householdExternalId(index),
		name: isFailingHousehold(index) ? TOO_LONG_NAME : `${String(row.name).split(' ')[1]} household`,
		village: row.village,
		district: row.district,
		phone: row.phone,
		household_size: MEMBERS_PER_HOUSEHOLD,
		visit_date: row.visit_date,
	}));
}

/** Each household's members, in household order: `parent_external_id` its household, `parent_type` household. */
export function memberRecords(households: number): IDataObject[] {
	const rows = makeRows(households * MEMBERS_PER_HOUSEHOLD, 20240402);
	return rows.map((row, index) => {
		const household = Math.floor(index / MEMBERS_PER_HOUSEHOLD);
		const position = (index % MEMBERS_PER_HOUSEHOLD) + 1;
		return {
			external_id: `${householdExternalId(household)}-M${position}`,
			name: row.name,
			sex: row.sex,
			dob: row.dob,
			age: row.age,
			relationship: position === 1 ? 'head' : 'member',
			parent_external_id: householdExternalId(household),
			parent_type: 'household',
		};
	});
}

export interface ExpectedOutcome {
	households: number;
	failingHouseholds: number;
	members: number;
	/** The members of failing households: left out by the parent check. */
	notSentMembers: number;
}

export function expectedOutcome(households: number): ExpectedOutcome {
	const failingHouseholds = Math.ceil(households / FAILING_EVERY);
	return {
		households,
		failingHouseholds,
		members: households * MEMBERS_PER_HOUSEHOLD,
		notSentMembers: failingHouseholds * MEMBERS_PER_HOUSEHOLD,
	};
}

/** What a run of the chain ended with, counted from the nodes' output items and the emulator. */
export interface ChainCounts {
	/** Import Status's Success items of the households with a case_id. */
	householdsWithCase: number;
	/** Bulk Import's output items for the members, and those of them with `notSent: true`. */
	memberItems: number;
	membersNotSent: number;
	/** Import Status's output items for the members (every output), and its Success items with a case_id. */
	memberStatusItems: number;
	membersWithCase: number;
	/** The member cases the emulator holds, and how many of them carry a notSent member's external id. */
	memberCasesAtEmulator: number;
	notSentAtEmulator: number;
}

/** What is wrong with a run's counts (empty when nothing is): every member imported or notSent, none lost. */
export function chainProblems(expected: ExpectedOutcome, counts: ChainCounts): string[] {
	const problems: string[] = [];
	const expect = (what: string, actual: number, wanted: number) => {
		if (actual !== wanted) problems.push(`${what}: ${actual}, expected ${wanted}`);
	};
	const imported = expected.members - expected.notSentMembers;
	expect('households with a case ID', counts.householdsWithCase, expected.households - expected.failingHouseholds);
	expect("Bulk Import's member items", counts.memberItems, expected.members);
	expect('members notSent', counts.membersNotSent, expected.notSentMembers);
	expect("Import Status's member items", counts.memberStatusItems, counts.memberItems);
	expect('members with a case ID', counts.membersWithCase, imported);
	if (counts.membersWithCase + counts.membersNotSent !== expected.members)
		problems.push(
			`members imported (${counts.membersWithCase}) + notSent (${counts.membersNotSent}) is not ${expected.members}`,
		);
	expect('member cases in the emulator', counts.memberCasesAtEmulator, imported);
	expect('notSent members the emulator holds', counts.notSentAtEmulator, 0);
	return problems;
}
