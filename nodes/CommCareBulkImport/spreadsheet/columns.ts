/** Which columns a generated sheet has, in which order, and what its sheet is called. */
import type { IDataObject } from 'n8n-workflow';

export interface ColumnPlanOptions {
	/** Exactly these columns, in this order (when non-empty). */
	include?: string[];
	/** Dropped from the plan, whatever else says. */
	exclude?: string[];
	/** Appended when missing (e.g. the search column, which the server needs even when empty: docs/commcare-api.md §6.1). */
	ensure?: string[];
}

/** The columns of the generated sheet: `include`, or the union of the items' keys in first-seen order; minus `exclude`. */
export function planColumns(items: Iterable<IDataObject>, opts: ColumnPlanOptions = {}): string[] {
	const columns = new Set<string>();
	if (opts.include && opts.include.length > 0) {
		for (const column of opts.include) columns.add(column);
	} else {
		for (const item of items) {
			// for…in, not Object.keys: no array per item (items are plain JSON objects without inherited keys).
			for (const key in item) columns.add(key);
		}
	}
	for (const column of opts.ensure ?? []) columns.add(column);
	const excluded = new Set(opts.exclude ?? []);
	return [...columns].filter((column) => !excluded.has(column));
}

/**
 * Never name the sheet after a case type: a workbook whose every sheet is named like a case type of the project
 * switches the server into multi-sheet mode (docs/commcare-api.md §3.3). `cases`, unless that is the case type or another known name.
 */
export function safeSheetName(caseType: string, knownNames: string[] = []): string {
	const taken = new Set([caseType, ...knownNames].map((name) => name.trim().toLowerCase()));
	for (let attempt = 1; ; attempt++) {
		const candidate = attempt === 1 ? 'cases' : attempt === 2 ? 'cases_sheet' : `cases_sheet_${attempt - 1}`;
		if (!taken.has(candidate)) return candidate;
	}
}
