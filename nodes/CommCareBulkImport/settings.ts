/**
 * Reading CommCare Bulk Import's parameters and options, each checked before anything is sent. Parameters may be
 * expressions, so they are read for an item: per file for source "Spreadsheet File", from the first item for
 * source "Input Items" (all items go into one upload, so one set of settings).
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import { InvalidInputError } from '../shared/errors';
import { validateProjectSpace } from '../shared/transport';
import type { ImportSettings, SearchField } from '../shared/types';

/** Defaults of the options collection (the node description shows the same values). */
export const OPTION_DEFAULTS = {
	timeoutSeconds: 300,
	/** CommCare's own row constant (`MAX_CASE_IMPORTER_ROWS`, spec §7). */
	rowsPerUpload: 100_000,
	fileName: 'cases.xlsx',
} as const;

/** The importer settings for one item. */
export function readImportSettings(ctx: IExecuteFunctions, itemIndex: number): ImportSettings {
	const text = (name: string, fallback: string) => String(ctx.getNodeParameter(name, itemIndex, fallback) ?? '').trim();
	const projectSpace = validateProjectSpace(text('projectSpace', ''));
	const caseType = text('caseType', '');
	if (!caseType) throw new InvalidInputError('The case type is empty', 'Type the case type to import, e.g. patient.');
	const searchField = text('searchField', 'case_id');
	if (searchField !== 'case_id' && searchField !== 'external_id') {
		throw new InvalidInputError(
			`"Match Cases By" must be case_id or external_id (found '${searchField}')`,
			'These are the only two ways CommCare matches rows to cases.',
		);
	}
	return {
		projectSpace,
		caseType,
		searchField: searchField as SearchField,
		// Empty means "the column named like the search field", which is also CommCare's own default.
		searchColumn: text('searchColumn', '') || searchField,
		createNewCases: ctx.getNodeParameter('createNewCases', itemIndex, false) === true,
		nameColumn: text('nameColumn', 'name') || 'name',
		comment: String(ctx.getNodeParameter('comment', itemIndex, '') ?? ''),
	};
}

/** Options that apply to both sources. */
export interface RunOptions {
	/** Check, report, send nothing. */
	dryRun: boolean;
	/** Run the checks before upload (on unless the user skips them). */
	checks: boolean;
	timeoutMs: number;
}

export function readRunOptions(ctx: IExecuteFunctions, itemIndex: number): RunOptions {
	const seconds = Number(option(ctx, 'timeoutSeconds', itemIndex, OPTION_DEFAULTS.timeoutSeconds));
	return {
		dryRun: option(ctx, 'dryRun', itemIndex, false) === true,
		checks: option(ctx, 'skipChecks', itemIndex, false) !== true,
		timeoutMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : OPTION_DEFAULTS.timeoutSeconds * 1000,
	};
}

/** Options of source "Input Items". */
export interface ItemsOptions {
	/** Exactly these columns, in this order (empty: every key of the items, in first-seen order). */
	columns: string[];
	excludeColumns: string[];
	nestedAsJson: boolean;
	rowsPerUpload: number;
	outputPerRecord: boolean;
	/** Ends in `.xlsx`. */
	fileName: string;
}

export function readItemsOptions(ctx: IExecuteFunctions, itemIndex: number): ItemsOptions {
	const rowsPerUpload = Number(option(ctx, 'rowsPerUpload', itemIndex, OPTION_DEFAULTS.rowsPerUpload));
	if (!Number.isInteger(rowsPerUpload) || rowsPerUpload < 1) {
		throw new InvalidInputError(
			`"Rows per Upload" must be a whole number of at least 1 (found ${JSON.stringify(rowsPerUpload)})`,
			`Leave it at ${OPTION_DEFAULTS.rowsPerUpload.toLocaleString('en')}, CommCare's own limit, unless smaller imports are wanted.`,
		);
	}
	return {
		columns: columnList(option(ctx, 'columns', itemIndex, '')),
		excludeColumns: columnList(option(ctx, 'excludeColumns', itemIndex, '')),
		nestedAsJson: option(ctx, 'nestedAsJson', itemIndex, false) === true,
		rowsPerUpload,
		outputPerRecord: option(ctx, 'outputPerRecord', itemIndex, false) === true,
		fileName: xlsxFileName(String(option(ctx, 'fileName', itemIndex, OPTION_DEFAULTS.fileName) ?? '')),
	};
}

function option(ctx: IExecuteFunctions, name: string, itemIndex: number, fallback: unknown): unknown {
	return ctx.getNodeParameter(`options.${name}`, itemIndex, fallback) ?? fallback;
}

/** `"a, b,,c"` or an array from an expression → `['a', 'b', 'c']`. */
export function columnList(value: unknown): string[] {
	const parts = Array.isArray(value) ? value.map(String) : String(value ?? '').split(',');
	return parts.map((part) => part.trim()).filter((part) => part !== '');
}

/**
 * The generated file's name: the user's, ending in `.xlsx` (the file is .xlsx whatever the name says: a `.csv` or
 * `.xls` ending is replaced), without folders (CommCare's history shows a file name, not a path).
 */
export function xlsxFileName(raw: string): string {
	const base = (raw.trim().split(/[\\/]/).pop() ?? '').replace(/\.(xlsx|xls|csv)$/i, '').trim();
	return base === '' ? OPTION_DEFAULTS.fileName : `${base}.xlsx`;
}
