/** Per-record output: one item per record of an accepted upload, with what was sent for it. */
import type { IDataObject } from 'n8n-workflow';
import type { CheckFinding, RecordResultJson, UploadResultJson } from '../../shared/outputContract';
import type { ItemsUpload } from './itemsPlan';

/**
 * One output item per record of an accepted upload (`RecordResultJson` in the output contract). `record` holds the item's keys
 * among the sheet's columns: what was sent, which is what Import Status judges a blank row by. `warnings` are the
 * upload's warnings that name this record, or no record at all.
 */
export function recordResults(
	upload: ItemsUpload,
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
