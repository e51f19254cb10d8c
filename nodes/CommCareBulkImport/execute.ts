/**
 * What CommCare Bulk Import does when it runs: the source (a file per input item, or the input items as rows) runs
 * through the one upload pipeline (pipeline.ts), and everything that leaves the node is redacted last.
 */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { DEFAULT_RETRY_POLICY } from '../shared/transport/retryPolicy';
import { withRedaction } from '../shared/withRedaction';
import { DEFAULTS } from './description';
import { runPipeline, type BulkImportServices } from './pipeline';
import { FileSource } from './sources/fileSource';
import { ItemsSource } from './sources/itemsSource';

const DEFAULT_SERVICES: BulkImportServices = Object.freeze({ retryPolicy: DEFAULT_RETRY_POLICY });

export async function executeBulkImport(
	ctx: IExecuteFunctions,
	services: BulkImportServices = DEFAULT_SERVICES,
): Promise<INodeExecutionData[][]> {
	return await withRedaction(ctx, async () => {
		const source = ctx.getNodeParameter('source', 0, DEFAULTS.source) as 'binary' | 'items';
		return [await runPipeline(ctx, source === 'items' ? new ItemsSource(ctx) : new FileSource(ctx), services)];
	});
}
