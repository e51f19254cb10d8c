/** CommCare Bulk Import's option readers (settings.ts): the name of the .xlsx written from items. */
import { xlsxFileName } from '../../../nodes/CommCareBulkImport/settings';

describe('option readers', () => {
	it('xlsxFileName always ends in .xlsx and has no folders', () => {
		expect(xlsxFileName('weekly')).toBe('weekly.xlsx');
		expect(xlsxFileName('weekly.XLSX')).toBe('weekly.xlsx');
		expect(xlsxFileName('export.csv')).toBe('export.xlsx');
		expect(xlsxFileName('../../etc/passwd')).toBe('passwd.xlsx');
		expect(xlsxFileName('  ')).toBe('cases.xlsx');
		expect(xlsxFileName('.xlsx')).toBe('cases.xlsx');
	});
});
