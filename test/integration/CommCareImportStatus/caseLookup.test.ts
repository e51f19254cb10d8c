/**
 * "Look Up Case IDs" against the emulator, in per-record mode: every record on Success carries the case ID the
 * emulator's store holds; rows that matched nothing are Warning `notMatched`; shared external ids never get a wrong
 * case ID; a refused lookup (403, plan, 429) never changes an outcome; the search index's lag is waited out, or said.
 */
import type { Emulator } from '../../../emulator';
import { useCaseLookupEmulator } from '../../support/caseLookup';
import type { SheetRow } from '../../support/emulator';

const bench = useCaseLookupEmulator();
const { credentials, importAndCheck, bulkFetches } = bench;
let emulator: Emulator;
beforeAll(() => {
	emulator = bench.emulator();
});

describe('case IDs per record', () => {
	test('matching by external id: each record gets the case the store holds, created then updated', async () => {
		const rows: SheetRow[] = [
			{ external_id: 'p-1', name: 'Ann' },
			{ external_id: 'p-2', name: 'Ben' },
		];
		const first = await importAndCheck({ rows, searchField: 'external_id', createNewCases: true });
		const stored = (externalId: string) => emulator.cases.all('demo').find((c) => c.external_id === externalId)!;
		for (const [row, externalId] of [
			[2, 'p-1'],
			[3, 'p-2'],
		] as const) {
			const record = first.byRow.get(row)!;
			expect(record.output).toBe('success');
			expect(record.json.case_id).toBe(stored(externalId).case_id);
			expect(record.json.case).toMatchObject({ case_id: stored(externalId).case_id, external_id: externalId });
			expect(record.json.caseLookup).toMatchObject({ result: 'found', action: 'created', indexBehind: false });
			expect(record.json.summary).toBe(`Sheet row ${row} imported: patient case ${stored(externalId).case_id} created`);
		}
		expect(first.byRow.get(2)!.json.case?.case_name).toBe('Ann');
		expect(bulkFetches()).toHaveLength(1);

		const again = await importAndCheck({ rows, searchField: 'external_id', createNewCases: true });
		expect(again.byRow.get(2)!.json.case_id).toBe(stored('p-1').case_id);
		expect(again.byRow.get(2)!.json.caseLookup?.action).toBe('updated');
	});

	test('ids CommCare reads as numbers: each record finds its case by the id as written, in the first bulk fetch', async () => {
		// CommCare matches '00123' as '123' and a 20-digit id through a double, but the case keeps the text written.
		emulator.cases.add('demo', { case_type: 'patient', name: 'Old', external_id: '77' });
		const { byRow } = await importAndCheck({
			rows: [
				{ external_id: '00123', name: 'Zero' },
				{ external_id: '12345678901234567890', name: 'Long' },
				{ external_id: '0077', name: 'Found as 77' },
			],
			searchField: 'external_id',
			createNewCases: true,
		});
		const stored = (externalId: string) => emulator.cases.all('demo').find((c) => c.external_id === externalId)!;
		expect(byRow.get(2)!.json).toMatchObject({ outcome: 'success', case_id: stored('00123').case_id });
		expect(byRow.get(3)!.json).toMatchObject({ outcome: 'success', case_id: stored('12345678901234567890').case_id });
		// The existing case '77' was matched and updated, and now carries '0077'.
		expect(byRow.get(4)!.json).toMatchObject({ outcome: 'success', case_id: stored('0077').case_id });
		expect(stored('0077').name).toBe('Found as 77');
		expect(bulkFetches()).toHaveLength(1);
	});

	test('matching by case id: found cases are updated; an unknown id with creation off is notMatched, never importedOrSkipped', async () => {
		const existing = emulator.cases.add('demo', { case_type: 'patient', name: 'Old' });
		const other = emulator.cases.add('demo', { case_type: 'patient', name: 'Other' });
		const household = emulator.cases.add('demo', { case_type: 'household', name: 'Home' });
		const { byRow } = await importAndCheck({
			rows: [
				{ case_id: existing.case_id, name: 'Renamed', owner_id: '' },
				{ case_id: 'no-such-case', name: 'Ghost', owner_id: '' },
				{ case_id: other.case_id, name: 'Bad owner', owner_id: 'nobody' },
				{ case_id: household.case_id, name: 'Wrong type', owner_id: '' },
			],
			createNewCases: false,
		});
		expect(byRow.get(2)).toMatchObject({ output: 'success', json: { reason: 'imported', case_id: existing.case_id } });
		expect(byRow.get(2)!.json.caseLookup?.action).toBe('updated');
		expect(byRow.get(3)).toMatchObject({ output: 'warning', json: { reason: 'notMatched', case_id: null } });
		expect(byRow.get(3)!.json.summary).toBe("Sheet row 3 skipped: no patient case has case_id 'no-such-case'");
		expect(byRow.get(4)).toMatchObject({ output: 'warning', json: { reason: 'rowErrors', case_id: null } });
		expect(byRow.get(4)!.json.caseLookup?.result).toBe('notImported');
		expect(byRow.get(5)).toMatchObject({ output: 'warning', json: { reason: 'notMatched', case_id: null } });
		expect(byRow.get(5)!.json.caseLookup?.result).toBe('otherCaseType');
		// The lookup saw the id under another case type of the project: the summary asks about Case Type.
		expect(byRow.get(5)!.json.summary).toBe(
			'Sheet row 5 skipped: its case_id belongs to a household case, not a patient case; was Case Type meant to be household?',
		);
	});

	test('matching by external id with creation off: unmatched ids are notMatched, each with its own reason', async () => {
		const known = emulator.cases.add('demo', { case_type: 'patient', external_id: 'known' });
		const { byRow } = await importAndCheck({
			rows: [
				{ external_id: 'known', name: 'K' },
				{ external_id: 'unknown-1', name: 'U' },
				{ external_id: 'unknown-2', name: 'V' },
			],
			searchField: 'external_id',
			createNewCases: false,
		});
		expect(byRow.get(2)!.json).toMatchObject({ outcome: 'success', case_id: known.case_id });
		for (const [row, id] of [
			[3, 'unknown-1'],
			[4, 'unknown-2'],
		] as const) {
			expect(byRow.get(row)!.json).toMatchObject({ outcome: 'warning', reason: 'notMatched' });
			expect(byRow.get(row)!.json.caseLookup?.message).toContain(`external_id '${id}'`);
		}
		// Every imported row's case was found at once: no wait for the index.
		expect(bulkFetches()).toHaveLength(1);
	});

	test('matching by external id, ids of another case type: the summary asks whether Case Type was meant to be it', async () => {
		// Case Type picked wrong: the rows' ids belong to household cases. With creation off, nothing matched.
		emulator.cases.add('demo', { case_type: 'household', external_id: 'HH-1', name: 'Home 1' });
		emulator.cases.add('demo', { case_type: 'household', external_id: 'HH-2', name: 'Home 2' });
		const { byRow } = await importAndCheck({
			rows: [
				{ external_id: 'HH-1', name: 'A' },
				{ external_id: 'HH-2', name: 'B' },
				{ external_id: 'nobody', name: 'C' },
			],
			searchField: 'external_id',
			createNewCases: false,
		});
		for (const [row, id] of [
			[2, 'HH-1'],
			[3, 'HH-2'],
		] as const) {
			expect(byRow.get(row)!.json).toMatchObject({
				outcome: 'warning',
				reason: 'notMatched',
				summary: `Sheet row ${row} skipped: external_id '${id}' belongs to a household case, not a patient case; was Case Type meant to be household?`,
			});
		}
		expect(byRow.get(4)!.json.summary).toBe("Sheet row 4 skipped: no patient case has external_id 'nobody'");
		// Told by the requests the lookup makes anyway: one bulk fetch, and the external-id GET for each id it
		// found under another type; none for the id nobody has.
		expect(bulkFetches()).toHaveLength(1);
		expect(emulator.requests.filter((request) => request.path.includes('/case/v2/ext/'))).toHaveLength(2);
	});

	test("matching by external id with creation on: a new case whose id is another case type's says so", async () => {
		emulator.cases.add('demo', { case_type: 'household', external_id: 'HH-7', name: 'Home' });
		// The new patient case shows in the search index a read late, so bulk fetch answers with the household case.
		emulator.setIndexLag({ reads: 1 });
		const { byRow } = await importAndCheck({
			rows: [{ external_id: 'HH-7', name: 'Twin' }],
			searchField: 'external_id',
			createNewCases: true,
		});
		const twin = emulator.cases.all('demo').find((c) => c.case_type === 'patient' && c.external_id === 'HH-7')!;
		expect(byRow.get(2)!.json).toMatchObject({
			outcome: 'success',
			reason: 'imported',
			case_id: twin.case_id,
			summary: `Sheet row 2 imported: patient case ${twin.case_id} created; its ID also belongs to a household case; was Case Type meant to be household?`,
		});
	});

	test('an existing case updated and a new one created in the same second as the upload: each told right', async () => {
		// Start at the top of a second so the existing case is opened in the upload's own second (the hard case).
		await new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));
		const known = emulator.cases.add('demo', { case_type: 'patient', external_id: 'old-1', name: 'Old' });
		const { byRow } = await importAndCheck({
			rows: [
				{ external_id: 'new-1', name: 'New' },
				{ external_id: 'old-1', name: 'Old renamed' },
				{ external_id: 'new-1', name: 'New again' },
			],
			searchField: 'external_id',
			createNewCases: true,
		});
		const created = emulator.cases.all('demo').find((c) => c.external_id === 'new-1')!;
		expect(byRow.get(2)!.json.caseLookup).toMatchObject({ result: 'found', action: 'created' });
		expect(byRow.get(2)!.json.case_id).toBe(created.case_id);
		expect(byRow.get(3)!.json.caseLookup).toMatchObject({ result: 'found', action: 'updated' });
		expect(byRow.get(3)!.json.case_id).toBe(known.case_id);
		// A later row of a case made by this import updated it.
		expect(byRow.get(4)!.json.caseLookup).toMatchObject({ result: 'found', action: 'updated' });
		expect(byRow.get(4)!.json.case_id).toBe(created.case_id);
	});

	test('a new case from a row without a case_id is found by its external_id column', async () => {
		const { byRow } = await importAndCheck({
			rows: [
				{ case_id: '', external_id: 'new-1', name: 'New' },
				{ case_id: '', name: 'No ids' },
			],
			createNewCases: true,
		});
		const created = emulator.cases.all('demo').find((c) => c.external_id === 'new-1')!;
		expect(byRow.get(2)!.json).toMatchObject({ outcome: 'success', case_id: created.case_id });
		expect(byRow.get(2)!.json.caseLookup?.action).toBe('created');
		expect(byRow.get(3)!.json).toMatchObject({ outcome: 'success', reason: 'imported', case_id: null });
		expect(byRow.get(3)!.json.caseLookup?.result).toBe('noId');
	});
});

describe('shared external ids never get a wrong case ID', () => {
	test.each([['patient first'], ['household first']])(
		'a household sharing the external id (%s): the patient case is given',
		async (order) => {
			const add = (caseType: string) => emulator.cases.add('demo', { case_type: caseType, external_id: 'X-1' });
			const [patient] =
				order === 'patient first' ? [add('patient'), add('household')] : [add('household'), add('patient')].reverse();
			const { byRow } = await importAndCheck({
				rows: [{ external_id: 'X-1', name: 'Shared' }],
				searchField: 'external_id',
				createNewCases: false,
			});
			expect(byRow.get(2)!.json).toMatchObject({ outcome: 'success', case_id: patient.case_id });
		},
	);

	test('duplicate external_id values creating several cases: flagged with their ids, no case ID given', async () => {
		const { byRow } = await importAndCheck({
			rows: [
				{ case_id: '', external_id: 'dup', name: 'One' },
				{ case_id: '', external_id: 'dup', name: 'Two' },
			],
			createNewCases: true,
		});
		const ids = emulator.cases
			.all('demo')
			.filter((c) => c.external_id === 'dup')
			.map((c) => c.case_id);
		expect(ids).toHaveLength(2);
		for (const row of [2, 3]) {
			expect(byRow.get(row)!.json).toMatchObject({ outcome: 'success', case_id: null });
			expect(byRow.get(row)!.json.caseLookup).toMatchObject({ result: 'sharedExternalId', caseIds: ids });
		}
	});
});

describe('a lookup CommCare refuses never changes an outcome', () => {
	test('403 (no Access APIs permission): Success stays, case_id null, one hint naming the permission', async () => {
		const { byRow, hints } = await importAndCheck(
			{ rows: [{ external_id: 'a', name: 'A' }], searchField: 'external_id', createNewCases: true },
			{ credentials: credentials('noapi@example.org', 'noapi-key') },
		);
		expect(byRow.get(2)!.json).toMatchObject({ outcome: 'success', reason: 'imported', case_id: null });
		expect(byRow.get(2)!.json.caseLookup?.result).toBe('unavailable');
		expect(byRow.get(2)!.json.caseLookup?.message).toMatch(/"Access APIs" permission.*Roles & Permissions/);
		expect(hints).toHaveLength(1);
		expect(hints[0].message).toBe(byRow.get(2)!.json.caseLookup?.message);
	});

	test('a plan without API access ("Upgrade Required" page): said, outcome kept', async () => {
		const { byRow } = await importAndCheck(
			{ rows: [{ external_id: 'a', name: 'A' }], searchField: 'external_id', createNewCases: true },
			{ domain: 'free' },
		);
		expect(byRow.get(2)!.json).toMatchObject({ outcome: 'success', case_id: null });
		expect(byRow.get(2)!.json.caseLookup?.message).toMatch(/plan probably does not include API access/);
	});

	test('429 with Retry-After is waited out, then the cases come back', async () => {
		emulator.faults.respond('caseApi', 1, { status: 429, retryAfter: 1 });
		const { byRow } = await importAndCheck({
			rows: [{ external_id: 'r', name: 'R' }],
			searchField: 'external_id',
			createNewCases: true,
		});
		const fetches = bulkFetches();
		expect(fetches).toHaveLength(2);
		expect(fetches[1].at - fetches[0].at).toBeGreaterThanOrEqual(900);
		expect(byRow.get(2)!.json.case_id).toBe(emulator.cases.all('demo')[0].case_id);
	});

	test('429 every time: the records keep their outcome and say the rate limit stopped the lookup', async () => {
		emulator.faults.respond('caseApi', 100, { status: 429, retryAfter: 0 });
		const { byRow } = await importAndCheck({
			rows: [{ external_id: 'r', name: 'R' }],
			searchField: 'external_id',
			createNewCases: true,
		});
		expect(byRow.get(2)!.json).toMatchObject({ outcome: 'success', case_id: null });
		expect(byRow.get(2)!.json.caseLookup?.message).toMatch(/rate limit stopped the case lookup \(HTTP 429/);
	});
});

describe('the search index lags behind the import', () => {
	test("cases not visible yet are asked again until CommCare's counts are met", async () => {
		emulator.setIndexLag({ reads: 2 });
		const { byRow } = await importAndCheck({
			rows: [
				{ external_id: 'l-1', name: 'L1' },
				{ external_id: 'l-2', name: 'L2' },
			],
			searchField: 'external_id',
			createNewCases: true,
		});
		expect(bulkFetches()).toHaveLength(3);
		for (const row of [2, 3]) {
			expect(byRow.get(row)!.json.caseLookup).toMatchObject({ result: 'found', indexBehind: false });
			expect(byRow.get(row)!.json.case_id).toMatch(/^[0-9a-f]{32}$/);
		}
	});

	test('an index still behind when the wait ends: notVisible, indexBehind, the outcome from the counts', async () => {
		emulator.setIndexLag({ ms: 60_000 });
		const { byRow } = await importAndCheck(
			{ rows: [{ external_id: 'slow', name: 'S' }], searchField: 'external_id', createNewCases: true },
			{ parameters: { options: { caseLookupWait: 1 } } },
		);
		expect(byRow.get(2)!.json).toMatchObject({ outcome: 'success', reason: 'imported', case_id: null });
		expect(byRow.get(2)!.json.caseLookup).toMatchObject({ result: 'notVisible', indexBehind: true });
		expect(byRow.get(2)!.json.caseLookup?.message).toMatch(/had not caught up/);
		expect(bulkFetches().length).toBeGreaterThan(1);
	});
});

describe('requests', () => {
	test('more than 5,000 ids go in requests of at most 5,000, fields limited', async () => {
		const rows = Array.from({ length: 5001 }, (_, index) => ({ external_id: `e-${index}`, name: `N${index}` }));
		const { byRow } = await importAndCheck({ rows, searchField: 'external_id', createNewCases: true });
		expect(bulkFetches()).toHaveLength(2);
		expect(bulkFetches()[0].query.fields).toContain('case_id');
		const stored = new Map(emulator.cases.all('demo').map((c) => [c.external_id, c.case_id]));
		expect(
			[...byRow.values()].every(
				({ json }) => json.case_id === stored.get((json.record as SheetRow).external_id as string),
			),
		).toBe(true);
	}, 60_000);

	test('100,000 records: 20 requests of 5,000 distinct ids, every record with the case the store holds', async () => {
		const rows = Array.from({ length: 100_000 }, (_, index) => ({
			external_id: `SC-${String(index).padStart(6, '0')}`,
			name: `Person ${index}`,
		}));
		const { byRow } = await importAndCheck(
			{ rows, searchField: 'external_id', createNewCases: true },
			{ parameters: { pollInterval: 0.2, timeout: 3 } },
		);
		expect(emulator.bulkFetches.map(({ caseIds, externalIds }) => [caseIds.length, externalIds.length])).toEqual(
			Array.from({ length: 20 }, () => [0, 5000]),
		);
		const asked = new Set(emulator.bulkFetches.flatMap(({ externalIds }) => externalIds));
		expect(asked.size).toBe(100_000);
		expect(rows.every((row) => asked.has(row.external_id))).toBe(true);
		const stored = new Map(emulator.cases.all('demo').map((c) => [c.external_id, c.case_id]));
		expect(stored.size).toBe(100_000);
		const wrong = [...byRow.values()].filter(
			({ output, json }) =>
				output !== 'success' ||
				json.caseLookup?.action !== 'created' ||
				json.case_id !== stored.get((json.record as SheetRow).external_id as string),
		);
		expect(wrong.length).toBe(0);
		expect(byRow.size).toBe(100_000);
	}, 180_000);

	test('Look Up Case IDs off: no Case API request and no case keys', async () => {
		const { byRow } = await importAndCheck(
			{ rows: [{ external_id: 'o', name: 'O' }], searchField: 'external_id', createNewCases: true },
			{ parameters: { options: { lookUpCaseIds: false } } },
		);
		expect(byRow.get(2)!.json).not.toHaveProperty('case_id');
		expect(byRow.get(2)!.json).not.toHaveProperty('caseLookup');
		expect(emulator.requests.filter((request) => request.path.includes('/api/case/'))).toHaveLength(0);
	});
});
