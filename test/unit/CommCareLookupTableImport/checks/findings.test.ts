import {
	TABLE_CHECK_SEVERITY,
	bySeverity,
	mergeFindings,
	tableFinding,
} from '../../../../nodes/CommCareLookupTableImport/checks/findings';

describe('findings', () => {
	it('a finding carries only the places it names', () => {
		expect(tableFinding('duplicateUids', 'm', undefined, { table: 't', rows: [2] })).toEqual({
			code: 'duplicateUids',
			message: 'm',
			table: 't',
			rows: [2],
		});
	});

	it('sorts by the severity of the code and merges results in order', () => {
		const error = tableFinding('blankItems', 'blank', 'd');
		const warning = tableFinding('valuesTrimmed', 'trimmed', 'd');
		expect(bySeverity([warning, error])).toEqual({ errors: [error], warnings: [warning] });
		const other = tableFinding('invalidTableId', 'id', 'd');
		expect(mergeFindings([warning, error], { errors: [other], warnings: [] })).toEqual({
			errors: [error, other],
			warnings: [warning],
		});
	});

	it('every code has a severity', () => {
		expect(new Set(Object.values(TABLE_CHECK_SEVERITY))).toEqual(new Set(['error', 'warning']));
	});
});
