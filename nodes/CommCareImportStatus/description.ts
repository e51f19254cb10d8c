/** CommCare Import Status's parameters, as the editor shows them, with their defaults. */
import type { INodeProperties } from 'n8n-workflow';

import { parameterDefault } from '../shared/parameterDefaults';
import { NOT_FINISHED_OUTPUT, SIMPLIFIED_OUTPUT, versionsBefore } from './versions';

/** Below one second only makes sense against a local server (tests, the emulator); the back-off still applies. */
export const MIN_POLL_INTERVAL_SECONDS = 0.05;

// Parameter and option names are the public contract (stored in users' workflows): never rename one once released.
export const importStatusProperties: INodeProperties[] = [
	{
		displayName:
			"Success: imported. Warning: the import ran, but rows were refused or skipped; 'reason' says which and 'errors' why: fix them and send them again. Error: the import failed, is not finished yet, or could not be checked. Per record, each says it of that row.",
		name: 'outputsNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { '@version': versionsBefore(NOT_FINISHED_OUTPUT) } },
	},
	{
		displayName:
			"Success: imported. Warning: imported, but rows were refused, skipped or stored changed ('reason' says which, 'description' what to do). Error: the import failed or could not be checked. Not Finished: still queued or running; check it again later. A dry run's items go to Warning (reason checkOnly): nothing is in CommCare yet. Per record, each says it of its sheet row.",
		name: 'outputsNotice',
		type: 'notice',
		default: '',
		displayOptions: { hide: { '@version': versionsBefore(NOT_FINISHED_OUTPUT) } },
	},
	{
		displayName: 'Status URL',
		name: 'statusUrl',
		type: 'string',
		default: '={{ $json.status_url }}',
		required: true,
		placeholder: 'e.g. {{ $json.status_url }}',
		description:
			"The import's status address returned by CommCare Bulk Import. It must be on the credential's server; other addresses are never requested.",
	},
	{
		displayName: 'Poll Interval (Seconds)',
		name: 'pollInterval',
		type: 'number',
		default: 5,
		typeOptions: { minValue: MIN_POLL_INTERVAL_SECONDS },
		// Timeout 0 asks once: there is no interval to set.
		displayOptions: { hide: { timeout: [0] } },
		description:
			'How often to ask at first. While nothing changes the interval grows, up to Max Poll Interval; it goes back to this when an import moves. All imports of a run are asked together.',
	},
	{
		displayName: 'Timeout (Minutes)',
		name: 'timeout',
		type: 'number',
		default: 30,
		typeOptions: { minValue: 0 },
		description:
			'How long to wait for the imports to finish. Imports still queued or running then have not failed: they may still finish, so do not send their rows again yet. 0 = check once without waiting.',
	},
	{
		displayName:
			'Checks once without waiting: imports still queued or running go to Not Finished. To check them again later, connect Not Finished to a Wait node and back into this node.',
		name: 'checkOnceNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { timeout: [0] }, hide: { '@version': versionsBefore(NOT_FINISHED_OUTPUT) } },
	},
	{
		displayName:
			'Checks once without waiting: imports still queued or running go to Error with reason timedOut. They may still finish: check them again later through a Wait node.',
		name: 'checkOnceNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { timeout: [0], '@version': versionsBefore(NOT_FINISHED_OUTPUT) } },
	},
	{
		displayName: 'Simplify',
		name: 'simplify',
		type: 'boolean',
		default: true,
		displayOptions: { hide: { '@version': versionsBefore(SIMPLIFIED_OUTPUT) } },
		description:
			"Whether to return only what a person reads first: the outcome, reason, summary, case ID, row, errors, record and status URL. Turn off for the import's counts and state, the polling figures and the case lookup's details.",
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Max Poll Interval (Seconds)',
				name: 'maxPollInterval',
				type: 'number',
				default: 60,
				typeOptions: { minValue: MIN_POLL_INTERVAL_SECONDS },
				// A root parameter, seen from inside the collection: '/timeout'. Timeout 0 asks once.
				displayOptions: { hide: { '/timeout': [0] } },
				description: 'The longest wait between two checks while nothing changes',
			},
			{
				displayName: 'Look Up Case IDs',
				name: 'lookUpCaseIds',
				type: 'boolean',
				default: true,
				description:
					"Whether to look up each record's CommCare case once its import finished (per-record mode), adding case_id, case and caseLookup to it (and parent_case_id when the record names a parent), and telling imported rows from rows that matched no case. Needs the Access APIs permission; without it the outcomes stay as they are and a warning says what to grant.",
			},
			{
				displayName: 'Case Lookup Wait (Seconds)',
				name: 'caseLookupWait',
				type: 'number',
				default: 60,
				typeOptions: { minValue: 0 },
				description:
					"The longest the case lookup may take, every request and retry included. Most of it is the wait for CommCare's search index to show the imported cases, which it does a little after an import; that wait stops as soon as CommCare's counts are met.",
			},
			{
				displayName: 'Max Parallel Requests',
				name: 'concurrency',
				type: 'number',
				default: 4,
				typeOptions: { minValue: 1, maxValue: 10 },
				description: 'How many status requests may run at once when many imports are checked',
			},
		],
	},
];

const shown = (path: string) => parameterDefault<number>(importStatusProperties, path);

/** The defaults above that every version shares, for the code that reads the parameters (execute.ts). */
export const DEFAULTS = {
	pollInterval: shown('pollInterval'),
	/** Minutes. */
	timeout: shown('timeout'),
	maxPollInterval: shown('options.maxPollInterval'),
	concurrency: shown('options.concurrency'),
	lookUpCaseIds: parameterDefault<boolean>(importStatusProperties, 'options.lookUpCaseIds'),
	/** Seconds. */
	caseLookupWait: shown('options.caseLookupWait'),
} as const;

/** The defaults that differ between versions, as the description gives them to a node of `typeVersion`. */
export interface VersionedDefaults {
	/** Whether items carry the simplified outcome (version 1 has no "Simplify": always the full one). */
	simplify: boolean;
}

export function defaultsAt(typeVersion: number): VersionedDefaults {
	return {
		simplify:
			typeVersion >= SIMPLIFIED_OUTPUT && parameterDefault<boolean>(importStatusProperties, 'simplify', typeVersion),
	};
}
