/**
 * The households-and-members benchmark's input and its end check (bench/households.ts): 1 % of households refused by
 * CommCare, five members each naming their household, and the counts a run must end with.
 */
import {
	chainProblems,
	DEFAULT_HOUSEHOLDS,
	expectedOutcome,
	householdCount,
	householdRecords,
	HOUSEHOLDS_VARIABLE,
	memberRecords,
	type ChainCounts,
} from '../../../bench/households';

describe('householdCount', () => {
	it('is the default without the variable, the variable when it is a positive integer', () => {
		expect(householdCount({})).toBe(DEFAULT_HOUSEHOLDS);
		expect(householdCount({ [HOUSEHOLDS_VARIABLE]: '' })).toBe(DEFAULT_HOUSEHOLDS);
		expect(householdCount({ [HOUSEHOLDS_VARIABLE]: '250' })).toBe(250);
	});

	it.each(['0', '-3', '2.5', 'many'])('refuses %s', (raw) => {
		expect(() => householdCount({ [HOUSEHOLDS_VARIABLE]: raw })).toThrow(HOUSEHOLDS_VARIABLE);
	});
});

describe('the records', () => {
	const households = householdRecords(250);
	const members = memberRecords(250);

	it('one household in 100 has a name CommCare refuses (over 255 characters), the first among them', () => {
		const failing = households.filter((household) => String(household.name).length > 255);
		expect(failing.map((household) => household.external_id)).toEqual(['HH-000001', 'HH-000101', 'HH-000201']);
		expect(households.every((household) => String(household.external_id).length <= 255)).toBe(true);
		expect(expectedOutcome(250)).toEqual({
			households: 250,
			failingHouseholds: 3,
			members: 1250,
			notSentMembers: 15,
		});
	});

	it('five members per household, each naming it by parent_external_id and parent_type', () => {
		expect(members).toHaveLength(1250);
		expect(members.slice(0, 6).map((member) => [member.external_id, member.parent_external_id])).toEqual([
			['HH-000001-M1', 'HH-000001'],
			['HH-000001-M2', 'HH-000001'],
			['HH-000001-M3', 'HH-000001'],
			['HH-000001-M4', 'HH-000001'],
			['HH-000001-M5', 'HH-000001'],
			['HH-000002-M1', 'HH-000002'],
		]);
		expect(new Set(members.map((member) => member.parent_type))).toEqual(new Set(['household']));
		expect(new Set(members.map((member) => member.external_id)).size).toBe(1250);
	});

	it('the same on every call', () => {
		expect(householdRecords(250)).toEqual(households);
		expect(memberRecords(250)).toEqual(members);
	});

	it('the full size: 10,000 households, 100 refused, 50,000 members, 500 of them left out', () => {
		expect(expectedOutcome(DEFAULT_HOUSEHOLDS)).toEqual({
			households: 10_000,
			failingHouseholds: 100,
			members: 50_000,
			notSentMembers: 500,
		});
	});
});

describe('chainProblems', () => {
	const expected = expectedOutcome(250);
	const good: ChainCounts = {
		householdsWithCase: 247,
		memberItems: 1250,
		membersNotSent: 15,
		memberStatusItems: 1250,
		membersWithCase: 1235,
		memberCasesAtEmulator: 1235,
		notSentAtEmulator: 0,
	};

	it('none when every member is imported or notSent and no notSent member reached the emulator', () => {
		expect(chainProblems(expected, good)).toEqual([]);
	});

	it('a notSent member the emulator holds', () => {
		expect(chainProblems(expected, { ...good, notSentAtEmulator: 1 })).toEqual([
			'notSent members the emulator holds: 1, expected 0',
		]);
	});

	it('a member neither imported nor notSent', () => {
		expect(chainProblems(expected, { ...good, membersWithCase: 1234, memberCasesAtEmulator: 1234 })).toEqual([
			'members with a case ID: 1234, expected 1235',
			'members imported (1234) + notSent (15) is not 1250',
			'member cases in the emulator: 1234, expected 1235',
		]);
	});

	it('items lost between the nodes, or members sent that should not have been', () => {
		expect(chainProblems(expected, { ...good, memberStatusItems: 1249, membersNotSent: 0 })).toEqual([
			'members notSent: 0, expected 15',
			"Import Status's member items: 1249, expected 1250",
			'members imported (1235) + notSent (0) is not 1250',
		]);
	});
});
