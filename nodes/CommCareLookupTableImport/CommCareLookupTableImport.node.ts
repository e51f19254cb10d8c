import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type ILoadOptionsFunctions,
	type INodeExecutionData,
	type INodeListSearchResult,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { searchProjectSpaces } from '../shared/listSearch/projectSpaces';
import { CREDENTIAL_TYPE } from '../shared/transport/credentialType';
import { withRedactedErrors } from '../shared/withRedaction';
import { lookupTableImportProperties } from './description';
import { executeLookupTableImport } from './execute';
import { searchLookupTables } from './listSearch/tables';
import { OUTPUT_NAMES } from './results';

/** The value of Table or Project Space (a resource locator's value). */
const valueOf = (name: string) =>
	`(typeof $parameter["${name}"] === "object" && $parameter["${name}"] !== null ? $parameter["${name}"].value : $parameter["${name}"])`;

/** "Upload facility into demo", "Dry run: facility", or "Upload Lookup Tables" for a workbook. */
const SUBTITLE = `={{(($parameter["options"] || {}).dryRun === true ? "Dry run: " : "Upload ") + ($parameter["source"] === "binary" ? "lookup tables" : (${valueOf('table')} || "lookup table")) + (${valueOf('projectSpace')} ? " into " + ${valueOf('projectSpace')} : "")}}`;

/**
 * Creates, updates and replaces CommCare HQ lookup tables through CommCare's lookup-table upload API, from input
 * items (one table) or from lookup-table workbooks. Checks the data before sending, shows what a replace would
 * delete, refuses to delete more than a set share of a table, waits for the upload and routes its outcome.
 */
export class CommCareLookupTableImport implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'CommCare Lookup Table Import',
		name: 'commCareLookupTableImport',
		icon: { light: 'file:commcare.svg', dark: 'file:commcare.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: SUBTITLE,
		description: 'Create, update or replace CommCare HQ lookup tables from input items or a lookup-table workbook',
		defaults: { name: 'CommCare Lookup Table Import' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: OUTPUT_NAMES.map((displayName) => ({ type: NodeConnectionTypes.Main, displayName })),
		credentials: [{ name: CREDENTIAL_TYPE, required: true }],
		properties: lookupTableImportProperties,
	};

	methods = {
		listSearch: {
			async searchProjectSpaces(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
				return await withRedactedErrors(this, () => searchProjectSpaces(this, filter));
			},
			async searchLookupTables(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
				return await withRedactedErrors(this, () => searchLookupTables(this, filter));
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeLookupTableImport(this);
	}
}
