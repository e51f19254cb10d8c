/**
 * What CommCare Bulk Import does when it runs: source "Spreadsheet File" uploads the file of each input item
 * (binaryInput.ts); source "Input Items" writes all input items as the rows of one spreadsheet and uploads it
 * (itemsInput.ts). Both check the data before anything is sent (shared/preflight.ts).
 */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { withRedaction } from '../shared/withRedaction';
import { uploadEachBinaryFile } from './sources/fileSource';
import { uploadInputItems } from './sources/itemsSource';

export async function executeBulkImport(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await withRedaction(ctx, async () => {
		const source = ctx.getNodeParameter('source', 0, 'binary') as 'binary' | 'items';
		if (source === 'items') return [await uploadInputItems(ctx)];
		return [await uploadEachBinaryFile(ctx)];
	});
}
