/**
 * CommCare's lookup-table read APIs, read as the dry run needs them (docs/lookup-tables.md): a table definition
 * (`lookup_table`), a row as the fixture API flattens it, a row as the item API gives it. Anything that is not the
 * documented shape reads as null (a row without an id, a table without a tag), never as a guess.
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
	/** CommCare's table id, as it gives it. */
	id: string;
	definition: CurrentDefinition;
	/** Sorted by position; null when the rows were not asked for. */
	rows: CurrentRow[] | null;
	rowSource: 'fixture' | 'items' | null;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
	value !== null && typeof value === 'object' && !Array.isArray(value);

/** A value as CommCare stores it: text (numbers or booleans written by older code are shown as their text). */
function text(value: unknown): string {
	if (typeof value === 'string') return value;
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	return '';
}

function textRecord(value: unknown): Record<string, string> {
	const record: Record<string, string> = {};
	if (!isObject(value)) return record;
	for (const [key, entry] of Object.entries(value)) record[key] = text(entry);
	return record;
}

/** CommCare's ids as UIDs are written: 32 lower-case hex, without hyphens. */
export function uidOf(id: unknown): string | null {
	if (typeof id !== 'string') return null;
	const hex = id.replace(/-/g, '').toLowerCase();
	return /^[0-9a-f]{32}$/.test(hex) ? hex : null;
}

/** A `lookup_table` object: its id and definition, or null. */
export function tableDefinition(entry: unknown): { id: string; definition: CurrentDefinition } | null {
	if (!isObject(entry) || typeof entry.tag !== 'string' || typeof entry.id !== 'string') return null;
	const fields: string[] = [];
	const fieldProperties: Record<string, string[]> = {};
	for (const field of Array.isArray(entry.fields) ? entry.fields : []) {
		// Old servers listed plain names.
		const name = typeof field === 'string' ? field : isObject(field) ? field.field_name : undefined;
		if (typeof name !== 'string') continue;
		fields.push(name);
		const properties = isObject(field) && Array.isArray(field.properties) ? field.properties.map(text) : [];
		if (properties.length > 0) fieldProperties[name] = properties;
	}
	return {
		id: entry.id,
		definition: {
			tag: entry.tag,
			isGlobal: entry.is_global === true,
			fields,
			fieldProperties,
			itemAttributes: Array.isArray(entry.item_attributes) ? entry.item_attributes.map(text) : [],
		},
	};
}

/** `{"field_list": [{"field_value", "properties"}]}`, the item API's shape (and the fixture API's for some rows). */
function fieldList(value: unknown): FieldValue[] | null {
	if (!isObject(value) || !Array.isArray(value.field_list)) return null;
	return value.field_list.map((entry) => ({
		value: text(isObject(entry) ? entry.field_value : undefined),
		properties: textRecord(isObject(entry) ? entry.properties : undefined),
	}));
}

/**
 * A fixture API row: flat values (`{"name": "Delhi"}`), or `field_list`s when a field of the row holds several values.
 * The flat shape drops a single value's properties and the row attributes, so tables with either are read from the
 * item API instead (`needsItemApi`).
 */
export function fixtureRow(entry: unknown, position: number): CurrentRow | null {
	const uid = isObject(entry) ? uidOf(entry.id) : null;
	if (!uid || !isObject(entry) || !isObject(entry.fields)) return null;
	const fields: Record<string, FieldValue[]> = {};
	for (const [name, value] of Object.entries(entry.fields)) {
		fields[name] = fieldList(value) ?? [{ value: text(value), properties: {} }];
	}
	return { uid, fields, attributes: {}, position };
}

/** An item API row with the table id it belongs to, or null. `arrival` stands in for a missing sort_key. */
export function itemRow(entry: unknown, arrival: number): { tableId: string; row: CurrentRow } | null {
	if (!isObject(entry)) return null;
	const uid = uidOf(entry.id);
	const tableId = uidOf(entry.data_type_id);
	if (!uid || !tableId || !isObject(entry.fields)) return null;
	const fields: Record<string, FieldValue[]> = {};
	for (const [name, value] of Object.entries(entry.fields)) {
		fields[name] = fieldList(value) ?? [{ value: text(value), properties: {} }];
	}
	const position = typeof entry.sort_key === 'number' && Number.isFinite(entry.sort_key) ? entry.sort_key : arrival;
	return { tableId, row: { uid, fields, attributes: textRecord(entry.item_attributes), position } };
}

/** The fixture API's flat shape loses what these tables hold: a single value's properties, row attributes. */
export function needsItemApi(definition: CurrentDefinition): boolean {
	return Object.keys(definition.fieldProperties).length > 0 || definition.itemAttributes.length > 0;
}

/** A tastypie list answer: its objects, whether a next page exists, the total it announces. */
export function listPage(json: unknown): { objects: unknown[]; hasNext: boolean; total: number | null } | null {
	if (!isObject(json) || !Array.isArray(json.objects)) return null;
	const meta = isObject(json.meta) ? json.meta : {};
	return {
		objects: json.objects,
		hasNext: typeof meta.next === 'string' && meta.next !== '',
		total: typeof meta.total_count === 'number' ? meta.total_count : null,
	};
}

/** Rows in CommCare's order: position, then id. */
export function byPosition(a: CurrentRow, b: CurrentRow): number {
	return a.position - b.position || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0);
}
