/**
 * The case lookup of a finished import's records (caseLookup/lookUpRecords.ts), on scripted Case API answers (pure
 * logic; the emulator tests cover the HTTP): created vs updated from case times and CommCare's counts, the wait for
 * the search index on a virtual clock, shared external ids, and ids CommCare reads as numbers.
 */
import type { IDataObject } from 'n8n-workflow';

import type { CaseApi, CaseSummary, ExternalIdAnswer } from '../../../../nodes/shared/caseApi';
import { lookUpRecords, type LookupPace } from '../../../../nodes/CommCareImportStatus/caseLookup/lookUpRecords';
import type { ImportOutcomeJson } from '../../../../nodes/shared/outputContract';
import { ACCEPTED, patient } from '../../../support/unitCaseLookup';

/** A Case API whose search index shows each case from the given read on (1-based), and whose database knows all. */
function scriptedApi(cases: Array<{ found: CaseSummary; visibleFromRead?: number }>) {
	let reads = 0;
	const api: CaseApi & { reads: () => number } = {
		reads: () => reads,
		async bulkFetch(by, ids) {
			reads += 1;
			return ids.map((id) => {
				const visible = cases.filter((c) => (c.visibleFromRead ?? 1) <= reads);
				const matches = visible.filter((c) => (by === 'case_ids' ? c.found.case_id : c.found.external_id) === id);
				return matches.length > 0 ? matches[matches.length - 1].found : null;
			});
		},
		async byExternalId(externalId): Promise<ExternalIdAnswer> {
			const all = cases.filter((c) => c.found.external_id === externalId);
			if (all.length === 0) return { kind: 'none' };
			if (all.length === 1) return { kind: 'one', found: all[0].found };
			return { kind: 'multiple', caseIds: all.map((c) => c.found.case_id) };
		},
	};
	return api;
}

function virtualPace(waitMs: number): LookupPace & { slept: number[] } {
	let now = 0;
	const slept: number[] = [];
	return {
		slept,
		deadline: waitMs,
		now: () => now,
		sleep: async (ms) => {
			slept.push(ms);
			now += ms;
		},
	};
}

const upload = (extra: IDataObject = {}): IDataObject => ({
	projectSpace: 'demo',
	caseType: 'patient',
	searchField: 'external_id',
	searchColumn: 'external_id',
	createNewCases: true,
	rowCount: 2,
	acceptedAt: new Date(ACCEPTED).toISOString(),
	...extra,
});

const outcome = (created: number, updated: number): ImportOutcomeJson =>
	({
		state: 2,
		outcome: 'success',
		created_count: created,
		match_count: updated,
		errors: [],
	}) as unknown as ImportOutcomeJson;

const records = (ids: string[], settings: IDataObject = upload()) =>
	ids.map((id, index) => ({ row: index + 2, record: { external_id: id, name: id }, upload: settings }));

describe('created or updated', () => {
	test('a server whose upload answer is dated after its import: settled by when the import began, as the counts agree', async () => {
		// Both cases' times are before the Date header: the import ran while the answer was being made.
		const api = scriptedApi([
			{ found: patient('old', 'e-old', -60_000, -400) },
			{ found: patient('new', 'e-new', -500, -500) },
		]);
		const lookup = await lookUpRecords(
			api,
			{ candidates: records(['e-new', 'e-old']), recordCount: 2, outcome: outcome(1, 1), upload: upload() },
			virtualPace(0),
		);
		expect(lookup.byRow.get(2)).toMatchObject({ kind: 'found', action: 'created' });
		expect(lookup.byRow.get(3)).toMatchObject({ kind: 'found', action: 'updated' });
	});

	test('counts that agree with no reading: neither is said', async () => {
		const api = scriptedApi([{ found: patient('a', 'e-a', 200, 200) }, { found: patient('b', 'e-b', 300, 300) }]);
		const lookup = await lookUpRecords(
			api,
			{ candidates: records(['e-a', 'e-b']), recordCount: 2, outcome: outcome(1, 1), upload: upload() },
			virtualPace(0),
		);
		expect([lookup.byRow.get(2), lookup.byRow.get(3)]).toEqual([
			expect.objectContaining({ kind: 'found', action: null }),
			expect.objectContaining({ kind: 'found', action: null }),
		]);
	});

	/** Rows e-new, e-old, e-new; CommCare counted 1 created and 2 matched. The import touched the old case at +400
	 * (after it made the new one) and the new one again at +600 (row 4). */
	async function actionsWithinTheSecond(oldOpenedMs: number, newOpenedMs: number) {
		const api = scriptedApi([
			{ found: patient('old', 'e-old', oldOpenedMs, 400) },
			{ found: patient('new', 'e-new', newOpenedMs, 600) },
		]);
		const candidates = records(['e-new', 'e-old', 'e-new']);
		const settings = { candidates, recordCount: 3, outcome: outcome(1, 2), upload: upload({ rowCount: 3 }) };
		const lookup = await lookUpRecords(api, settings, virtualPace(0));
		return [2, 3, 4].map((row) => (lookup.byRow.get(row) as { action: unknown }).action);
	}

	test("a case opened in the upload's second just before it, then updated, next to one the import created: the later opened was created", async () => {
		// The earliest modification (+400) is after the new case's opening: only the order of opening settles it.
		expect(await actionsWithinTheSecond(100, 200)).toEqual(['created', 'updated', 'updated']);
	});

	test('opened in the same millisecond, one created and one updated by the counts: neither is said', async () => {
		expect(await actionsWithinTheSecond(100, 100)).toEqual([null, null, 'updated']);
	});

	test('only part of the upload in this run: the seconds alone decide, the same second stays unsaid', async () => {
		const api = scriptedApi([
			{ found: patient('a', 'e-a', 5_000, 5_000) },
			{ found: patient('b', 'e-b', -9_000, 2_000) },
			{ found: patient('c', 'e-c', 300, 300) },
		]);
		const lookup = await lookUpRecords(
			api,
			{
				candidates: records(['e-a', 'e-b', 'e-c']),
				recordCount: 3,
				outcome: outcome(2, 1),
				upload: upload({ rowCount: 10 }),
			},
			virtualPace(0),
		);
		expect([2, 3, 4].map((row) => (lookup.byRow.get(row) as { action: unknown }).action)).toEqual([
			'created',
			'updated',
			null,
		]);
	});
});

describe('the wait for the search index', () => {
	test('asked again with growing pauses until the counts are met, then no more', async () => {
		const api = scriptedApi([
			{ found: patient('a', 'e-a', 100, 100), visibleFromRead: 3 },
			{ found: patient('b', 'e-b', 100, 100) },
		]);
		const pace = virtualPace(60_000);
		const lookup = await lookUpRecords(
			api,
			{ candidates: records(['e-a', 'e-b']), recordCount: 2, outcome: outcome(2, 0), upload: upload() },
			pace,
		);
		expect(api.reads()).toBe(3);
		expect(pace.slept).toEqual([500, 1000]);
		expect(lookup.indexBehind).toBe(false);
		expect(lookup.byRow.get(2)).toMatchObject({ kind: 'found' });
	});

	test('the counts met by the cases found: the missing ones are not found at once, without waiting', async () => {
		const api = scriptedApi([{ found: patient('a', 'e-a', -9_000, 100) }]);
		const pace = virtualPace(60_000);
		const lookup = await lookUpRecords(
			api,
			{
				candidates: records(['e-a', 'e-none'], upload({ createNewCases: false })),
				recordCount: 2,
				outcome: outcome(0, 1),
				upload: upload({ createNewCases: false }),
			},
			pace,
		);
		expect(pace.slept).toEqual([]);
		expect(lookup.byRow.get(3)).toEqual({ kind: 'notFound', by: 'external_id', id: 'e-none' });
	});

	test('a wait that ends before the counts are met: notVisible, and the index said to be behind', async () => {
		const api = scriptedApi([{ found: patient('a', 'e-a', 100, 100), visibleFromRead: 99 }]);
		const pace = virtualPace(5_000);
		const candidates = records(['e-a']);
		const lookup = await lookUpRecords(
			api,
			{ candidates, recordCount: 1, outcome: outcome(1, 0), upload: upload({ rowCount: 1 }) },
			pace,
		);
		expect(pace.slept.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(5_000);
		expect(lookup.indexBehind).toBe(true);
		expect(lookup.byRow.get(2)).toEqual({ kind: 'notVisible', by: 'external_id', id: 'e-a' });
	});
});

describe('shared external ids', () => {
	test('two cases of the type share it: flagged with both ids, none given', async () => {
		const api = scriptedApi([
			{ found: patient('one', 'dup', -9_000, 100) },
			{ found: patient('two', 'dup', -9_000, 100) },
		]);
		// The index's answer is of another type here, so the database is asked.
		api.bulkFetch = (async (by: string, ids: string[]) =>
			ids.map((id) =>
				by === 'external_ids' ? patient('h', id, 0, 0, 'household') : patient(id, 'dup', -9_000, 100),
			)) as CaseApi['bulkFetch'];
		const lookup = await lookUpRecords(
			api,
			{ candidates: records(['dup']), recordCount: 1, outcome: outcome(0, 1), upload: upload({ rowCount: 1 }) },
			virtualPace(0),
		);
		expect(lookup.byRow.get(2)).toEqual({ kind: 'sharedExternalId', id: 'dup', caseIds: ['one', 'two'] });
	});
});

describe('what a case time proves', () => {
	test('a date_opened the row set itself proves nothing: the action stays null, where the times alone would say created', async () => {
		const api = scriptedApi([{ found: patient('a', 'e-a', 5000, 5000) }]);
		const [plain, setsDate] = [{}, { date_opened: '2026-12-02' }].map((extra) => [
			{ row: 2, record: { external_id: 'e-a', name: 'A', ...extra }, upload: upload() },
		]);
		const settings = { recordCount: 1, outcome: outcome(1, 0), upload: upload() };
		const told = await lookUpRecords(api, { ...settings, candidates: plain }, virtualPace(0));
		expect(told.byRow.get(2)).toMatchObject({ kind: 'found', action: 'created' });
		const untold = await lookUpRecords(api, { ...settings, candidates: setsDate }, virtualPace(0));
		expect(untold.byRow.get(2)).toMatchObject({ kind: 'found', action: null });
	});
});

describe('an id CommCare reads as a number', () => {
	test('is asked as written first; the search-id form only for the ids not found so', async () => {
		// '00123' was matched to the case '123', which the index still shows under '123'; '0042' carries its text.
		const api = scriptedApi([{ found: patient('a', '123', -60_000, 400) }, { found: patient('b', '0042', 300, 300) }]);
		const lookup = await lookUpRecords(
			api,
			{ candidates: records(['00123', '0042']), recordCount: 2, outcome: outcome(1, 1), upload: upload() },
			virtualPace(0),
		);
		expect(api.reads()).toBe(2);
		expect(lookup.byRow.get(2)).toMatchObject({ kind: 'found', found: { case_id: 'a' } });
		expect(lookup.byRow.get(3)).toMatchObject({ kind: 'found', found: { case_id: 'b' } });
		const asWritten = scriptedApi([{ found: patient('b', '0042', 300, 300) }]);
		await lookUpRecords(
			asWritten,
			{ candidates: records(['0042']), recordCount: 1, outcome: outcome(1, 0), upload: upload({ rowCount: 1 }) },
			virtualPace(0),
		);
		expect(asWritten.reads()).toBe(1);
	});
});
