/**
 * The node's output items (the output contract's `UploadResultJson`, `DryRunResultJson` and `RecordResultJson`): what
 * one upload, one dry run or one record of an accepted upload puts on its item.
 */
import type { IDataObject } from 'n8n-workflow';

import type {
	CheckFinding,
	DryRunRecordJson,
	DryRunResultJson,
	NotSentRecordJson,
	RecordResultJson,
	UploadResultJson,
} from '../shared/outputContract';
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
	const warningsOf = findingsByRecord(warnings);
	return upload.items.map((item, offset) => {
		const itemIndex = upload.itemIndexes[offset];
		return {
			itemIndex,
			json: {
				status_url: statusUrl,
				row: offset + 2,
				record: sentValues(item, upload.columns),
				upload: uploadJson,
				warnings: warningsOf(itemIndex),
			},
		};
	});
}

/**
 * A dry run's items per record (`DryRunRecordJson` in the output contract), from the upload's dry-run item: each
 * record with the findings that name it or no record at all, and the upload without its findings (shared, frozen, as
 * in `recordResults`). A record would be sent only when its whole upload would: one error anywhere in it stops it.
 */
export function dryRunRecordResults(
	upload: SentUpload,
	dryRun: DryRunResultJson,
): Array<{ itemIndex: number; json: DryRunRecordJson }> {
	const { errors, warnings, ...uploadInfo } = dryRun;
	const uploadJson = Object.freeze({ ...uploadInfo });
	const errorsOf = findingsByRecord(errors);
	const warningsOf = findingsByRecord(warnings);
	return upload.items.map((item, offset) => {
		const itemIndex = upload.itemIndexes[offset];
		return {
			itemIndex,
			json: {
				dryRun: true,
				wouldUpload: dryRun.wouldUpload,
				checked: dryRun.checked,
				row: offset + 2,
				record: sentValues(item, upload.columns),
				upload: uploadJson,
				errors: errorsOf(itemIndex),
				warnings: warningsOf(itemIndex),
			},
		};
	});
}

/**
 * The findings of a record: those that name no item (about the whole upload) and those that name it. Records named
 * by none share one frozen list of the general ones.
 */
function findingsByRecord(findings: CheckFinding[]): (itemIndex: number) => CheckFinding[] {
	const general = findings.filter((issue) => issue.items === undefined);
	const generalOnly = Object.freeze([...general]) as CheckFinding[];
	const byItem = new Map<number, CheckFinding[]>();
	for (const issue of findings) {
		for (const item of issue.items ?? []) byItem.set(item, [...(byItem.get(item) ?? []), issue]);
	}
	return (itemIndex) => {
		const own = byItem.get(itemIndex);
		return own ? [...general, ...own] : generalOnly;
	};
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

/**
 * A record the parent check left out of its upload (`NotSentRecordJson`; in a dry run a `DryRunRecordJson` that would
 * not be sent): the item's keys among the columns it would have had, the upload settings, and why.
 */
export function notSentRecordResult(
	settings: ImportSettings,
	item: IDataObject,
	columns: string[],
	finding: CheckFinding,
	dryRun: boolean,
): NotSentRecordJson | DryRunRecordJson {
	const upload = {
		projectSpace: settings.projectSpace,
		caseType: settings.caseType,
		searchField: settings.searchField,
		searchColumn: settings.searchColumn,
		nameColumn: settings.nameColumn,
		createNewCases: settings.createNewCases,
		comment: settings.comment,
	};
	const record = sentValues(item, columns);
	const errors = [structuredClone(finding)];
	if (dryRun)
		return { dryRun: true, wouldUpload: false, checked: true, row: null, record, upload, errors, warnings: [] };
	return { notSent: true, row: null, record, upload, errors, warnings: [] };
}
