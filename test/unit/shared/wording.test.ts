/** The wording both nodes' messages share (shared/wording.ts): a list of rows reads the same everywhere. */
import { listWithMore } from '../../../nodes/shared/wording';

describe('listWithMore', () => {
	it('shortens long lists of rows', () => {
		expect(listWithMore([2], 'row')).toBe('row 2');
		expect(listWithMore([2, 5], 'rows')).toBe('rows 2 and 5');
		expect(listWithMore([2, 5, 9, 11, 12, 13, 14, 15], 'rows')).toBe('rows 2, 5, 9, 11, 12 and 3 more');
	});
});
