/**
 * Which columns a sheet written from items has, in which order, their letters, and a sheet name that is never the case
 * type (spreadsheet/columns.ts).
 */
import fc from 'fast-check';

import { planColumns, safeSheetName } from '../../../../nodes/CommCareBulkImport/spreadsheet/columns';

describe('planColumns', () => {
	const items = [{ a: 1, b: 2 }, { c: 3, a: 4 }, { d: null }];

	it('takes the union of keys in first-seen order', () => {
		expect(planColumns(items)).toEqual(['a', 'b', 'c', 'd']);
	});

	it('takes exactly `include`, in its order, when given', () => {
		expect(planColumns(items, { include: ['c', 'zz', 'a'] })).toEqual(['c', 'zz', 'a']);
	});

	it('drops `exclude`, and appends `ensure` columns that are missing', () => {
		expect(planColumns(items, { exclude: ['b', 'd'] })).toEqual(['a', 'c']);
		expect(planColumns(items, { ensure: ['case_id', 'a'] })).toEqual(['a', 'b', 'c', 'd', 'case_id']);
		expect(planColumns(items, { ensure: ['case_id'], exclude: ['case_id'] })).toEqual(['a', 'b', 'c', 'd']);
	});
});

describe('safeSheetName', () => {
	it('is `cases` unless that is the case type (in any letter case) or another known name', () => {
		expect(safeSheetName('household')).toBe('cases');
		expect(safeSheetName('cases')).toBe('cases_sheet');
		expect(safeSheetName('Cases')).toBe('cases_sheet');
		expect(safeSheetName('patient', ['cases', 'cases_sheet'])).toBe('cases_sheet_2');
	});

	it('never returns the case type or a known name', () => {
		fc.assert(
			fc.property(
				fc.string(),
				fc.array(fc.constantFrom('cases', 'cases_sheet', 'cases_sheet_2', 'x')),
				(caseType, known) => {
					const name = safeSheetName(caseType, known);
					return ![caseType, ...known].some((taken) => taken.trim().toLowerCase() === name.toLowerCase());
				},
			),
		);
	});
});
