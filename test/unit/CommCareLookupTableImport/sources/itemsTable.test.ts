import { type ItemsTableOptions, tableFromItems } from '../../../../nodes/CommCareLookupTableImport/sources/itemsTable';

const global: ItemsTableOptions = {
	tag: 'district',
	fields: null,
	ownership: 'global',
	ownerFields: { user: '', group: '', location: '' },
};

const values = (row: { fields: Record<string, Array<{ value: string }>> }) =>
	Object.fromEntries(Object.entries(row.fields).map(([field, list]) => [field, list.map((entry) => entry.value)]));

describe('tableFromItems', () => {
	it('takes the fields from the items in the order first seen and stores values as CommCare does', () => {
		const when = new Date(Date.UTC(2024, 2, 5, 10, 30));
		const { table, findings } = tableFromItems(
			[
				{ id: 'd1', name: 'Delhi', big: true },
				{ id: 7, population: 0.00005, when, gone: null },
			],
			global,
		);
		expect(table.definition).toEqual({
			tag: 'district',
			isGlobal: true,
			fields: ['id', 'name', 'big', 'population', 'when', 'gone'],
			fieldProperties: {},
			indexedFields: [],
			itemAttributes: [],
			delete: false,
		});
		expect(table.rows.map(values)).toEqual([
			{ id: ['d1'], name: ['Delhi'], big: ['true'], population: [''], when: [''], gone: [''] },
			{ id: ['7'], name: [''], big: [''], population: ['0.00005'], when: ['2024-03-05T10:30:00.000Z'], gone: [''] },
		]);
		expect(table.rows.map(({ sheetRow, item }) => [sheetRow, item])).toEqual([
			[2, 0],
			[3, 1],
		]);
		expect(table.header).toEqual([
			'UID',
			'Delete(Y/N)',
			'field: id',
			'field: name',
			'field: big',
			'field: population',
			'field: when',
			'field: gone',
		]);
		expect(findings).toEqual([]);
	});

	it('keeps the listed fields only, and refuses a listed field no item has', () => {
		const { table, findings } = tableFromItems([{ id: 'a', extra: 'x' }, { id: 'b' }], {
			...global,
			fields: ['id', 'nmae'],
		});
		expect(table.definition.fields).toEqual(['id', 'nmae']);
		expect(table.rows.map(values)).toEqual([
			{ id: ['a'], nmae: [''] },
			{ id: ['b'], nmae: [''] },
		]);
		expect(findings).toEqual([
			expect.objectContaining({ code: 'fieldMissing', message: "No input item has the field 'nmae'", column: 'nmae' }),
		]);
	});

	it('says nothing about a listed field only some items have (written blank for the others)', () => {
		const { findings } = tableFromItems([{ id: 'a', name: 'x' }, { id: 'b' }], { ...global, fields: ['id', 'name'] });
		expect(findings).toEqual([]);
	});

	it('stores values trimmed and warns once per field, naming the items', () => {
		const { table, findings } = tableFromItems([{ id: ' a ' }, { id: 'b' }, { id: 'c\t' }], global);
		expect(table.rows.map(values)).toEqual([{ id: ['a'] }, { id: ['b'] }, { id: ['c'] }]);
		expect(findings).toEqual([
			{
				code: 'valuesTrimmed',
				message: "'id' has spaces around its value in items 1 and 3: CommCare stores it without them",
				description: expect.stringContaining('strips spaces'),
				table: 'district',
				column: 'id',
				items: [0, 2],
			},
		]);
	});

	it('refuses objects and arrays, naming the field and the items', () => {
		const { findings } = tableFromItems(
			[
				{ id: 'a', tags: ['x'] },
				{ id: 'b', tags: { a: 1 } },
			],
			global,
		);
		expect(findings).toEqual([
			expect.objectContaining({
				code: 'valueNotText',
				message: "'tags' holds a list in items 1 and 2",
				column: 'tags',
				items: [0, 1],
			}),
		]);
	});

	it('refuses blank items (they would end the table in CommCare), naming them and their sheet rows', () => {
		const { findings } = tableFromItems([{ id: 'a' }, { id: '  ' }, { id: null }, { id: 'd' }], global);
		const blank = findings.find((finding) => finding.code === 'blankItems');
		expect(blank).toEqual({
			code: 'blankItems',
			message: "Items 2 and 3 have no value in any field of 'district'",
			description: expect.stringMatching(/first blank row.*Replace.*Filter node/),
			table: 'district',
			items: [1, 2],
			rows: [3, 4],
		});
	});

	describe('owned tables', () => {
		const owned: ItemsTableOptions = {
			...global,
			ownership: 'owned',
			ownerFields: { user: 'worker', group: 'team', location: '' },
		};

		it('takes owners from the owner fields (a text or a list), never as table fields', () => {
			const { table, findings } = tableFromItems(
				[
					{ id: 'a', worker: 'ana', team: ['North', ' ', 'South'] },
					{ id: 'b', worker: '', team: 'East' },
				],
				owned,
			);
			expect(table.definition.isGlobal).toBe(false);
			expect(table.definition.fields).toEqual(['id']);
			expect(table.rows.map((row) => row.owners)).toEqual([
				{ users: ['ana'], groups: ['North', 'South'], locations: [] },
				{ users: [], groups: ['East'], locations: [] },
			]);
			expect(table.header).toEqual(['UID', 'Delete(Y/N)', 'field: id', 'user 1', 'group 1', 'group 2']);
			expect(findings).toEqual([]);
		});

		it('an item naming only owners is not blank; an owner field holding objects is refused', () => {
			const { findings } = tableFromItems(
				[
					{ id: '', worker: 'ana' },
					{ id: 'b', team: [{ name: 'x' }] },
				],
				owned,
			);
			expect(findings.map((finding) => [finding.code, finding.message])).toEqual([
				['valueNotText', "'team' holds a list in item 2"],
			]);
		});

		it('a global table takes owner fields as plain fields', () => {
			const { table } = tableFromItems([{ id: 'a', worker: 'ana' }], { ...owned, ownership: 'global' });
			expect(table.definition.fields).toEqual(['id', 'worker']);
			expect(table.rows[0].owners).toEqual({ users: [], groups: [], locations: [] });
		});
	});
});
