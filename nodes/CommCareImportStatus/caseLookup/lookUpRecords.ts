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
 *   then is `notVisible` when the counts prove the index behind, else `notFound`.
 */
import type { IDataObject } from 'n8n-workflow';

import { idCellText, searchIdOfValue } from '../../shared/searchIds';
import type { ImportOutcomeJson } from '../../shared/outputContract';
import { rowCountOf } from '../importOutcome';
import type { RecordInput } from '../recordOutcomes';
import { type CaseApi, type CaseSummary, CaseLookupUnavailable, MAX_IDS_PER_REQUEST } from './caseApi';
import type { CaseAction, GroupLookup, RecordLookup } from './lookupResult';

/** External ids checked one by one (the external-id GET) at most per import; the rest are flagged unchecked. */
export const MAX_SINGLE_LOOKUPS = 1000;
const FIRST_PAUSE_MS = 500;
const LONGEST_PAUSE_MS = 10_000;

export interface LookupPace {
	/** The wait for the search index ends at this time (Date.now() scale). */
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
			/** The other form the row's case may carry (docs/commcare-api.md §6.1), asked too, used when `id` is not found. */
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
	const openedByThisImport = (found: CaseSummary) =>
		Number.isNaN(acceptedAt) || Date.parse(found.date_opened ?? '') >= acceptedAt;

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
	const toCheckInDatabase: LookedUp[] = [];

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
			openedByThisImport(found) &&
			columnValues.get(plan.id) === 1
		) {
			byRow.set(plan.input.row, { kind: 'found', found, action: 'created' });
		} else {
			toCheckInDatabase.push(plan);
		}
	};
	const missing = () => lookedUp.filter((plan) => !byRow.has(plan.input.row) && !checked.has(plan));
	const checked = new Set<LookedUp>();
	const fetchRound = async (round: LookedUp[]): Promise<void> => {
		for (const by of ['case_ids', 'external_ids'] as const) {
			const asked = round.filter((plan) => plan.by === by);
			if (asked.length === 0) continue;
			const ids = asked.flatMap((plan) => (plan.alternateId ? [plan.id, plan.alternateId] : [plan.id]));
			requests += Math.ceil(new Set(ids).size / MAX_IDS_PER_REQUEST);
			const answers = await api.bulkFetch(by, ids);
			let at = 0;
			for (const plan of asked) {
				const found = answers[at++];
				const alternate = plan.alternateId ? answers[at++] : null;
				judge(plan, found ?? alternate);
			}
		}
		// The database has no lag: what it answers is final.
		const queued = toCheckInDatabase.splice(0);
		for (const plan of queued) checked.add(plan);
		requests += await checkInDatabase(api, queued, byRow, isOfType, openedByThisImport);
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
		while (!caughtUp() && pace.now() + pause <= pace.deadline) {
			await pace.sleep(pause);
			pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
			await fetchRound(missing());
		}
		const indexBehind = expected !== null && foundBySearchColumn() < expected;
		for (const plan of missing()) {
			byRow.set(plan.input.row, {
				kind: indexBehind ? 'notVisible' : 'notFound',
				by: plan.by === 'case_ids' ? 'case_id' : 'external_id',
				id: plan.id,
			});
		}
		if (byExternalId) settleActions(byRow, outcome, countsCoverRecords && !indexBehind, acceptedAt);
		return { unavailable: null, byRow, indexBehind, requests, waitedSeconds: (pace.now() - started) / 1000 };
	};

	// A lookup CommCare refuses leaves every record as the counts say; anything else (a cancel) goes on up.
	return await lookUp().catch(async (error: unknown) =>
		error instanceof CaseLookupUnavailable
			? {
					unavailable: { reason: error.reason, message: error.message },
					byRow: new Map(),
					indexBehind: false,
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
 * for a new case, opened by this import), none, or several (flagged, never one picked).
 */
async function checkInDatabase(
	api: CaseApi,
	plans: LookedUp[],
	byRow: Map<number, RecordLookup>,
	isOfType: (found: CaseSummary) => boolean,
	openedByThisImport: (found: CaseSummary) => boolean,
): Promise<number> {
	let requests = 0;
	const answers = new Map<string, RecordLookup | 'none'>();
	for (const plan of plans.slice(MAX_SINGLE_LOOKUPS)) {
		byRow.set(plan.input.row, {
			kind: 'noId',
			reason: `more than ${MAX_SINGLE_LOOKUPS} external ids of this import are shared with other cases; this one was not checked`,
		});
	}
	for (const plan of plans.slice(0, MAX_SINGLE_LOOKUPS)) {
		const fits = (found: CaseSummary) => isOfType(found) && (plan.via === 'searchColumn' || openedByThisImport(found));
		const key = `${plan.via}\n${plan.id}`;
		let answer = answers.get(key);
		if (answer === undefined) {
			requests += 1;
			let single = await api.byExternalId(plan.id);
			if (single.kind === 'none' && plan.alternateId) {
				requests += 1;
				single = await api.byExternalId(plan.alternateId);
			}
			let candidates: CaseSummary[] = [];
			if (single.kind === 'one') candidates = [single.found];
			if (single.kind === 'multiple') {
				requests += 1;
				const listed = single.caseIds.length > 0 ? await api.bulkFetch('case_ids', single.caseIds) : [];
				candidates = listed.filter((found): found is CaseSummary => found !== null);
				if (single.caseIds.length === 0) {
					answer = { kind: 'sharedExternalId', id: plan.id, caseIds: [] };
				}
			}
			const fitting = candidates.filter(fits);
			answer ??=
				fitting.length === 1
					? { kind: 'found', found: fitting[0], action: plan.via === 'externalIdColumn' ? 'created' : null }
					: fitting.length > 1
						? { kind: 'sharedExternalId', id: plan.id, caseIds: fitting.map((found) => found.case_id) }
						: 'none';
			answers.set(key, answer);
		}
		byRow.set(plan.input.row, answer === 'none' ? { kind: 'notFound', by: 'external_id', id: plan.id } : answer);
	}
	return requests;
}

/**
 * Created or updated, matching by external id. Later rows of a case in the upload updated it; its first row created
 * it when the case was opened by this import. Three readings of "opened by this import", each kept only when it
 * agrees with CommCare's created count (when the records are the whole upload and every imported row's case was found):
 * 1. opened after the second the upload was accepted (the server's Date header has whole seconds; a case opened
 *    within that second is settled by reading 2 or 3);
 * 2. opened since the import began touching cases (the earliest modification among the found cases);
 * 3. the cases opened last, as many as the counts say were created: a case the import opened was opened after every
 *    case it found already there, and each of those was modified after it was opened (the import touched it). This
 *    settles a case opened within the upload's second, just before it, that the import then updated; a tie at the
 *    cut settles nothing.
 * Without counts to agree with (part of the upload, or cases the index does not show yet), reading 1 alone, and what
 * it cannot settle is left unsaid.
 */
function settleActions(
	byRow: Map<number, RecordLookup>,
	outcome: ImportOutcomeJson,
	countsCoverFoundCases: boolean,
	acceptedAt: number,
): void {
	if (Number.isNaN(acceptedAt)) return;
	type Found = Extract<RecordLookup, { kind: 'found' }>;
	const found = [...byRow.entries()]
		.filter((entry): entry is [number, Found] => entry[1].kind === 'found')
		.sort((a, b) => a[0] - b[0]);
	const firstRowOf = new Map<string, number>();
	for (const [row, lookup] of found)
		if (!firstRowOf.has(lookup.found.case_id)) firstRowOf.set(lookup.found.case_id, row);
	const open: Found[] = [];
	for (const [row, lookup] of found) {
		if (lookup.action !== null) continue;
		if (firstRowOf.get(lookup.found.case_id) !== row) lookup.action = 'updated';
		else open.push(lookup);
	}
	const opened = (lookup: Found) => Date.parse(lookup.found.date_opened ?? '');
	const importBegan = found
		.map(([, lookup]) => Date.parse(lookup.found.server_last_modified ?? ''))
		.filter((time) => time >= acceptedAt - 1000)
		.reduce((earliest, time) => Math.min(earliest, time), Infinity);
	const strictSecond = (lookup: Found): CaseAction | null =>
		opened(lookup) >= acceptedAt + 1000 ? 'created' : opened(lookup) < acceptedAt ? 'updated' : null;
	const byImportStart = (lookup: Found): CaseAction => (opened(lookup) >= importBegan ? 'created' : 'updated');
	const bySecond = (lookup: Found): CaseAction => strictSecond(lookup) ?? byImportStart(lookup);
	if (!countsCoverFoundCases || outcome.created_count === null) {
		for (const lookup of open) lookup.action = Number.isNaN(opened(lookup)) ? null : strictSecond(lookup);
		return;
	}
	const createdBefore = found.filter(([, lookup]) => lookup.action === 'created').length;
	const byOpeningOrder = openedLast(open, outcome.created_count - createdBefore, opened);
	const readings = [bySecond, byImportStart, ...(byOpeningOrder ? [byOpeningOrder] : [])];
	const fitting = readings.find(
		(reading) =>
			open.every((lookup) => !Number.isNaN(opened(lookup))) &&
			createdBefore + open.filter((lookup) => reading(lookup) === 'created').length === outcome.created_count,
	);
	for (const lookup of open) lookup.action = fitting ? fitting(lookup) : null;
}

/**
 * Reading 3 of `settleActions`: the `created` cases opened last are the ones the import created; null when that cut
 * falls on a tie or a case it calls updated was not modified after it was opened.
 */
function openedLast<Lookup extends { found: CaseSummary }>(
	open: Lookup[],
	created: number,
	opened: (lookup: Lookup) => number,
): ((lookup: Lookup) => CaseAction) | null {
	if (created < 0 || created > open.length) return null;
	const newestFirst = open.map(opened).sort((a, b) => b - a);
	if (created > 0 && created < open.length && newestFirst[created - 1] === newestFirst[created]) return null;
	const cut = created === 0 ? Infinity : newestFirst[created - 1];
	const reading = (lookup: Lookup): CaseAction => (opened(lookup) >= cut ? 'created' : 'updated');
	const touchedAfterOpening = (lookup: Lookup) => Date.parse(lookup.found.server_last_modified ?? '') > opened(lookup);
	return open.every((lookup) => reading(lookup) === 'created' || touchedAfterOpening(lookup)) ? reading : null;
}
