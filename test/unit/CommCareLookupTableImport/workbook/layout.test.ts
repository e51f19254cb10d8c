import type { PlannedTable, TableRow } from '../../../../nodes/CommCareLookupTableImport/model';
import {
	dataSheetLayout,
	typesHeader,
	typesRowCells,
} from '../../../../nodes/CommCareLookupTableImport/workbook/layout';

const row = (over: Partial<TableRow>): TableRow => ({
	sheetRow: 2,
	uid: '',
	delete: false,
	fields: {},
	attributes: {},
	owners: { users: [], groups: [], locations: [] },
	...over,
});

const languages: PlannedTable = {
	definition: {
		tag: 'crops',
		isGlobal: false,
		fields: ['id', 'name'],
		fieldProperties: { name: ['lang'] },
		indexedFields: [],
		itemAttributes: ['colour'],
		delete: false,
	},
	rows: [
		row({
			uid: 'a'.repeat(32),
			fields: {
				id: [{ value: 'maize', properties: {} }],
				name: [
					{ value: 'Maize', properties: { lang: 'en' } },
					{ value: 'Maïs', properties: { lang: 'fr' } },
				],
			},
			attributes: { colour: 'yellow' },
			owners: { users: ['ana', 'ben'], groups: [], locations: ['north'] },
		}),
		row({
			sheetRow: 3,
			delete: true,
			fields: { id: [{ value: 'rice', properties: {} }], name: [{ value: 'Rice', properties: { lang: 'en' } }] },
		}),
	],
	header: [],
};

describe('data sheet layout', () => {
	it('numbers the values and properties of a field with properties, and the owners as the widest row needs', () => {
		const layout = dataSheetLayout(languages);
		expect(layout.header).toEqual([
			'UID',
			'Delete(Y/N)',
			'field: id',
			'field: name 1',
			'field: name 2',
			'name: lang 1',
			'name: lang 2',
			'user 1',
			'user 2',
			'location 1',
			'property: colour',
		]);
		expect(languages.rows.map(layout.cellsOf)).toEqual([
			['a'.repeat(32), 'N', 'maize', 'Maize', 'Maïs', 'en', 'fr', 'ana', 'ben', 'north', 'yellow'],
			['', 'Y', 'rice', 'Rice', '', 'en', '', '', '', '', ''],
		]);
	});
});

describe('types sheet layout', () => {
	it('is as wide as the widest table, with properties, indexes and attributes only when some table has them', () => {
		const plain = { ...languages.definition, tag: 'district', isGlobal: true, fields: ['id'], fieldProperties: {} };
		const indexed = { ...plain, tag: 'x', itemAttributes: [], indexedFields: ['id'] };
		expect(typesHeader([plain])).toEqual(['Delete(Y/N)', 'table_id', 'is_global?', 'field 1', 'property 1']);
		expect(typesRowCells(plain, [plain])).toEqual(['N', 'district', 'yes', 'id', 'colour']);
		const all = [languages.definition, indexed];
		expect(typesHeader(all)).toEqual([
			'Delete(Y/N)',
			'table_id',
			'is_global?',
			'field 1',
			'field 2',
			'field 2: property 1',
			'field 1: is_indexed?',
			'field 2: is_indexed?',
			'property 1',
		]);
		expect(typesRowCells(languages.definition, all)).toEqual([
			'N',
			'crops',
			'no',
			'id',
			'name',
			'lang',
			'no',
			'no',
			'colour',
		]);
		expect(typesRowCells(indexed, all)).toEqual(['N', 'x', 'yes', 'id', '', '', 'yes', '', '']);
	});
});
