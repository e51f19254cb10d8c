/**
 * The items source: every input item is one row of one table. Turns the items into the plan's table, each value as
 * CommCare will store it, and reports what cannot be sent as is (values that are not text, blank items) or what
 * CommCare will change (spaces around values).
 */
import type { IDataObject } from 'n8n-workflow';
import { pythonStrip } from '../../shared/cellText';
import { capitalised, itemList } from '../../shared/wording';
import { type TableFinding, tableFinding } from '../checks/findings';
import type { FieldValue, PlannedTable, RowOwners, TableRow } from '../model';
import { dataSheetLayout } from '../workbook/layout';

export interface ItemsTableOptions {
	/** The table's `table_id`. */
	tag: string;
	/** The table's fields, in order; null: every key the items have, in the order first seen, minus owner fields. */
	fields: string[] | null;
	/** `global`: every user gets every row; `owned`: each row goes to the owners its item names. */
	ownership: 'global' | 'owned';
	/** The item fields that name a row's owners (used when `ownership` is `owned`); '' for none. */
	ownerFields: { user: string; group: string; location: string };
}

const OWNER_KINDS = [
	['user', 'users'],
	['group', 'groups'],
	['location', 'locations'],
] as const;

const hasOwn = (item: IDataObject, key: string) => Object.prototype.hasOwnProperty.call(item, key);

/** A value as CommCare will store it; null when it is not a value a cell can hold (an object, an array). */
function storedText(value: unknown): { text: string; trimmed: boolean } | null {
	if (value === null || value === undefined) return { text: '', trimmed: false };
	switch (typeof value) {
		case 'string': {
			// CommCare strips every value it reads (Python's strip()): the plan holds what it stores.
			const text = pythonStrip(value);
			return { text, trimmed: text !== value };
		}
		case 'number':
		case 'bigint':
			return { text: String(value), trimmed: false };
		case 'boolean':
			return { text: value ? 'true' : 'false', trimmed: false };
		default:
			if (value instanceof Date && !Number.isNaN(value.getTime())) {
				return { text: value.toISOString(), trimmed: false };
			}
			return null;
	}
}

/** Owners named by an owner field: a text, or a list of texts; blank ones name nobody. */
function ownersOf(value: unknown): string[] | null {
	const list = Array.isArray(value) ? value : [value];
	const owners: string[] = [];
	for (const entry of list) {
		if (typeof entry === 'object' && entry !== null) return null;
		const text = storedText(entry);
		if (text === null) return null;
		if (text.text !== '') owners.push(text.text);
	}
	return owners;
}

function describeValue(value: unknown): string {
	if (Array.isArray(value)) return 'a list';
	if (value instanceof Date) return 'an invalid date';
	return 'an object';
}

export function tableFromItems(
	items: IDataObject[],
	options: ItemsTableOptions,
): { table: PlannedTable; findings: TableFinding[] } {
	const { tag, ownership } = options;
	const ownerFields = OWNER_KINDS.flatMap(([kind, key]) =>
		ownership === 'owned' && options.ownerFields[kind] !== '' ? [{ field: options.ownerFields[kind], key }] : [],
	);
	const ownerNames = new Set(ownerFields.map(({ field }) => field));
	const fields = options.fields ?? fieldsOf(items, ownerNames);

	const notText = new Map<string, { items: number[]; what: string }>();
	const trimmed = new Map<string, number[]>();
	const present = new Set<string>();
	const blankItems: number[] = [];
	const note = (map: Map<string, number[]>, field: string, index: number) => {
		const list = map.get(field);
		if (list) list.push(index);
		else map.set(field, [index]);
	};

	const rows: TableRow[] = items.map((item, index) => {
		const rowFields: Record<string, FieldValue[]> = {};
		let blank = true;
		for (const field of fields) {
			if (hasOwn(item, field)) present.add(field);
			const value = hasOwn(item, field) ? item[field] : undefined;
			const stored = storedText(value);
			if (stored === null) {
				const seen = notText.get(field) ?? { items: [], what: describeValue(value) };
				seen.items.push(index);
				notText.set(field, seen);
			} else if (stored.trimmed) note(trimmed, field, index);
			const text = stored?.text ?? '';
			if (text !== '') blank = false;
			rowFields[field] = [{ value: text, properties: {} }];
		}
		const owners: RowOwners = { users: [], groups: [], locations: [] };
		for (const { field, key } of ownerFields) {
			const value = hasOwn(item, field) ? item[field] : undefined;
			const named = ownersOf(value);
			if (named === null) {
				const seen = notText.get(field) ?? { items: [], what: describeValue(value) };
				seen.items.push(index);
				notText.set(field, seen);
			} else owners[key].push(...named);
		}
		if (blank && owners.users.length + owners.groups.length + owners.locations.length === 0) {
			blankItems.push(index);
		}
		return { sheetRow: index + 2, item: index, uid: '', delete: false, fields: rowFields, attributes: {}, owners };
	});

	const table: PlannedTable = {
		definition: {
			tag,
			isGlobal: ownership === 'global',
			fields,
			fieldProperties: {},
			indexedFields: [],
			itemAttributes: [],
			delete: false,
		},
		rows,
		header: [],
	};
	table.header = dataSheetLayout(table).header;

	const findings: TableFinding[] = [];
	for (const [field, { items: indexes, what }] of notText) {
		const owner = ownerNames.has(field);
		findings.push(
			tableFinding(
				'valueNotText',
				`'${field}' holds ${what} in ${itemList(indexes)}`,
				owner
					? `An owner field takes a name or a list of names. Give '${field}' texts (e.g. with an Edit Fields node).`
					: `A lookup-table cell holds one text. Turn '${field}' into a text first (e.g. with an Edit Fields expression such as {{ JSON.stringify($json["${field}"]) }}), or leave the field out.`,
				{ table: tag, column: field, items: indexes },
			),
		);
	}
	if (options.fields !== null && items.length > 0) {
		const missing = fields.filter((field) => !present.has(field));
		if (missing.length > 0) {
			findings.push(
				tableFinding(
					'fieldMissing',
					`No input item has the field${missing.length === 1 ? '' : 's'} ${missing.map((field) => `'${field}'`).join(', ')}`,
					'Check the spelling in "Fields" (names are case-sensitive), or remove the field from the list. A field that only some items have is written blank for the others.',
					{ table: tag, column: missing[0] },
				),
			);
		}
	}
	if (blankItems.length > 0) {
		findings.push(
			tableFinding(
				'blankItems',
				`${capitalised(itemList(blankItems))} ${blankItems.length === 1 ? 'has' : 'have'} no value in any field of '${tag}'`,
				'CommCare stops reading a table at its first blank row: the rows after it would not be imported, and with "Replace" they would be deleted. Filter blank items out first (e.g. with a Filter node).',
				{ table: tag, items: blankItems, rows: blankItems.map((index) => index + 2) },
			),
		);
	}
	for (const [field, indexes] of trimmed) {
		findings.push(
			tableFinding(
				'valuesTrimmed',
				`'${field}' has spaces around its value in ${itemList(indexes)}: CommCare stores it without them`,
				'CommCare strips spaces (and other white space) from the start and end of every value. Trim the values first if the spaces matter nowhere else.',
				{ table: tag, column: field, items: indexes },
			),
		);
	}
	return { table, findings };
}

/** Every key of the items, in the order first seen, without the owner fields. */
function fieldsOf(items: IDataObject[], ownerFields: Set<string>): string[] {
	const fields = new Set<string>();
	for (const item of items) {
		for (const key of Object.keys(item)) if (!ownerFields.has(key)) fields.add(key);
	}
	return [...fields];
}
