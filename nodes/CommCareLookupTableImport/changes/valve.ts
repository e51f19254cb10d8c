/**
 * The safety valve: an upload with Replace on (or one that rebuilds a table) deletes rows the source does not send,
 * so a half-empty sheet or a failed upstream query would empty a table. Before anything is sent, such an upload is
 * refused when it would delete more than "Max Share of Rows to Delete (%)" of a table's current rows.
 * Explicit deletions are not judged: Delete(Y/N) = Y on a row without Replace, or on a table's types row.
 * A rebuild deletes every row and creates every sent row anew: what it loses is the rows it does not send back, so a
 * new column on a full sheet passes, and a rebuild from a half-empty sheet does not.
 */
import { capitalised, plural } from '../../shared/wording';
import type { TableChanges } from './diff';

/** The lead's default for "Max Share of Rows to Delete (%)". */
export const DEFAULT_MAX_DELETE_SHARE_PERCENT = 10;

export const MAX_SHARE_OPTION = '"Max Share of Rows to Delete (%)"';

/** Null when the upload may go ahead for this table; else why not, and what to do. */
export function deletionGuard(
	changes: TableChanges,
	maxSharePercent: number,
	/** In a dry run the rows that would go are already in the output: the advice points there. */
	{ dryRun = false }: { dryRun?: boolean } = {},
): { message: string; description: string } | null {
	if (maxSharePercent >= 100 || changes.tableDeleted || !changes.exists) return null;
	if (!changes.replace && !changes.rebuild) return null;
	const table = `lookup table '${changes.table}'`;
	const why = changes.rebuild
		? `the upload rebuilds ${table} (${changes.rebuildReasons.join('; ')}), which deletes every current row and creates only the rows sent`
		: `Replace deletes the rows of ${table} that the upload does not reproduce (a row whose values changed is deleted and added anew)`;
	const rowsNow = changes.rowsNow;
	const deleted = rowsLost(changes);
	if (rowsNow === null || deleted === null) {
		return {
			message: `Could not check how many rows the upload would delete: ${why}, and its current rows were not read`,
			description: `Nothing was uploaded. Set ${MAX_SHARE_OPTION} under Options to 100 to upload without this check.`,
		};
	}
	if (rowsNow === 0) return null;
	const share = (deleted / rowsNow) * 100;
	if (share <= maxSharePercent) return null;
	return {
		message: `The upload would delete ${deleted} of the ${plural(rowsNow, 'row')} of ${table} (${formatShare(share, maxSharePercent)}%), more than the ${maxSharePercent}% that ${MAX_SHARE_OPTION} allows; nothing was uploaded. ${capitalised(why)}.`,
		description: [
			'Check the source first: a half-empty sheet or a failed upstream query looks exactly like this.',
			changes.rebuild
				? 'The rows sent are created anew with new UIDs.'
				: `${plural(changes.rowsSent, 'row')} sent, ${changes.unchanged ?? 0} of them equal to a current row.`,
			dryRun
				? `If the deletions are intended, raise ${MAX_SHARE_OPTION} under Options (100 = no limit); changes[].deletedRows lists the rows that would go.`
				: `If the deletions are intended, raise ${MAX_SHARE_OPTION} under Options (100 = no limit), or run with Dry Run on to see the rows that would go.`,
		].join(' '),
	};
}

/** Rows the table loses: those Replace deletes; for a rebuild, the current rows not made up by rows sent. */
function rowsLost(changes: TableChanges): number | null {
	if (!changes.rebuild) return changes.deleted;
	if (changes.rowsNow === null || changes.rowsAfter === null) return null;
	return Math.max(0, changes.rowsNow - changes.rowsAfter);
}

/** The share as a person reads it, never shown equal to the limit it exceeds (10.04 → 10.04, not 10). */
function formatShare(share: number, limit: number): string {
	for (const digits of [0, 1, 2]) {
		const shown = share.toFixed(digits);
		if (Number(shown) > limit) return String(Number(shown));
	}
	return String(share);
}
