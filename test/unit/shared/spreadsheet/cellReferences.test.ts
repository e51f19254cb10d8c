import { columnLetter, dimensionRef } from '../../../../nodes/shared/spreadsheet/cellReferences';

it('names columns like a spreadsheet does', () => {
	expect([0, 25, 26, 51, 52, 701, 702].map((index) => columnLetter(index))).toEqual([
		'A',
		'Z',
		'AA',
		'AZ',
		'BA',
		'ZZ',
		'AAA',
	]);
});

it('gives a sheet its size from its header and rows', () => {
	expect(dimensionRef(3, 100)).toBe('A1:C101');
	expect(dimensionRef(0, 0)).toBe('A1:A1');
});
