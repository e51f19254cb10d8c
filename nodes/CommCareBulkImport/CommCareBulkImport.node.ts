import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { executeBulkImport } from './execute';

/**
 * Creates and updates CommCare cases in bulk through CommCare HQ's Bulk Upload Case Data API (the API behind
 * "Import Cases from Excel"). One output item per upload carries the server's `status_url`, ready for the
 * CommCare Import Status node.
 */
export class CommCareBulkImport implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'CommCare Bulk Import',
		name: 'commCareBulkImport',
		icon: { light: 'file:commcare.svg', dark: 'file:commcare.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{"Import " + $parameter["caseType"] + " cases into " + $parameter["projectSpace"]}}',
		description: 'Create or update CommCare HQ cases in bulk from a spreadsheet',
		defaults: { name: 'CommCare Bulk Import' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'commCareApi', required: true }],
		properties: [
			{
				displayName: 'Project Space',
				name: 'projectSpace',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'my-project',
				description:
					'The CommCare project space (domain), as in the address https://www.commcarehq.org/a/&lt;project-space&gt;/',
			},
			{
				displayName: 'Case Type',
				name: 'caseType',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'patient',
				description: 'The case type to create or update, e.g. patient or household',
			},
			{
				displayName: 'Source',
				name: 'source',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Spreadsheet File',
						value: 'binary',
						description: 'Upload the .xlsx, .xls or .csv file of each input item',
					},
					{
						name: 'Input Items',
						value: 'items',
						description: 'Write the input items as the rows of one spreadsheet and upload it',
					},
				],
				default: 'binary',
			},
			{
				displayName: 'Input Binary Field',
				name: 'binaryPropertyName',
				type: 'string',
				default: 'data',
				required: true,
				displayOptions: { show: { source: ['binary'] } },
				hint: 'The name of the input binary field containing the spreadsheet to upload',
			},
			{
				displayName: 'Match Cases By',
				name: 'searchField',
				type: 'options',
				options: [
					{ name: 'Case ID', value: 'case_id', description: "Match rows to cases by CommCare's case ID" },
					{ name: 'External ID', value: 'external_id', description: 'Match rows to cases of this type by external ID' },
				],
				default: 'case_id',
				description: 'How CommCare finds the existing case each row updates',
			},
			{
				displayName: 'ID Column',
				name: 'searchColumn',
				type: 'string',
				default: '',
				placeholder: 'case_id',
				description:
					'Header of the column holding the ID to match. Leave empty to use the column named like "Match Cases By" (case_id or external_id). The column must exist in the sheet, even when it is empty.',
			},
			{
				displayName: 'Create New Cases',
				name: 'createNewCases',
				type: 'boolean',
				default: false,
				description:
					'Whether to create a new case for each row that matches no existing case. When off, such rows are skipped.',
			},
			{
				displayName: 'Name Column',
				name: 'nameColumn',
				type: 'string',
				default: 'name',
				description: 'Header of the column holding the case name',
			},
			{
				displayName: 'Comment',
				name: 'comment',
				type: 'string',
				default: '',
				description: "A note shown with this upload in CommCare HQ's import history",
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Upload Timeout (Seconds)',
						name: 'timeoutSeconds',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 300,
						description: 'How long to wait for CommCare to accept the file',
					},
				],
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await executeBulkImport(this);
	}
}
