/**
 * The layout of a lookup-table workbook, as CommCare's own download writes it and its upload reads it: the `types`
 * sheet's header and rows, each data sheet's header and rows, every cell a text. The writer writes these; the items
 * source names its header with them. See docs/lookup-tables.md for the format.
 */
import type { PlannedTable, TableDefinition, TableRow } from '../model';

export const TYPES_SHEET = 'types';
export const DELETE_HEADER = 'Delete(Y/N)';
export const UID_HEADER = 'UID';

/** How many values each field with properties takes at most on one row (its `field: <name> N` columns). */
function valueCounts(table: PlannedTable): Record<string, number> {
	const counts: Record<string, number> = {};
	const fields = Object.keys(table.definition.fieldProperties);
	for (const field of fields) counts[field] = 1;
	// A loop, not Math.max(...rows): a table may have 500,000 rows, more arguments than a call takes.
	for (const row of table.rows) {
		for (const field of fields) counts[field] = Math.max(counts[field], row.fields[field]?.length ?? 0);
	}
	return counts;
}

/** How many owner columns of each kind the widest row needs. */
export function ownerColumnCounts(rows: readonly TableRow[]): { users: number; groups: number; locations: number } {
	const counts = { users: 0, groups: 0, locations: 0 };
	for (const row of rows) {
		counts.users = Math.max(counts.users, row.owners.users.length);
		counts.groups = Math.max(counts.groups, row.owners.groups.length);
		counts.locations = Math.max(counts.locations, row.owners.locations.length);
	}
	return counts;
}

function numbered(name: string, count: number): string[] {
	return Array.from({ length: count }, (_, index) => `${name} ${index + 1}`);
}

/** A data sheet's columns, worked out once for all its rows. */
export interface DataSheetLayout {
	/**
	 * `UID | Delete(Y/N) | field: <name> … | user 1… | group 1… | location 1… | property: <attr>…`. A field with
	 * properties takes `field: <name> 1…k` then `<name>: <property> 1…k` for each property, k being the most values a
	 * row gives it; owner columns are as many as the widest row needs.
	 */
	header: string[];
	/** One row's cells under `header`: every cell a text ('' for a blank). */
	cellsOf(row: TableRow): string[];
}

export function dataSheetLayout(table: PlannedTable): DataSheetLayout {
	const { definition } = table;
	const counts = valueCounts(table);
	const owners = ownerColumnCounts(table.rows);
	const header = [UID_HEADER, DELETE_HEADER];
	for (const field of definition.fields) {
		const properties = definition.fieldProperties[field];
		if (!properties) {
			header.push(`field: ${field}`);
			continue;
		}
		header.push(...numbered(`field: ${field}`, counts[field]));
		for (const property of properties) header.push(...numbered(`${field}: ${property}`, counts[field]));
	}
	header.push(...numbered('user', owners.users), ...numbered('group', owners.groups));
	header.push(...numbered('location', owners.locations));
	header.push(...definition.itemAttributes.map((attribute) => `property: ${attribute}`));

	const padded = (cells: string[], list: string[], count: number) => {
		for (let i = 0; i < count; i++) cells.push(list[i] ?? '');
	};
	const cellsOf = (row: TableRow): string[] => {
		const cells = [row.uid, row.delete ? 'Y' : 'N'];
		for (const field of definition.fields) {
			const values = row.fields[field] ?? [];
			const properties = definition.fieldProperties[field];
			if (!properties) {
				cells.push(values[0]?.value ?? '');
				continue;
			}
			for (let i = 0; i < counts[field]; i++) cells.push(values[i]?.value ?? '');
			for (const property of properties) {
				for (let i = 0; i < counts[field]; i++) cells.push(values[i]?.properties[property] ?? '');
			}
		}
		padded(cells, row.owners.users, owners.users);
		padded(cells, row.owners.groups, owners.groups);
		padded(cells, row.owners.locations, owners.locations);
		for (const attribute of definition.itemAttributes) cells.push(row.attributes[attribute] ?? '');
		return cells;
	};
	return { header, cellsOf };
}

/** The most fields, field properties and attributes any table has: the `types` sheet is that wide. */
function typesWidths(definitions: readonly TableDefinition[]) {
	const fields = Math.max(0, ...definitions.map((definition) => definition.fields.length));
	const properties: number[] = [];
	for (const definition of definitions) {
		definition.fields.forEach((field, index) => {
			properties[index] = Math.max(properties[index] ?? 0, definition.fieldProperties[field]?.length ?? 0);
		});
	}
	const indexed = definitions.some((definition) => definition.indexedFields.length > 0);
	const attributes = Math.max(0, ...definitions.map((definition) => definition.itemAttributes.length));
	return { fields, properties, indexed, attributes };
}

/**
 * The `types` sheet's header: `Delete(Y/N) | table_id | is_global? | field 1…n`, then `field i: property j` for the
 * fields that have properties, `field i: is_indexed?` when a table indexes a field, and `property k` for row attributes.
 */
export function typesHeader(definitions: readonly TableDefinition[]): string[] {
	const widths = typesWidths(definitions);
	const header = [DELETE_HEADER, 'table_id', 'is_global?', ...numbered('field', widths.fields)];
	widths.properties.forEach((count, index) => header.push(...numbered(`field ${index + 1}: property`, count)));
	if (widths.indexed) header.push(...numbered('field', widths.fields).map((field) => `${field}: is_indexed?`));
	header.push(...numbered('property', widths.attributes));
	return header;
}

/** A table's row in the `types` sheet, under `typesHeader(definitions)`. */
export function typesRowCells(definition: TableDefinition, definitions: readonly TableDefinition[]): string[] {
	const widths = typesWidths(definitions);
	const cells = [definition.delete ? 'Y' : 'N', definition.tag, definition.isGlobal ? 'yes' : 'no'];
	for (let i = 0; i < widths.fields; i++) cells.push(definition.fields[i] ?? '');
	widths.properties.forEach((count, index) => {
		const properties = definition.fieldProperties[definition.fields[index]] ?? [];
		for (let j = 0; j < count; j++) cells.push(properties[j] ?? '');
	});
	if (widths.indexed) {
		for (let i = 0; i < widths.fields; i++) {
			const field = definition.fields[i];
			cells.push(field === undefined ? '' : definition.indexedFields.includes(field) ? 'yes' : 'no');
		}
	}
	for (let i = 0; i < widths.attributes; i++) cells.push(definition.itemAttributes[i] ?? '');
	return cells;
}
