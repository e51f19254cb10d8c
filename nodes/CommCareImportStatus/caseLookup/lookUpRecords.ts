/**
 * Looks up the cases of one finished import's records (docs/commcare-api.md §9) and says, per record, what CommCare's
 * answers prove (`RecordLookup`). The rules, which follow from how the importer matches rows (§6.3):
 * - matching by case_id, a row's case is looked up by its id; one of another type was no match for the importer;
 * - matching by external_id, by the external id; a case of another type with that id is not the row's case, so the
 *   database is asked (the external-id GET lists every case sharing it) and the one case of the type is taken;
 *   several of the type are flagged, never one picked;
 * - a new case made from a row without a case_id can only be found by an `external_id` column; it must be of the
 *   type, opened after the upload was accepted, and its external id not shared;
 * - bulk fetch reads a search index that lags behind imports: ids not found are asked again with a growing pause
 *   until CommCare's counts are met (every imported row's case found) or the wait is over; what is still missing
 *   then is `notVisible` when the counts prove the index behind, else `notFound`;
 * - "Case Lookup Wait" is one deadline for all of it: ids CommCare had not answered for when it passed are
 *   `notChecked`, and what was found stands;
 * - a case is a row's only when CommCare's answer names the row's id (caseApi.ts), and the found cases must fit
 *   CommCare's counts (countsBound.ts).
 */
import type { IDataObject } from 'n8n-workflow';

import { idCellText, searchIdOfValue } from '../../shared/cellText';
import type { ImportOutcomeJson } from '../../shared/outputContract';
import { rowCountOf } from '../importOutcome';
import type { RecordInput } from '../records';
import { type CaseApi, type CaseSummary, CaseLookupUnavailable, MAX_IDS_PER_REQUEST } from '../../shared/caseApi';
import { settleActions, trustedOpening } from './caseTimes';
import { boundByCounts } from './countsBound';
import type { GroupLookup, RecordLookup } from './lookupResult';

/** External ids checked one by one (the external-id GET) at most per import; the rest are flagged unchecked. */
export const MAX_SINGLE_LOOKUPS = 1000;
const FIRST_PAUSE_MS = 500;
const LONGEST_PAUSE_MS = 10_000;

export interface LookupPace {
	/** "Case Lookup Wait" ends at this time (Date.now() scale): the last moment a request may be sent. */
	deadline: number;
	now: () => number;
	sleep: (ms: number) => Promise<void>;
}

/** One import's records: those to look up, and how many records of the import this run holds in all. */
export interface ImportRecords {
	candidates: RecordInput[];
	recordCount: number;
	outcome: ImportOutcomeJson;
	upload: IDataObject;
}

type Plan =
	| {
			input: RecordInput;
			by: 'case_ids' | 'external_ids';
			id: string;
			/** The other form the row's case may carry (docs/commcare-api.md §6.1), asked when `id` is not found. */
			alternateId?: string;
			via: 'searchColumn' | 'externalIdColumn';
	  }
	| { input: RecordInput; by: null; reason: string };
type LookedUp = Extract<Plan, { by: 'case_ids' | 'external_ids' }>;

export async function lookUpRecords(api: CaseApi, records: ImportRecords, pace: LookupPace): Promise<GroupLookup> {
	const started = pace.now();
	const { upload, outcome } = records;
	const caseType = typeof upload.caseType === 'string' ? upload.caseType : null;
	const byExternalId = upload.searchField === 'external_id';
	const createNewCases = upload.createNewCases === true;
	const acceptedAt = typeof upload.acceptedAt === 'string' ? Date.parse(upload.acceptedAt) : NaN;
	const isOfType = (found: CaseSummary) =>
		caseType === null || found.case_type === null || found.case_type === caseType;
	const openedByThisImport = (found: CaseSummary, input: RecordInput) =>
		Number.isNaN(acceptedAt) || trustedOpening(found, input.record, pace.now()) >= acceptedAt;

	const plans = records.candidates.map((input) => planFor(input, upload, createNewCases));
	const byRow = new Map<number, RecordLookup>();
	for (const plan of plans) if (plan.by === null) byRow.set(plan.input.row, { kind: 'noId', reason: plan.reason });
	const lookedUp = plans.filter((plan): plan is LookedUp => plan.by !== null);
	// New cases found by an external_id column: a value on several of them made several cases.
	const columnValues = new Map<string, number>();
	for (const plan of lookedUp) {
		if (plan.via === 'externalIdColumn') columnValues.set(plan.id, (columnValues.get(plan.id) ?? 0) + 1);
	}
	let requests = 0;
	/** Ids CommCare answered for at least once; ids still missing at the end were looked for and not found. */
	const asked = new Set<LookedUp>();
	const toCheckInDatabase: LookedUp[] = [];
	const checked = new Set<LookedUp>();
	let outOfTime: string | null = null;
	/** The work, or nothing once the lookup's deadline passed: what was found until then stands. */
	const untilOutOfTime = async (work: () => Promise<void>): Promise<void> => {
		if (outOfTime !== null) return;
		await work().catch(async (error: unknown) => {
			if (error instanceof CaseLookupUnavailable && error.reason === 'timedOut') outOfTime = error.message;
			else await Promise.reject(error);
		});
	};

	const judge = (plan: LookedUp, found: CaseSummary | null): void => {
		if (found === null) return; // still missing
		if (plan.via === 'searchColumn' && plan.by === 'case_ids') {
			byRow.set(
				plan.input.row,
				isOfType(found) ? { kind: 'found', found, action: 'updated' } : { kind: 'otherCaseType', found },
			);
		} else if (plan.via === 'searchColumn' && isOfType(found)) {
			byRow.set(plan.input.row, { kind: 'found', found, action: null });
		} else if (
			plan.via === 'externalIdColumn' &&
			isOfType(found) &&
			openedByThisImport(found, plan.input) &&
			columnValues.get(plan.id) === 1
		) {
			byRow.set(plan.input.row, { kind: 'found', found, action: 'created' });
		} else {
			toCheckInDatabase.push(plan);
		}
	};
	const missing = () => lookedUp.filter((plan) => !byRow.has(plan.input.row) && !checked.has(plan));
	const fetchRound = async (round: LookedUp[]): Promise<void> => {
		for (const by of ['case_ids', 'external_ids'] as const) {
			const group = round.filter((plan) => plan.by === by);
			if (group.length === 0) continue;
			const fetch = async (ids: string[]) => {
				requests += Math.ceil(new Set(ids).size / MAX_IDS_PER_REQUEST);
				return await api.bulkFetch(by, ids);
			};
			await untilOutOfTime(async () => {
				// The id as written first: an imported case carries it. The other form only for ids not found so.
				const answers = await fetch(group.map((plan) => plan.id));
				const again: LookedUp[] = [];
				group.forEach((plan, index) => {
					if (answers[index] === null && plan.alternateId) {
						again.push(plan);
					} else {
						asked.add(plan);
						judge(plan, answers[index]);
					}
				});
				if (again.length === 0) return;
				// Answered only once both forms were: a deadline between the two leaves these notChecked.
				const alternates = await fetch(again.map((plan) => plan.alternateId as string));
				again.forEach((plan, index) => {
					asked.add(plan);
					judge(plan, alternates[index]);
				});
			});
		}
		// The database has no lag: what it answers is final.
		const queued = toCheckInDatabase.splice(0);
		for (const plan of queued) checked.add(plan);
		await untilOutOfTime(async () => {
			await checkInDatabase(api, queued, byRow, isOfType, openedByThisImport, () => (requests += 1));
		});
	};

	const lookUp = async (): Promise<GroupLookup> => {
		await fetchRound(lookedUp);
		// CommCare's counts say how many rows' cases the index must show once it has caught up.
		const rowCount = rowCountOf(upload);
		const countsCoverRecords =
			rowCount !== null &&
			records.recordCount === rowCount &&
			outcome.created_count !== null &&
			outcome.match_count !== null;
		const expected = !countsCoverRecords
			? null
			: byExternalId
				? (outcome.created_count as number) + (outcome.match_count as number)
				: (outcome.match_count as number);
		const foundBySearchColumn = () =>
			lookedUp.filter((plan) => plan.via === 'searchColumn' && byRow.get(plan.input.row)?.kind === 'found').length;
		const caughtUp = () => (expected !== null && foundBySearchColumn() >= expected) || missing().length === 0;
		let pause = FIRST_PAUSE_MS;
		while (outOfTime === null && !caughtUp() && pace.now() + pause <= pace.deadline) {
			await pace.sleep(pause);
			pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
			await fetchRound(missing());
		}
		const indexBehind = expected !== null && foundBySearchColumn() < expected;
		for (const plan of lookedUp) {
			if (byRow.has(plan.input.row)) continue;
			const by = plan.by === 'case_ids' ? 'case_id' : 'external_id';
			// Asked and not found is an answer; never asked (or not yet asked the database) is none.
			const answered = asked.has(plan) && !checked.has(plan);
			byRow.set(plan.input.row, {
				kind: !answered ? 'notChecked' : indexBehind ? 'notVisible' : 'notFound',
				by,
				id: plan.id,
			});
		}
		if (byExternalId) {
			const recordOf = new Map(lookedUp.map((plan) => [plan.input.row, plan.input.record]));
			const found = [...byRow.entries()].flatMap(([row, lookup]) =>
				lookup.kind === 'found'
					? [{ row, lookup, opened: trustedOpening(lookup.found, recordOf.get(row) ?? {}, pace.now()) }]
					: [],
			);
			settleActions(found, outcome, countsCoverRecords && !indexBehind, acceptedAt);
		}
		boundByCounts(byRow, outcome);
		return {
			unavailable: null,
			byRow,
			indexBehind,
			outOfTime,
			requests,
			waitedSeconds: (pace.now() - started) / 1000,
		};
	};

	// A lookup CommCare refuses leaves every record as the counts say; anything else (a cancel) goes on up.
	return await lookUp().catch(async (error: unknown) =>
		error instanceof CaseLookupUnavailable
			? {
					unavailable: { reason: error.reason, message: error.message },
					byRow: new Map(),
					indexBehind: false,
					outOfTime: null,
					requests,
					waitedSeconds: (pace.now() - started) / 1000,
				}
			: await Promise.reject(error),
	);
}

function planFor(input: RecordInput, upload: IDataObject, createNewCases: boolean): Plan {
	const searchField = upload.searchField === 'external_id' ? 'external_id' : 'case_id';
	const searchColumn =
		typeof upload.searchColumn === 'string' && upload.searchColumn !== '' ? upload.searchColumn : searchField;
	const value = input.record[searchColumn];
	const searchId = searchIdOfValue(value);
	if (searchId !== '' && searchField === 'case_id') return { input, by: 'case_ids', id: searchId, via: 'searchColumn' };
	if (searchId !== '') {
		// CommCare matched the row by its search id, but the case keeps (and an update writes) the cell's own text: a
		// case made from '00123' carries '00123', not '123' (docs/commcare-api.md §6.1). Look for both, the text first.
		const text = idCellText(value) ?? searchId;
		const alternateId = text === searchId ? undefined : searchId;
		return { input, by: 'external_ids', id: text, alternateId, via: 'searchColumn' };
	}
	if (searchField === 'case_id' && createNewCases) {
		// Matching by case id, a new case's external id is the `external_id` cell as written, never a search id.
		const externalId = idCellText(input.record.external_id);
		if (externalId !== null) return { input, by: 'external_ids', id: externalId, via: 'externalIdColumn' };
		return {
			input,
			by: null,
			reason: `CommCare gave the new case a new case ID, and a row without a "${searchColumn}" can only be looked up by an "external_id" column, which this row does not have`,
		};
	}
	return { input, by: null, reason: `the row has no "${searchColumn}" to look its case up by` };
}

/**
 * The database's answer for external ids whose search-index case was not the row's: the one case of the type (and,
 * for a new case, opened by this import), none, or several (flagged, never one picked). Only cases that carry the
 * id asked count: when CommCare lists cases sharing it that cannot all be read back with that id, none is given.
 * Writes each answer to `byRow` as it comes, so what was answered stands if the lookup's deadline passes.
 */
async function checkInDatabase(
	api: CaseApi,
	plans: LookedUp[],
	byRow: Map<number, RecordLookup>,
	isOfType: (found: CaseSummary) => boolean,
	openedByThisImport: (found: CaseSummary, input: RecordInput) => boolean,
	countRequest: () => void,
): Promise<void> {
	const answers = new Map<string, RecordLookup | NoneOfType>();
	for (const plan of plans.slice(MAX_SINGLE_LOOKUPS)) {
		byRow.set(plan.input.row, {
			kind: 'noId',
			reason: `more than ${MAX_SINGLE_LOOKUPS} external ids of this import are shared with other cases; this one was not checked`,
		});
	}
	for (const plan of plans.slice(0, MAX_SINGLE_LOOKUPS)) {
		const fits = (found: CaseSummary) =>
			isOfType(found) && (plan.via === 'searchColumn' || openedByThisImport(found, plan.input));
		const key = `${plan.via}\n${plan.id}`;
		let answer = answers.get(key);
		if (answer === undefined) {
			answer = await askDatabase(api, plan, fits, isOfType, countRequest);
			answers.set(key, answer);
		}
		byRow.set(
			plan.input.row,
			answer.kind === 'none'
				? { kind: 'notFound', by: 'external_id', id: plan.id, ...otherType(answer.otherCaseType) }
				: answer,
		);
	}
}

/** No case of the upload's type has the id; `otherCaseType` when one of another type does. */
interface NoneOfType {
	kind: 'none';
	otherCaseType?: string;
}

const otherType = (caseType: string | undefined) => (caseType === undefined ? {} : { otherCaseType: caseType });

async function askDatabase(
	api: CaseApi,
	plan: LookedUp,
	fits: (found: CaseSummary) => boolean,
	isOfType: (found: CaseSummary) => boolean,
	countRequest: () => void,
): Promise<RecordLookup | NoneOfType> {
	let askedId = plan.id;
	countRequest();
	let single = await api.byExternalId(askedId);
	if (single.kind === 'none' && plan.alternateId) {
		askedId = plan.alternateId;
		countRequest();
		single = await api.byExternalId(askedId);
	}
	if (single.kind === 'none') return { kind: 'none' };
	if (single.kind === 'multiple' && single.caseIds.length === 0)
		return { kind: 'sharedExternalId', id: plan.id, caseIds: [] };
	let candidates = [single.kind === 'one' ? single.found : null];
	if (single.kind === 'multiple') {
		countRequest();
		candidates = await api.bulkFetch('case_ids', single.caseIds);
	}
	const proven = candidates.filter((found): found is CaseSummary => found !== null && found.external_id === askedId);
	if (proven.length < candidates.length) {
		return {
			kind: 'noId',
			reason: `CommCare lists cases with external_id '${askedId}' that could not be read back with that id (its search index may be behind), so none is given rather than a wrong one`,
		};
	}
	const fitting = proven.filter(fits);
	// The id is another case type's too: said to a person (a Case Type picked wrong creates such twins quietly).
	const otherCaseType = proven.find((found) => !isOfType(found) && found.case_type !== null)?.case_type ?? undefined;
	if (fitting.length === 1) {
		const action = plan.via === 'externalIdColumn' ? 'created' : null;
		return { kind: 'found', found: fitting[0], action, ...otherType(otherCaseType) };
	}
	if (fitting.length > 1)
		return { kind: 'sharedExternalId', id: plan.id, caseIds: fitting.map((found) => found.case_id) };
	return { kind: 'none', ...otherType(otherCaseType) };
}
