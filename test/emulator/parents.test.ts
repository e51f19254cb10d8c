/**
 * Parent columns in the emulator (docs/commcare-api.md §6.7, §6.9, §9.7), over real HTTP: the indices an import
 * stores (child and extension, `parent_identifier` as the index's name, a parent of another type than the imported
 * one), the `Invalid Parent ID` errors and their column slot, and the indices the Case API gives back.
 */
import { ERROR_TEXT, type Emulator } from '../../emulator';
import { apiKeyHeader, importRows, send, useEmulator } from '../support/emulator';

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 0, runningPolls: 0 } });

const PARENT_COLUMNS = [
	'case_id',
	'name',
	'parent_id',
	'parent_external_id',
	'parent_type',
	'parent_relationship_type',
	'parent_identifier',
];
const invalidParent = (column: string, rows: number[]) => ({
	title: 'Invalid Parent ID',
	description: ERROR_TEXT.invalidParent.description,
	column,
	rows,
});
const EXTENSION_NEEDS_IDENTIFIER =
	"'parent_identifier' column must be provided when 'parent_relationship_type' column is set to 'extension'";
const BAD_RELATIONSHIP = "Invalid value for 'parent_relationship_type' column";
const caseNamed = (name: string) => emulator.cases.all('demo').find((c) => c.name === name);
const child = (parent: { case_id: string; case_type: string }) => ({
	case_id: parent.case_id,
	case_type: parent.case_type,
	relationship: 'child' as const,
});

describe('indices an import stores', () => {
	test('a child of another case type, under `parent` or the parent_identifier given; an extension under its identifier', async () => {
		const home = emulator.cases.add('demo', { case_type: 'household', external_id: 'HH-1' });
		const final = await importRows(emulator, [
			PARENT_COLUMNS,
			['', 'by external id', null, 'HH-1', 'household', 'child', null],
			['', 'by case id', home.case_id, null, 'household', 'child', null],
			['', 'named index', null, 'HH-1', 'household', 'child', 'household'],
			['', 'extension', null, 'HH-1', 'household', 'extension', 'host'],
		]);
		expect(final.result).toEqual({ match_count: 0, created_count: 4, num_chunks: 1, errors: [] });
		expect(caseNamed('by external id')?.case_type).toBe('patient');
		expect(caseNamed('by external id')?.indices).toEqual({ parent: child(home) });
		expect(caseNamed('by case id')?.indices).toEqual({ parent: child(home) });
		expect(caseNamed('named index')?.indices).toEqual({ household: child(home) });
		expect(caseNamed('extension')?.indices).toEqual({
			host: { case_id: home.case_id, case_type: 'household', relationship: 'extension' },
		});
	});

	test('without parent_type the parent is of the imported type; a parent created earlier in the file counts', async () => {
		const final = await importRows(emulator, [
			['case_id', 'name', 'external_id', 'parent_external_id'],
			['', 'mother', 'M-1', null],
			['', 'baby', null, 'M-1'],
		]);
		expect(final.result?.errors).toEqual([]);
		expect(final.result?.num_chunks).toBe(2); // the row naming M-1 sends the chunk that creates it first
		const mother = caseNamed('mother') as { case_id: string; case_type: string };
		expect(caseNamed('baby')?.indices).toEqual({ parent: child(mother) });
	});

	test('both ids blank: a new case has no index, an updated one keeps its own; a parent given replaces that index', async () => {
		const home = emulator.cases.add('demo', { case_type: 'household', external_id: 'HH-1' });
		const other = emulator.cases.add('demo', { case_type: 'household', external_id: 'HH-2' });
		const kept = emulator.cases.add('demo', {
			case_type: 'patient',
			name: 'kept',
			indices: { parent: child(home) },
		});
		const moved = emulator.cases.add('demo', {
			case_type: 'patient',
			name: 'moved',
			indices: { parent: child(home) },
		});
		const final = await importRows(emulator, [
			['case_id', 'name', 'parent_external_id', 'parent_type'],
			['', 'new', '', 'household'],
			[kept.case_id, 'kept', null, 'household'],
			[moved.case_id, 'moved', 'HH-2', 'household'],
		]);
		expect(final.result?.errors).toEqual([]);
		expect(caseNamed('new')?.indices).toEqual({});
		expect(caseNamed('kept')?.indices).toEqual({ parent: child(home) });
		expect(caseNamed('moved')?.indices).toEqual({ parent: child(other) });
	});
});

describe('Invalid Parent ID (§6.9): the column slot', () => {
	test('not found, of another type, or shared by several of the type: the column that named the parent', async () => {
		const home = emulator.cases.add('demo', { case_type: 'household', external_id: 'HH-1' });
		emulator.cases.add('demo', { case_type: 'household', external_id: 'HH-2' });
		emulator.cases.add('demo', { case_type: 'household', external_id: 'HH-2' });
		const final = await importRows(emulator, [
			PARENT_COLUMNS,
			['', 'a', 'missing', null, 'household', null, null],
			['', 'b', null, 'HH-9', 'household', null, null],
			['', 'c', home.case_id, null, 'patient', null, null], // a case of another type than parent_type
			['', 'd', null, 'HH-1', 'patient', null, null],
			['', 'e', null, 'HH-2', 'household', null, null], // two households share HH-2
			// parent_id names no case: parent_external_id, which would find one, is not tried
			['', 'f', 'missing', 'HH-1', 'household', null, null],
		]);
		expect(final.result).toEqual({
			match_count: 0,
			created_count: 0,
			num_chunks: 0,
			errors: [invalidParent('parent_id', [2, 4, 7]), invalidParent('parent_external_id', [3, 5, 6])],
		});
		expect(emulator.cases.all('demo').filter((c) => c.case_type === 'patient')).toEqual([]);
	});

	test('the relationship is judged only once the parent is found: its sentence then takes the column slot', async () => {
		emulator.cases.add('demo', { case_type: 'household', external_id: 'HH-1' });
		const final = await importRows(emulator, [
			PARENT_COLUMNS,
			['', 'a', null, 'HH-1', 'household', 'extension', null],
			['', 'b', null, 'HH-1', 'household', 'Child', null],
			['', 'c', null, 'HH-1', 'household', null, null], // the column is there, its cell blank: no relationship
			['', 'd', null, 'HH-9', 'household', 'extension', null], // not found first
			['', 'e', null, 'HH-9', 'household', 'sibling', null],
			['', 'f', null, null, 'household', 'sibling', null], // no parent named: nothing to judge
		]);
		expect(final.result).toEqual({
			match_count: 0,
			created_count: 1,
			num_chunks: 1,
			errors: [
				invalidParent(EXTENSION_NEEDS_IDENTIFIER, [2]),
				invalidParent(BAD_RELATIONSHIP, [3, 4]),
				invalidParent('parent_external_id', [5, 6]),
			],
		});
		expect(caseNamed('f')?.indices).toEqual({});
	});

	test('a parent_type column present but blank: no case id matches it; by external id any one case of any type does', async () => {
		const home = emulator.cases.add('demo', { case_type: 'household', external_id: 'HH-1' });
		emulator.cases.add('demo', { case_type: 'household', external_id: 'SHARED' });
		emulator.cases.add('demo', { case_type: 'patient', external_id: 'SHARED' });
		const final = await importRows(emulator, [
			['case_id', 'name', 'parent_id', 'parent_external_id', 'parent_type'],
			['', 'a', home.case_id, null, null],
			['', 'b', null, 'HH-1', null],
			['', 'c', null, 'SHARED', null], // one household and one patient: several cases
		]);
		expect(final.result?.errors).toEqual([invalidParent('parent_id', [2]), invalidParent('parent_external_id', [4])]);
		expect(caseNamed('b')?.indices).toEqual({ parent: child(home) });
	});
});

describe('indices in the Case API (§9.7)', () => {
	const api = () => `${emulator.baseUrl}/a/demo/api/case/v2`;
	const get = async (path: string) => {
		const answer = await send(`${api()}${path}`, { headers: apiKeyHeader(emulator) });
		expect(answer.status).toBe(200);
		return JSON.parse(answer.text) as Record<string, unknown>;
	};
	const bulkFetch = async (payload: object, query = '') => {
		const answer = await send(`${api()}/bulk-fetch/${query}`, {
			method: 'POST',
			headers: { ...apiKeyHeader(emulator), 'Content-Type': 'application/json' },
			body: JSON.stringify(payload),
		});
		expect(answer.status).toBe(200);
		return JSON.parse(answer.text) as { cases: Array<Record<string, unknown>> };
	};

	test('bulk fetch, the case-id GET and the external-id GET give `{identifier: {case_id, case_type, relationship}}`; {} when none', async () => {
		const home = emulator.cases.add('demo', { case_type: 'household', external_id: 'HH-1' });
		await importRows(emulator, [
			[
				'case_id',
				'name',
				'external_id',
				'parent_external_id',
				'parent_type',
				'parent_relationship_type',
				'parent_identifier',
			],
			['', 'member', 'M-1', 'HH-1', 'household', 'child', null],
			['', 'visit', 'V-1', 'HH-1', 'household', 'extension', 'host'],
		]);
		const member = caseNamed('member')?.case_id as string;
		const visit = caseNamed('visit')?.case_id as string;
		const memberIndices = { parent: child(home) };
		const visitIndices = { host: { case_id: home.case_id, case_type: 'household', relationship: 'extension' } };

		const byCaseId = await bulkFetch({ case_ids: [member, visit, home.case_id] });
		expect(byCaseId.cases.map((found) => found.indices)).toEqual([memberIndices, visitIndices, {}]);
		const byExternalId = await bulkFetch({ external_ids: ['M-1', 'V-1', 'HH-1'] });
		expect(byExternalId.cases.map((found) => found.indices)).toEqual([memberIndices, visitIndices, {}]);
		expect((await get(`/${member}/`)).indices).toEqual(memberIndices);
		expect((await get(`/${home.case_id}/`)).indices).toEqual({});
		expect((await get('/ext/V-1/')).indices).toEqual(visitIndices);
		expect((await get('/ext/HH-1/')).indices).toEqual({});
	});

	test('`fields=…,indices` keeps the indices whole; `fields=indices.parent.case_id` keeps that path only', async () => {
		const home = emulator.cases.add('demo', { case_type: 'household', external_id: 'HH-1' });
		await importRows(emulator, [
			['case_id', 'name', 'external_id', 'parent_external_id', 'parent_type'],
			['', 'member', 'M-1', 'HH-1', 'household'],
		]);
		const member = caseNamed('member')?.case_id as string;
		const kept = await bulkFetch({ case_ids: [member, home.case_id] }, '?fields=case_id,case_type,indices');
		expect(kept.cases).toEqual([
			{ case_id: member, case_type: 'patient', indices: { parent: child(home) } },
			{ case_id: home.case_id, case_type: 'household', indices: {} },
		]);
		expect(await get(`/ext/M-1/?fields=case_id,indices`)).toEqual({
			case_id: member,
			indices: { parent: child(home) },
		});
		expect(await get(`/${member}/?fields=indices.parent.case_id`)).toEqual({
			indices: { parent: { case_id: home.case_id } },
		});
	});
});
