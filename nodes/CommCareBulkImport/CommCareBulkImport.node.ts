import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type ILoadOptionsFunctions,
	type INodeListSearchResult,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { CREDENTIAL_TYPE } from '../shared/transport/credentialType';
import { withRedactedErrors } from '../shared/withRedaction';
import { bulkImportProperties } from './description';
import { executeBulkImport } from './execute';
import { searchCaseTypes } from './listSearch/caseTypes';
import { searchProjectSpaces } from '../shared/listSearch/projectSpaces';
import { DEFAULT_VERSION, VERSIONS } from './versions';

/** The value of Project Space or Case Type: a plain string (version 1) or a resource locator's value (1.1 on). */
const valueOf = (name: string) =>
	`(typeof $parameter["${name}"] === "object" && $parameter["${name}"] !== null ? $parameter["${name}"].value : $parameter["${name}"])`;

/** "Import patient cases into demo", "Check patient cases" (Check Only), or "Import Cases" while both are empty. */
const SUBTITLE = `={{(($parameter["options"] || {}).dryRun === true ? "Check " : "Import ") + (${valueOf('caseType')} ? ${valueOf('caseType')} + " cases" : "Cases") + (${valueOf('projectSpace')} ? " into " + ${valueOf('projectSpace')} : "")}}`;

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
		// What each version changed: versions.ts.
		version: VERSIONS,
		defaultVersion: DEFAULT_VERSION,
		subtitle: SUBTITLE,
		description: 'Create or update CommCare HQ cases in bulk from a spreadsheet or from input items',
		defaults: { name: 'CommCare Bulk Import' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_TYPE, required: true }],
		properties: bulkImportProperties,
	};

	methods = {
		listSearch: {
			async searchProjectSpaces(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
				return await withRedactedErrors(this, () => searchProjectSpaces(this, filter));
			},
			async searchCaseTypes(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
				return await withRedactedErrors(this, () => searchCaseTypes(this, filter));
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeBulkImport(this);
	}
}
