/**
 * CommCare Bulk Import's "Options" collection: how a run is checked, written and sent (description.ts holds the
 * parameters around it and reads the defaults back).
 */
import type { INodeProperties } from 'n8n-workflow';

import { RECORD_OUTPUT, versionsBefore } from './versions';

// Option names are the public contract (stored in users' workflows): never rename one once released.

const onlyForItems = { show: { '/source': ['items'] } };

export const optionsCollection: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		{
			displayName: "Check Only, Don't Upload",
			name: 'dryRun',
			type: 'boolean',
			default: false,
			description:
				'Whether to run the checks and send nothing to CommCare (a dry run): the output says what the checks found and what would be uploaded',
		},
		{
			displayName: 'Check Parents Exist',
			name: 'checkParents',
			type: 'boolean',
			default: false,
			description:
				"Whether to look up, before uploading, the parent case each row names (parent_id, or parent_external_id within parent_type) in CommCare's Case API. Rows whose parent does not exist are never sent: with one output item per record they come out on their own (notSent) and the rest is uploaded; otherwise the upload stops. Needs the Access APIs permission.",
		},
		{
			displayName: 'Columns',
			name: 'columns',
			type: 'string',
			default: '',
			placeholder: 'e.g. name, age, village',
			displayOptions: onlyForItems,
			description:
				'Only these fields of the items become columns, in this order (comma-separated). Leave empty to use every field found in the items, in the order first seen.',
		},
		{
			displayName: 'Columns to Exclude',
			name: 'excludeColumns',
			type: 'string',
			default: '',
			placeholder: 'e.g. created_at, updated_at',
			displayOptions: onlyForItems,
			description:
				'Fields of the items that are not sent (comma-separated). A column left out keeps the property unchanged in CommCare, while an empty value clears it.',
		},
		{
			displayName: 'File Name',
			name: 'fileName',
			type: 'string',
			default: 'cases.xlsx',
			displayOptions: onlyForItems,
			description: "Name of the generated .xlsx file, as shown in CommCare HQ's import history",
		},
		{
			displayName: 'If Parents Cannot Be Checked',
			name: 'parentCheckUnavailable',
			type: 'options',
			default: 'stop',
			options: [
				{
					name: 'Stop Before Upload',
					value: 'stop',
					description: 'Send nothing, and say why CommCare did not answer',
				},
				{
					name: 'Upload Unchecked',
					value: 'uploadUnchecked',
					description: 'Upload as if the check were off, with a warning saying why',
				},
			],
			description:
				'With Check Parents Exist: what to do when CommCare refuses the lookup (no Access APIs permission, a plan without API access, its rate limit) or does not answer in time',
		},
		{
			displayName: 'Output One Item per Record',
			name: 'outputPerRecord',
			type: 'boolean',
			default: false,
			// From 1.3 the parameter "Output" says it: n8n honours '@version' on a collection's options too.
			displayOptions: { show: { '/source': ['items'], '@version': versionsBefore(RECORD_OUTPUT) } },
			description:
				"Whether to output one item per input item (with its upload's status_url and its spreadsheet row) instead of one per upload, so CommCare Import Status routes every record on its own",
		},
		{
			displayName: 'Rows per Upload',
			name: 'rowsPerUpload',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 100000,
			displayOptions: onlyForItems,
			description: 'Split more input items than this into several uploads, each with its own status_url',
		},
		{
			displayName: 'Skip Checks Before Upload',
			name: 'skipChecks',
			type: 'boolean',
			default: false,
			description:
				'Whether to upload without first checking headers, the ID column, names and IDs the way CommCare would. Off by default: problems CommCare would refuse or fail on stop the upload before anything is sent.',
		},
		{
			displayName: 'Upload Timeout (Seconds)',
			name: 'timeoutSeconds',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 300,
			description: 'How long to wait for CommCare to accept the file',
		},
		{
			displayName: 'When an Item Lacks a Column',
			name: 'missingFields',
			type: 'options',
			default: 'stop',
			displayOptions: onlyForItems,
			options: [
				{
					name: 'Stop Before Upload',
					value: 'stop',
					description: 'Send nothing; name the items and the fields they lack',
				},
				{
					name: 'Clear the Property',
					value: 'clear',
					description: 'Write a blank cell: CommCare clears that property on the case the row updates',
				},
				{
					name: 'Leave the Property Unchanged',
					value: 'keep',
					description:
						'Send the items in separate uploads by the fields they have, each upload without the columns its items lack',
				},
			],
			description:
				'What to do when an item has no field that other items have (or that Columns lists). Its cell would be blank, and a blank cell clears the property. Applies whether or not the checks run. Blank owner, parent, name and ID cells change nothing, so those fields may be left out.',
		},
		{
			displayName: 'Write Nested Values as JSON',
			name: 'nestedAsJson',
			type: 'boolean',
			default: false,
			displayOptions: onlyForItems,
			description:
				'Whether to write objects and arrays in the items as JSON text. When off, such a value stops the upload with a message naming the field and the item.',
		},
	],
};
