/**
 * The emulator's lookup tables (CommCare's `LookupTable` / `LookupTableRow` / owner records): what uploads change,
 * what the read APIs list, and what tests read and seed (`emulator.lookupTables`).
 */
import { randomUUID } from 'node:crypto';
import type { LookupTableSeed, LookupTableStoreView, StoredLookupRow, StoredLookupTable } from '../types';

export interface TableRecord {
	id: string;
	domain: string;
	tag: string;
	isGlobal: boolean;
	fields: Array<{ name: string; properties: string[]; isIndexed: boolean }>;
	itemAttributes: string[];
	/** Set in CommCare's editor only; uploads always write ''. */
	description: string;
}

export interface FieldValueRecord {
	value: string;
	properties: Record<string, string>;
}

/** Owners by what names them in a workbook: full username, group name, location site code. */
export interface RowOwners {
	users: string[];
	groups: string[];
	locations: string[];
}

export interface RowRecord {
	id: string;
	domain: string;
	tableId: string;
	sortKey: number;
	fields: Record<string, FieldValueRecord[]>;
	itemAttributes: Record<string, unknown>;
	owners: RowOwners;
}

/** A new id as CommCare prints a UUID primary key in workbooks and the APIs: 32 lowercase hex digits. */
export const newId = (): string => randomUUID().replace(/-/g, '');

const noOwners = (): RowOwners => ({ users: [], groups: [], locations: [] });

export class LookupTableStore implements LookupTableStoreView {
	private tableRecords: TableRecord[] = [];
	private rowRecords: RowRecord[] = [];

	tablesOf(domain: string): TableRecord[] {
		return this.tableRecords.filter((table) => table.domain === domain);
	}

	tableByTag(domain: string, tag: string): TableRecord | undefined {
		return this.tableRecords.find((table) => table.domain === domain && table.tag === tag);
	}

	tableById(domain: string, id: string): TableRecord | undefined {
		return this.tableRecords.find((table) => table.domain === domain && table.id === id);
	}

	/** `LookupTableRow.objects.iter_rows`: one table's rows by sort key, then id. */
	rowsOfTable(tableId: string): RowRecord[] {
		return this.rowRecords
			.filter((row) => row.tableId === tableId)
			.sort((a, b) => a.sortKey - b.sortKey || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
	}

	/** Every row of the project, in storage order (the item API has no ORDER BY). */
	rowsOfDomain(domain: string): RowRecord[] {
		return this.rowRecords.filter((row) => row.domain === domain);
	}

	/** One flush: deletes (a table's rows go with it), then creates. */
	apply(change: {
		deleteTables: TableRecord[];
		deleteRows: RowRecord[];
		createTables: TableRecord[];
		createRows: RowRecord[];
	}): void {
		const goneTables = new Set(change.deleteTables.map((table) => table.id));
		const goneRows = new Set(change.deleteRows.map((row) => row.id));
		this.tableRecords = this.tableRecords.filter((table) => !goneTables.has(table.id));
		this.rowRecords = this.rowRecords.filter((row) => !goneRows.has(row.id) && !goneTables.has(row.tableId));
		this.tableRecords.push(...change.createTables);
		this.rowRecords.push(...change.createRows);
	}

	hasRow(id: string): boolean {
		return this.rowRecords.some((row) => row.id === id);
	}

	// ------------------------------------------------------------------ the view tests use

	tables(domain: string): StoredLookupTable[] {
		return this.tablesOf(domain).map(tableView);
	}

	table(domain: string, tag: string): StoredLookupTable | undefined {
		const found = this.tableByTag(domain, tag);
		return found && tableView(found);
	}

	rows(domain: string, tag: string): StoredLookupRow[] {
		const found = this.tableByTag(domain, tag);
		return found ? this.rowsOfTable(found.id).map(rowView) : [];
	}

	seed(domain: string, seed: LookupTableSeed): StoredLookupTable {
		const existing = this.tableByTag(domain, seed.tag);
		if (existing) this.apply({ deleteTables: [existing], deleteRows: [], createTables: [], createRows: [] });
		const table: TableRecord = {
			id: newId(),
			domain,
			tag: seed.tag,
			isGlobal: seed.is_global ?? true,
			fields: seed.fields.map((field) =>
				typeof field === 'string'
					? { name: field, properties: [], isIndexed: false }
					: { name: field.name, properties: field.properties ?? [], isIndexed: field.is_indexed ?? false },
			),
			itemAttributes: seed.item_attributes ?? [],
			description: seed.description ?? '',
		};
		const rows = (seed.rows ?? []).map((row, index): RowRecord => {
			const fields: Record<string, FieldValueRecord[]> = {};
			for (const field of table.fields) {
				const given = row.fields[field.name] ?? '';
				fields[field.name] =
					typeof given === 'string'
						? [{ value: given, properties: {} }]
						: given.map((item) => ({ value: item.value, properties: { ...(item.properties ?? {}) } }));
			}
			return {
				id: row.id ?? newId(),
				domain,
				tableId: table.id,
				sortKey: row.sort_key ?? index,
				fields,
				itemAttributes: { ...(row.item_attributes ?? {}) },
				owners: { ...noOwners(), ...(row.owners ?? {}) },
			};
		});
		this.apply({ deleteTables: [], deleteRows: [], createTables: [table], createRows: rows });
		return tableView(table);
	}

	clear(): void {
		this.tableRecords = [];
		this.rowRecords = [];
	}
}

function tableView(table: TableRecord): StoredLookupTable {
	return {
		id: table.id,
		tag: table.tag,
		is_global: table.isGlobal,
		fields: table.fields.map((field) => ({
			name: field.name,
			properties: [...field.properties],
			is_indexed: field.isIndexed,
		})),
		item_attributes: [...table.itemAttributes],
		description: table.description,
	};
}

function rowView(row: RowRecord): StoredLookupRow {
	return {
		id: row.id,
		sort_key: row.sortKey,
		fields: Object.fromEntries(
			Object.entries(row.fields).map(([name, values]) => [
				name,
				values.map((item) => ({ value: item.value, properties: { ...item.properties } })),
			]),
		),
		item_attributes: { ...row.itemAttributes },
		owners: { users: [...row.owners.users], groups: [...row.owners.groups], locations: [...row.owners.locations] },
	};
}
