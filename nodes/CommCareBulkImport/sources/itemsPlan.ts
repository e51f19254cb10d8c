/**
 * Source "Input Items", the parts that need no n8n context: which columns and uploads the items become, the checks
 * of each upload, writing each upload's `.xlsx` to a temporary file, and the per-record output items.
 * `itemsSource.ts` hands them to the upload pipeline.
 *
 * Value rules (how an item value becomes a cell) are in `../spreadsheet/values.ts`; the checks in `../checks/`.
 */
import { createReadStream, createWriteStream } from 'fs';
import { stat } from 'fs/promises';
import { join } from 'path';
import { finished } from 'stream/promises';
import type { IDataObject } from 'n8n-workflow';
import { capitalised, itemList } from '../../shared/wording';
import { searchIdOfValue } from '../../shared/cellText';
import { planColumns, safeSheetName } from '../spreadsheet/columns';
import { ownValue } from '../spreadsheet/values';
import { writeItemsXlsx } from '../spreadsheet/writer';
import type { CheckFinding } from '../../shared/outputContract';
import type { ImportSettings, ItemsOptions, SettingsGroup } from '../parameters';
import { uploadFileName } from '../spreadsheet/formats';
import { type SpreadsheetFile } from '../upload';

/** Columns always written as text, whatever the item holds: ids keep their leading zeros and never become numbers. */
export const ID_COLUMNS = ['case_id', 'external_id', 'owner_id', 'parent_id', 'parent_external_id'];

/** The items options the plan uses (`missingFields` defaults to `stop`; no time zone means UTC). */
export type ItemsPlanOptions = Omit<
	ItemsOptions,
	'outputPerRecord' | 'dryRunPerRecord' | 'missingFields' | 'timeZone'
> &
	Partial<Pick<ItemsOptions, 'missingFields' | 'timeZone'>>;

/** One upload: some of the input items, in order, with the settings and columns they share. */
export interface ItemsUpload {
	/** 1-based, over the whole run. */
	uploadNumber: number;
	uploadCount: number;
	settings: ImportSettings;
	columns: string[];
	/** Columns other uploads of the run have and this one's items lack ("leave the property unchanged"). */
	columnsLeftOut: string[];
	/** Never a case type: that would switch the server into multi-sheet mode (docs/commcare-api.md §3.3). */
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
	uploads: ItemsUpload[];
	/** Values the node will not write as asked: a field without a name that holds data; missing fields (`stop`). */
	refusals: CheckFinding[];
}

/**
 * Columns where a blank cell changes nothing on an existing case (docs/commcare-api.md §6.4): the search column (never a property),
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
 * without it CommCare accepts the upload and then fails the whole import, docs/commcare-api.md §6.1), what to do with items that
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
	const refusals: CheckFinding[] = [];
	const planned: Array<Omit<ItemsUpload, 'uploadNumber' | 'uploadCount' | 'fileName'>> = [];

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
		// A row that can only create a case clears nothing: with "stop", its missing fields are simply written blank.
		const onlyCreates = (item: IDataObject) =>
			mode === 'stop' &&
			settings.searchField === 'case_id' &&
			settings.createNewCases &&
			searchIdOfValue(ownValue(item, settings.searchColumn)) === '';
		const lacking = new Map<string, { missing: string[]; itemIndexes: number[] }>();
		const lackingByColumn = new Map<string, number[]>();
		const none: string[] = [];
		groupItems.forEach((item, offset) => {
			// Most items lack nothing: an array only for those that do.
			let missing = none;
			for (const column of onlyCreates(item) ? [] : checked) {
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
			// A column Columns lists and no item has names nothing: most likely a typo, refused even where rows only create.
			for (const column of options.columns) {
				if (lackingByColumn.has(column) || !checked.includes(column)) continue;
				if (!groupItems.some((item) => hasField(item, column))) lackingByColumn.set(column, [...group.itemIndexes]);
			}
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
	const uploads = planned.map((upload, index) => ({
		...upload,
		uploadNumber: index + 1,
		uploadCount,
		fileName:
			uploadCount === 1
				? options.fileName
				: options.fileName.replace(/\.xlsx$/, `_${index + 1}_of_${uploadCount}.xlsx`),
	}));
	return { nestedAsJson: options.nestedAsJson, timeZone: options.timeZone, uploads, refusals };
}

function isEmptyValue(value: unknown): boolean {
	return value === undefined || value === null || value === '';
}

function blankFieldNameRefusal(itemIndexes: number[]): CheckFinding {
	return {
		code: 'blankFieldName',
		message: `${capitalised(itemList(itemIndexes))} ${itemIndexes.length === 1 ? 'has' : 'have'} a field whose name is empty (""), holding data`,
		description:
			'It would become a column without a header, which CommCare drops with its data. Rename the field (for example with an Edit Fields (Set) node).',
		column: '',
		items: itemIndexes,
	};
}

function missingFieldRefusal(
	column: string,
	itemIndexes: number[],
	groupSize: number,
	listedInColumns: boolean,
): CheckFinding {
	const one = itemIndexes.length === 1;
	const message =
		itemIndexes.length === groupSize
			? `No item has the field '${column}'${listedInColumns ? ' listed in Columns' : ''}`
			: `${capitalised(itemList(itemIndexes))} ${one ? 'has' : 'have'} no field '${column}', which ${listedInColumns ? 'Columns lists' : 'other items have'}`;
	return {
		code: 'missingField',
		message,
		description: `${one ? 'Its' : 'Their'} cell would be blank, and a blank cell clears '${column}' on every case such a row updates. Give ${one ? 'the item' : 'those items'} the field (an empty value or null clears it on purpose), or choose what to do in Options → When an Item Lacks a Column: clear the property, or leave it unchanged (the items are then sent in separate uploads without that column).`,
		column,
		items: itemIndexes,
	};
}

/**
 * `items 8 to 14` (or `item 8`); `items 4, 6, 10, 12, 13 and 4 more` when they are not consecutive. Counted from 1
 * (the upload of indexes 7 to 13 holds items 8 to 14).
 */
export function describeUploadItems(upload: ItemsUpload): string {
	const indexes = upload.itemIndexes;
	const first = indexes[0] ?? upload.firstItem;
	const last = indexes[indexes.length - 1] ?? first;
	if (last === first) return `item ${first + 1}`;
	if (last - first + 1 === indexes.length) return `items ${first + 1} to ${last + 1}`;
	return itemList(indexes);
}

/**
 * Writes the upload as an `.xlsx` into `folder` (streaming: memory holds a few rows, not the sheet) and returns it as
 * a file `uploadSpreadsheet` can open again for a retry. Throws `CellValueError` for a refused value.
 */
export async function writeItemsUploadFile(
	plan: ItemsPlan,
	upload: ItemsUpload,
	folder: string,
): Promise<SpreadsheetFile> {
	const path = join(folder, `upload-${upload.uploadNumber}.xlsx`);
	const out = createWriteStream(path);
	let written = false;
	try {
		await writeItemsXlsx(upload.items, upload.columns, out, {
			sheetName: upload.sheetName,
			textColumns: upload.textColumns,
			nestedAsJson: plan.nestedAsJson,
			itemIndexes: upload.itemIndexes,
			timeZone: plan.timeZone,
		});
		await finished(out);
		written = true;
	} finally {
		// A failed write leaves a truncated file: close it (the folder is removed by the caller).
		if (!written) out.destroy();
	}
	const { size } = await stat(path);
	return { fileName: uploadFileName(upload.fileName), knownLength: size, open: async () => createReadStream(path) };
}

// Per-record output
