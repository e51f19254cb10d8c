/**
 * The parent lookup's rules on a scripted Case API (pure logic: the real one is run against the emulator in
 * test/integration/CommCareBulkImport/parentCheck.test.ts): an external id the search index does not show under the
 * type is settled by the database; several cases sharing it are counted by type; a case id the index does not show
 * yet is asked again until the deadline.
 */
import type { CaseApi, CaseSummary, ExternalIdAnswer } from '../../../../nodes/shared/caseApi';
import { lookUpParents, parentKey, type ParentRef } from '../../../../nodes/CommCareBulkImport/parents/parentLookup';

function summary(caseId: string, caseType: string, externalId: string | null = null): CaseSummary {
	return {
		case_id: caseId,
		case_type: caseType,
		case_name: null,
		external_id: externalId,
		owner_id: null,
		closed: false,
		date_opened: null,
		date_closed: null,
		server_last_modified: null,
	};
}

/** A Case API over these cases; `visibleAfter` bulk fetches by case id before a case id shows in the index. */
function scriptedApi(cases: CaseSummary[], { visibleAfter = 0 } = {}) {
	const calls: string[] = [];
	let caseIdFetches = 0;
	const api: CaseApi = {
		async bulkFetch(by, ids) {
			calls.push(`${by}:${ids.join(',')}`);
			if (by === 'case_ids') caseIdFetches += 1;
			return ids.map((id) => {
				if (by === 'case_ids') {
					return caseIdFetches > visibleAfter ? (cases.find((c) => c.case_id === id) ?? null) : null;
				}
				// The index answers one case per external id, whichever: the last one here.
				return [...cases].reverse().find((c) => c.external_id === id) ?? null;
			});
		},
		async byExternalId(externalId): Promise<ExternalIdAnswer> {
			calls.push(`ext:${externalId}`);
			const sharing = cases.filter((c) => c.external_id === externalId);
			if (sharing.length === 0) return { kind: 'none' };
			if (sharing.length === 1) return { kind: 'one', found: sharing[0] };
			return { kind: 'multiple', caseIds: sharing.map((c) => c.case_id) };
		},
	};
	return { api, calls };
}

function pace(deadlineMs = 10_000) {
	let now = 0;
	return { deadline: deadlineMs, now: () => now, sleep: async (ms: number) => void (now += ms) };
}

const byExternal = (id: string, parentType = 'household'): ParentRef => ({ by: 'external_ids', id, parentType });
const byCaseId = (id: string, parentType = 'household'): ParentRef => ({ by: 'case_ids', id, parentType });

test('an external id the index shows under the type is found without asking the database', async () => {
	const { api, calls } = scriptedApi([summary('c1', 'household', 'HH-1')]);
	const verdicts = await lookUpParents(api, [byExternal('HH-1'), byExternal('HH-1')], pace());
	expect(verdicts.get(parentKey(byExternal('HH-1')))).toEqual({ kind: 'found' });
	expect(calls).toEqual(['external_ids:HH-1']);
});

test('an external id the index does not show is settled by the database: none, or a case of another type', async () => {
	const { api, calls } = scriptedApi([summary('v1', 'village', 'V-1')]);
	const verdicts = await lookUpParents(api, [byExternal('HH-9'), byExternal('V-1')], pace());
	expect(verdicts.get(parentKey(byExternal('HH-9')))).toEqual({ kind: 'none' });
	expect(verdicts.get(parentKey(byExternal('V-1')))).toEqual({ kind: 'otherType', types: ['village'] });
	expect(calls).toEqual(['external_ids:HH-9,V-1', 'ext:HH-9', 'ext:V-1']);
});

test('cases sharing an external id are counted by type: one of the type is the parent, two are none', async () => {
	const shared = [summary('m1', 'member', 'X'), summary('h1', 'household', 'X')];
	// The index answers the member for 'X' (the last one): the database lists both, and one is a household.
	const { api } = scriptedApi([...shared].reverse());
	expect((await lookUpParents(api, [byExternal('X')], pace())).get(parentKey(byExternal('X')))).toEqual({
		kind: 'found',
	});
	const two = scriptedApi([
		summary('h1', 'household', 'Y'),
		summary('h2', 'household', 'Y'),
		summary('m', 'member', 'Y'),
	]);
	expect((await lookUpParents(two.api, [byExternal('Y')], pace())).get(parentKey(byExternal('Y')))).toEqual({
		kind: 'several',
		count: 2,
	});
});

test('the same id under two parent types is judged once for each', async () => {
	const { api } = scriptedApi([summary('c1', 'household', 'HH-1')]);
	const verdicts = await lookUpParents(api, [byExternal('HH-1'), byExternal('HH-1', 'clinic')], pace());
	expect(verdicts.get(parentKey(byExternal('HH-1')))).toEqual({ kind: 'found' });
	expect(verdicts.get(parentKey(byExternal('HH-1', 'clinic')))).toEqual({ kind: 'otherType', types: ['household'] });
});

test('a case id the index shows late is asked again until it shows', async () => {
	const { api, calls } = scriptedApi([summary('c1', 'household')], { visibleAfter: 2 });
	const verdicts = await lookUpParents(api, [byCaseId('c1')], pace());
	expect(verdicts.get(parentKey(byCaseId('c1')))).toEqual({ kind: 'found' });
	expect(calls).toEqual(['case_ids:c1', 'case_ids:c1', 'case_ids:c1']);
});

test('a case id still not shown when the deadline comes is notVisible; one of another type is otherType', async () => {
	const { api, calls } = scriptedApi([summary('p1', 'member')]);
	const verdicts = await lookUpParents(api, [byCaseId('gone'), byCaseId('p1')], pace(2_000));
	expect(verdicts.get(parentKey(byCaseId('gone')))).toEqual({ kind: 'notVisible' });
	expect(verdicts.get(parentKey(byCaseId('p1')))).toEqual({ kind: 'otherType', types: ['member'] });
	// Pauses of 0.5 s and 1 s fit in 2 s; the next (2 s) would not.
	expect(calls).toEqual(['case_ids:gone,p1', 'case_ids:gone', 'case_ids:gone']);
});
