/**
 * "Check Parents Exist": whether CommCare holds the parent each row names, judged the way its importer will judge it
 * (docs/commcare-api.md §6.7): the row's `parent_id` (a case id) if it has one, else its `parent_external_id`, must
 * name exactly one case of its `parent_type`. Asked of the Case API (§9), read-only:
 * - every distinct id in bulk fetches of at most 5,000 (caseApi.ts);
 * - an external id the search index does not show under the type (missing, or another case answered for it) is asked
 *   of the database, which has no lag and lists every case sharing it (the external-id GET), at most
 *   `MAX_DATABASE_CHECKS` of them; several cases sharing it are fetched by case id to count those of the type;
 * - a case id the index does not show is asked again after growing pauses (the index lags behind a fresh import),
 *   until the deadline; then it is `notVisible`.
 * Pure but for the CaseApi it is given, so tests may script one.
 */
import { type CaseApi, type CaseSummary, MAX_IDS_PER_REQUEST } from '../../shared/caseApi';

/** External ids asked of the database one by one, at most, per run; the others wait for the search index. */
export const MAX_DATABASE_CHECKS = 1000;
const FIRST_PAUSE_MS = 500;
const LONGEST_PAUSE_MS = 4000;

/** One parent a row names. */
export interface ParentRef {
	by: 'case_ids' | 'external_ids';
	id: string;
	/** The case type CommCare will look for (the row's `parent_type`, or the imported case type without the column). */
	parentType: string;
}

export type ParentVerdict =
	| { kind: 'found' }
	/** No case has the id. */
	| { kind: 'none' }
	/** Cases have it, none of `parentType`: their types. */
	| { kind: 'otherType'; types: string[] }
	/** Several cases of `parentType` share the external id: CommCare finds none. */
	| { kind: 'several'; count: number }
	/** Not in CommCare's search index when the deadline came (a case id just created may not show yet). */
	| { kind: 'notVisible' };

export interface ParentPace {
	/** The last moment a request may be sent (Date.now() scale). */
	deadline: number;
	now: () => number;
	sleep: (ms: number) => Promise<void>;
}

export function parentKey(ref: ParentRef): string {
	return `${ref.by}\u0000${ref.parentType}\u0000${ref.id}`;
}

/** Each distinct parent's verdict, by `parentKey`. Throws `CaseLookupUnavailable` when CommCare refuses to answer. */
export async function lookUpParents(
	api: CaseApi,
	refs: ParentRef[],
	pace: ParentPace,
): Promise<Map<string, ParentVerdict>> {
	const verdicts = new Map<string, ParentVerdict>();
	const distinct = [...new Map(refs.map((ref) => [parentKey(ref), ref])).values()];
	const byCaseId = distinct.filter((ref) => ref.by === 'case_ids');
	const byExternalId = distinct.filter((ref) => ref.by === 'external_ids');

	const toDatabase: ParentRef[] = [];
	const external = byExternalId.length === 0 ? [] : await api.bulkFetch('external_ids', ids(byExternalId));
	byExternalId.forEach((ref, index) => {
		const found = external[index];
		// The index answers one case per external id, whichever: only a case of the type settles it.
		if (found && isOfType(found, ref)) verdicts.set(parentKey(ref), { kind: 'found' });
		else toDatabase.push(ref);
	});
	const waitForIndex = toDatabase.splice(MAX_DATABASE_CHECKS);
	for (const ref of toDatabase) verdicts.set(parentKey(ref), await askDatabase(api, ref));

	let missing = [...byCaseId, ...waitForIndex];
	let pause = 0;
	while (missing.length > 0) {
		if (pause > 0) {
			if (pace.now() + pause > pace.deadline) break;
			await pace.sleep(pause);
		}
		pause = Math.min(pause === 0 ? FIRST_PAUSE_MS : pause * 2, LONGEST_PAUSE_MS);
		const still: ParentRef[] = [];
		for (const by of ['case_ids', 'external_ids'] as const) {
			const group = missing.filter((ref) => ref.by === by);
			if (group.length === 0) continue;
			const answers = await api.bulkFetch(by, ids(group));
			group.forEach((ref, index) => {
				const found = answers[index];
				if (found === null) still.push(ref);
				else if (isOfType(found, ref)) verdicts.set(parentKey(ref), { kind: 'found' });
				else if (by === 'case_ids') verdicts.set(parentKey(ref), { kind: 'otherType', types: typesOf([found]) });
				else still.push(ref); // another case answered for the id; one of the type may be behind it
			});
		}
		missing = still;
	}
	for (const ref of missing) verdicts.set(parentKey(ref), { kind: 'notVisible' });
	return verdicts;
}

/** The database's answer for an external id: final, whatever the search index shows. */
async function askDatabase(api: CaseApi, ref: ParentRef): Promise<ParentVerdict> {
	const answer = await api.byExternalId(ref.id);
	if (answer.kind === 'none') return { kind: 'none' };
	if (answer.kind === 'one') {
		return isOfType(answer.found, ref) ? { kind: 'found' } : { kind: 'otherType', types: typesOf([answer.found]) };
	}
	const sharing = (await api.bulkFetch('case_ids', answer.caseIds.slice(0, MAX_IDS_PER_REQUEST))).filter(
		(found): found is CaseSummary => found !== null,
	);
	const ofType = sharing.filter((found) => isOfType(found, ref)).length;
	if (ofType === 1) return { kind: 'found' };
	if (ofType > 1) return { kind: 'several', count: ofType };
	return { kind: 'otherType', types: typesOf(sharing) };
}

function isOfType(found: CaseSummary, ref: ParentRef): boolean {
	return found.case_type === ref.parentType;
}

function typesOf(cases: CaseSummary[]): string[] {
	return [...new Set(cases.map((found) => found.case_type ?? '(no type)'))];
}

function ids(refs: ParentRef[]): string[] {
	return refs.map((ref) => ref.id);
}
