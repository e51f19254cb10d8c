import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { CREDENTIAL_TYPE } from '../shared/transport/credentialType';
import { importStatusProperties } from './description';
import { executeImportStatus } from './execute';
import { OUTPUTS_EXPRESSION } from './outputs';
import { DEFAULT_VERSION, VERSIONS } from './versions';

/**
 * Waits for CommCare case imports to finish (polling each `status_url` from CommCare Bulk Import) and routes every
 * upload, or every record in per-record mode, to Success, Warning, Error or (from version 1.2 on) Not Finished.
 */
export class CommCareImportStatus implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'CommCare Import Status',
		name: 'commCareImportStatus',
		icon: { light: 'file:commcare.svg', dark: 'file:commcare.dark.svg' },
		group: ['transform'],
		// What each version changed: versions.ts.
		version: VERSIONS,
		defaultVersion: DEFAULT_VERSION,
		// "Check Once" for Timeout 0, else "Wait up to 30 min".
		subtitle: '={{$parameter["timeout"] === 0 ? "Check Once" : "Wait up to " + $parameter["timeout"] + " min"}}',
		description: 'Wait for CommCare HQ case imports to finish and route each upload or record by its outcome',
		defaults: { name: 'CommCare Import Status' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		// Success, Warning, Error, and Not Finished from version 1.2 on: per node, by its version (outputs.ts).
		outputs: OUTPUTS_EXPRESSION,
		credentials: [{ name: CREDENTIAL_TYPE, required: true }],
		properties: importStatusProperties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeImportStatus(this);
	}
}
