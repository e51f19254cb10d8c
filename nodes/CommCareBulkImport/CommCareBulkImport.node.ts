import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { CREDENTIAL_TYPE } from '../shared/transport/credentialType';
import { bulkImportProperties } from './description';
import { executeBulkImport } from './execute';

/**
 * Creates and updates CommCare cases in bulk through CommCare HQ's Bulk Upload Case Data API (the API behind
 * "Import Cases from Excel"), from spreadsheet files or from input items written as one .xlsx. Checks the data the
 * way the server would before sending it. Outputs one item per upload (or per record) carrying the server's
 * `status_url`, ready for the CommCare Import Status node.
 */
export class CommCareBulkImport implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'CommCare Bulk Import',
		name: 'commCareBulkImport',
		icon: { light: 'file:commcare.svg', dark: 'file:commcare.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{"Import " + $parameter["caseType"] + " cases into " + $parameter["projectSpace"]}}',
		description: 'Create or update CommCare HQ cases in bulk from a spreadsheet or from input items',
		defaults: { name: 'CommCare Bulk Import' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_TYPE, required: true }],
		properties: bulkImportProperties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeBulkImport(this);
	}
}
