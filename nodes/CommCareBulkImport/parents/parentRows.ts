/**
 * Which parent each row of an upload names, as CommCare's importer reads the parent columns (docs/commcare-api.md
 * §6.7), and the `parentNotFound` findings for the rows whose parent the lookup did not find.
 * - `parent_id` when not blank (then `parent_external_id` is not used), else `parent_external_id`;
 * - of type `parent_type`; without that column, the imported case type. A row whose `parent_type` cell is blank is
 *   left to the `blankParentType` check: CommCare finds no parent for it whatever exists.
 * - A parent an earlier row of the same upload creates (same case type, its external id) is not looked up: CommCare
 *   creates it before it reads the row.
 */
import { isBlankText, searchIdOfText } from '../../shared/cellText';
import type { CheckFinding } from '../../shared/outputContract';
import { capitalised, itemList, sheetRowList } from '../../shared/wording';
import { PARENT_ID_COLUMNS } from '../checks/parentChecks';
import type { ImportSettings } from '../parameters';
import { parentKey, type ParentRef, type ParentVerdict } from './parentLookup';

/** The texts of a sheet's columns per data row (index 0 = sheet row 2), as CommCare stores them; absent = no column. */
export type ColumnTexts = Partial<Record<string, Array<string | null>>>;

export interface ParentLink extends ParentRef {
	/** Sheet row (header = 1). */
	row: number;
	column: 'parent_id' | 'parent_external_id';
}

/** The columns `parentLinks` reads: the parent ids and type, and what tells the external id a row's new case gets. */
export function linkColumns(settings: ImportSettings): string[] {
	return [...new Set([...PARENT_ID_COLUMNS, 'parent_type', settings.searchColumn, 'external_id'])];
}

/**
 * The parents the rows name, from the texts of the sheet's `linkColumns` (those it has). `searchIds`, when the reader
 * gave them (a number cell's id is not its text's), are the search column's ids per row.
 */
export function parentLinks(
	settings: ImportSettings,
	texts: ColumnTexts,
	dataRowCount: number,
	searchIds?: string[] | null,
): ParentLink[] {
	// The external id a row's new case carries: its search id when matching by external id, else its external_id cell.
	const externalIds =
		settings.searchField === 'external_id'
			? (searchIds ?? texts[settings.searchColumn]?.map(searchIdOfText) ?? [])
			: (texts.external_id ?? []);
	const links: ParentLink[] = [];
	const madeHere = new Set<string>();
	for (let index = 0; index < dataRowCount; index += 1) {
		const text = (column: string) => {
			const value = texts[column]?.[index] ?? null;
			return isBlankText(value) ? null : (value as string);
		};
		const caseId = text('parent_id');
		const externalId = text('parent_external_id');
		const parentType = texts.parent_type ? text('parent_type') : settings.caseType;
		const id = caseId ?? externalId;
		if (id !== null && parentType !== null) {
			const by = caseId !== null ? 'case_ids' : 'external_ids';
			if (!(by === 'external_ids' && parentType === settings.caseType && madeHere.has(id))) {
				links.push({
					row: index + 2,
					by,
					id,
					parentType,
					column: caseId !== null ? 'parent_id' : 'parent_external_id',
				});
			}
		}
		const own = externalIds[index];
		if (own) madeHere.add(own);
	}
	return links;
}

export interface ParentProblem {
	link: ParentLink;
	verdict: Exclude<ParentVerdict, { kind: 'found' }>;
}

/** The links whose parent was not found, in row order. */
export function parentProblems(links: ParentLink[], verdicts: Map<string, ParentVerdict>): ParentProblem[] {
	const problems: ParentProblem[] = [];
	for (const link of links) {
		const verdict = verdicts.get(parentKey(link));
		if (verdict && verdict.kind !== 'found') problems.push({ link, verdict });
	}
	return problems;
}

/** Why one parent was not found, in a clause: "no household case has external ID 'HH-3'". */
export function notFoundClause({ link, verdict }: ParentProblem): string {
	const what = `${link.by === 'case_ids' ? 'case ID' : 'external ID'} '${link.id}'`;
	switch (verdict.kind) {
		case 'none':
			return `no case has ${what}`;
		case 'otherType':
			return `${what} is ${verdict.types.map((type) => `a '${type}' case`).join(' or ')}, not a '${link.parentType}' case`;
		case 'several':
			return `${verdict.count} '${link.parentType}' cases share ${what}`;
		case 'notVisible':
			return `no '${link.parentType}' case with ${what} showed in CommCare's case search in time`;
	}
}

/** What to do, for the problems of one finding. */
function advice(problems: ParentProblem[]): string {
	const columns = [...new Set(problems.map((problem) => `'${problem.link.column}'`))].join(' or ');
	const otherTypes = [
		...new Set(problems.flatMap((problem) => (problem.verdict.kind === 'otherType' ? problem.verdict.types : []))),
	];
	const retype =
		otherTypes.length > 0
			? ` If the parents are ${otherTypes.map((type) => `'${type}'`).join(' or ')} cases, put that type in 'parent_type'.`
			: '';
	const lag = problems.some((problem) => problem.verdict.kind === 'notVisible')
		? " A case created moments ago may not show in CommCare's case search yet: run again in a minute."
		: '';
	const one = problems.length === 1;
	return `CommCare would report ${one ? 'the row' : 'the rows'} as 'Invalid Parent ID' and import nothing from ${one ? 'it' : 'them'}. Import the parents first (and wait until that import has finished), or fix ${columns}.${retype}${lag}`;
}

/** The finding of one record left out of its upload (one output item per record). */
export function recordFinding(problem: ParentProblem, itemIndex: number): CheckFinding {
	return {
		code: 'parentNotFound',
		message: `Parent not found for item ${itemIndex + 1}: ${notFoundClause(problem)}`,
		description: advice([problem]),
		column: problem.link.column,
		items: [itemIndex],
	};
}

/** One finding for every row of an upload whose parent was not found (the upload stops). */
export function uploadFinding(problems: ParentProblem[], rowToItem?: (row: number) => number): CheckFinding {
	const rows = problems.map((problem) => problem.link.row);
	const where = sheetRowList(rows) + (rowToItem ? ` (${itemList(rows.map(rowToItem))})` : '');
	const shown = problems.slice(0, 3).map(notFoundClause).join('; ');
	const more = problems.length > 3 ? `; and ${problems.length - 3} more` : '';
	const finding: CheckFinding = {
		code: 'parentNotFound',
		message: `${capitalised(where)} name${rows.length === 1 ? 's a parent' : ' parents'} CommCare does not have: ${shown}${more}`,
		description: advice(problems),
		column: problems[0].link.column,
		rows,
	};
	if (rowToItem) finding.items = rows.map(rowToItem);
	return finding;
}
