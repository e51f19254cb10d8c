/** Reading CommCare's lookup-table API objects (pure logic): ids as UIDs, definitions, both row shapes. */
import {
	fixtureRow,
	itemRow,
	needsItemApi,
	tableDefinition,
	uidOf,
} from '../../../../nodes/CommCareLookupTableImport/current/apiShapes';

const ID = '0123456789ab4cdeA123456789abcdef';

describe('CommCare API shapes', () => {
	test('an id is a UID: 32 lower-case hex, hyphens removed; anything else is none', () => {
		expect(uidOf('01234567-89ab-4cde-a123-456789abcdef')).toBe('0123456789ab4cdea123456789abcdef');
		expect(uidOf(ID)).toBe(ID.toLowerCase());
		expect(uidOf('not-an-id')).toBeNull();
		expect(uidOf(42)).toBeNull();
	});

	test('a definition: fields in order, properties only where there are some; plain names from old servers', () => {
		expect(
			tableDefinition({
				id: 'x',
				tag: 't',
				is_global: true,
				fields: [{ field_name: 'a', properties: [] }, { field_name: 'b', properties: ['lang'] }, 'c', { nope: 1 }],
				item_attributes: ['level'],
			}),
		).toEqual({
			id: 'x',
			definition: {
				tag: 't',
				isGlobal: true,
				fields: ['a', 'b', 'c'],
				fieldProperties: { b: ['lang'] },
				itemAttributes: ['level'],
			},
		});
		expect(tableDefinition({ id: 'x', tag: 't' })?.definition).toMatchObject({
			isGlobal: false,
			fields: [],
			itemAttributes: [],
		});
		expect(tableDefinition({ id: 'x' })).toBeNull();
	});

	test('a fixture row: values as text, a null as blank; without an id it is unreadable', () => {
		expect(fixtureRow({ id: ID, fields: { n: 5, b: true, z: null } }, 3)).toEqual({
			uid: ID.toLowerCase(),
			fields: {
				n: [{ value: '5', properties: {} }],
				b: [{ value: 'true', properties: {} }],
				z: [{ value: '', properties: {} }],
			},
			attributes: {},
			position: 3,
		});
		expect(fixtureRow({ fields: {} }, 0)).toBeNull();
	});

	test('an item row: its table, attributes and sort_key (its arrival when it has none)', () => {
		const entry = {
			id: ID,
			data_type_id: ID,
			fields: { n: { field_list: [{ field_value: 'a', properties: { lang: 'en' } }, { field_value: 'b' }] } },
			item_attributes: { level: 2 },
		};
		expect(itemRow({ ...entry, sort_key: 7 }, 0)?.row).toMatchObject({ position: 7, attributes: { level: '2' } });
		expect(itemRow(entry, 12)?.row.position).toBe(12);
		expect(itemRow(entry, 0)?.row.fields.n).toEqual([
			{ value: 'a', properties: { lang: 'en' } },
			{ value: 'b', properties: {} },
		]);
		expect(itemRow({ ...entry, data_type_id: undefined }, 0)).toBeNull();
	});

	test('tables with properties or row attributes need the item API', () => {
		const plain = { tag: 't', isGlobal: true, fields: ['a'], fieldProperties: {}, itemAttributes: [] };
		expect(needsItemApi(plain)).toBe(false);
		expect(needsItemApi({ ...plain, itemAttributes: ['x'] })).toBe(true);
		expect(needsItemApi({ ...plain, fieldProperties: { a: ['lang'] } })).toBe(true);
	});
});
