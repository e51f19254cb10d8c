/**
 * What a lookup-table upload does to the tables (`fixtures/upload/run_upload.py`): tables matched by their whole
 * definition (a changed one is rebuilt), rows by content and position (an unchanged row keeps its UID, any other is
 * created anew), `replace` deleting the unmatched rows of the listed tables only, `Delete(Y/N)`, sort keys, and each
 * row's owners replaced by the ones it names (unknown owners are warnings). Changes are applied ("flushed") after a
 * table with more than 1000 pending creates or deletes, and at the end.
 */
import { escapeHtml } from '../djangoPages';
import { DELETE_HEADER, FixtureWorkbook, isDeleted, asList, type TableDefinition } from './fixtureWorkbook';
import { resolveOwners, type OwnerNames, type OwnerDirectory } from './owners';
import { newId, type LookupTableStore, type RowRecord, type TableRecord, type FieldValueRecord } from './store';
import { isPyDict, pyStr, pyTruthy, UploadCrash, type PyDict, type PyValue } from './workbookReader';

export interface UploadResult {
	/** Rows of the `types` sheet, deletions included. */
	numberOfFixtures: number;
	/** Ownership warnings. */
	errors: string[];
}

interface Pending {
	deleteTables: TableRecord[];
	deleteRows: RowRecord[];
	createTables: TableRecord[];
	createRows: RowRecord[];
	/** Owners for kept rows, set at the flush. */
	owners: Map<RowRecord, RowRecord['owners']>;
}

const emptyPending = (): Pending => ({
	deleteTables: [],
	deleteRows: [],
	createTables: [],
	createRows: [],
	owners: new Map(),
});

/** PostgreSQL's boolean input: what `is_global` becomes when the header lacks its `?`. */
function databaseBoolean(value: PyValue): boolean {
	if (typeof value === 'boolean') return value;
	const text = typeof value === 'string' ? value.trim().toLowerCase() : pyStr(value).toLowerCase();
	if (['t', 'true', 'y', 'yes', 'on', '1'].includes(text)) return true;
	if (['f', 'false', 'n', 'no', 'off', '0'].includes(text)) return false;
	throw new UploadCrash(`invalid input syntax for type boolean: "${text}"`);
}

function tableKey(table: Pick<TableRecord, 'isGlobal' | 'tag' | 'fields' | 'itemAttributes' | 'description'>): string {
	return JSON.stringify([table.isGlobal, table.tag, table.fields, table.itemAttributes, table.description]);
}

function sortedEntries<T>(record: Record<string, T>): Array<[string, T]> {
	return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `row_key`: content (fields with their properties, attributes) plus position; not the UID. */
function rowKey(row: Pick<RowRecord, 'fields' | 'itemAttributes' | 'sortKey'>): string {
	return JSON.stringify([
		sortedEntries(row.fields).map(([name, values]) => [
			name,
			values.map((v) => [v.value, sortedEntries(v.properties)]),
		]),
		sortedEntries(row.itemAttributes),
		row.sortKey,
	]);
}

/** `_process_item_field`: the field's value as text, or one value per numbered column with its properties. */
function processItemField(field: TableDefinition['fields'][number], row: PyDict): FieldValueRecord[] {
	const values = row.field;
	if (!isPyDict(values) || !(field.name in values)) throw new UploadCrash(`KeyError: '${field.name}'`);
	const value = values[field.name];
	if (field.properties.length === 0) return [{ value: pyStr(value), properties: {} }];
	const combos = asList(value);
	const propDict = row[field.name];
	if (!isPyDict(propDict)) throw new UploadCrash(`KeyError: '${field.name}'`);
	return combos.map((combo, index) => {
		const properties: Record<string, string> = {};
		for (const [prop, list] of Object.entries(propDict)) {
			const items = asList(list);
			if (index >= items.length) throw new UploadCrash('IndexError: list index out of range');
			properties[prop] = pyStr(items[index]);
		}
		return { value: pyStr(combo), properties };
	});
}

/** `get_owners`: every owner name the listed tables' sheets hold (users and locations lowercased). */
function ownerNames(workbook: FixtureWorkbook, definitions: TableDefinition[]): OwnerNames {
	const names: OwnerNames = { user: new Set(), group: new Set(), location: new Set() };
	for (const definition of definitions) {
		for (const kind of ['user', 'group', 'location'] as const) {
			for (const row of workbook.requiredDataSheet(definition.tag)) {
				if (!(kind in row)) continue;
				for (const name of asList(row[kind])) {
					names[kind].add(kind === 'group' ? pyStr(name) : pyStr(name).toLowerCase());
				}
			}
		}
	}
	return names;
}

export interface UploadContext {
	domain: string;
	workbook: FixtureWorkbook;
	store: LookupTableStore;
	/** The raw `replace` value's truth: 'true' → true, 'false' → false, any other text is truthy unless empty. */
	replace: boolean;
	owners: OwnerDirectory;
}

/** `_run_upload`; throws `UploadCrash` (or `FixtureUploadError`) where HQ raises, keeping the flushes done so far. */
export function runUpload(context: UploadContext): UploadResult {
	const { domain, workbook, store } = context;
	const result: UploadResult = { numberOfFixtures: 0, errors: [] };
	const definitions = workbook.definitions();
	const ownerIds = resolveOwners(ownerNames(workbook, definitions), domain, context.owners);
	result.numberOfFixtures = definitions.length;
	const oldTables = store.tablesOf(domain);
	const oldByKey = new Map(oldTables.map((table) => [tableKey(table), table]));
	const oldByTag = new Map(oldTables.map((table) => [table.tag, table]));
	let pending = emptyPending();
	const flush = (): void => {
		store.apply(pending);
		for (const [row, owners] of pending.owners) row.owners = owners;
		pending = emptyPending();
	};

	for (const definition of definitions) {
		if (definition.delete) {
			const old = oldByTag.get(definition.tag);
			if (old) pending.deleteTables.push(old);
			continue;
		}
		const candidate: TableRecord = {
			id: newId(),
			domain,
			tag: definition.tag,
			isGlobal: databaseBoolean(definition.isGlobal),
			fields: definition.fields,
			itemAttributes: definition.itemAttributes,
			description: '',
		};
		const key = tableKey(candidate);
		let table = oldByKey.get(key);
		let rebuilt = false;
		if (table) oldByKey.delete(key);
		else {
			const replaced = oldByTag.get(definition.tag);
			if (replaced) pending.deleteTables.push(replaced);
			pending.createTables.push(candidate);
			table = candidate;
			rebuilt = replaced !== undefined;
		}
		processTable(context, table, rebuilt, pending, ownerIds, result.errors);
		if (pending.createRows.length > 1000 || pending.deleteRows.length > 1000) flush();
	}
	flush();
	return result;
}

function processTable(
	context: UploadContext,
	table: TableRecord,
	rebuilt: boolean,
	pending: Pending,
	ownerIds: ReturnType<typeof resolveOwners>,
	errors: string[],
): void {
	const oldTable = context.store.tableByTag(context.domain, table.tag);
	const oldRows = oldTable ? context.store.rowsOfTable(oldTable.id) : [];
	const sortKeys = new Map(oldRows.map((row) => [row.id, row.sortKey]));
	const byId = new Map(oldRows.map((row) => [row.id, row]));
	// A rebuilt table loses every old row with the old table: nothing is kept, every row is created anew.
	const oldByKey = new Map<string, RowRecord>();
	if (!rebuilt) for (const row of oldRows) oldByKey.set(rowKey(row), row);
	let sortKey = -1;
	context.workbook.requiredDataSheet(table.tag).forEach((sheetRow, index) => {
		const uid = sheetRow.UID;
		const uidKey = typeof uid === 'string' ? uid : undefined;
		if (isDeleted(sheetRow)) {
			if (pyTruthy(uid) && uidKey !== undefined && byId.has(uidKey))
				pending.deleteRows.push(byId.get(uidKey) as RowRecord);
			return;
		}
		sortKey = Math.max((uidKey !== undefined ? sortKeys.get(uidKey) : undefined) ?? index, sortKey + 1);
		const fields: Record<string, FieldValueRecord[]> = {};
		for (const field of table.fields) fields[field.name] = processItemField(field, sheetRow);
		const attributes = sheetRow.property;
		const created: RowRecord = {
			id: newId(),
			domain: context.domain,
			tableId: table.id,
			sortKey,
			fields,
			itemAttributes: isPyDict(attributes) ? attributeValues(attributes) : {},
			owners: { users: [], groups: [], locations: [] },
		};
		const key = rowKey(created);
		let item = oldByKey.get(key);
		if (item) oldByKey.delete(key);
		else {
			if (pyTruthy(uid) && uidKey !== undefined && byId.has(uidKey))
				pending.deleteRows.push(byId.get(uidKey) as RowRecord);
			pending.createRows.push(created);
			item = created;
		}
		const owners = ownedBy(sheetRow, ownerIds, errors);
		if (item === created) created.owners = owners;
		else pending.owners.set(item, owners);
	});
	if (context.replace) pending.deleteRows.push(...oldByKey.values());
}

/** Attribute values as the JSON column stores them: text as text, numbers as numbers. */
function attributeValues(attributes: PyDict): Record<string, unknown> {
	const values: Record<string, unknown> = {};
	for (const [name, value] of Object.entries(attributes)) {
		if (typeof value === 'string' || typeof value === 'boolean') values[name] = value;
		else if (!Array.isArray(value) && !isPyDict(value) && (value.type === 'int' || value.type === 'float')) {
			values[name] = Number(value.str);
		} else values[name] = pyStr(value);
	}
	return values;
}

/** `iter_ownerships`: the owners a row names, in user, group, location order; unknown ones become warnings. */
function ownedBy(row: PyDict, ownerIds: ReturnType<typeof resolveOwners>, errors: string[]): RowRecord['owners'] {
	const owners: RowRecord['owners'] = { users: [], groups: [], locations: [] };
	const target = { user: owners.users, group: owners.groups, location: owners.locations };
	for (const kind of ['user', 'group', 'location'] as const) {
		const given = row[kind];
		if (!pyTruthy(given)) continue;
		for (const value of asList(given)) {
			const name = kind === 'group' ? pyStr(value) : pyStr(value).toLowerCase();
			const found = ownerIds[kind].get(name);
			if (typeof found === 'object') target[kind].push(found.key);
			else errors.push(ownershipWarning(kind, found, name));
		}
	}
	return owners;
}

export function ownershipWarning(
	kind: 'user' | 'group' | 'location',
	found: 'INVALID' | 'MULTIPLE' | undefined,
	name: string,
): string {
	if (found === 'INVALID') return `Invalid username: '${name}'. But the row is successfully added`;
	if (found === 'MULTIPLE') {
		return `Multiple locations found with the name: '${name}'.  Try using site code. But the row is successfully added`;
	}
	const label = { user: 'user', group: 'group', location: 'location' }[kind];
	return `Unknown ${label}: '${name}'. But the row is successfully added`;
}

/**
 * `FixtureUploadResult.get_display_message`: the status template rendered (Django escapes each warning), then
 * `'\n'.join(re.split(r'\n*', message)).strip()`, which on Python 3.7+ puts every character on its own line and turns
 * each run of line breaks into one blank line.
 */
export function displayMessage(result: UploadResult): string {
	let rendered = `\n\nSuccessfully uploaded ${result.numberOfFixtures} tables.\n`;
	if (result.errors.length > 0) {
		rendered += '\nHowever, we ran into the following problems:\n';
		for (const error of result.errors) rendered += `\n${djangoEscape(error)}\n`;
		rendered += '\n';
	}
	rendered += '\n\n\n';
	return pythonStrip(splitOnNewlineRuns(rendered).join('\n'));
}

/** Django's `escape` (autoescaping in templates): `'` becomes `&#x27;`. */
function djangoEscape(text: string): string {
	return escapeHtml(text).replace(/'/g, '&#x27;');
}

/** Python 3.7+ `re.split(r'\n*', text)`: splits at every run of line breaks and at every empty match. */
export function splitOnNewlineRuns(text: string): string[] {
	const pieces: string[] = [];
	let last = 0;
	let position = 0;
	while (position <= text.length) {
		let end = position;
		while (text[end] === '\n') end++;
		if (end > position) {
			pieces.push(text.slice(last, position));
			last = end;
			position = end;
			continue; // an empty match right after a non-empty one is allowed and found next
		}
		pieces.push(text.slice(last, position));
		last = position;
		position += 1;
	}
	pieces.push(text.slice(last));
	return pieces;
}

function pythonStrip(text: string): string {
	return text.replace(/^\s+|\s+$/g, '');
}

export { DELETE_HEADER };
