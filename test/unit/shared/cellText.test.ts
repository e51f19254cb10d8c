/** What CommCare makes of a cell (shared/cellText.ts): the text it stores, Python's `str()` of what its reader gives. */
import { serverText } from '../../../nodes/CommCareBulkImport/spreadsheet/serverText';

it('gives the text the server stores (Python str) for read-back values', () => {
	expect(serverText(5)).toBe('5');
	expect(serverText(true)).toBe('True');
	expect(serverText(new Date(Date.UTC(2024, 0, 2)))).toBe('2024-01-02');
	expect(serverText(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toBe('2024-01-02 03:04:05');
	expect(serverText({ richText: [{ text: 'a' }, { text: 'b' }] })).toBe('ab');
	expect(serverText({ formula: 'A1', result: 7 })).toBe('7');
	expect(serverText({ text: 'click', hyperlink: 'http://x' })).toBe('click');
	expect(serverText('')).toBeNull();
});
