/** CommCare Lookup Table Import's parameters, as the editor shows them, with their defaults. */
import type { INodeProperties } from 'n8n-workflow';

import { parameterDefault } from '../shared/parameterDefaults';
import { PROJECT_SPACE_LOCATOR } from '../shared/listSearch/projectSpaces';

// Parameter and option names are the public contract (stored in users' workflows): never rename one once released.
// Defaults are written here only: DEFAULTS below reads them back for the code that reads the parameters.

const forItems = { show: { source: ['items'] } };
const forOwnedRows = { show: { source: ['items'], ownership: ['owned'] } };

const ownerField = (who: string, name: string, example: string): INodeProperties => ({
	displayName: `${who} Field`,
	name,
	type: 'string',
	default: example,
	displayOptions: forOwnedRows,
	description: `The input field naming each row's ${who.toLowerCase()} owner(s): a name, or a list of names. Empty: no ${who.toLowerCase()} owners. This field is not a column of the table.`,
});

export const lookupTableImportProperties: INodeProperties[] = [
	PROJECT_SPACE_LOCATOR,

	{
		displayName: 'Source',
		name: 'source',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Input Items (One Table)',
				value: 'items',
				description: 'Every input item becomes one row of the table; the node writes the workbook',
			},
			{
				name: 'Lookup Table Workbook',
				value: 'binary',
				description:
					'Upload the lookup-table workbook (.xlsx) of each input item, as CommCare HQ downloads it; it may hold several tables',
			},
		],
		default: 'items',
	},
	{
		displayName: 'Table',
		name: 'table',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		displayOptions: forItems,
		description:
			"The lookup table's ID (table_id). A new ID creates the table. The list shows the project space's tables.",
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a table...',
				typeOptions: { searchListMethod: 'searchLookupTables', searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. facility',
				validation: [
					{
						type: 'regex',
						properties: {
							regex: '^\\s*[A-Za-z_][A-Za-z0-9_.-]{0,30}\\s*$',
							errorMessage:
								'A table ID starts with a letter or _, then letters, digits, _, - or . (at most 31 characters)',
						},
					},
				],
			},
		],
	},
	{
		displayName: 'Input Data Field Name',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		placeholder: 'e.g. data',
		displayOptions: { show: { source: ['binary'] } },
		hint: 'The name of the input field holding the lookup-table workbook (.xlsx) to upload',
	},
	{
		displayName: 'Fields',
		name: 'fieldsFrom',
		type: 'options',
		default: 'items',
		displayOptions: forItems,
		options: [
			{
				name: 'From the Input Items',
				value: 'items',
				description: 'Every field found in the items, in the order first seen (owner fields excepted)',
			},
			{ name: 'Listed Below', value: 'list', description: 'Only the fields you list, in that order' },
		],
		description:
			"The table's fields. Changing a table's fields (even their order) makes CommCare rebuild it: every row is deleted and the uploaded ones created anew.",
	},
	{
		displayName: 'Field Names',
		name: 'fields',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. facility_id, name, district',
		displayOptions: { show: { source: ['items'], fieldsFrom: ['list'] } },
		description: 'The fields of the table, comma-separated, in order',
	},
	{
		displayName: 'Rows Are For',
		name: 'ownership',
		type: 'options',
		default: 'global',
		displayOptions: forItems,
		options: [
			{ name: 'Every User (Global Table)', value: 'global', description: 'Every mobile worker gets every row' },
			{
				name: 'Their Owners Only',
				value: 'owned',
				description: 'Each row goes to the users, groups and locations named in its owner fields',
			},
		],
		description: 'Who gets the rows on their phones',
	},
	ownerField('User', 'userField', 'user'),
	ownerField('Group', 'groupField', 'group'),
	ownerField('Location', 'locationField', 'location'),
	{
		displayName: 'Replace Table',
		name: 'replace',
		type: 'boolean',
		default: false,
		description:
			"Whether to delete the table's rows that the upload does not hold, so that it ends exactly as sent. When off, the rows are added: CommCare has no update by key, so a row sent again with changes is added next to the old one.",
	},
	{
		displayName:
			'Replace deletes every row of the table that is not in this upload. Run once with Options → Dry Run to see which rows would go; the node refuses to delete more than Options → Max Share of Rows to Delete.',
		name: 'replaceNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { replace: [true] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Dry Run',
				name: 'dryRun',
				type: 'boolean',
				default: false,
				description:
					'Whether to check the data and read the table in CommCare, and send nothing: the output says which rows would be added and deleted and whether the table would be rebuilt',
			},
			{
				displayName: 'If the Table Cannot Be Read',
				name: 'tableReadUnavailable',
				type: 'options',
				default: 'stop',
				options: [
					{
						name: 'Stop',
						value: 'stop',
						description: 'Send nothing, and say what CommCare answered and what to grant',
					},
					{
						name: 'Upload Unchecked',
						value: 'uploadUnchecked',
						description: 'Upload without knowing what it deletes (a warning says so); the safety valve cannot work',
					},
				],
				description:
					"What to do when CommCare will not show the table's current rows (the node reads them to count what an upload deletes; it needs the Access APIs permission)",
			},
			{
				displayName: 'Max Share of Rows to Delete (%)',
				name: 'maxDeletePercent',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 100 },
				default: 10,
				description:
					"The safety valve: an upload that would delete more than this share of a table's current rows is refused before anything is sent. 100 allows any deletion.",
			},
			{
				displayName: 'Processing',
				name: 'processing',
				type: 'options',
				default: 'auto',
				options: [
					{
						name: 'Auto',
						value: 'auto',
						description: 'Wait in the request for small workbooks (5,000 rows or fewer), queue bigger ones',
					},
					{
						name: 'In the Request',
						value: 'sync',
						description: "CommCare checks the file and answers with its messages and owners' warnings",
					},
					{
						name: 'Queued',
						value: 'async',
						description: 'CommCare queues the upload and the node polls its status; no messages on success',
					},
				],
				description: 'How CommCare processes the upload',
			},
			{
				displayName: 'Timeout (Minutes)',
				name: 'timeoutMinutes',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 30,
				description: 'How long to wait for CommCare to finish the upload before routing it to Error as unfinished',
			},
		],
	},
];

const shown = <T extends INodeProperties['default']>(path: string) =>
	parameterDefault<T>(lookupTableImportProperties, path);

/** The defaults above, for the code that reads the parameters (parameters.ts). */
export const DEFAULTS = {
	source: shown<'items' | 'binary'>('source'),
	binaryPropertyName: shown<string>('binaryPropertyName'),
	fieldsFrom: shown<'items' | 'list'>('fieldsFrom'),
	ownership: shown<'global' | 'owned'>('ownership'),
	userField: shown<string>('userField'),
	groupField: shown<string>('groupField'),
	locationField: shown<string>('locationField'),
	replace: shown<boolean>('replace'),
	dryRun: shown<boolean>('options.dryRun'),
	maxDeletePercent: shown<number>('options.maxDeletePercent'),
	tableReadUnavailable: shown<'stop' | 'uploadUnchecked'>('options.tableReadUnavailable'),
	processing: shown<'auto' | 'sync' | 'async'>('options.processing'),
	timeoutMinutes: shown<number>('options.timeoutMinutes'),
} as const;
