/**
 * The nodes run against the emulator the way a workflow chains them: CommCare Bulk Import on input items (case
 * type patient, picked by name, matched by external ID, creating new cases), then CommCare Import Status on its output,
 * polling fast enough for a local server; and CommCare Lookup Table Import on input items.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { CommCareBulkImport } from '../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { CommCareImportStatus } from '../../nodes/CommCareImportStatus/CommCareImportStatus.node';
import { CommCareLookupTableImport } from '../../nodes/CommCareLookupTableImport/CommCareLookupTableImport.node';
import type { Emulator } from '../../emulator';
import { byName } from '../../examples/workflows';
import { emulatorCredential } from './emulator';
import { runNode } from './n8nContext';

/**
 * Bulk Import's output items for these records. `options` are its Options; `outputPerRecord: true` among them means
 * One Item per Record, which version 1.3 reads from the top-level Output (the default here is One Item per Upload).
 * `parameters` replace the node's others (`caseType: byName('household')`).
 */
export async function bulkImportItems(
	emulator: Emulator,
	records: IDataObject[],
	{ outputPerRecord, ...options }: IDataObject = {},
	parameters: IDataObject = {},
): Promise<INodeExecutionData[]> {
	const { outputs } = await runNode({
		node: new CommCareBulkImport(),
		credentials: emulatorCredential(emulator),
		items: records.map((json) => ({ json })),
		parameters: {
			projectSpace: byName(emulator.domain),
			caseType: byName('patient'),
			source: 'items',
			output: outputPerRecord === true ? 'perRecord' : 'perUpload',
			options,
			...parameters,
		},
	});
	return outputs[0];
}

/** Import Status's outputs for these items (its version 1.2 by default: four of them). */
export async function importStatusOutputs(
	emulator: Emulator,
	items: INodeExecutionData[],
	parameters: IDataObject = {},
): Promise<INodeExecutionData[][]> {
	const { outputs } = await runNode({
		node: new CommCareImportStatus(),
		credentials: emulatorCredential(emulator),
		items,
		parameters: { pollInterval: 0.05, timeout: 0.5, options: { caseLookupWait: 2 }, ...parameters },
	});
	return outputs;
}

/**
 * CommCare Lookup Table Import's three outputs (Success, Warning, Error) for these records as input items: table
 * `facility` of the emulator's project space, picked by ID, fields from the items, a global table, unless
 * `parameters` say otherwise (`options` among them are its Options).
 */
export async function lookupTableImportOutputs(
	emulator: Emulator,
	records: IDataObject[],
	parameters: IDataObject = {},
	credentialOverrides: Parameters<typeof emulatorCredential>[1] = {},
): Promise<INodeExecutionData[][]> {
	const { outputs } = await runNode({
		node: new CommCareLookupTableImport(),
		credentials: emulatorCredential(emulator, credentialOverrides),
		items: records.map((json) => ({ json })),
		parameters: {
			projectSpace: byName(emulator.domain),
			source: 'items',
			table: { __rl: true, mode: 'id', value: 'facility' },
			...parameters,
		},
	});
	return outputs;
}
