/**
 * A record CommCare stores other than it reads (version 1.2 on): Bulk Import's checks warned about it with a code in
 * CHANGES_STORED_DATA (a changed ID, characters left out, a value ignored or cleared, a row that updates another row's
 * case). Such a record does not reach Success silently: it goes to Warning, reason `importedWithChanges`, and its
 * summary names the change in a few words; the finding itself, with what to do, is in its `warnings`.
 */
import { searchIdOfValue } from '../shared/cellText';
import { CHANGES_STORED_DATA, type CheckFinding } from '../shared/outputContract';
import { searchColumnOf, type RecordInput } from './records';

/** The record's warnings that say CommCare stores something other than the record says. */
export function storedChanges(input: RecordInput): CheckFinding[] {
	return (input.warnings ?? []).filter((finding) => CHANGES_STORED_DATA.has(finding.code));
}

/** A few words for one change, about this record: "its ID '00042' is looked up as '42'". */
export function changeInWords(finding: CheckFinding, input: RecordInput): string {
	const column = finding.column ?? searchColumnOf(input);
	const value = input.record[column];
	const text = typeof value === 'string' || typeof value === 'number' ? String(value) : null;
	switch (finding.code) {
		case 'searchIdsChangedByServer': {
			const looked = searchIdOfValue(value);
			return text !== null && looked !== '' && looked !== text
				? `its ID '${text}' is looked up as '${looked}'`
				: `its ID in '${column}' is looked up as a number`;
		}
		case 'unstorableCharactersDropped':
			return `characters no spreadsheet can store were left out of '${column}'`;
		case 'dateOpenedIgnored':
			return "CommCare may ignore its 'date_opened'";
		case 'closeValueNotYes':
			return `'close' is ${text !== null ? `'${text}'` : 'not the text'}, not 'yes', so the case is not closed`;
		case 'blankMarkerValues':
			return `'---' in '${column}' is stored as an empty value`;
		case 'duplicateExternalIds':
			return `another sheet row has the same ID in '${column}', so one updates the other's case`;
		default:
			return finding.message;
	}
}

/** "Sheet row 4 imported with a change: its ID '00042' is looked up as '42'" (and how many more). */
export function changesSummary(changes: CheckFinding[], input: RecordInput): string {
	const first = changeInWords(changes[0], input);
	const more = changes.length > 1 ? ` (and ${changes.length - 1} more)` : '';
	return `Sheet row ${input.row} imported with ${changes.length === 1 ? 'a change' : 'changes'}: ${first}${more}`;
}
