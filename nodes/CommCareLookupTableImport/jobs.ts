/** The two sources, each made into an upload job: the input items as one table, or one item's workbook file. */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { LookupTableSettings } from './parameters';
import type { UploadJob } from './run';
import { tableFromItems } from './sources/itemsTable';
import { readTableWorkbook } from './workbook/reader';

/** Name of the workbook the node writes from input items. */
const WRITTEN_FILE_NAME = 'lookup-table.xlsx';

export function itemsJob(settings: LookupTableSettings, items: INodeExecutionData[], itemIndexes: number[]): UploadJob {
	const { table, findings } = tableFromItems(
		itemIndexes.map((index) => items[index].json),
		{ tag: settings.table, fields: settings.fields, ownership: settings.ownership, ownerFields: settings.ownerFields },
	);
	return {
		itemIndexes,
		settings,
		plan: { tables: [table] },
		findings,
		file: null,
		fileName: WRITTEN_FILE_NAME,
		subject: 'The input items were',
	};
}

export async function workbookJob(
	ctx: IExecuteFunctions,
	settings: LookupTableSettings,
	itemIndex: number,
): Promise<UploadJob> {
	const binary = ctx.helpers.assertBinaryData(itemIndex, settings.binaryPropertyName);
	const content = await ctx.helpers.getBinaryDataBuffer(itemIndex, settings.binaryPropertyName);
	const fileName = binary.fileName ?? 'lookup-tables.xlsx';
	const { plan, findings } = await readTableWorkbook(content);
	return {
		itemIndexes: [itemIndex],
		settings,
		plan,
		findings,
		file: { fileName, knownLength: content.length, open: async () => content },
		fileName,
		subject: `'${fileName}' (item ${itemIndex + 1}) was`,
	};
}
