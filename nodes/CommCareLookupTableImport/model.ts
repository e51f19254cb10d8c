/**
 * A lookup-table upload as the node plans it, before anything is written or sent: the tables (their `types` row) and
 * their rows, each value as CommCare will store it. Both sources produce it (input items: one table; a workbook file:
 * every table it lists), the checks judge it, the writer writes it, and the dry run compares it with what CommCare
 * holds. See docs/lookup-tables.md for the workbook format and the value rules.
 */

/** One value of a field: its text and, for fields with per-field properties (e.g. a language), those. */
export interface FieldValue {
	value: string;
	properties: Record<string, string>;
}

/** The owners named on a row (data sheet columns `user N`, `group N`, `location N`), as written. */
export interface RowOwners {
	users: string[];
	groups: string[];
	locations: string[];
}

/** Where a row or a finding comes from, for messages: the data sheet's row number and/or the input item. */
export interface RowOrigin {
	/** 1-based row of the data sheet as written or read (the header is row 1). */
	sheetRow: number;
	/** 0-based input item index (items source only). */
	item?: number;
}

export interface TableRow extends RowOrigin {
	/** The row's UID (32 lower-case hex) when it names an existing row, else ''. */
	uid: string;
	/** `Delete(Y/N)` is Y: with a UID the row is deleted, without one it is skipped. */
	delete: boolean;
	/**
	 * Every field of the table, each with its values as CommCare stores them (text, trimmed). A plain field has one
	 * value; a blank cell is one value ''. A field with properties has one entry per value.
	 */
	fields: Record<string, FieldValue[]>;
	/** Row attributes (`property: <name>` columns), by name. */
	attributes: Record<string, string>;
	owners: RowOwners;
}

/** A table's definition: its row in the `types` sheet. */
export interface TableDefinition {
	/** `table_id` (CommCare's "tag"). */
	tag: string;
	isGlobal: boolean;
	/** Field names in column order. */
	fields: string[];
	/** Per-field property names (`field 1: property 1` …), only for fields that have them. */
	fieldProperties: Record<string, string[]>;
	/** Per-field `is_indexed?` when the file says so (items never do). */
	indexedFields: string[];
	/** Row attribute names (`property 1` … on the types row). */
	itemAttributes: string[];
	/** `Delete(Y/N)` is Y on the types row: the whole table is deleted. */
	delete: boolean;
}

export interface PlannedTable {
	definition: TableDefinition;
	/** Data rows in sheet order; reading (and so this list) stops where CommCare's reader would. */
	rows: TableRow[];
	/** The data sheet's header as written or read (file: as found; items: as the writer writes it). */
	header: string[];
}

/** What one upload sends: one workbook with these tables. */
export interface LookupTablePlan {
	tables: PlannedTable[];
}

/** CommCare's row limit for a lookup-table workbook: all rows of all sheets, headers included. */
export const MAX_WORKBOOK_ROWS = 500_000;

/** Longest `table_id` CommCare can store (its UI and sheet titles allow 31 characters). */
export const MAX_TABLE_ID_LENGTH = 31;
