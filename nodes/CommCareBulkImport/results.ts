/**
 * The node's output items (the output contract's `UploadResultJson`, `DryRunResultJson` and `RecordResultJson`): what
 * one upload, one dry run or one record of an accepted upload puts on its item.
 */
import type { IDataObject } from 'n8n-workflow';

import type { CheckFinding, DryRunResultJson, RecordResultJson, UploadResultJson } from '../shared/outputContract';
import type { ImportSettings } from './parameters';
import type { UploadReceipt } from './upload';

/** The output item of one upload (`UploadResultJson` in the output contract). */
export function uploadResultJson(
	settings: ImportSettings,
	receipt: UploadReceipt,
	extra: {
		rowCount?: number | null;
		uploadNumber?: number;
		uploadCount?: number;
		warnings?: CheckFinding[];
		columnsLeftOut?: string[];
	} = {},
): UploadResultJson {
	return {
		status_url: receipt.status_url,
		code: receipt.code,
		message: receipt.message,
		projectSpace: settings.projectSpace,
		caseType: settings.caseType,
		fileName: receipt.fileName,
		searchField: settings.searchField,
		searchColumn: settings.searchColumn,
		nameColumn: settings.nameColumn,
		createNewCases: settings.createNewCases,
		comment: settings.comment,
		rowCount: extra.rowCount ?? null,
		uploadNumber: extra.uploadNumber ?? 1,
		uploadCount: extra.uploadCount ?? 1,
		...(extra.columnsLeftOut && extra.columnsLeftOut.length > 0 ? { columnsLeftOut: [...extra.columnsLeftOut] } : {}),
		acceptedAt: receipt.acceptedAt,
		warnings: [...(extra.warnings ?? []), ...receipt.warnings],
	};
}

/** The output item of an upload that a dry run would make (`DryRunResultJson` in the output contract). */
export function dryRunResultJson(
	settings: ImportSettings,
	fileName: string,
	findings: { checked: boolean; rowCount: number | null; errors: CheckFinding[]; warnings: CheckFinding[] },
	extra: Partial<
		Pick<
			DryRunResultJson,
			'uploadNumber' | 'uploadCount' | 'columns' | 'sheetName' | 'firstItem' | 'lastItem' | 'columnsLeftOut'
		>
	> = {},
): DryRunResultJson {
	return {
		dryRun: true,
		wouldUpload: findings.errors.length === 0,
		checked: findings.checked,
		projectSpace: settings.projectSpace,
		caseType: settings.caseType,
		fileName,
		searchField: settings.searchField,
		searchColumn: settings.searchColumn,
		nameColumn: settings.nameColumn,
		createNewCases: settings.createNewCases,
		comment: settings.comment,
		rowCount: findings.rowCount,
		uploadNumber: extra.uploadNumber ?? 1,
		uploadCount: extra.uploadCount ?? 1,
		...(extra.columns
			? {
					columns: [...extra.columns],
					sheetName: extra.sheetName,
					firstItem: extra.firstItem,
					lastItem: extra.lastItem,
				}
			: {}),
		...(extra.columnsLeftOut && extra.columnsLeftOut.length > 0 ? { columnsLeftOut: [...extra.columnsLeftOut] } : {}),
		// Copies: items of one run must never share an array (a later node changing one would change the others).
		errors: structuredClone(findings.errors),
		warnings: structuredClone(findings.warnings),
	};
}

/** What per-record output needs of an upload written from items: its records, their item indexes and its columns. */
export interface SentUpload {
	items: IDataObject[];
	itemIndexes: number[];
	columns: string[];
}

/**
 * One output item per record of an accepted upload (`RecordResultJson` in the output contract). `record` holds the item's keys
 * among the sheet's columns: what was sent, which is what Import Status judges a blank row by. `warnings` are the
 * upload's warnings that name this record, or no record at all.
 */
export function recordResults(
	upload: SentUpload,
	result: UploadResultJson,
	warnings: CheckFinding[],
): Array<{ itemIndex: number; json: RecordResultJson }> {
	const { status_url: statusUrl, warnings: _warnings, ...uploadInfo } = result;
	// One frozen object (and list) for all records of the upload: n8n holds it and stores it once, not once per
	// record, and no later node can change it for the other records.
	const uploadJson = Object.freeze({ ...uploadInfo });
	const general = warnings.filter((issue) => issue.items === undefined);
	const generalOnly = Object.freeze([...general]) as CheckFinding[];
	const byItem = new Map<number, CheckFinding[]>();
	for (const issue of warnings) {
		for (const item of issue.items ?? []) byItem.set(item, [...(byItem.get(item) ?? []), issue]);
	}
	return upload.items.map((item, offset) => {
		const itemIndex = upload.itemIndexes[offset];
		return {
			itemIndex,
			json: {
				status_url: statusUrl,
				row: offset + 2,
				record: sentValues(item, upload.columns),
				upload: uploadJson,
				warnings: byItem.has(itemIndex) ? [...general, ...(byItem.get(itemIndex) as CheckFinding[])] : generalOnly,
			},
		};
	});
}

/**
 * The item's own keys that became columns, with their values as given. When all of its keys did (the usual case),
 * that is the item's JSON itself, shared as n8n's own pass-through nodes (If, Filter) share items: no copy to hold.
 */
export function sentValues(item: IDataObject, columns: string[]): IDataObject {
	const record: IDataObject = {};
	let kept = 0;
	for (const column of columns) {
		if (!Object.prototype.hasOwnProperty.call(item, column)) continue;
		record[column] = item[column];
		kept++;
	}
	return kept === Object.keys(item).length ? item : record;
}
