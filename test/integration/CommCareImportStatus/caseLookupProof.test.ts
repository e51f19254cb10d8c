/**
 * Case IDs that prove themselves, against the emulator with its Case API answers shaped by fault knobs: no record
 * reaches Success beyond CommCare's counts, no record carries a case ID its answer did not prove, no lookup request
 * is sent after the node returned, "Case Lookup Wait" bounds the whole lookup, and times are read as UTC whatever
 * the machine's zone.
 */
import type { Emulator } from '../../../emulator';
import { useCaseLookupEmulator } from '../../support/caseLookup';

const bench = useCaseLookupEmulator();
const { importAndCheck, bulkFetches } = bench;
let emulator: Emulator;
beforeAll(() => {
	emulator = bench.emulator();
});

const caseApiRequests = () => emulator.requests.filter((request) => request.path.includes('/api/case/v2/'));
const pause = async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms));

/** A bulk-fetch answer holding the given entries (each a case as the Case API serialises it, or a stub). */
const bulkAnswer = (cases: object[]) => ({
	status: 200,
	body: JSON.stringify({ matching_records: cases.length, missing_records: 0, cases }),
	headers: { 'Content-Type': 'application/json' },
});
const serialised = (found: { case_id: string; external_id?: string | null; case_type?: string }, more = {}) => ({
	case_id: found.case_id,
	case_type: found.case_type ?? 'patient',
	case_name: 'x',
	external_id: found.external_id ?? null,
	owner_id: 'u',
	closed: false,
	date_opened: '2020-01-01T00:00:00.000000Z',
	date_closed: null,
	server_last_modified: '2020-01-01T00:00:00.000000Z',
	...more,
});

describe("counts bound the verdict: no more records on Success than CommCare's counts allow", () => {
	test('creation off, 0 matched, the cases appear before the lookup: no record on Success, no case ID', async () => {
		const { byRow } = await importAndCheck(
			{
				rows: [
					{ external_id: 'late-1', name: 'A' },
					{ external_id: 'late-2', name: 'B' },
				],
				searchField: 'external_id',
				createNewCases: false,
			},
			{
				// Someone creates the cases between the import (which skipped both rows) and the lookup.
				afterImport: () => {
					for (const id of ['late-1', 'late-2']) emulator.cases.add('demo', { case_type: 'patient', external_id: id });
				},
			},
		);
		for (const row of [2, 3]) {
			const record = byRow.get(row)!;
			expect(record.json.import).toMatchObject({ match_count: 0, created_count: 0 });
			expect(record.output).toBe('warning');
			expect(record.json).toMatchObject({ reason: 'importedOrSkipped', case_id: null, case: null });
			expect(record.json.caseLookup).toMatchObject({ result: 'countsDisagree', action: null });
			expect(record.json.caseLookup?.message).toMatch(/CommCare counted 0 matched and 0 created/);
			expect(record.json.summary).toMatch(/counts leave no room/);
		}
	});

	test('3 records, 1 matched: not all 3 on Success; no record is given a case it cannot be told to have touched', async () => {
		const known = emulator.cases.add('demo', { case_type: 'patient', external_id: 'm-1' });
		const { byRow } = await importAndCheck(
			{
				rows: [
					{ external_id: 'm-1', name: 'A' },
					{ external_id: 'm-2', name: 'B' },
					{ external_id: 'm-3', name: 'C' },
				],
				searchField: 'external_id',
				createNewCases: false,
			},
			{
				afterImport: () => {
					for (const id of ['m-2', 'm-3']) emulator.cases.add('demo', { case_type: 'patient', external_id: id });
				},
			},
		);
		const onSuccess = [...byRow.values()].filter((record) => record.output === 'success');
		expect(byRow.get(2)!.json.import).toMatchObject({ match_count: 1, skipped_count: 2 });
		expect(onSuccess.length).toBeLessThanOrEqual(1);
		for (const record of byRow.values()) {
			if (record.json.case_id !== null) expect(record.json.case_id).toBe(known.case_id);
		}
	});

	test('more records the lookup saw match nothing than CommCare skipped: none is called skipped', async () => {
		// Both ids exist at the import (2 matched, 0 skipped); the Case API then answers "not found" for the one asked.
		for (const id of ['v-1', 'v-2']) emulator.cases.add('demo', { case_type: 'patient', external_id: id });
		emulator.faults.respond('caseApi', 20, bulkAnswer([{ external_id: 'v-1', error: 'not found' }]));
		const { byRow } = await importAndCheck(
			{
				rows: [
					{ external_id: 'v-1', name: 'A' },
					{ external_id: 'v-2', name: 'B' },
				],
				searchField: 'external_id',
				createNewCases: false,
			},
			// One record of the two: the counts do not cover the records, so the index's lag cannot be told from them.
			{ parameters: { options: { caseLookupWait: 1 } }, records: (items) => items.slice(0, 1) },
		);
		expect(byRow.get(2)!.json.import).toMatchObject({ match_count: 2, skipped_count: 0 });
		expect(byRow.get(2)!.json).toMatchObject({ outcome: 'success', reason: 'imported', case_id: null });
		expect(byRow.get(2)!.json.caseLookup?.result).toBe('notFound');
	});
});

describe('identity or nothing: a case is given only when the answer names the id asked', () => {
	test('bulk-fetch entries without an external_id are not taken by position', async () => {
		const { byRow, upload } = await importAndCheck(
			{
				rows: [
					{ external_id: 'p-1', name: 'A' },
					{ external_id: 'p-2', name: 'B' },
				],
				searchField: 'external_id',
				createNewCases: true,
			},
			{
				parameters: { options: { caseLookupWait: 1 } },
				afterImport: () => {
					// Every answer lists the two cases the other way round, with no external_id to tell them by.
					const [first, second] = emulator.cases.all('demo');
					emulator.faults.respond(
						'caseApi',
						50,
						bulkAnswer([serialised(second, { external_id: null }), serialised(first, { external_id: null })]),
					);
				},
			},
		);
		expect(upload.rowCount).toBe(2);
		for (const row of [2, 3]) {
			expect(byRow.get(row)!.json.case_id).toBeNull();
			expect(byRow.get(row)!.json.caseLookup?.result).not.toBe('found');
		}
	});

	test('entries in another order, each naming its id, are matched by the id they name', async () => {
		const { byRow } = await importAndCheck(
			{
				rows: [
					{ external_id: 'o-1', name: 'A' },
					{ external_id: 'o-2', name: 'B' },
				],
				searchField: 'external_id',
				createNewCases: true,
			},
			{
				afterImport: () => {
					const [first, second] = emulator.cases.all('demo');
					emulator.faults.respond('caseApi', 1, bulkAnswer([serialised(second), serialised(first)]));
				},
			},
		);
		const stored = (externalId: string) => emulator.cases.all('demo').find((c) => c.external_id === externalId)!;
		expect(byRow.get(2)!.json.case_id).toBe(stored('o-1').case_id);
		expect(byRow.get(3)!.json.case_id).toBe(stored('o-2').case_id);
		expect(bulkFetches()).toHaveLength(1);
	});

	test("the external-id GET's case must carry the id asked", async () => {
		const household = emulator.cases.add('demo', { case_type: 'household', external_id: 'g-1' });
		const impostor = emulator.cases.add('demo', { case_type: 'patient', external_id: 'someone-else' });
		const { byRow } = await importAndCheck(
			{ rows: [{ external_id: 'g-1', name: 'A' }], searchField: 'external_id', createNewCases: false },
			{
				parameters: { options: { caseLookupWait: 1 } },
				afterImport: () => {
					// The index shows the household (another type), so the database is asked; it answers another id's case.
					emulator.faults.respond('caseApi', 1, bulkAnswer([serialised(household)]));
					emulator.faults.respond('caseApi', 1, {
						status: 200,
						body: JSON.stringify(serialised(impostor)),
						headers: { 'Content-Type': 'application/json' },
					});
				},
			},
		);
		expect(byRow.get(2)!.json.case_id).toBeNull();
		expect(byRow.get(2)!.json.case_id).not.toBe(impostor.case_id);
	});

	test('"Multiple cases found": a listed case read back without the id asked gives none', async () => {
		const household = emulator.cases.add('demo', { case_type: 'household', external_id: 'mu-1' });
		const { byRow } = await importAndCheck(
			{ rows: [{ external_id: 'mu-1', name: 'A' }], searchField: 'external_id', createNewCases: true },
			{
				parameters: { options: { caseLookupWait: 1 } },
				afterImport: () => {
					const patient = emulator.cases.all('demo').find((c) => c.case_type === 'patient')!;
					emulator.faults.respond('caseApi', 1, bulkAnswer([serialised(household)]));
					emulator.faults.respond('caseApi', 1, {
						status: 400,
						body: JSON.stringify({
							error: `Multiple cases found with external_id 'mu-1': ${household.case_id}, ${patient.case_id}, lost-1`,
						}),
						headers: { 'Content-Type': 'application/json' },
					});
					// The third listed case reads back as a patient with another external id.
					emulator.faults.respond(
						'caseApi',
						1,
						bulkAnswer([
							serialised(household),
							serialised(patient),
							serialised({ case_id: 'lost-1', external_id: 'not-mu-1' }),
						]),
					);
				},
			},
		);
		expect(byRow.get(2)!.json.case_id).toBeNull();
		expect(byRow.get(2)!.json.caseLookup?.result).toBe('noId');
		expect(byRow.get(2)!.json.caseLookup?.message).toMatch(/could not be read back with that id/);
	});
});

describe('nothing outlives the node', () => {
	test('one bulk fetch refused (403): the others stop, and no request is sent after the node returned', async () => {
		const rows = Array.from({ length: 20_001 }, (_, index) => ({ case_id: `c-${index}`, name: `N${index}` }));
		const { byRow } = await importAndCheck(
			{ rows, createNewCases: false },
			{
				parameters: { options: { concurrency: 2 } },
				afterImport: () => {
					emulator.faults.delay('caseApi', 10, 300);
					emulator.faults.respond('caseApi', 1, { status: 403, body: '{"error":"no"}' });
				},
			},
		);
		const atReturn = caseApiRequests().length;
		await pause(1500);
		expect(caseApiRequests().length).toBe(atReturn);
		// The refused chunk and the one in flight beside it: nobody took a third of the five.
		expect(atReturn).toBeLessThanOrEqual(2);
		expect(byRow.get(2)!.json.caseLookup?.result).toBe('unavailable');
	}, 60_000);
});

describe('one deadline: "Case Lookup Wait" bounds the whole lookup', () => {
	test('slow one-by-one GETs: the lookup ends within its wait; what was not asked is notChecked', async () => {
		const ids = Array.from({ length: 30 }, (_, index) => `s-${index}`);
		const households = ids.map((id) => emulator.cases.add('demo', { case_type: 'household', external_id: id }));
		const started = Date.now();
		const { byRow, hints } = await importAndCheck(
			{ rows: ids.map((id) => ({ external_id: id, name: id })), searchField: 'external_id', createNewCases: true },
			{
				parameters: { options: { caseLookupWait: 2 } },
				afterImport: () => {
					// The index shows each id's household, so every id is asked of the database, one by one.
					emulator.faults.respond('caseApi', 1, bulkAnswer(households.map((household) => serialised(household))));
					emulator.faults.delay('caseApi', 200, 300);
				},
			},
		);
		const tookMs = Date.now() - started;
		// Each GET takes 300 ms: 30 of them (60 requests with the lookups they lead to) would take 9 s and more.
		expect(caseApiRequests().length).toBeLessThanOrEqual(2000 / 300 + 2);
		expect(tookMs).toBeLessThan(2000 + 4000);
		const results = [...byRow.values()].map((record) => record.json.caseLookup?.result);
		expect(results).toContain('notChecked');
		const unchecked = [...byRow.values()].find((record) => record.json.caseLookup?.result === 'notChecked')!;
		expect(unchecked.json.case_id).toBeNull();
		expect(unchecked.json.caseLookup?.message).toMatch(/"Case Lookup Wait" ended/);
		expect(hints.map((hint) => hint.message).join('\n')).toMatch(/did not finish within "Case Lookup Wait" \(2 s\)/);
	}, 30_000);

	test('a bulk fetch that hangs is cut at the wait: the record is notChecked, not notFound', async () => {
		const started = Date.now();
		const { byRow } = await importAndCheck(
			{ rows: [{ external_id: 'hang', name: 'H' }], searchField: 'external_id', createNewCases: false },
			{
				parameters: { options: { caseLookupWait: 1 } },
				afterImport: () => emulator.faults.delay('caseApi', 1, 20_000),
			},
		);
		expect(Date.now() - started).toBeLessThan(1000 + 5000);
		expect(caseApiRequests()).toHaveLength(1);
		// Never asked is no answer: the row is not called skipped (notMatched) for want of one.
		expect(byRow.get(2)!.json.caseLookup?.result).toBe('notChecked');
		expect(byRow.get(2)!.json.reason).not.toBe('notMatched');
	}, 30_000);

	test('a Retry-After beyond the wait ends the lookup at once, saying why', async () => {
		const started = Date.now();
		const { byRow } = await importAndCheck(
			{ rows: [{ external_id: 'ra', name: 'R' }], searchField: 'external_id', createNewCases: true },
			{
				parameters: { options: { caseLookupWait: 1 } },
				afterImport: () => emulator.faults.respond('caseApi', 5, { status: 429, retryAfter: 100 }),
			},
		);
		expect(Date.now() - started).toBeLessThan(5000);
		expect(caseApiRequests()).toHaveLength(1);
		expect(byRow.get(2)!.json).toMatchObject({ outcome: 'success', case_id: null });
		expect(byRow.get(2)!.json.caseLookup?.message).toMatch(
			/HTTP 429, Retry-After: 100 s\): waiting that long would pass "Case Lookup Wait" \(1 s\)/,
		);
	}, 20_000);
});

describe('times are UTC, whatever the machine says', () => {
	// `npm test` runs this file again with TZ set far from UTC (jest cannot change a running process's zone).
	const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
	const noOffset = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '000');

	test(`times without an offset are UTC: an old case was updated, a new one created (zone ${zone})`, async () => {
		const old = emulator.cases.add('demo', { case_type: 'patient', external_id: 'tz-old' });
		const { byRow } = await importAndCheck(
			{
				rows: [
					{ external_id: 'tz-old', name: 'Old' },
					{ external_id: 'tz-new', name: 'New' },
					{ external_id: 'tz-extra', name: 'Extra' },
				],
				searchField: 'external_id',
				createNewCases: true,
			},
			{
				// Two records of three: the counts do not cover the records, so the times alone decide.
				records: (items) => items.slice(0, 2),
				afterImport: (upload) => {
					const accepted = Date.parse(upload.acceptedAt!);
					const made = emulator.cases.all('demo').find((c) => c.external_id === 'tz-new')!;
					const touched = noOffset(accepted + 1500);
					emulator.faults.respond(
						'caseApi',
						1,
						bulkAnswer([
							serialised(old, { date_opened: noOffset(accepted - 2 * 3600_000), server_last_modified: touched }),
							serialised(made, { date_opened: touched, server_last_modified: touched }),
						]),
					);
				},
			},
		);
		expect(byRow.get(2)!.json.case_id).toBe(old.case_id);
		expect(byRow.get(2)!.json.caseLookup?.action).toBe('updated');
		expect(byRow.get(3)!.json.caseLookup).toMatchObject({ result: 'found', action: 'created' });
	});

	test('a case opened "in the future" (a device clock ahead) settles nothing: the action is null', async () => {
		const ahead = emulator.cases.add('demo', {
			case_type: 'patient',
			external_id: 'fut-1',
			date_opened: '2099-01-01T00:00:00.000000Z',
		});
		const { byRow } = await importAndCheck(
			{
				rows: [
					{ external_id: 'fut-1', name: 'Old' },
					{ external_id: 'fut-2', name: 'New' },
				],
				searchField: 'external_id',
				createNewCases: true,
			},
			{ records: (items) => items.slice(0, 1) },
		);
		expect(byRow.get(2)!.json.case_id).toBe(ahead.case_id);
		expect(byRow.get(2)!.json.caseLookup).toMatchObject({ result: 'found', action: null });
	});
});

describe('certainty kept', () => {
	test('a row whose only value was written blank (control characters) is the skip; its neighbours stay on Success', async () => {
		// Bulk Import writes '\u0001\u0002' as a blank cell (no .xlsx can hold it); its record keeps the value sent.
		const { byRow } = await importAndCheck(
			{
				rows: [
					{ case_id: '', name: 'Ann' },
					{ case_id: '', name: '' },
					{ case_id: '', name: 'Ben' },
				],
				createNewCases: true,
			},
			{
				parameters: { options: { lookUpCaseIds: false } },
				records: (items) =>
					items.map((item) =>
						item.json.row === 3 ? { json: { ...item.json, record: { case_id: '', name: '\u0001\u0002' } } } : item,
					),
			},
		);
		expect(byRow.get(3)!.json.import).toMatchObject({ created_count: 2, skipped_count: 1 });
		expect(byRow.get(2)).toMatchObject({ output: 'success', json: { reason: 'imported' } });
		expect(byRow.get(3)).toMatchObject({ output: 'warning', json: { reason: 'skippedRows' } });
		expect(byRow.get(4)).toMatchObject({ output: 'success', json: { reason: 'imported' } });
	});
});
