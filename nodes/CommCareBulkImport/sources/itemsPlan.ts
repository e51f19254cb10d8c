/**
 * Source "Input Items", the parts that need no n8n context: which columns and uploads the items become, the checks
 * of each upload, writing each upload's `.xlsx` to a temporary file, and the per-record output items.
 * `nodes/CommCareBulkImport/itemsInput.ts` runs them in order and talks to CommCare.
 *
 * Value rules (how an item value becomes a cell) are in `spreadsheet.ts`; the checks in `preflight.ts`.
 */
import { createReadStream, createWriteStream } from 'fs';
import { mkdtemp, rm, stat } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { finished } from 'stream/promises';

import type { IDataObject, IPairedItemData } from 'n8n-workflow';

import { listWithMore } from '../../shared/messages';
import { preflightValueColumns, runPreflight } from '../checks/runChecks';
import { planColumns, safeSheetName } from '../spreadsheet/columns';
import { inspectItems } from '../spreadsheet/inspectFile';
import { type SheetInspection } from '../spreadsheet/inspection';
import { CellValueError, ownValue } from '../spreadsheet/values';
import { writeItemsXlsx } from '../spreadsheet/writer';
import { temporaryFolderPrefix } from '../temporaryFolder';
import type { PreflightIssue, RecordResultJson, UploadResultJson } from '../../shared/outputContract';
import type { ImportSettings } from '../importSettings';
import type { SpreadsheetFile } from '../upload';

/** Columns always written as text, whatever the item holds: ids keep their leading zeros and never become numbers. */
export const ID_COLUMNS = ['case_id', 'external_id', 'owner_id', 'parent_id', 'parent_external_id'];

/**
 * What to do with an item that lacks a field other items have (or that Columns lists): its cell would be blank,
 * and a blank cell clears that property on the case the row updates (spec §6.1).
 * - `stop`: refuse before anything is sent, naming the column and the items (the default);
 * - `clear`: write the blank cell (the property is cleared);
 * - `keep`: leave the property unchanged: items are split into uploads by the fields they have, and each upload
 *   has only the columns its items carry.
 */
export type MissingFieldsMode = 'stop' | 'clear' | 'keep';

export interface ItemsPlanOptions {
	/** Exactly these columns, in this order (empty: every key of the items, in first-seen order). */
	columns: string[];
	excludeColumns: string[];
	nestedAsJson: boolean;
	rowsPerUpload: number;
	/** The generated file's name, ending in `.xlsx`. */
	fileName: string;
	missingFields?: MissingFieldsMode;
	/** The workflow's time zone: JS Dates are written on its clock. */
	timeZone?: string;
}

/** Items that share the importer settings (one group per distinct value of per-item expressions). */
export interface SettingsGroup {
	settings: ImportSettings;
	/** Input item indexes, in order. */
	itemIndexes: number[];
}

/** One upload: some of the input items, in order, with the settings and columns they share. */
export interface ItemsChunk {
	/** 1-based, over the whole run. */
	uploadNumber: number;
	uploadCount: number;
	settings: ImportSettings;
	columns: string[];
	/** Columns other uploads of the run have and this one's items lack ("leave the property unchanged"). */
	columnsLeftOut: string[];
	/** Never a case type: that would switch the server into multi-sheet mode (spec §3.3). */
	sheetName: string;
	textColumns: string[];
	/** Input item index of each row: row 2 is `itemIndexes[0]`. */
	itemIndexes: number[];
	items: IDataObject[];
	/** Input item index of the first row. */
	firstItem: number;
	fileName: string;
}

/** The uploads of a run, and what stops the run whatever the checks say (nothing is sent then). */
export interface ItemsPlan {
	nestedAsJson: boolean;
	timeZone?: string;
	chunks: ItemsChunk[];
	/** Values the node will not write as asked: a field without a name that holds data; missing fields (`stop`). */
	refusals: PreflightIssue[];
}

/**
 * Columns where a blank cell changes nothing on an existing case (spec §6.4): the search column (never a property),
 * the name (written only when not empty), the owner columns (changed only when given), the parent columns (an index
 * is set only from a value) and `close` (only `yes` closes). An item without such a field loses nothing.
 */
export function columnsWhereBlankKeepsValue(settings: ImportSettings): Set<string> {
	return new Set([
		settings.searchColumn,
		settings.nameColumn,
		'owner_id',
		'owner_name',
		'parent_id',
		'parent_external_id',
		'parent_type',
		'parent_relationship_type',
		'parent_identifier',
		'close',
	]);
}

/** Whether an item holds a field: an own key with a defined value (`null` and `""` are deliberate blanks). */
function hasField(item: IDataObject, column: string): boolean {
	return ownValue(item, column) !== undefined;
}

/**
 * The uploads of a run. For each group of items sharing their settings: the columns (`include`, or the union of
 * the items' keys in first-seen order, minus `exclude`; the search column always, empty when no item has it:
 * without it CommCare accepts the upload and then fails the whole import, spec §6.1), what to do with items that
 * lack a column (`missingFields`), then `rowsPerUpload` items per upload.
 */
export function planItemsUpload(
	items: IDataObject[],
	settingsOrGroups: ImportSettings | SettingsGroup[],
	options: ItemsPlanOptions,
): ItemsPlan {
	const groups = Array.isArray(settingsOrGroups)
		? settingsOrGroups
		: [{ settings: settingsOrGroups, itemIndexes: items.map((_item, index) => index) }];
	const mode = options.missingFields ?? 'stop';
	const refusals: PreflightIssue[] = [];
	const planned: Array<Omit<ItemsChunk, 'uploadNumber' | 'uploadCount' | 'fileName'>> = [];

	for (const group of groups) {
		const everyItem = group.itemIndexes.length === items.length;
		const groupItems = everyItem ? items : group.itemIndexes.map((index) => items[index]);
		const { settings } = group;
		let columns = planColumns(groupItems, {
			include: options.columns,
			exclude: options.excludeColumns,
			ensure: [settings.searchColumn],
		});
		if (columns.includes('')) {
			const holding = group.itemIndexes.filter((index) => !isEmptyValue(ownValue(items[index], '')));
			if (holding.length > 0) refusals.push(blankFieldNameRefusal(holding));
			// Without data, a nameless field loses nothing: it is simply not written.
			columns = columns.filter((column) => column !== '');
		}
		const exempt = columnsWhereBlankKeepsValue(settings);
		const checked = columns.filter((column) => !exempt.has(column));
		const lacking = new Map<string, { missing: string[]; itemIndexes: number[] }>();
		const lackingByColumn = new Map<string, number[]>();
		const none: string[] = [];
		groupItems.forEach((item, offset) => {
			// Most items lack nothing: an array only for those that do.
			let missing = none;
			for (const column of checked) {
				if (hasField(item, column)) continue;
				if (missing === none) missing = [];
				missing.push(column);
			}
			const itemIndex = group.itemIndexes[offset];
			for (const column of missing) {
				const list = lackingByColumn.get(column);
				if (list) list.push(itemIndex);
				else lackingByColumn.set(column, [itemIndex]);
			}
			const key = mode === 'keep' && missing !== none ? missing.join('\u0000') : '';
			const subgroup = lacking.get(key);
			if (subgroup) subgroup.itemIndexes.push(itemIndex);
			else lacking.set(key, { missing: mode === 'keep' ? missing : [], itemIndexes: [itemIndex] });
		});
		if (mode === 'stop') {
			for (const [column, itemIndexes] of lackingByColumn) {
				refusals.push(
					missingFieldRefusal(column, itemIndexes, group.itemIndexes.length, options.columns.includes(column)),
				);
			}
		}
		for (const { missing, itemIndexes } of lacking.values()) {
			const left = new Set(missing);
			const chunkColumns = columns.filter((column) => !left.has(column));
			const sameItems = itemIndexes.length === groupItems.length;
			for (let start = 0; start < Math.max(1, itemIndexes.length); start += options.rowsPerUpload) {
				const slice = itemIndexes.slice(start, start + options.rowsPerUpload);
				planned.push({
					settings,
					columns: chunkColumns,
					columnsLeftOut: missing,
					sheetName: safeSheetName(settings.caseType),
					textColumns: [...new Set([settings.searchColumn, ...ID_COLUMNS])],
					itemIndexes: slice,
					items:
						sameItems && everyItem
							? items.slice(start, start + options.rowsPerUpload)
							: slice.map((index) => items[index]),
					firstItem: slice[0] ?? 0,
				});
			}
		}
	}
	const uploadCount = Math.max(1, planned.length);
	const chunks = planned.map((chunk, index) => ({
		...chunk,
		uploadNumber: index + 1,
		uploadCount,
		fileName:
			uploadCount === 1
				? options.fileName
				: options.fileName.replace(/\.xlsx$/, `_${index + 1}_of_${uploadCount}.xlsx`),
	}));
	return { nestedAsJson: options.nestedAsJson, timeZone: options.timeZone, chunks, refusals };
}

function isEmptyValue(value: unknown): boolean {
	return value === undefined || value === null || value === '';
}

function blankFieldNameRefusal(itemIndexes: number[]): PreflightIssue {
	return {
		code: 'blankFieldName',
		message: `${capitalised(listWithMore(itemIndexes, itemIndexes.length === 1 ? 'item' : 'items'))} ${itemIndexes.length === 1 ? 'has' : 'have'} a field whose name is empty (""), holding data: it would become a column without a header, which CommCare drops with its data. Rename the field (for example with an Edit Fields (Set) node).`,
		column: '',
		items: itemIndexes,
	};
}

function missingFieldRefusal(
	column: string,
	itemIndexes: number[],
	groupSize: number,
	listedInColumns: boolean,
): PreflightIssue {
	const who =
		itemIndexes.length === groupSize
			? `No item has the field '${column}'${listedInColumns ? ' listed in Columns' : ''}`
			: `${capitalised(listWithMore(itemIndexes, itemIndexes.length === 1 ? 'item' : 'items'))} ${itemIndexes.length === 1 ? 'has' : 'have'} no field '${column}', which ${listedInColumns ? 'Columns lists' : 'other items have'}`;
	return {
		code: 'missingField',
		message: `${who}: ${itemIndexes.length === 1 ? 'its' : 'their'} cell would be blank, and a blank cell clears '${column}' on every case such a row updates. Give ${itemIndexes.length === 1 ? 'the item' : 'those items'} the field (an empty value or null clears it on purpose), or choose what to do in Options → When an Item Lacks a Column: clear the property, or leave it unchanged (the items are then sent in separate uploads without that column).`,
		column,
		items: itemIndexes,
	};
}

function capitalised(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Input item indexes of a chunk, in order. */
export function chunkItemIndexes(chunk: ItemsChunk): number[] {
	return chunk.itemIndexes;
}

/** n8n's `pairedItem` for an output item that stands for these input items. */
export function pairedItems(indexes: number[]): IPairedItemData | IPairedItemData[] {
	return indexes.length === 1 ? { item: indexes[0] } : indexes.map((item) => ({ item }));
}

/** `items 7 to 13` (or `item 7`); `items 3, 5, 9, 11, 12 and 4 more` when they are not consecutive. */
export function describeChunkItems(chunk: ItemsChunk): string {
	const indexes = chunk.itemIndexes;
	const first = indexes[0] ?? chunk.firstItem;
	const last = indexes[indexes.length - 1] ?? first;
	if (last === first) return `item ${first}`;
	if (last - first + 1 === indexes.length) return `items ${first} to ${last}`;
	return listWithMore(indexes, 'items');
}

export interface ChunkFindings {
	checked: boolean;
	/** Data rows sent: one per item, blank ones included (the server skips those, Import Status counts them). */
	rowCount: number;
	errors: PreflightIssue[];
	warnings: PreflightIssue[];
}

/**
 * The checks of one upload, on the cells that would be written. A value the rules refuse (an object, a cell over
 * Excel's limit...) is an error finding naming the key and the item.
 */
export function checkChunk(plan: ItemsPlan, chunk: ItemsChunk): ChunkFindings {
	const { settings } = chunk;
	const inspection = inspectItemsOrRefusal(chunk.items, chunk.columns, {
		sheetName: chunk.sheetName,
		textColumns: chunk.textColumns,
		nestedAsJson: plan.nestedAsJson,
		itemIndexes: chunk.itemIndexes,
		timeZone: plan.timeZone,
		valueColumns: preflightValueColumns(settings, chunk.columns),
	});
	let findings =
		inspection instanceof CellValueError
			? { errors: [cellValueIssue(inspection, chunk)], warnings: [] }
			: runPreflight({ settings, ...inspection, rowToItem: (row) => chunk.itemIndexes[row - 2] });
	if (chunk.uploadCount > 1) {
		// Row numbers count within each upload's sheet: say which upload.
		const tag = (issue: PreflightIssue) => ({ ...issue, uploadNumber: chunk.uploadNumber });
		findings = { errors: findings.errors.map(tag), warnings: findings.warnings.map(tag) };
	}
	return { checked: true, rowCount: chunk.items.length, ...findings };
}

/** `inspectItems`, with a value the rules refuse returned instead of thrown. */
function inspectItemsOrRefusal(...args: Parameters<typeof inspectItems>): SheetInspection | CellValueError {
	try {
		return inspectItems(...args);
	} catch (error) {
		if (error instanceof CellValueError) return error;
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- a bug, not a user error: the node wraps it (toNodeError)
		throw error;
	}
}

export function uncheckedChunk(chunk: ItemsChunk): ChunkFindings {
	return { checked: false, rowCount: chunk.items.length, errors: [], warnings: [] };
}

/** A refused value as a finding: `nestedValue` for an object or array, `invalidValue` for the rest. */
export function cellValueIssue(error: CellValueError, chunk?: ItemsChunk): PreflightIssue {
	const issue: PreflightIssue = {
		code: error.problem === 'nested' ? 'nestedValue' : 'invalidValue',
		message: error.message,
		column: error.column,
		items: [error.itemIndex],
	};
	if (chunk) issue.rows = [chunk.itemIndexes.indexOf(error.itemIndex) + 2];
	return issue;
}

/**
 * The findings of several uploads as one list: a finding every upload has (about the columns, which all uploads
 * share) once; the others once per upload, prefixed with the upload (row numbers count within each upload's sheet).
 */
export function mergeFindings(findings: PreflightIssue[][]): PreflightIssue[] {
	const keyOf = (issue: PreflightIssue) => `${issue.code}|${issue.column ?? ''}|${issue.message}`;
	const uploadsWith = new Map<string, number>();
	for (const issues of findings) {
		for (const key of new Set(issues.map(keyOf))) uploadsWith.set(key, (uploadsWith.get(key) ?? 0) + 1);
	}
	const merged: PreflightIssue[] = [];
	const added = new Set<string>();
	findings.forEach((issues, index) => {
		for (const issue of issues) {
			const key = keyOf(issue);
			const { uploadNumber: _uploadNumber, ...rest } = issue;
			if (findings.length === 1) merged.push(rest);
			else if (uploadsWith.get(key) !== findings.length) {
				merged.push({ ...issue, message: `Upload ${index + 1} of ${findings.length}: ${issue.message}` });
			} else if (!added.has(key)) {
				added.add(key);
				merged.push(rest);
			}
		}
	});
	return merged;
}

// ---------------------------------------------------------------------------------------------------------------
// Files

/** A folder of its own in the system's temporary directory, removed after `use`, whatever happens. */
export async function withTemporaryFolder<T>(use: (folder: string) => Promise<T>): Promise<T> {
	const folder = await mkdtemp(join(tmpdir(), temporaryFolderPrefix()));
	try {
		return await use(folder);
	} finally {
		await rm(folder, { recursive: true, force: true });
	}
}

/**
 * Writes the chunk as an `.xlsx` into `folder` (streaming: memory holds a few rows, not the sheet) and returns it as
 * a file `uploadSpreadsheet` can open again for a retry. Throws `CellValueError` for a refused value.
 */
export async function writeChunkFile(plan: ItemsPlan, chunk: ItemsChunk, folder: string): Promise<SpreadsheetFile> {
	const path = join(folder, `upload-${chunk.uploadNumber}.xlsx`);
	const out = createWriteStream(path);
	let written = false;
	try {
		await writeItemsXlsx(chunk.items, chunk.columns, out, {
			sheetName: chunk.sheetName,
			textColumns: chunk.textColumns,
			nestedAsJson: plan.nestedAsJson,
			itemIndexes: chunk.itemIndexes,
			timeZone: plan.timeZone,
		});
		await finished(out);
		written = true;
	} finally {
		// A failed write leaves a truncated file: close it (the folder is removed by the caller).
		if (!written) out.destroy();
	}
	const { size } = await stat(path);
	return { fileName: chunk.fileName, knownLength: size, open: async () => createReadStream(path) };
}

// ---------------------------------------------------------------------------------------------------------------
// Per-record output

/**
 * One output item per record of an accepted upload (types.ts `RecordResultJson`). `record` holds the item's keys
 * among the sheet's columns: what was sent, which is what Import Status judges a blank row by. `warnings` are the
 * upload's warnings that name this record, or no record at all.
 */
export function recordResults(
	chunk: ItemsChunk,
	upload: UploadResultJson,
	warnings: PreflightIssue[],
): Array<{ itemIndex: number; json: RecordResultJson }> {
	const { status_url: statusUrl, warnings: _warnings, ...uploadInfo } = upload;
	const general = warnings.filter((issue) => issue.items === undefined);
	const byItem = new Map<number, PreflightIssue[]>();
	for (const issue of warnings) {
		for (const item of issue.items ?? []) byItem.set(item, [...(byItem.get(item) ?? []), issue]);
	}
	return chunk.items.map((item, offset) => {
		const itemIndex = chunk.itemIndexes[offset];
		return {
			itemIndex,
			json: {
				status_url: statusUrl,
				row: offset + 2,
				record: sentValues(item, chunk.columns),
				upload: { ...uploadInfo },
				warnings: [...general, ...(byItem.get(itemIndex) ?? [])],
			},
		};
	});
}

/** The item's own keys that became columns, with their values as given. */
export function sentValues(item: IDataObject, columns: string[]): IDataObject {
	const record: IDataObject = {};
	for (const column of columns) if (Object.prototype.hasOwnProperty.call(item, column)) record[column] = item[column];
	return record;
}
