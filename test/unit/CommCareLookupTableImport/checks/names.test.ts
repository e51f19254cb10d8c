import { identifierProblem, looksNumeric } from '../../../../nodes/CommCareLookupTableImport/checks/names';

describe('names CommCare accepts', () => {
	it.each([
		['district', null],
		['_id', null],
		['crop.name-2', null],
		['région', null],
		['XMLdata', null],
		['', 'is blank'],
		['xmlData', "starts with 'xml'"],
		['2021_data', 'starts with a digit'],
		['first name', 'contains a space'],
		['a:b', "contains ':'"],
		['a/b', 'contains characters other than letters, digits, _, - and .'],
		['-a', 'contains characters other than letters, digits, _, - and .'],
		['is_ok?', 'contains characters other than letters, digits, _, - and .'],
	])('%j → %j', (name, problem) => {
		expect(identifierProblem(name)).toBe(problem);
	});

	it('tells numbers', () => {
		expect(['12', '1.5', ' -3 ', '.5', '1e3'].map(looksNumeric)).toEqual([true, true, true, true, true]);
		expect(['a1', '', 'e3', 'inf'].map(looksNumeric)).toEqual([false, false, false, false]);
	});
});
