/** A parameter listing names (nameList.ts), as Bulk Import's Columns and Lookup Table Import's Field Names read it. */
import { nameList } from '../../../nodes/shared/nameList';

describe('nameList', () => {
	it('takes comma-separated text or an array', () => {
		expect(nameList(' a, b,,c ')).toEqual(['a', 'b', 'c']);
		expect(nameList(['a', ' b '])).toEqual(['a', 'b']);
		expect(nameList('')).toEqual([]);
		expect(nameList(undefined)).toEqual([]);
	});
});
