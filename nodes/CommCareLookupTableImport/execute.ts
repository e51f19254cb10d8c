/**
 * What CommCare Lookup Table Import does when it runs. Source "Input Items": every input item is a row of one table,
 * one upload. Source "Lookup Table Workbook": each input item's workbook is one upload. Uploads go one at a time,
 * each awaited to its end, because CommCare does not serialise lookup-table uploads of a project space and two at
 * once can duplicate rows. Everything that leaves the node is redacted last.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { toNodeError } from '../shared/errors';
import { getCommCareCredentials, type CommCareCredentials } from '../shared/transport/credentials';
import { withRedaction } from '../shared/withRedaction';
import { DEFAULTS } from './description';
import { readSettings } from './parameters';
import { OUTPUT_OF } from './results';
import { runUpload, type UploadJob } from './run';
import { itemsJob, workbookJob } from './jobs';

export async function executeLookupTableImport(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await withRedaction(ctx, async () => {
		const outputs: INodeExecutionData[][] = [[], [], []];
		const items = ctx.getInputData();
		const source = ctx.getNodeParameter('source', 0, DEFAULTS.source);
		const groups = source === 'binary' ? items.map((_, index) => [index]) : [items.map((_, index) => index)];
		let credentials: CommCareCredentials | undefined;
		for (const itemIndexes of groups) {
			const itemIndex = itemIndexes[0] ?? 0;
			const pairedItem = itemIndexes.map((item) => ({ item }));
			try {
				credentials ??= await getCommCareCredentials(ctx, itemIndex);
				const settings = readSettings(ctx, itemIndex);
				const job: UploadJob =
					settings.source === 'binary'
						? await workbookJob(ctx, settings, itemIndex)
						: itemsJob(settings, items, itemIndexes);
				const json = await runUpload(ctx, credentials, job);
				outputs[OUTPUT_OF[json.outcome]].push({ json, pairedItem });
			} catch (error) {
				const nodeError = toNodeError(ctx.getNode(), error, itemIndex, credentials?.redactor);
				if (!ctx.continueOnFail()) throw nodeError;
				const json: IDataObject = { error: nodeError.message, description: nodeError.description ?? null };
				outputs[OUTPUT_OF.error].push({ json, pairedItem });
			}
		}
		return outputs;
	});
}
