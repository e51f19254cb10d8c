/** CommCare Bulk Import's option readers (settings.ts): a list of columns, the name of the .xlsx written from items. */
import { columnList, xlsxFileName } from '../../../nodes/CommCareBulkImport/settings';

describe('option readers', () => {
	it('columnList takes comma-separated text or an array', () => {
		expect(columnList(' a, b,,c ')).toEqual(['a', 'b', 'c']);
		expect(columnList(['a', ' b '])).toEqual(['a', 'b']);
		expect(columnList('')).toEqual([]);
		expect(columnList(undefined)).toEqual([]);
	});

	it('xlsxFileName always ends in .xlsx and has no folders', () => {
		expect(xlsxFileName('weekly')).toBe('weekly.xlsx');
		expect(xlsxFileName('weekly.XLSX')).toBe('weekly.xlsx');
		expect(xlsxFileName('export.csv')).toBe('export.xlsx');
		expect(xlsxFileName('../../etc/passwd')).toBe('passwd.xlsx');
		expect(xlsxFileName('  ')).toBe('cases.xlsx');
		expect(xlsxFileName('.xlsx')).toBe('cases.xlsx');
	});
});
