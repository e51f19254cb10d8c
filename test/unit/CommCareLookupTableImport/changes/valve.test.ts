/** The safety valve (pure logic): when a Replace or a rebuild deletes too large a share of a table's rows. */
import type { TableChanges } from '../../../../nodes/CommCareLookupTableImport/changes/diff';
import {
	DEFAULT_MAX_DELETE_SHARE_PERCENT,
	deletionGuard,
} from '../../../../nodes/CommCareLookupTableImport/changes/valve';

function changes(overrides: Partial<TableChanges> = {}): TableChanges {
	return {
		table: 'district',
		exists: true,
		replace: true,
		tableDeleted: false,
		rebuild: false,
		rebuildReasons: [],
		rowsNow: 100,
		rowsSent: 80,
		added: 0,
		updated: 0,
		unchanged: 80,
		deleted: 20,
		rowsAfter: 80,
		deletedRows: [],
		deletedRowsListed: 0,
		...overrides,
	};
}

describe('deletionGuard', () => {
	test('the default is 10%', () => {
		expect(DEFAULT_MAX_DELETE_SHARE_PERCENT).toBe(10);
	});

	test('Replace deleting more than the share is refused: the table, the count, the share and the limit', () => {
		const refusal = deletionGuard(changes(), 10);
		expect(refusal?.message).toBe(
			"The upload would delete 20 of the 100 rows of lookup table 'district' (20%), more than the 10% that \"Max Share of Rows to Delete (%)\" allows; nothing was uploaded. Replace deletes the rows of lookup table 'district' that the upload does not reproduce (a row whose values changed is deleted and added anew).",
		);
		expect(refusal?.description).toMatch(/^Check the source first: a half-empty sheet or a failed upstream query/);
		expect(refusal?.description).toContain('80 rows sent, 80 of them equal to a current row.');
		expect(refusal?.description).toContain(
			'raise "Max Share of Rows to Delete (%)" under Options (100 = no limit), or run with Dry Run on',
		);
	});

	test('in a dry run, the advice points at the rows listed in the output instead of at a dry run', () => {
		const refusal = deletionGuard(changes(), 10, { dryRun: true });
		expect(refusal?.description).toContain('changes[].deletedRows lists the rows that would go.');
		expect(refusal?.description).not.toContain('run with Dry Run on');
	});

	test('at or below the share, it passes; 100 is no limit', () => {
		expect(deletionGuard(changes({ deleted: 10 }), 10)).toBeNull();
		expect(deletionGuard(changes({ deleted: 100, rowsAfter: 0 }), 100)).toBeNull();
		expect(deletionGuard(changes({ deleted: 1 }), 0)).not.toBeNull();
	});

	test('a share just above the limit is never shown equal to it', () => {
		const refusal = deletionGuard(changes({ rowsNow: 10_000, deleted: 1004 }), 10);
		expect(refusal?.message).toContain('(10.04%), more than the 10%');
	});

	test('without Replace and without a rebuild, deletions are explicit (Delete(Y/N) = Y): not judged', () => {
		expect(deletionGuard(changes({ replace: false, deleted: 90 }), 10)).toBeNull();
	});

	test('a rebuild from a full sheet (a column added) passes: every row is sent back', () => {
		const rebuilt = changes({
			replace: false,
			rebuild: true,
			rebuildReasons: ["fields: 'code' added"],
			deleted: 100,
			added: 100,
			rowsSent: 100,
			rowsAfter: 100,
		});
		expect(deletionGuard(rebuilt, 10)).toBeNull();
	});

	test('a rebuild from a half-empty sheet is judged by the rows it does not send back, Replace or not, and says why', () => {
		const rebuilt = changes({
			replace: false,
			rebuild: true,
			rebuildReasons: ["fields: 'code' added"],
			deleted: 100,
			added: 50,
			rowsSent: 50,
			rowsAfter: 50,
		});
		const refusal = deletionGuard(rebuilt, 10);
		expect(refusal?.message).toContain("would delete 50 of the 100 rows of lookup table 'district' (50%)");
		expect(refusal?.message).toContain("The upload rebuilds lookup table 'district' (fields: 'code' added)");
		expect(refusal?.description).toContain('created anew with new UIDs');
	});

	test('a table with no rows, a new table, or a deleted table never trips it', () => {
		expect(deletionGuard(changes({ rowsNow: 0, deleted: 0 }), 0)).toBeNull();
		expect(deletionGuard(changes({ exists: false, rowsNow: 0, deleted: 0 }), 0)).toBeNull();
		expect(deletionGuard(changes({ tableDeleted: true, deleted: 100 }), 10)).toBeNull();
	});

	test('rows not read: the share cannot be checked, so the upload is refused', () => {
		const refusal = deletionGuard(changes({ rowsNow: null, deleted: null }), 10);
		expect(refusal?.message).toMatch(/^Could not check how many rows .* its current rows were not read$/);
		expect(deletionGuard(changes({ rowsNow: null, deleted: null }), 100)).toBeNull();
	});
});
