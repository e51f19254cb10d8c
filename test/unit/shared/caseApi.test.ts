/** Reading a Case API answer as a case (pure logic): `caseSummary`, and the indices it keeps. */
import { CASE_FIELDS, caseSummary } from '../../../nodes/shared/caseApi';

const CASE = { case_id: 'm-1', case_type: 'member', case_name: 'Ann', external_id: 'M-1', closed: false };

describe('caseSummary', () => {
	test('indices are asked for, and read as CommCare gives them ({} when none)', () => {
		expect(CASE_FIELDS).toContain('indices');
		const parent = { case_id: 'h-1', case_type: 'household', relationship: 'child' };
		expect(caseSummary({ ...CASE, indices: { parent } })?.indices).toEqual({ parent });
		expect(caseSummary({ ...CASE, indices: {} })?.indices).toEqual({});
		expect(caseSummary(CASE)?.indices).toEqual({});
	});

	test('junk is left out: only entries that are objects with a string case_id; odd fields become null', () => {
		const found = caseSummary({
			...CASE,
			indices: {
				parent: { case_id: 'h-1', case_type: 7, relationship: null, extra: 'x' },
				host: { case_id: 12 },
				empty: { case_id: '' },
				list: ['h-2'],
				none: null,
				text: 'h-3',
			},
		});
		expect(found?.indices).toEqual({ parent: { case_id: 'h-1', case_type: null, relationship: null } });
		expect(caseSummary({ ...CASE, indices: ['h-1'] })?.indices).toEqual({});
		expect(caseSummary({ ...CASE, indices: 'parent' })?.indices).toEqual({});
	});
});
