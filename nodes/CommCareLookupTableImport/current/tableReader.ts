/**
 * What CommCare holds now for the tables an upload names: their definitions and, when asked, their rows.
 */
import type { FieldValue, TableDefinition } from '../model';

/** A table's definition as CommCare's API shows it (it does not show `is_indexed` nor the UI description). */
export type CurrentDefinition = Pick<
	TableDefinition,
	'tag' | 'isGlobal' | 'fields' | 'fieldProperties' | 'itemAttributes'
>;

export interface CurrentRow {
	/** The row's id as a UID: 32 lower-case hex, hyphens removed. */
	uid: string;
	fields: Record<string, FieldValue[]>;
	attributes: Record<string, string>;
	/** Its `sort_key` (item API), or its place in the fixture API's sorted answer. */
	position: number;
}

export interface CurrentTable {
	/** CommCare's table id. */
	id: string;
	definition: CurrentDefinition;
	/** Sorted by position; null when the rows were not asked for. */
	rows: CurrentRow[] | null;
	rowSource: 'fixture' | 'items' | null;
}
