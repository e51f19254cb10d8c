/**
 * Checks on the parent columns (docs/commcare-api.md §6.5, §6.7). CommCare takes `parent_id`, else
 * `parent_external_id` (the first non-blank one; the other is not tried), and looks it up among cases of `parent_type`:
 * the imported case type when the column is absent, no type at all when its cell is blank. Once found, the
 * relationship must be exactly `child` (the default when the column is absent) or `extension` (which needs
 * `parent_identifier`); a blank one has no default. Every failure is the row error `Invalid Parent ID`. A row with
 * neither id sets no parent. Rows that certainly do nothing (no external id when matching by one; no case id when
 * matching by case ID with creation off) never reach the parent and are left out, as the server leaves them out.
 */
import { isBlankText, searchIdOfText } from '../../shared/cellText';
import { CheckReport } from './report';

export const PARENT_ID_COLUMNS = ['parent_id', 'parent_external_id'] as const;
export const PARENT_COLUMNS = [
	...PARENT_ID_COLUMNS,
	'parent_type',
	'parent_relationship_type',
	'parent_identifier',
] as const;

/** Relationships CommCare accepts, exactly as written. */
const RELATIONSHIPS = ['child', 'extension'];
/** Values quoted at most in a message. */
const LISTED_VALUES = 3;

type ParentColumn = (typeof PARENT_COLUMNS)[number];
/** Each parent column's texts per data row (index 0 = row 2), or undefined when the sheet has no such column. */
type ParentTexts = Record<ParentColumn, (string | null)[] | undefined>;

interface ParentRow {
	row: number;
	parentId: string | null;
	parentExternalId: string | null;
}

export function checkParents(report: CheckReport): void {
	const present = new Set(report.input.headers.filter((header): header is string => header !== null));
	const idColumns = PARENT_ID_COLUMNS.filter((column) => present.has(column));
	if (idColumns.length === 0) return;
	const texts = Object.fromEntries(
		PARENT_COLUMNS.map((column) => [column, present.has(column) ? (report.input.values[column] ?? []) : undefined]),
	) as ParentTexts;
	const rows = parentRows(report, texts);
	const withParent = rows.filter((r) => !isBlankText(r.parentId) || !isBlankText(r.parentExternalId));
	const withParentRows = withParent.map((r) => r.row);

	if (withParent.length > 0 && !texts.parent_type) {
		const columns = idColumns.filter((column) => withParent.some((r) => !isBlankText(idOf(r, column))));
		const { caseType } = report.settings;
		report.error(
			'parentTypeMissing',
			`No 'parent_type' column: CommCare looks for the parents of ${report.describeRows(withParentRows)} among '${caseType}' cases`,
			`Without it CommCare takes the ids in ${columns.map((c) => `'${c}'`).join(' and ')} to be of '${caseType}' cases, so a row whose parent is of another type (a household, say) fails with 'Invalid Parent ID'. ${
				report.isItems
					? "Give the items a field 'parent_type' (for example with an Edit Fields (Set) node)"
					: "Add a 'parent_type' column"
			} holding the parents' case type, or '${caseType}' itself if the parents really are '${caseType}' cases.`,
			report.withRows({ column: 'parent_type' }, withParentRows),
		);
	}
	checkParentType(report, withParentRows, texts);
	checkRelationships(report, withParentRows, texts);
	checkBlankParentIds(report, rows, idColumns);

	const both = rows.filter((r) => !isBlankText(r.parentId) && !isBlankText(r.parentExternalId)).map((r) => r.row);
	if (both.length > 0) {
		report.warn(
			'parentIdAndExternalId',
			`${report.describeRows(both, true)} ${both.length === 1 ? 'has' : 'have'} both 'parent_id' and 'parent_external_id'`,
			"CommCare looks the parent up by 'parent_id' only: 'parent_external_id' is not used, not even when no case has that 'parent_id'. Keep one of the two.",
			report.withRows({ column: 'parent_external_id' }, both),
		);
	}
}

function checkParentType(report: CheckReport, withParent: number[], texts: ParentTexts): void {
	const types = texts.parent_type;
	if (!types) return;
	const blank = withParent.filter((row) => isBlankText(textAt(types, row)));
	if (blank.length === 0) return;
	report.rowIssue(
		'blankParentType',
		blank,
		`${report.describeRows(blank, true)} ${blank.length === 1 ? 'names a parent but has' : 'name a parent but have'} a blank 'parent_type'`,
		"With no case type, CommCare finds no parent by 'parent_id' ('Invalid Parent ID': nothing from the row is imported), and by 'parent_external_id' takes a case of any type that has the id, which may be the wrong one. Fill in the parents' case type.",
		'parent_type',
	);
}

function checkRelationships(report: CheckReport, withParent: number[], texts: ParentTexts): void {
	const relationships = texts.parent_relationship_type;
	if (!relationships) return;
	const relationshipAt = (row: number) => textAt(relationships, row);
	const invalid = withParent.filter((row) => {
		const text = relationshipAt(row);
		return isBlankText(text) || !RELATIONSHIPS.includes(text as string);
	});
	if (invalid.length > 0) {
		const seen = [...new Set(invalid.map((row) => (isBlankText(relationshipAt(row)) ? null : relationshipAt(row))))];
		const listed = seen.slice(0, LISTED_VALUES).map((text) => (text === null ? 'blank' : `'${text}'`));
		const more = seen.length > LISTED_VALUES ? ' …' : '';
		report.rowIssue(
			'invalidRelationship',
			invalid,
			`${report.describeRows(invalid, true)} ${invalid.length === 1 ? 'has' : 'have'} a 'parent_relationship_type' other than 'child' or 'extension' (${listed.join(', ')}${more})`,
			"CommCare takes only the exact texts 'child' and 'extension' (a blank cell has no default) and reports such rows as 'Invalid Parent ID' (nothing from them is imported). Write 'child' or 'extension', or leave the column out for 'child'.",
			'parent_relationship_type',
		);
	}
	const extensions = withParent.filter(
		(row) => relationshipAt(row) === 'extension' && isBlankText(textAt(texts.parent_identifier, row)),
	);
	if (extensions.length === 0) return;
	report.rowIssue(
		'extensionWithoutIdentifier',
		extensions,
		`${report.describeRows(extensions, true)} ${extensions.length === 1 ? 'makes an extension' : 'make extensions'} without a 'parent_identifier'`,
		"CommCare needs a name for an extension's index and reports such rows as 'Invalid Parent ID' (\"'parent_identifier' column must be provided when 'parent_relationship_type' column is set to 'extension'\"). Name the index in 'parent_identifier' (for example 'host').",
		'parent_identifier',
	);
}

function checkBlankParentIds(report: CheckReport, rows: ParentRow[], idColumns: string[]): void {
	const without = rows.filter((r) => isBlankText(r.parentId) && isBlankText(r.parentExternalId)).map((r) => r.row);
	if (without.length === 0) return;
	const one = without.length === 1;
	report.warn(
		'blankParentIds',
		idColumns.length === 1
			? `${report.describeRows(without, true)} ${one ? 'has' : 'have'} no parent id in '${idColumns[0]}'`
			: `${report.describeRows(without, true)} ${one ? 'has' : 'have'} neither 'parent_id' nor 'parent_external_id'`,
		`Such rows get no parent: a case ${one ? 'it creates' : 'they create'} has none, and a case ${one ? 'it updates' : 'they update'} keeps the parent it has. Fill in the parent ids, or import such rows separately if that is intended.`,
		report.withRows({ column: idColumns[0] }, without),
	);
}

/** The data rows CommCare reads and may act on, with their parent ids. */
function parentRows(report: CheckReport, texts: ParentTexts): ParentRow[] {
	const idle = idleRows(report);
	const rows: ParentRow[] = [];
	for (let row = 2; row <= report.input.dataRowCount + 1; row++) {
		if (report.blankRows.has(row) || idle.has(row)) continue;
		rows.push({
			row,
			parentId: textAt(texts.parent_id, row),
			parentExternalId: textAt(texts.parent_external_id, row),
		});
	}
	return rows;
}

/**
 * Rows that certainly do nothing, whatever their parent: without an external id when matching by one (`Blank External
 * ID`), without a case id when matching by case ID with creation off (skipped).
 */
function idleRows(report: CheckReport): Set<number> {
	const { searchField, searchColumn, createNewCases } = report.settings;
	const idle = new Set<number>();
	if (searchField === 'case_id' && createNewCases) return idle;
	const texts = report.input.values[searchColumn];
	if (!texts) return idle;
	const ids = report.input.searchIds ?? texts.map((text) => searchIdOfText(text));
	for (let row = 2; row <= report.input.dataRowCount + 1; row++) if ((ids[row - 2] ?? '') === '') idle.add(row);
	return idle;
}

/** A column's text in a data row; null (blank) when the sheet has no such column or the row no such cell. */
function textAt(texts: (string | null)[] | undefined, row: number): string | null {
	return texts?.[row - 2] ?? null;
}

function idOf(parentRow: ParentRow, column: string): string | null {
	return column === 'parent_id' ? parentRow.parentId : parentRow.parentExternalId;
}
