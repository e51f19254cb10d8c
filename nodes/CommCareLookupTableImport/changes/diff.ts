/**
 * What an upload would change in one lookup table, worked out the way CommCare's upload does it (docs/lookup-tables.md):
 * - the definition is compared as CommCare compares it (global or owned, tag, fields in order with their properties,
 *   row attributes); any difference makes CommCare delete the table and create it anew: every current row goes, every
 *   row sent is created with a new UID, rows not sent vanish even without Replace;
 * - otherwise row by row: a sent row whose content, attributes and position equal a current row's keeps that row
 *   (and its UID); any other sent row is created with a new UID, and the current row its UID names is deleted (an
 *   edit, counted as updated); Delete(Y/N) = Y with a known UID deletes that row; with Replace, every current row not
 *   kept is deleted. A row's position is its old one when its UID names a row and that keeps the order increasing,
 *   else its index among the sheet's data rows.
 * Rows are matched through a map of canonical keys, so a 50,000-row table takes linear time.
 */
import type { IDataObject } from 'n8n-workflow';

import type { FieldValue, PlannedTable, TableDefinition, TableRow } from '../model';
import type { CurrentDefinition, CurrentRow, CurrentTable } from '../current/tableReader';

/** Rows listed in `deletedRows` at most: enough to recognise what goes, small enough for an output item. */
export const MAX_LISTED_DELETED_ROWS = 1000;

export interface DeletedRow extends IDataObject {
	uid: string;
	/** Each field's text; several values (a field with properties) joined with ' | '. */
	fields: Record<string, string>;
}

export interface TableChanges extends IDataObject {
	/** The table's tag (`table_id`). */
	table: string;
	/** CommCare holds a table with that tag now. */
	exists: boolean;
	replace: boolean;
	/** The types row says Delete(Y/N) = Y: the table goes with all its rows. */
	tableDeleted: boolean;
	/** The definition differs from CommCare's: the table is deleted and created anew. */
	rebuild: boolean;
	/** What differs, in words (empty without a rebuild). */
	rebuildReasons: string[];
	/** The table's rows now: 0 for a new table, null when they were not read. */
	rowsNow: number | null;
	/** Rows the upload writes (data rows not marked Delete(Y/N) = Y). */
	rowsSent: number;
	/** Rows created that replace no current row. The counts below are null when the current rows were not read. */
	added: number | null;
	/** Current rows replaced by an edited copy (a sent row with their UID): the copy gets a new UID. */
	updated: number | null;
	/** Current rows kept as they are, UID included. */
	unchanged: number | null;
	/** Current rows deleted and not replaced. */
	deleted: number | null;
	rowsAfter: number | null;
	/** The deleted rows in table order, the first MAX_LISTED_DELETED_ROWS. */
	deletedRows: DeletedRow[];
	deletedRowsListed: number;
	/**
	 * On a rebuild: sent rows equal in content and position to a current row. CommCare's code keeps such a row as the
	 * old row, which goes with the old table, so these may be missing afterwards (read from its code, not observed).
	 */
	rowsAtRisk?: number;
	note?: string;
}

/** Why CommCare would rebuild the table: each difference in the definition it compares, in words. */
export function definitionChanges(planned: TableDefinition, current: CurrentDefinition): string[] {
	const reasons: string[] = [];
	if (planned.isGlobal !== current.isGlobal) {
		reasons.push(planned.isGlobal ? 'it becomes global (is_global? yes)' : 'it becomes owned (is_global? no)');
	}
	if (!sameList(planned.fields, current.fields)) reasons.push(listChange('fields', planned.fields, current.fields));
	for (const field of planned.fields.filter((name) => current.fields.includes(name))) {
		const sent = planned.fieldProperties[field] ?? [];
		const now = current.fieldProperties[field] ?? [];
		if (!sameList(sent, now)) reasons.push(listChange(`properties of field '${field}'`, sent, now));
	}
	if (!sameList(planned.itemAttributes, current.itemAttributes)) {
		reasons.push(listChange('row attributes', planned.itemAttributes, current.itemAttributes));
	}
	return reasons;
}

/** What the upload of `planned` would do to the table CommCare holds (`current`, null when it has none). */
export function planChanges(planned: PlannedTable, current: CurrentTable | null, replace: boolean): TableChanges {
	const definition = planned.definition;
	const written = planned.rows.filter((row) => !row.delete);
	const base = {
		table: definition.tag,
		exists: current !== null,
		replace,
		tableDeleted: definition.delete,
		rebuild: false,
		rebuildReasons: [] as string[],
		rowsSent: definition.delete ? 0 : written.length,
		deletedRows: [] as DeletedRow[],
		deletedRowsListed: 0,
	};
	if (current === null) {
		const rowsSent = base.rowsSent;
		return {
			...base,
			rowsNow: 0,
			added: rowsSent,
			updated: 0,
			unchanged: 0,
			deleted: 0,
			rowsAfter: rowsSent,
			...(definition.delete ? { note: `CommCare has no table '${definition.tag}': there is nothing to delete.` } : {}),
		};
	}
	const rows = current.rows ? [...current.rows].sort((a, b) => a.position - b.position) : null;
	const rowsNow = rows ? rows.length : null;
	const notes: string[] = [];
	if (!rows) notes.push('The current rows were not read, so the row counts are unknown.');

	if (definition.delete) {
		return {
			...base,
			rowsNow,
			added: 0,
			updated: 0,
			unchanged: 0,
			deleted: rowsNow,
			rowsAfter: 0,
			...listed(rows ?? [], definition.fields),
			note: [`The table is deleted with all its rows (Delete(Y/N) is Y on its types row).`, ...notes].join(' '),
		};
	}

	notes.push(invisibleDefinitionNote(definition));
	const rebuildReasons = definitionChanges(definition, current.definition);
	if (rebuildReasons.length > 0) {
		const atRisk = rows ? simulateRows(planned.rows, rows, false).kept.size : undefined;
		if (atRisk) {
			notes.push(
				`${atRisk} of the rows sent equal a current row in content and position; CommCare's upload code keeps such rows as the old rows, which go with the old table, so they may be missing afterwards: read the table again after the upload.`,
			);
		}
		return {
			...base,
			rebuild: true,
			rebuildReasons,
			rowsNow,
			added: written.length,
			updated: 0,
			unchanged: 0,
			deleted: rowsNow,
			rowsAfter: written.length,
			...listed(rows ?? [], definition.fields),
			...(atRisk ? { rowsAtRisk: atRisk } : {}),
			note: notes.join(' '),
		};
	}
	if (!rows) {
		return {
			...base,
			rowsNow,
			added: null,
			updated: null,
			unchanged: null,
			deleted: null,
			rowsAfter: null,
			note: notes.join(' '),
		};
	}

	const outcome = simulateRows(planned.rows, rows, replace);
	const deletedOnly = rows.filter((row) => outcome.gone.has(row) && !outcome.replaced.has(row));
	const created = outcome.added + outcome.replaced.size;
	return {
		...base,
		rowsNow,
		added: outcome.added,
		updated: outcome.replaced.size,
		unchanged: [...outcome.kept].filter((row) => !outcome.gone.has(row)).length,
		deleted: deletedOnly.length,
		rowsAfter: rows.length - outcome.gone.size + created,
		...listed(deletedOnly, definition.fields),
		note: notes.join(' '),
	};
}

interface RowOutcome {
	/** Current rows a sent row matched, kept as they are. */
	kept: Set<CurrentRow>;
	/** Current rows deleted: by Delete(Y/N), by an edited copy naming their UID, or by Replace. */
	gone: Set<CurrentRow>;
	/** Of `gone`, those an edited copy replaces. */
	replaced: Set<CurrentRow>;
	/** Rows created that replace nothing. */
	added: number;
}

/** CommCare's row pass over one table: `current` sorted by position. */
function simulateRows(sent: TableRow[], current: CurrentRow[], replace: boolean): RowOutcome {
	const byUid = new Map<string, CurrentRow>();
	const byKey = new Map<string, CurrentRow>();
	for (const row of current) {
		byUid.set(row.uid, row);
		// A later row with the same key hides an earlier one, as in CommCare's dictionary.
		byKey.set(rowKey(row.fields, row.attributes, row.position), row);
	}
	const outcome: RowOutcome = { kept: new Set(), gone: new Set(), replaced: new Set(), added: 0 };
	let position = -1;
	sent.forEach((row, index) => {
		const named = row.uid ? byUid.get(row.uid) : undefined;
		if (row.delete) {
			if (named) outcome.gone.add(named);
			return;
		}
		position = Math.max(named?.position ?? index, position + 1);
		const key = rowKey(row.fields, row.attributes, position);
		const same = byKey.get(key);
		if (same) {
			byKey.delete(key);
			outcome.kept.add(same);
			return;
		}
		if (named && !outcome.gone.has(named)) {
			outcome.gone.add(named);
			outcome.replaced.add(named);
		} else {
			outcome.added += 1;
		}
	});
	if (replace) for (const row of byKey.values()) outcome.gone.add(row);
	return outcome;
}

/** One text per distinct row content and position, whatever the order of fields, properties or attributes. */
function rowKey(fields: Record<string, FieldValue[]>, attributes: Record<string, string>, position: number): string {
	const content = Object.keys(fields)
		.sort()
		.map((name) => [name, fields[name].map((field) => [field.value, sortedEntries(field.properties)])]);
	return JSON.stringify([content, sortedEntries(attributes), position]);
}

function sortedEntries(record: Record<string, string>): Array<[string, string]> {
	return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function listed(rows: CurrentRow[], fieldOrder: string[]): Pick<TableChanges, 'deletedRows' | 'deletedRowsListed'> {
	const deletedRows = rows.slice(0, MAX_LISTED_DELETED_ROWS).map((row) => ({
		uid: row.uid,
		fields: rowText(row, fieldOrder),
	}));
	return { deletedRows, deletedRowsListed: deletedRows.length };
}

/** A row's fields as text, in the table's field order first. */
function rowText(row: CurrentRow, fieldOrder: string[]): Record<string, string> {
	const names = [...new Set([...fieldOrder.filter((name) => name in row.fields), ...Object.keys(row.fields)])];
	const text: Record<string, string> = {};
	for (const name of names) text[name] = row.fields[name].map((field) => field.value).join(' | ');
	return text;
}

function invisibleDefinitionNote(definition: TableDefinition): string {
	const indexed =
		definition.indexedFields.length > 0
			? `indexes ${definition.indexedFields.map((name) => `'${name}'`).join(', ')}`
			: 'indexes no field';
	return `CommCare's API does not show which fields are indexed nor a description set in CommCare: if either differs from this upload (which ${indexed} and has no description), CommCare rebuilds the table too, and every row gets a new UID.`;
}

function sameList(a: string[], b: string[]): boolean {
	return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** `fields: 'b' added, 'c' removed`, or `fields: order changes (a, b → b, a)`. */
function listChange(what: string, sent: string[], now: string[]): string {
	const added = sent.filter((name) => !now.includes(name));
	const removed = now.filter((name) => !sent.includes(name));
	const quoted = (names: string[]) => names.map((name) => `'${name}'`).join(', ');
	const parts = [
		...(added.length > 0 ? [`${quoted(added)} added`] : []),
		...(removed.length > 0 ? [`${quoted(removed)} removed`] : []),
	];
	if (parts.length === 0) parts.push(`order changes (${now.join(', ')} → ${sent.join(', ')})`);
	return `${what}: ${parts.join(', ')}`;
}
