/**
 * The emulator's import semantics (docs/commcare-api.md §5, §6), driven over HTTP: upload, poll the status URL through the
 * timeline, then look at the status body and the case store.
 */
import { ERROR_TEXT, startEmulator, userIdOf, type Emulator } from '../../emulator';
import {
	apiKeyHeader,
	importRows,
	pollUntilDone,
	postUpload,
	send,
	uploadRows,
	xlsxFile,
	type StatusBody,
	useEmulator,
} from '../support/emulator';

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 0, runningPolls: 0 } });

const demoCases = () => emulator.cases.all('demo');
const errorEntry = (title: string, column: string | null, rows: number[]) => {
	const known = Object.values(ERROR_TEXT).find((e) => e.title === title) as { description?: string } | undefined;
	return { title, description: known?.description ?? expect.any(String), column, rows };
};

describe('§5 status timeline and body shape', () => {
	test('queued (-1, percent null) then running (1, rising percent < 100) then finished (2, percent 0)', async () => {
		emulator.setTimeline({ queuedPolls: 2, runningPolls: 3 });
		const answer = await uploadRows(emulator, [
			['case_id', 'name'],
			['', 'Alice'],
		]);
		const seen = await pollUntilDone(emulator, JSON.parse(answer.text).status_url);
		expect(seen.map((s) => s.state)).toEqual([-1, -1, 1, 1, 1, 2]);
		expect(seen.slice(0, 2)).toEqual([
			{ state: -1, progress: { percent: null }, result: null },
			{ state: -1, progress: { percent: null }, result: null },
		]);
		const running = seen.slice(2, 5).map((s) => s.progress?.percent as number);
		expect(running).toEqual([...running].sort((a, b) => a - b));
		expect(new Set(running).size).toBe(3);
		for (const percent of running) expect(Number.isInteger(percent) && percent > 0 && percent < 100).toBe(true);
		for (const body of seen.slice(2, 5)) expect(body.result).toBeNull();
		expect(seen[5]).toEqual({
			state: 2,
			progress: { percent: 0 },
			result: { match_count: 0, created_count: 1, num_chunks: 1, errors: [] },
		});
		const record = [...emulator.imports.values()][0];
		expect(record.polls).toBe(6);
		expect(record.state).toBe(2);
	});

	test('the terminal body is repeated on further polls, byte for byte as json.dumps writes it', async () => {
		const answer = await uploadRows(emulator, [
			['case_id', 'name'],
			['', 'Alice'],
		]);
		const url = JSON.parse(answer.text).status_url;
		const first = await send(url, { headers: apiKeyHeader(emulator) });
		const second = await send(url, { headers: apiKeyHeader(emulator) });
		expect(first.headers.get('content-type')).toBe('application/json');
		expect(first.text).toBe(
			'{"state": 2, "progress": {"percent": 0}, "result": {"match_count": 0, "created_count": 1, "num_chunks": 1, "errors": []}}',
		);
		expect(second.text).toBe(first.text);
	});

	test("another project's upload id answers an empty 404; a non-UUID id an HTML 500", async () => {
		const answer = await uploadRows(emulator, [
			['case_id', 'name'],
			['', 'Alice'],
		]);
		const url: string = JSON.parse(answer.text).status_url;
		const foreign = await send(url.replace('/a/demo/', '/a/nocases/'), { headers: apiKeyHeader(emulator) });
		expect(foreign.status).toBe(404);
		expect(foreign.text).toBe('');
		const notUuid = await send(`${emulator.baseUrl}/a/demo/importer/history/uploads/not-a-uuid/status`, {
			headers: apiKeyHeader(emulator),
		});
		expect(notUuid.status).toBe(500);
		expect(notUuid.headers.get('content-type')).toMatch(/^text\/html/);
	});

	test('a whole-import failure: state 3, percent 100, null counts, one description-only error', async () => {
		const final = await importRows(emulator, [
			['case_id', 'type'],
			['', 'x'],
		]);
		expect(final).toEqual({
			state: 3,
			progress: { percent: 100 },
			result: {
				match_count: null,
				created_count: null,
				num_chunks: null,
				errors: [{ title: null, description: 'Error: Field name "type" is reserved', column: null, rows: [] }],
			},
		});
	});
});

describe('§6 create, update, match', () => {
	test('creation: fresh 32-hex ids, name from name column, other headers as properties, owner = uploader', async () => {
		const final = await importRows(emulator, [
			['case_id', 'name', 'age', 'village'],
			['should-not-be-used', 'Alice', 30, 'North'],
			['', 'Bob', 41, 'South'],
		]);
		expect(final.result).toEqual({ match_count: 0, created_count: 2, num_chunks: 1, errors: [] });
		const [alice, bob] = demoCases();
		expect(alice.case_id).toMatch(/^[0-9a-f]{32}$/);
		expect(alice.case_id).not.toBe('should-not-be-used');
		expect(alice).toMatchObject({
			case_type: 'patient',
			name: 'Alice',
			owner_id: userIdOf(emulator.username),
			closed: false,
			properties: { age: '30', village: 'North' },
		});
		expect(bob.name).toBe('Bob');
	});

	test('creation is off unless create_new_cases is exactly "on"', async () => {
		for (const value of ['true', 'True', '1', 'yes', 'ON']) {
			const final = await importRows(
				emulator,
				[
					['case_id', 'name'],
					['', 'Alice'],
				],
				{ create_new_cases: value },
			);
			expect(final.result).toEqual({ match_count: 0, created_count: 0, num_chunks: 0, errors: [] });
		}
		expect(demoCases()).toHaveLength(0);
	});

	test('update by case_id: blanks clear, a blank name keeps the name, close=yes closes, omitted columns stay', async () => {
		const seeded = emulator.cases.add('demo', {
			case_type: 'patient',
			name: 'Alice',
			properties: { age: '30', village: 'North', phone: '123' },
		});
		const final = await importRows(
			emulator,
			[
				['case_id', 'name', 'age', 'village', 'close'],
				[seeded.case_id, null, 31, null, 'yes'],
			],
			{ create_new_cases: '' },
		);
		expect(final.result).toEqual({ match_count: 1, created_count: 0, num_chunks: 1, errors: [] });
		expect(emulator.cases.get('demo', seeded.case_id)).toMatchObject({
			name: 'Alice',
			closed: true,
			properties: { age: '31', village: '', phone: '123' },
		});
	});

	test('a case of another type is "not found": with creation on a new case is made', async () => {
		const household = emulator.cases.add('demo', { case_type: 'household', name: 'Home' });
		const final = await importRows(emulator, [
			['case_id', 'name'],
			[household.case_id, 'Alice'],
		]);
		expect(final.result?.created_count).toBe(1);
		expect(household.name).toBe('Home');
		expect(emulator.cases.byType('demo', 'patient')).toHaveLength(1);
	});

	test('closed cases can be matched and updated', async () => {
		const closed = emulator.cases.add('demo', { case_type: 'patient', closed: true });
		const final = await importRows(emulator, [
			['case_id', 'status'],
			[closed.case_id, 'seen'],
		]);
		expect(final.result?.match_count).toBe(1);
		expect(closed.properties.status).toBe('seen');
	});

	test('match by external_id: create, later rows update the new case, Too Many Matches, Blank External ID', async () => {
		emulator.cases.add('demo', { case_type: 'patient', external_id: 'dup' });
		emulator.cases.add('demo', { case_type: 'patient', external_id: 'dup' });
		const final = await importRows(
			emulator,
			[
				['external_id', 'name', 'age'],
				['ext-1', 'Alice', 30],
				['ext-1', null, 31],
				['dup', 'X', 1],
				[null, 'Nobody', 2],
			],
			{ search_field: 'external_id', search_column: 'external_id' },
		);
		expect(final.result).toEqual({
			match_count: 1,
			created_count: 1,
			// the second row refers to the case created in the pending chunk: the server submits it first
			num_chunks: 2,
			errors: [errorEntry('Too Many Matches', null, [4]), errorEntry('Blank External ID', null, [5])],
		});
		const [alice] = emulator.cases.byType('demo', 'patient').filter((c) => c.external_id === 'ext-1');
		expect(alice).toMatchObject({ name: 'Alice', properties: { age: '31' } });
	});

	test('search ids that look like numbers are normalised ("00123" finds case "123"; 12.7 finds "12")', async () => {
		const c123 = emulator.cases.add('demo', { case_id: '123', case_type: 'patient' });
		const c12 = emulator.cases.add('demo', { case_id: '12', case_type: 'patient' });
		const final = await importRows(
			emulator,
			[
				['case_id', 'note'],
				['00123', 'a'],
				[12.7, 'b'],
			],
			{ create_new_cases: '' },
		);
		expect(final.result?.match_count).toBe(2);
		expect(c123.properties.note).toBe('a');
		expect(c12.properties.note).toBe('b');
	});

	test('blank rows are skipped silently; a row with only a case_id counts as blank', async () => {
		const seeded = emulator.cases.add('demo', { case_type: 'patient', properties: { age: '1' } });
		const final = await importRows(emulator, [
			['case_id', 'name', 'age'],
			['', 'Alice', 5],
			[null, null, null],
			[seeded.case_id, null, null],
			['', '---', null],
			['', 'Bob', 6],
		]);
		// '---' becomes '', which counts as empty too
		expect(final.result).toEqual({ match_count: 0, created_count: 2, num_chunks: 1, errors: [] });
		expect(seeded.properties.age).toBe('1');
	});

	test('num_chunks counts form submissions of up to 100 case blocks', async () => {
		const rows: unknown[][] = [['case_id', 'name']];
		for (let i = 0; i < 250; i++) rows.push(['', `p${i}`]);
		const final = await importRows(emulator, rows);
		expect(final.result).toMatchObject({ created_count: 250, num_chunks: 3 });
	});

	test('values: numbers, booleans, dates and date-times as Python str(), "---" as empty', async () => {
		const final = await importRows(emulator, [
			['case_id', 'int', 'float', 'flag', 'day', 'moment', 'dash', 'text'],
			['', 5, 5.5, true, new Date(Date.UTC(2021, 2, 4)), new Date(Date.UTC(2021, 2, 4, 10, 30, 5)), ' --- ', '007'],
		]);
		expect(final.state).toBe(2);
		expect(demoCases()[0].properties).toEqual({
			int: '5',
			float: '5.5',
			flag: 'True',
			day: '2021-03-04',
			moment: '2021-03-04 10:30:05',
			dash: '',
			text: '007',
		});
	});

	test('CSV values are re-typed (numbers, booleans, dates, percentages)', async () => {
		// (headers are re-typed too: a header `f` would become False and fail the header check)
		const csv = 'case_id,pa,pb,pc,pd,pe,pf,pg,ph,close\n,2.0,yes,03/04/2021,50%,0x1A,hello,00123,2021-03-04 10:30,no\n';
		const answer = await postUpload(emulator, {
			file: { name: 'cases.csv', data: csv },
			fields: { case_type: 'patient', create_new_cases: 'on' },
		});
		const seen = await pollUntilDone(emulator, JSON.parse(answer.text).status_url);
		expect(seen[seen.length - 1].result?.created_count).toBe(1);
		expect(demoCases()[0].properties).toEqual({
			pa: '2',
			pb: 'True',
			pc: '2021-03-04',
			pd: '0.5',
			pe: '26',
			pf: 'hello',
			pg: expect.stringMatching(/^0123-\d{2}-\d{2}$/), // leading zeros: dateutil reads a year
			ph: '2021-03-04 10:30:00',
		});
	});

	test('a CSV close value "yes" becomes "True" and does not close the case', async () => {
		const seeded = emulator.cases.add('demo', { case_type: 'patient' });
		const answer = await postUpload(emulator, {
			file: { name: 'cases.csv', data: `case_id,close\n${seeded.case_id},yes\n` },
			fields: { case_type: 'patient' },
		});
		await pollUntilDone(emulator, JSON.parse(answer.text).status_url);
		expect(seeded.closed).toBe(false);
	});

	test('name_column names the case; date_opened is dropped; special columns are not properties', async () => {
		await importRows(
			emulator,
			[
				['case_id', 'full_name', 'date_opened', 'owner_id', 'age'],
				['', 'Alice A', '2020-01-01', '', 3],
			],
			{ name_column: 'full_name' },
		);
		expect(demoCases()[0]).toMatchObject({ name: 'Alice A', properties: { age: '3' } });
	});

	test.each([
		[999, ['before', 'after']],
		[1000, ['before']],
	])('.xlsx reading stops after 1000 consecutive empty rows (gap of %i)', async (gap, expectedNames) => {
		const rows: unknown[][] = [
			['case_id', 'name'],
			['', 'before'],
		];
		for (let i = 0; i < gap; i++) rows.push([]);
		rows.push(['', 'after']);
		const answer = await postUpload(emulator, {
			file: { name: 'c.xlsx', data: await xlsxFile(rows) },
			fields: { case_type: 'patient', create_new_cases: 'on' },
		});
		await pollUntilDone(emulator, JSON.parse(answer.text).status_url);
		expect(demoCases().map((c) => c.name)).toEqual(expectedNames);
	});
});

describe('§6 row errors', () => {
	test('owners: unknown name, unknown id, non-member user, valid user name, valid group id', async () => {
		const final = await importRows(emulator, [
			['case_id', 'name', 'owner_name', 'owner_id'],
			['', 'a', 'nobody', ''],
			['', 'b', '', 'no-such-id'],
			['', 'c', 'outsider@example.org', ''],
			['', 'd', 'worker', ''],
			['', 'e', '', 'group-district-a'],
			['', 'f', 'nobody', 'group-district-a'],
			['', 'g', 'owner-chw-1', ''],
		]);
		expect(final.result).toEqual({
			match_count: 0,
			created_count: 3,
			num_chunks: 1,
			errors: [
				errorEntry('Invalid Owner Name', 'owner_name', [2, 7]),
				errorEntry('Invalid Owner', 'owner_id', [3]),
				errorEntry('Invalid Owner', 'owner_name', [4]),
			],
		});
		expect(final.result?.errors[0].description).toBe(
			'Owner name was used in the mapping but there were errors when uploading because of these values.',
		);
		expect(final.result?.errors[1].description).toBe(
			'Owners were provided in the mapping but there were errors when uploading because of these values. Make sure the owners in this column are users, case sharing groups, or locations.',
		);
		const owners = Object.fromEntries(demoCases().map((c) => [c.name, c.owner_id]));
		expect(owners).toEqual({ d: userIdOf('worker@demo.commcarehq.org'), e: 'group-district-a', g: 'owner-chw-1' });
	});

	test('parents: unknown parent_id / parent_external_id, parent_type, extension rules', async () => {
		const home = emulator.cases.add('demo', { case_type: 'household', external_id: 'home-1' });
		const final = await importRows(emulator, [
			[
				'case_id',
				'name',
				'parent_id',
				'parent_external_id',
				'parent_type',
				'parent_relationship_type',
				'parent_identifier',
			],
			['', 'a', 'missing', null, 'household', 'child', null],
			['', 'b', null, 'home-1', null, 'child', null],
			['', 'c', null, 'home-1', 'household', 'child', null],
			['', 'd', home.case_id, null, 'household', 'extension', null],
			['', 'e', home.case_id, null, 'household', 'sibling', null],
			['', 'f', home.case_id, null, 'household', 'extension', 'host'],
		]);
		expect(final.result?.errors).toEqual([
			errorEntry('Invalid Parent ID', 'parent_id', [2]),
			errorEntry(
				'Invalid Parent ID',
				"'parent_identifier' column must be provided when 'parent_relationship_type' column is set to 'extension'",
				[5],
			),
			errorEntry('Invalid Parent ID', "Invalid value for 'parent_relationship_type' column", [6]),
		]);
		const byName = Object.fromEntries(demoCases().map((c) => [c.name, c]));
		// parent_type left blank: the external id is looked up among every case type, and home-1 is the only one
		expect(byName.b.indices).toEqual({
			parent: { case_id: home.case_id, case_type: 'household', relationship: 'child' },
		});
		expect(byName.c.indices).toEqual({
			parent: { case_id: home.case_id, case_type: 'household', relationship: 'child' },
		});
		expect(byName.f.indices).toEqual({
			host: { case_id: home.case_id, case_type: 'household', relationship: 'extension' },
		});
	});

	test('parent_type defaults to the imported case type', async () => {
		const mother = emulator.cases.add('demo', { case_type: 'patient', external_id: 'mum' });
		await importRows(emulator, [
			['case_id', 'name', 'parent_external_id'],
			['', 'baby', 'mum'],
		]);
		expect(emulator.cases.all('demo').find((c) => c.name === 'baby')?.indices.parent?.case_id).toBe(mother.case_id);
	});

	test('Name Too Long and External ID Too Long (more than 255 characters)', async () => {
		const long = 'x'.repeat(256);
		const final = await importRows(emulator, [
			['case_id', 'name', 'external_id'],
			['', long, ''],
			['', 'ok', long],
			['', 'x'.repeat(255), 'y'.repeat(255)],
		]);
		expect(final.result).toEqual({
			match_count: 0,
			created_count: 1,
			num_chunks: 1,
			errors: [errorEntry('Name Too Long', 'name', [2]), errorEntry('External ID Too Long', 'external_id', [3])],
		});
	});

	test('case_name / case_type headers: Case Generation Error on creation', async () => {
		const final = await importRows(emulator, [
			['case_id', 'name', 'case_name'],
			['', 'a', 'b'],
		]);
		expect(final.result?.errors).toEqual([
			{ title: 'Case Generation Error', description: "Key 'case_name' specified twice", column: null, rows: [2] },
		]);
		expect(final.result?.created_count).toBe(0);
	});

	test('errors are grouped per (title, column), titles in first-seen order, each row once', async () => {
		const final = await importRows(emulator, [
			['case_id', 'name', 'owner_id', 'owner_name'],
			['', 'a', 'bad-1', ''],
			['', 'b', '', 'ghost'],
			['', 'c', '', 'outsider@example.org'],
			['', 'd', 'bad-2', ''],
		]);
		expect(final.result?.errors.map((e) => [e.title, e.column, e.rows])).toEqual([
			['Invalid Owner', 'owner_id', [2, 5]],
			['Invalid Owner', 'owner_name', [4]],
			['Invalid Owner Name', 'owner_name', [3]],
		]);
	});
});

describe('§5/§6 whole-import failures', () => {
	test.each([
		['type', 'Error: Field name "type" is reserved'],
		['closed', 'Error: Field name "closed" is reserved'],
		['parent_ref', 'Error: Field name "{}" is deprecated. Please use "parent_identifier" instead.'],
	])('a %s header fails the import with the exact description', async (header, description) => {
		const final = await importRows(emulator, [
			['case_id', 'name', header],
			['', 'a', 'x'],
		]);
		expect(final.state).toBe(3);
		expect(final.result?.errors).toEqual([{ title: null, description, column: null, rows: [] }]);
		expect(demoCases()).toHaveLength(0);
	});

	test('a missing search column fails with the KeyError repr, quotes included', async () => {
		const byCaseId = await importRows(emulator, [['name'], ['Alice']]);
		expect(byCaseId.state).toBe(3);
		expect(byCaseId.result?.errors[0].description).toBe("'case_id'");
		const byExternal = await importRows(emulator, [['name'], ['Alice']], {
			search_field: 'external_id',
			search_column: 'ext',
		});
		expect(byExternal.result?.errors[0].description).toBe("'ext'");
	});

	test('a header-only sheet without the search column still succeeds (no row to fail on)', async () => {
		const final = await importRows(emulator, [['name']]);
		expect(final).toEqual({
			state: 2,
			progress: { percent: 0 },
			result: { match_count: 0, created_count: 0, num_chunks: 0, errors: [] },
		});
	});
});

describe('§3.3 / §6.8 multi-sheet imports', () => {
	const multiFields = { case_type: 'x', search_field: 'case_id', search_column: 'case_id', create_new_cases: 'True' };

	test('a deprecated case type sheet contributes only its error; counts come from the others', async () => {
		const other = await startEmulator({
			timeline: { queuedPolls: 0, runningPolls: 0 },
			domains: { demo: { caseTypes: ['household', 'patient'], owners: [], deprecatedCaseTypes: ['old'] } },
		});
		try {
			const data = await xlsxFile({
				old: [
					['case_id', 'name'],
					['', 'x'],
				],
				patient: [
					['case_id', 'name'],
					['', 'p'],
				],
			});
			const answer = await postUpload(other, { file: { name: 'c.xlsx', data }, fields: multiFields });
			const seen = await pollUntilDone(other, JSON.parse(answer.text).status_url);
			expect(seen[seen.length - 1].result).toEqual({
				match_count: 0,
				created_count: 1,
				num_chunks: 1,
				errors: [
					{
						title: 'Deprecated case type',
						description: 'Cannot import rows for deprecated "old" case type',
						column: 'case_type',
						rows: [],
					},
				],
			});
			const onlyDeprecated = await postUpload(other, {
				file: {
					name: 'c.xlsx',
					data: await xlsxFile({
						old: [
							['case_id', 'name'],
							['', 'x'],
						],
					}),
				},
				fields: multiFields,
			});
			const failed = await pollUntilDone(other, JSON.parse(onlyDeprecated.text).status_url);
			expect(failed[failed.length - 1].state).toBe(3);
			expect(failed[failed.length - 1].result?.errors[0].description).toBe("'created_count'");
		} finally {
			await other.close();
		}
	});

	test('reserved headers are dropped silently in multi-sheet mode', async () => {
		const data = await xlsxFile({
			patient: [
				['case_id', 'name', 'type'],
				['', 'p', 'x'],
			],
		});
		const answer = await postUpload(emulator, { file: { name: 'c.xlsx', data }, fields: multiFields });
		const seen = await pollUntilDone(emulator, JSON.parse(answer.text).status_url);
		expect(seen[seen.length - 1].state).toBe(2);
		expect(demoCases()[0]).toMatchObject({ case_type: 'patient', name: 'p', properties: {} });
	});

	test('create_new_cases missing in multi-sheet mode: HTML 500 (read strictly like the search fields)', async () => {
		const data = await xlsxFile({
			patient: [
				['case_id', 'name'],
				['', 'p'],
			],
		});
		const { create_new_cases: _omitted, ...withoutCreate } = multiFields;
		const answer = await postUpload(emulator, { file: { name: 'c.xlsx', data }, fields: withoutCreate });
		expect(answer.status).toBe(500);
		expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
	});

	test("errors with the same title on two sheets: only the first sheet's entry is kept", async () => {
		const data = await xlsxFile({
			household: [
				['case_id', 'name', 'owner_id'],
				['', 'h', 'bad'],
			],
			patient: [
				['case_id', 'name', 'owner_id'],
				['', 'p1', ''],
				['', 'p2', 'bad'],
			],
		});
		const answer = await postUpload(emulator, { file: { name: 'c.xlsx', data }, fields: multiFields });
		const seen: StatusBody[] = await pollUntilDone(emulator, JSON.parse(answer.text).status_url);
		expect(seen[seen.length - 1].result).toEqual({
			match_count: 0,
			created_count: 1,
			num_chunks: 1,
			errors: [errorEntry('Invalid Owner', 'owner_id', [2])],
		});
	});
});
