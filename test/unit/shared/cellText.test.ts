/**
 * What CommCare makes of a cell (shared/cellText.ts): the text it stores (Python's `str()` of what its reader gives)
 * and the id it searches a row by.
 */
import { serverText, searchIdOfText } from '../../../nodes/shared/cellText';

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

it('reads search ids as the server does', () => {
	expect(['00123', '12.7', '1e3', ' 42 ', '1_000', '-0', 'abc', '12a', '', null].map(searchIdOfText)).toEqual([
		'123',
		'12',
		'1000',
		'42',
		'1000',
		'0',
		'abc',
		'12a',
		'',
		'',
	]);
	expect(searchIdOfText('12345678901234567890')).toBe('12345678901234567168'); // Python: str(int(float(...)))
});
