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

import { preflightValueColumns, runPreflight } from './preflight';
import {
	CellValueError,
	inspectItems,
	planColumns,
	safeSheetName,
	temporaryFolderPrefix,
	writeItemsXlsx,
	type SheetInspection,
} from './spreadsheet';
import type { ImportSettings, PreflightIssue, RecordResultJson, UploadResultJson } from './types';
import type { SpreadsheetFile } from './upload';

/** Columns always written as text, whatever the item holds: ids keep their leading zeros and never become numbers. */
export const ID_COLUMNS = ['case_id', 'external_id', 'owner_id', 'parent_id', 'parent_external_id'];

export interface ItemsPlanOptions {
	/** Exactly these columns, in this order (empty: every key of the items, in first-seen order). */
	columns: string[];
	excludeColumns: string[];
	nestedAsJson: boolean;
	rowsPerUpload: number;
	/** The generated file's name, ending in `.xlsx`. */
	fileName: string;
}

/** One upload: a slice of the input items, in order. */
export interface ItemsChunk {
	/** 1-based. */
	uploadNumber: number;
	uploadCount: number;
	/** Input item index of the chunk's first item (spreadsheet row 2). */
	firstItem: number;
	items: IDataObject[];
	fileName: string;
}

/** What every upload of the run shares, and the uploads. */
export interface ItemsPlan {
	columns: string[];
	sheetName: string;
	textColumns: string[];
	nestedAsJson: boolean;
	chunks: ItemsChunk[];
}

/**
 * The columns (the same for every upload, planned over all items) and the uploads (`rowsPerUpload` items each).
 * The search column is always there, empty when no item has it: without it CommCare accepts the upload and then
 * fails the whole import (spec §6.1), even when every row creates a new case.
 */
export function planItemsUpload(items: IDataObject[], settings: ImportSettings, options: ItemsPlanOptions): ItemsPlan {
	const columns = planColumns(items, {
		include: options.columns,
		exclude: options.excludeColumns,
		ensure: [settings.searchColumn],
	});
	const uploadCount = Math.max(1, Math.ceil(items.length / options.rowsPerUpload));
	const chunks: ItemsChunk[] = [];
	for (let index = 0; index < uploadCount; index++) {
		const firstItem = index * options.rowsPerUpload;
		chunks.push({
			uploadNumber: index + 1,
			uploadCount,
			firstItem,
			items: items.slice(firstItem, firstItem + options.rowsPerUpload),
			fileName: uploadCount === 1 ? options.fileName : options.fileName.replace(/\.xlsx$/, `_${index + 1}_of_${uploadCount}.xlsx`),
		});
	}
	return {
		columns,
		// Never the case type: that would switch the server into multi-sheet mode (spec §3.3).
		sheetName: safeSheetName(settings.caseType),
		textColumns: [...new Set([settings.searchColumn, ...ID_COLUMNS])],
		nestedAsJson: options.nestedAsJson,
		chunks,
	};
}

/** Input item indexes of a chunk, in order. */
export function chunkItemIndexes(chunk: ItemsChunk): number[] {
	return chunk.items.map((_item, offset) => chunk.firstItem + offset);
}

/** n8n's `pairedItem` for an output item that stands for these input items. */
export function pairedItems(indexes: number[]): IPairedItemData | IPairedItemData[] {
	return indexes.length === 1 ? { item: indexes[0] } : indexes.map((item) => ({ item }));
}

/** `items 7 to 13` (or `item 7`). */
export function describeChunkItems(chunk: ItemsChunk): string {
	const last = chunk.firstItem + chunk.items.length - 1;
	return last === chunk.firstItem ? `item ${last}` : `items ${chunk.firstItem} to ${last}`;
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
export function checkChunk(plan: ItemsPlan, chunk: ItemsChunk, settings: ImportSettings): ChunkFindings {
	const inspection = inspectItemsOrRefusal(chunk.items, plan.columns, {
		sheetName: plan.sheetName,
		textColumns: plan.textColumns,
		nestedAsJson: plan.nestedAsJson,
		firstItemIndex: chunk.firstItem,
		valueColumns: preflightValueColumns(settings, plan.columns),
	});
	let findings =
		inspection instanceof CellValueError
			? { errors: [cellValueIssue(inspection, chunk)], warnings: [] }
			: runPreflight({ settings, ...inspection, rowToItem: (row) => chunk.firstItem + row - 2 });
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
	if (chunk) issue.rows = [error.itemIndex - chunk.firstItem + 2];
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
		await writeItemsXlsx(chunk.items, plan.columns, out, {
			sheetName: plan.sheetName,
			textColumns: plan.textColumns,
			nestedAsJson: plan.nestedAsJson,
			firstItemIndex: chunk.firstItem,
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
	plan: ItemsPlan,
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
		const itemIndex = chunk.firstItem + offset;
		return {
			itemIndex,
			json: {
				status_url: statusUrl,
				row: offset + 2,
				record: sentValues(item, plan.columns),
				upload: { ...uploadInfo },
				warnings: [...general, ...(byItem.get(itemIndex) ?? [])],
			},
		};
	});
}

/** The item's keys that became columns, with their values as given. */
export function sentValues(item: IDataObject, columns: string[]): IDataObject {
	const record: IDataObject = {};
	for (const column of columns) if (column in item) record[column] = item[column];
	return record;
}
