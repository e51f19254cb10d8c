/** The wording both nodes' messages share (shared/wording.ts): a list of rows reads the same everywhere. */
import { capitalised, itemList, listWithMore, sheetRowList } from '../../../nodes/shared/wording';

describe('listWithMore', () => {
	it('shortens long lists of rows', () => {
		expect(listWithMore([2], 'row')).toBe('row 2');
		expect(listWithMore([2, 5], 'rows')).toBe('rows 2 and 5');
		expect(listWithMore([2, 5, 9, 11, 12, 13, 14, 15], 'rows')).toBe('rows 2, 5, 9, 11, 12 and 3 more');
	});
});

describe('one numbering', () => {
	it('names input items 1-based from their 0-based indexes, and sheet rows as such', () => {
		expect(itemList([0])).toBe('item 1');
		expect(itemList([0, 1, 3])).toBe('items 1, 2 and 4');
		expect(itemList([0, 1, 2, 3, 4, 5, 6])).toBe('items 1, 2, 3, 4, 5 and 2 more');
		expect(sheetRowList([2])).toBe('sheet row 2');
		expect(sheetRowList([2, 5])).toBe('sheet rows 2 and 5');
		expect(capitalised(sheetRowList([2]))).toBe('Sheet row 2');
	});
});
