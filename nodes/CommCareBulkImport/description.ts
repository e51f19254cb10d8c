/** CommCare Bulk Import's parameters, as the editor shows them, with their defaults. */
import type { INodeProperties } from 'n8n-workflow';

import { parameterDefault } from '../shared/parameterDefaults';
import { optionsCollection } from './optionsCollection';
import { PROJECT_SPACE_LOCATOR } from '../shared/listSearch/projectSpaces';
import type { SearchField } from '../shared/outputContract';
import { RECORD_OUTPUT, RESOURCE_LOCATORS, SAFE_DEFAULTS, versionsBefore } from './versions';

// Parameter and option names are the public contract (stored in users' workflows): never rename one once released.
// Defaults are written here (and in optionsCollection.ts) only: DEFAULTS below reads them back for the code that reads
// the parameters.

const matchCasesBy: INodeProperties = {
	displayName: 'Match Cases By',
	name: 'searchField',
	type: 'options',
	options: [
		{ name: 'Case ID', value: 'case_id', description: "Match rows to cases by CommCare's case ID" },
		{ name: 'External ID', value: 'external_id', description: 'Match rows to cases of this type by external ID' },
	],
	default: 'external_id',
	description: 'How CommCare finds the existing case each row updates',
};

export const bulkImportProperties: INodeProperties[] = [
	// Version 1 stored both as plain strings; 1.1 made them resource locators. Saved version-1 workflows keep theirs.
	{
		displayName: 'Project Space',
		name: 'projectSpace',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. my-project',
		displayOptions: { show: { '@version': versionsBefore(RESOURCE_LOCATORS) } },
		description:
			'The CommCare project space (domain), as in the address https://www.commcarehq.org/a/&lt;project-space&gt;/',
	},
	{
		displayName: 'Case Type',
		name: 'caseType',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. patient',
		displayOptions: { show: { '@version': versionsBefore(RESOURCE_LOCATORS) } },
		description: 'The case type to create or update, e.g. patient or household',
	},
	{ ...PROJECT_SPACE_LOCATOR, displayOptions: { hide: { '@version': versionsBefore(RESOURCE_LOCATORS) } } },

	{
		displayName: 'Case Type',
		name: 'caseType',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		displayOptions: { hide: { '@version': versionsBefore(RESOURCE_LOCATORS) } },
		description:
			"The case type to create or update, e.g. patient or household. The list shows the types of the project space's applications and the types that have cases.",
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a case type...',
				typeOptions: { searchListMethod: 'searchCaseTypes', searchable: true },
			},
			{
				displayName: 'By Name',
				name: 'name',
				type: 'string',
				placeholder: 'e.g. patient',
			},
		],
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
		displayName: 'Input Data Field Name',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		placeholder: 'e.g. data',
		displayOptions: { show: { source: ['binary'] } },
		hint: 'The name of the input field holding the spreadsheet file (.xlsx, .xls or .csv) to upload',
	},
	// Version 1.3 made one item per record a visible choice, and the default, for Input Items.
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		noDataExpression: true,
		default: 'perRecord',
		displayOptions: { show: { source: ['items'] }, hide: { '@version': versionsBefore(RECORD_OUTPUT) } },
		options: [
			{
				name: 'One Item per Record',
				value: 'perRecord',
				description:
					"Each input item comes out with its upload's status_url and its sheet row, so CommCare Import Status routes every record on its own",
			},
			{ name: 'One Item per Upload', value: 'perUpload', description: 'One item per file sent, with its status_url' },
		],
		description: "What the node outputs; Check Only, Don't Upload follows it too",
	},
	{
		displayName:
			'Each input item becomes one row, its fields the columns. An empty value ("" or null) clears the property on the case. A field only some items have stops the upload unless Options → When an Item Lacks a Column says to clear it or leave it unchanged; ID, name, owner and parent fields may be left out freely.',
		name: 'itemsNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { source: ['items'] } },
	},
	// Version 1.2 made new nodes safe by default: they match by external ID and create the rows that match no case,
	// so a new registration is never skipped without a word. Saved 1 and 1.1 nodes keep case_id and the switch.
	{
		...matchCasesBy,
		default: 'case_id',
		displayOptions: { show: { '@version': versionsBefore(SAFE_DEFAULTS) } },
	},
	{
		...matchCasesBy,
		default: 'external_id',
		displayOptions: { hide: { '@version': versionsBefore(SAFE_DEFAULTS) } },
	},
	{
		displayName: 'ID Column',
		name: 'searchColumn',
		type: 'string',
		default: '',
		placeholder: 'Empty: the column named like Match Cases By',
		description:
			'Header of the column holding the ID to match. Leave empty to use the column named like "Match Cases By" (case_id or external_id). The column must exist in the sheet, even when it is empty.',
	},
	{
		displayName: 'Create New Cases',
		name: 'createNewCases',
		type: 'boolean',
		default: false,
		displayOptions: { show: { '@version': versionsBefore(SAFE_DEFAULTS) } },
		description:
			'Whether to create a new case for each row that matches no existing case. When off, such rows are skipped.',
	},
	{
		displayName: 'Rows That Match No Case',
		name: 'unmatchedRows',
		type: 'options',
		default: 'create',
		displayOptions: { hide: { '@version': versionsBefore(SAFE_DEFAULTS) } },
		options: [
			{ name: 'Create a New Case', value: 'create', description: 'Each such row becomes a new case' },
			{
				name: 'Skip',
				value: 'skip',
				description: 'Only update existing cases: CommCare skips such rows without an error',
			},
		],
		description: 'What CommCare does with a row whose ID matches no existing case of this type',
	},
	{
		displayName:
			'Rows with an empty or unknown case ID will be skipped: nothing creates them. Choose Create a New Case for new registrations, or match by External ID.',
		name: 'skipByCaseIdNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { unmatchedRows: ['skip'], searchField: ['case_id'] } },
	},
	{
		displayName:
			'Rows with an empty or unknown case ID will be skipped: nothing creates them. Turn on Create New Cases for new registrations, or match by External ID.',
		name: 'skipByCaseIdNotice',
		type: 'notice',
		default: '',
		displayOptions: {
			show: { '@version': versionsBefore(SAFE_DEFAULTS), createNewCases: [false], searchField: ['case_id'] },
		},
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
		placeholder: 'e.g. Registrations from the clinic form',
		description: "A note shown with this upload in CommCare HQ's import history",
	},
	optionsCollection,
];

const shown = <T extends INodeProperties['default']>(path: string) => parameterDefault<T>(bulkImportProperties, path);

/** The defaults above that every version shares, for the code that reads the parameters (settings.ts). */
export const DEFAULTS = {
	source: shown<'binary' | 'items'>('source'),
	binaryPropertyName: shown<string>('binaryPropertyName'),
	nameColumn: shown<string>('nameColumn'),
	dryRun: shown<boolean>('options.dryRun'),
	skipChecks: shown<boolean>('options.skipChecks'),
	checkParents: shown<boolean>('options.checkParents'),
	parentCheckUnavailable: shown<'stop' | 'uploadUnchecked'>('options.parentCheckUnavailable'),
	timeoutSeconds: shown<number>('options.timeoutSeconds'),
	/** CommCare's own row limit (`MAX_CASE_IMPORTER_ROWS`, docs/commcare-api.md). */
	rowsPerUpload: shown<number>('options.rowsPerUpload'),
	fileName: shown<string>('options.fileName'),
	missingFields: shown<'stop' | 'clear' | 'keep'>('options.missingFields'),
	outputPerRecord: shown<boolean>('options.outputPerRecord'),
	nestedAsJson: shown<boolean>('options.nestedAsJson'),
} as const;

/** The defaults that differ between versions, as the description gives them to a node of `typeVersion`. */
export interface VersionedDefaults {
	searchField: SearchField;
	/** Whether rows that match no case become new cases when the parameter is left as it is. */
	createUnmatched: boolean;
	/** Whether source "Input Items" outputs one item per record when the parameter is left as it is. */
	outputPerRecord: boolean;
}

export function defaultsAt(typeVersion: number): VersionedDefaults {
	const at = <T extends INodeProperties['default']>(path: string) =>
		parameterDefault<T>(bulkImportProperties, path, typeVersion);
	return {
		searchField: at<SearchField>('searchField'),
		// 1.2 replaced the "Create New Cases" switch with "Rows That Match No Case".
		createUnmatched:
			typeVersion >= SAFE_DEFAULTS ? at<string>('unmatchedRows') === 'create' : at<boolean>('createNewCases'),
		// 1.3 replaced the option "Output One Item per Record" with the parameter "Output".
		outputPerRecord:
			typeVersion >= RECORD_OUTPUT ? at<string>('output') === 'perRecord' : at<boolean>('options.outputPerRecord'),
	};
}
