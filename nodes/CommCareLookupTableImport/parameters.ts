/** The node's parameters for one upload, read and checked once (names and defaults: description.ts). */
import type { IExecuteFunctions } from 'n8n-workflow';

import { InvalidInputError } from '../shared/invalidInputError';
import { nameList } from '../shared/nameList';
import { validateProjectSpace } from '../shared/projectSpace';
import type { ProjectSpace } from '../shared/transport/addresses';
import { DEFAULTS } from './description';

/** At or below this many data rows, "Auto" processing waits in the request (CommCare then gives its messages). */
export const SYNC_ROW_LIMIT = 5000;

export interface LookupTableSettings {
	projectSpace: ProjectSpace;
	source: 'items' | 'binary';
	/** Items source: the table's ID. */
	table: string;
	binaryPropertyName: string;
	/** Items source: the listed field names, or null to take them from the items. */
	fields: string[] | null;
	ownership: 'global' | 'owned';
	ownerFields: { user: string; group: string; location: string };
	replace: boolean;
	dryRun: boolean;
	maxDeletePercent: number;
	tableReadUnavailable: 'stop' | 'uploadUnchecked';
	processing: 'auto' | 'sync' | 'async';
	timeoutSeconds: number;
}

/** Options → Timeout (Minutes) in seconds: any number of minutes not below 0 (an expression may give a fraction). */
function timeoutSeconds(minutes: unknown): number {
	const value = Number(minutes ?? DEFAULTS.timeoutMinutes);
	if (!Number.isFinite(value) || value < 0) {
		throw new InvalidInputError(
			`Timeout (Minutes) is ${String(minutes)}`,
			'Give the minutes to wait for CommCare to finish the upload, e.g. 30.',
		);
	}
	return value * 60;
}

export function readSettings(ctx: IExecuteFunctions, itemIndex: number): LookupTableSettings {
	const text = (name: string, fallback: string) =>
		String(ctx.getNodeParameter(name, itemIndex, fallback, { extractValue: true }) ?? '').trim();
	const options = ctx.getNodeParameter('options', itemIndex, {}) as Partial<
		Pick<
			LookupTableSettings,
			'dryRun' | 'maxDeletePercent' | 'tableReadUnavailable' | 'processing' | 'timeoutSeconds'
		> & { timeoutMinutes: number }
	>;
	const source = text('source', DEFAULTS.source) === 'binary' ? 'binary' : 'items';
	const fieldsFrom = source === 'items' ? text('fieldsFrom', DEFAULTS.fieldsFrom) : 'items';
	const fields = fieldsFrom === 'list' ? nameList(text('fields', '')) : null;
	if (fields !== null && fields.length === 0) {
		throw new InvalidInputError(
			'Field Names is empty',
			'List the fields of the table, comma-separated (e.g. id, name, district), or set Fields to "From the Input Items".',
		);
	}
	const table = source === 'items' ? text('table', '') : '';
	if (source === 'items' && table === '') {
		throw new InvalidInputError('Table is empty', 'Choose the lookup table from the list, or type its ID (table_id).');
	}
	const maxDeletePercent = Number(options.maxDeletePercent ?? DEFAULTS.maxDeletePercent);
	if (!Number.isFinite(maxDeletePercent) || maxDeletePercent < 0 || maxDeletePercent > 100) {
		throw new InvalidInputError(
			`Max Share of Rows to Delete is ${String(options.maxDeletePercent)}`,
			'Give a share between 0 and 100 (percent of the rows the table holds now).',
		);
	}
	const ownership = source === 'items' ? (text('ownership', DEFAULTS.ownership) as 'global' | 'owned') : 'global';
	const owned = ownership === 'owned';
	return {
		projectSpace: validateProjectSpace(text('projectSpace', '')),
		source,
		table,
		// Read only where shown: n8n refuses to read a hidden parameter this way.
		binaryPropertyName:
			source === 'binary' ? text('binaryPropertyName', DEFAULTS.binaryPropertyName) : DEFAULTS.binaryPropertyName,
		fields,
		ownership,
		ownerFields: {
			user: owned ? text('userField', DEFAULTS.userField) : '',
			group: owned ? text('groupField', DEFAULTS.groupField) : '',
			location: owned ? text('locationField', DEFAULTS.locationField) : '',
		},
		replace: ctx.getNodeParameter('replace', itemIndex, DEFAULTS.replace) === true,
		dryRun: options.dryRun ?? DEFAULTS.dryRun,
		maxDeletePercent,
		tableReadUnavailable: options.tableReadUnavailable ?? DEFAULTS.tableReadUnavailable,
		processing: options.processing ?? DEFAULTS.processing,
		timeoutSeconds: timeoutSeconds(options.timeoutMinutes),
	};
}
