/**
 * Reading CommCare Bulk Import's parameters and options, each checked before anything is sent. Parameters may be
 * expressions, so they are read for an item: per file for source "Spreadsheet File", from the first item for
 * source "Input Items" (all items go into one upload, so one set of settings).
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { InvalidInputError } from '../shared/invalidInputError';
import { DEFAULTS, defaultsAt, type VersionedDefaults } from './description';
import { RECORD_OUTPUT, SAFE_DEFAULTS } from './versions';
import { itemList } from '../shared/wording';
import { MAX_TIMER_MS } from '../shared/sleep';
import { nameList } from '../shared/nameList';
import { validateProjectSpace } from '../shared/projectSpace';
import type { ImportSettings, ItemsOptions, MissingFieldsMode, RunOptions, SettingsGroup } from './parameters';
import type { SearchField } from '../shared/outputContract';

/** The parameters that make the importer settings (what CommCare is told besides the file). */
const SETTING_PARAMETERS = [
	'projectSpace',
	'caseType',
	'searchField',
	'searchColumn',
	'createNewCases',
	'unmatchedRows',
	'nameColumn',
	'comment',
];

/** Whether a parameter (or `options.<name>`) holds an expression, which may give each item another value. */
export function holdsExpression(ctx: IExecuteFunctions, name: string): boolean {
	const parameters = ctx.getNode().parameters as IDataObject;
	const stored = name.startsWith('options.')
		? (parameters.options as IDataObject | undefined)?.[name.slice('options.'.length)]
		: parameters[name];
	// A resource locator (version 1.1's Project Space and Case Type) keeps the expression in its `value`.
	const value =
		typeof stored === 'object' && stored !== null && '__rl' in stored ? (stored as IDataObject).value : stored;
	return typeof value === 'string' && value.startsWith('=');
}

/**
 * The importer settings of source "Input Items", and which items they apply to. Settings typed in are the same for
 * every item (read once, whatever the number of items); a setting that holds an expression is evaluated for every
 * item, and items whose settings differ go into uploads of their own (one group per distinct settings, in
 * first-seen order): a run whose Case Type is `{{ $json.type }}` imports each item as its own type.
 */
export function readSettingsGroups(ctx: IExecuteFunctions, itemCount: number): SettingsGroup[] {
	const all = Array.from({ length: itemCount }, (_item, index) => index);
	if (itemCount <= 1 || !SETTING_PARAMETERS.some((name) => holdsExpression(ctx, name))) {
		return [{ settings: readImportSettings(ctx, 0), itemIndexes: all }];
	}
	const groups = new Map<string, SettingsGroup>();
	for (const itemIndex of all) {
		const settings = readImportSettingsOf(ctx, itemIndex);
		const key = JSON.stringify(settings);
		const group = groups.get(key);
		if (group) group.itemIndexes.push(itemIndex);
		else groups.set(key, { settings, itemIndexes: [itemIndex] });
	}
	return [...groups.values()];
}

/** `readImportSettings`, with the item named in a refusal (a setting per item may be wrong for one item only). */
function readImportSettingsOf(ctx: IExecuteFunctions, itemIndex: number): ImportSettings {
	let refusal: InvalidInputError | undefined;
	try {
		return readImportSettings(ctx, itemIndex);
	} catch (error) {
		const input = error as InvalidInputError;
		refusal = new InvalidInputError(`Item ${itemIndex + 1}: ${input.message}`, input.description);
	}
	throw refusal;
}

/**
 * An option that decides how the whole run is sent (or checked) must be the same for every item: read for the first,
 * and, when it holds an expression, for every item, refused with the items that differ.
 */
function sameForAllItems<T>(
	ctx: IExecuteFunctions,
	parameter: string,
	label: string,
	itemCount: number,
	read: (itemIndex: number) => T,
): T {
	const first = read(0);
	if (itemCount <= 1 || !holdsExpression(ctx, parameter)) return first;
	const expected = JSON.stringify(first);
	const differing: number[] = [];
	let example: T | undefined;
	for (let itemIndex = 1; itemIndex < itemCount; itemIndex++) {
		const value = read(itemIndex);
		if (JSON.stringify(value) !== expected) {
			differing.push(itemIndex);
			example ??= value;
		}
	}
	if (differing.length === 0) return first;
	throw new InvalidInputError(
		`"${label}" must be the same for all items, but its expression gives ${JSON.stringify(first)} for item 1 and ${JSON.stringify(example)} for ${itemList(differing)}`,
		'This option decides how the whole run is sent, so it cannot differ between items. Use one value, or split the items into runs (for example with a Loop Over Items node) so that each run has one.',
	);
}

/** The importer settings for one item. */
export function readImportSettings(ctx: IExecuteFunctions, itemIndex: number): ImportSettings {
	// extractValue: version 1.1 stores Project Space and Case Type as resource locators, version 1 as strings.
	const text = (name: string, fallback: string) =>
		String(ctx.getNodeParameter(name, itemIndex, fallback, { extractValue: true }) ?? '').trim();
	const projectSpace = validateProjectSpace(text('projectSpace', ''));
	const caseType = text('caseType', '');
	if (!caseType) throw new InvalidInputError('The case type is empty', 'Type the case type to import, e.g. patient.');
	const { typeVersion } = ctx.getNode();
	const versioned = defaultsAt(typeVersion);
	const searchField = text('searchField', versioned.searchField);
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
		createNewCases:
			typeVersion >= SAFE_DEFAULTS
				? readUnmatchedRows(ctx, itemIndex, versioned) === 'create'
				: ctx.getNodeParameter('createNewCases', itemIndex, versioned.createUnmatched) === true,
		nameColumn: text('nameColumn', DEFAULTS.nameColumn) || DEFAULTS.nameColumn,
		comment: String(ctx.getNodeParameter('comment', itemIndex, '') ?? ''),
	};
}

/** Version 1.2's "Rows That Match No Case" (version 1 and 1.1 have the "Create New Cases" switch instead). */
function readUnmatchedRows(ctx: IExecuteFunctions, itemIndex: number, versioned: VersionedDefaults): 'create' | 'skip' {
	const value = ctx.getNodeParameter('unmatchedRows', itemIndex, versioned.createUnmatched ? 'create' : 'skip');
	if (value === 'create' || value === 'skip') return value;
	throw new InvalidInputError(
		`"Rows That Match No Case" must be 'create' or 'skip' (found ${JSON.stringify(value)})`,
		"'create' makes a new case of each row that matches no case, 'skip' leaves such rows out.",
	);
}

export function readRunOptions(ctx: IExecuteFunctions, itemIndex: number): RunOptions {
	const seconds = Number(option(ctx, 'timeoutSeconds', itemIndex, DEFAULTS.timeoutSeconds));
	return {
		dryRun: option(ctx, 'dryRun', itemIndex, DEFAULTS.dryRun) === true,
		checks: option(ctx, 'skipChecks', itemIndex, DEFAULTS.skipChecks) !== true,
		checkParents: option(ctx, 'checkParents', itemIndex, DEFAULTS.checkParents) === true,
		parentCheckUnavailable:
			option(ctx, 'parentCheckUnavailable', itemIndex, DEFAULTS.parentCheckUnavailable) === 'uploadUnchecked'
				? 'uploadUnchecked'
				: 'stop',
		// Longer than a timer holds is the longest a timer holds (24.8 days), not an instant timeout.
		timeoutMs:
			Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, MAX_TIMER_MS) : DEFAULTS.timeoutSeconds * 1000,
	};
}

/** Source "Input Items": the run options, the same for every item (see `sameForAllItems`). */
export function readRunOptionsForAllItems(ctx: IExecuteFunctions, itemCount: number): RunOptions {
	const read = (name: string, label: string) =>
		sameForAllItems(ctx, `options.${name}`, label, itemCount, (i) => option(ctx, name, i, null));
	read('dryRun', "Check Only, Don't Upload");
	read('skipChecks', 'Skip Checks Before Upload');
	read('timeoutSeconds', 'Upload Timeout (Seconds)');
	read('checkParents', 'Check Parents Exist');
	read('parentCheckUnavailable', 'If Parents Cannot Be Checked');
	return readRunOptions(ctx, 0);
}

const MISSING_FIELDS_MODES: MissingFieldsMode[] = ['stop', 'clear', 'keep'];

/** Source "Input Items": its options, the same for every item (see `sameForAllItems`). */
export function readItemsOptionsForAllItems(ctx: IExecuteFunctions, itemCount: number): ItemsOptions {
	const labels: Record<string, string> = {
		columns: 'Columns',
		excludeColumns: 'Columns to Exclude',
		nestedAsJson: 'Write Nested Values as JSON',
		rowsPerUpload: 'Rows per Upload',
		fileName: 'File Name',
		missingFields: 'When an Item Lacks a Column',
	};
	// From 1.3 the top-level "Output" says it (typed in, never an expression); the option is not read.
	if (ctx.getNode().typeVersion < RECORD_OUTPUT) labels.outputPerRecord = 'Output One Item per Record';
	for (const [name, label] of Object.entries(labels)) {
		sameForAllItems(ctx, `options.${name}`, label, itemCount, (i) => option(ctx, name, i, null));
	}
	return readItemsOptions(ctx, 0);
}

/** Whether per-record output is asked for, read without failing (so a failure can still be reported per record). */
export function wantsOutputPerRecord(ctx: IExecuteFunctions): boolean {
	try {
		return readOutputPerRecord(ctx, 0);
	} catch {
		return false;
	}
}

/**
 * One output item per record (source "Input Items"): from 1.3 the parameter "Output" (per record by default), before
 * it the option "Output One Item per Record" (off by default). Each version reads only its own.
 */
function readOutputPerRecord(ctx: IExecuteFunctions, itemIndex: number): boolean {
	const { typeVersion } = ctx.getNode();
	if (typeVersion < RECORD_OUTPUT) return option(ctx, 'outputPerRecord', itemIndex, DEFAULTS.outputPerRecord) === true;
	const fallback = defaultsAt(typeVersion).outputPerRecord ? 'perRecord' : 'perUpload';
	const value = ctx.getNodeParameter('output', itemIndex, fallback);
	if (value === 'perRecord' || value === 'perUpload') return value === 'perRecord';
	throw new InvalidInputError(
		`"Output" must be 'perRecord' or 'perUpload' (found ${JSON.stringify(value)})`,
		"'perRecord' outputs one item per input item, 'perUpload' one per file sent.",
	);
}

export function readItemsOptions(ctx: IExecuteFunctions, itemIndex: number): ItemsOptions {
	const rowsPerUpload = Number(option(ctx, 'rowsPerUpload', itemIndex, DEFAULTS.rowsPerUpload));
	if (!Number.isInteger(rowsPerUpload) || rowsPerUpload < 1) {
		throw new InvalidInputError(
			`"Rows per Upload" must be a whole number of at least 1 (found ${JSON.stringify(rowsPerUpload)})`,
			`Leave it at ${DEFAULTS.rowsPerUpload.toLocaleString('en')}, CommCare's own limit, unless smaller imports are wanted.`,
		);
	}
	return {
		columns: nameList(option(ctx, 'columns', itemIndex, '')),
		excludeColumns: nameList(option(ctx, 'excludeColumns', itemIndex, '')),
		nestedAsJson: option(ctx, 'nestedAsJson', itemIndex, DEFAULTS.nestedAsJson) === true,
		rowsPerUpload,
		outputPerRecord: readOutputPerRecord(ctx, itemIndex),
		// Before 1.3 a dry run gives one item per upload whatever the output (saved workflows keep that).
		dryRunPerRecord: ctx.getNode().typeVersion >= RECORD_OUTPUT && readOutputPerRecord(ctx, itemIndex),
		fileName: xlsxFileName(String(option(ctx, 'fileName', itemIndex, DEFAULTS.fileName) ?? '')),
		missingFields: missingFieldsMode(option(ctx, 'missingFields', itemIndex, DEFAULTS.missingFields)),
		timeZone: workflowTimeZone(ctx),
	};
}

function missingFieldsMode(value: unknown): MissingFieldsMode {
	if ((MISSING_FIELDS_MODES as unknown[]).includes(value)) return value as MissingFieldsMode;
	throw new InvalidInputError(
		`"When an Item Lacks a Column" must be one of ${MISSING_FIELDS_MODES.map((mode) => `'${mode}'`).join(', ')} (found ${JSON.stringify(value)})`,
		"'stop' refuses the items before anything is sent, 'clear' writes a blank cell (the property is cleared), 'keep' leaves the property unchanged.",
	);
}

/** The workflow's time zone, as `$now` uses it; undefined on a host that does not say. */
function workflowTimeZone(ctx: IExecuteFunctions): string | undefined {
	try {
		const zone = ctx.getTimezone?.();
		return typeof zone === 'string' && zone !== '' ? zone : undefined;
	} catch {
		return undefined;
	}
}

function option(ctx: IExecuteFunctions, name: string, itemIndex: number, fallback: unknown): unknown {
	return ctx.getNodeParameter(`options.${name}`, itemIndex, fallback) ?? fallback;
}

/**
 * The generated file's name: the user's, ending in `.xlsx` (the file is .xlsx whatever the name says: a `.csv` or
 * `.xls` ending is replaced), without folders (CommCare's history shows a file name, not a path).
 */
export function xlsxFileName(raw: string): string {
	const base = (raw.trim().split(/[\\/]/).pop() ?? '').replace(/\.(xlsx|xls|csv)$/i, '').trim();
	return base === '' ? DEFAULTS.fileName : `${base}.xlsx`;
}
