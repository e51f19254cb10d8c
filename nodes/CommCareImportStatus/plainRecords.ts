/**
 * What a person reads about one record, from version 1.2 on (NOT_FINISHED_OUTPUT): the outcome `classifyRecords`
 * decided, in one short line naming its sheet row and case type, what to do in `description`, and the record's own
 * Bulk Import warnings in `warnings`. Two routes change: a record of an import not finished by the deadline goes to
 * Not Finished and keeps what checking it again needs (`upload`, `warnings`); a record Bulk Import warned CommCare
 * stores changed goes to Warning (`importedWithChanges`) instead of Success. Where the case lookup saw the row's ID
 * under another case type of the project, the summary asks whether Case Type was meant to be that one.
 */
import type { IDataObject } from 'n8n-workflow';

import type {
	CheckFinding,
	ImportOutcomeJson,
	Outcome,
	OutcomeReason,
	RecordOutcomeJson,
} from '../shared/outputContract';
import { CREATION_OFF, TURN_CREATION_ON, plural } from '../shared/wording';
import { caseTypeOf, errorTitles, lowerFirst, silentSkipAdvice } from './plainImport';
import { certainSkip, searchColumnOf, type RecordInput } from './records';
import type { GroupLookup, RecordLookup } from './caseLookup/lookupResult';
import { changesSummary, storedChanges } from './storedChanges';

const NONE = Object.freeze([]) as unknown as IDataObject[];
const NO_WARNINGS = Object.freeze([]) as unknown as CheckFinding[];

interface Words {
	outcome?: Outcome;
	reason?: OutcomeReason;
	summary: string;
	description: string | null;
	errors?: IDataObject[];
}

/** The records of one import in version 1.2's words; `classic` is classifyRecords' outcome for each of `inputs`. */
export function plainRecords(
	classic: RecordOutcomeJson[],
	inputs: RecordInput[],
	importOutcome: ImportOutcomeJson,
	lookup?: GroupLookup,
): RecordOutcomeJson[] {
	// What a record carries of its import: no outcome, reason or description, which would read like its own.
	const {
		outcome: _outcome,
		reason: _reason,
		description: _description,
		errors: _errors,
		warnings: _warnings,
		upload: _upload,
		...importContext
	} = importOutcome;
	return classic.map((record, index) => {
		const input = inputs[index];
		const words = wordsFor(record, input, importOutcome, lookup?.byRow.get(input.row));
		const outcome = words.outcome ?? record.outcome;
		return {
			outcome,
			reason: words.reason ?? record.reason,
			summary: words.summary,
			description: words.description,
			...('case_id' in record ? { case_id: record.case_id } : {}),
			...('parent_case_id' in record ? { parent_case_id: record.parent_case_id } : {}),
			row: record.row,
			errors: words.errors ?? record.errors,
			warnings: input.warnings ?? NO_WARNINGS,
			record: record.record,
			// Checked again later (a Wait loop), the item must read as the Bulk Import record it stands for.
			...(outcome === 'notFinished' ? { upload: input.upload } : {}),
			status_url: record.status_url,
			import: importContext,
			...('caseLookup' in record ? { case: record.case, caseLookup: record.caseLookup } : {}),
		};
	});
}

function wordsFor(
	record: RecordOutcomeJson,
	input: RecordInput,
	importOutcome: ImportOutcomeJson,
	fact: RecordLookup | undefined,
): Words {
	const row = `Sheet row ${input.row}`;
	const type = caseTypeOf(input.upload);
	const cases = type ? `${type} case` : 'case';
	if (record.outcome === 'error') return unfinishedWords(row, importOutcome);
	switch (record.reason) {
		case 'rowErrors': {
			const columns = [...new Set(record.errors.map((entry) => entry.column).filter((c) => typeof c === 'string'))];
			return {
				summary: `${row} not imported: ${errorTitles(record.errors)}${columns.length === 1 ? ` (${columns[0] as string})` : ''}`,
				description: 'Fix the record as errors say and send it again.',
			};
		}
		case 'imported':
			return importedWords(row, cases, input, fact);
		case 'notMatched': {
			const other = otherCaseTypeOf(fact);
			const id = fact?.kind === 'notFound' ? `${fact.by} '${fact.id}'` : 'its case_id';
			const why = other ? `${id} belongs to a ${other} case, not a ${cases}` : `no ${cases} has ${id}`;
			return {
				summary: `${row} skipped: ${why}${other ? `; was Case Type meant to be ${other}?` : ''}`,
				description: `CommCare skips a row whose ID matches no ${cases} while ${CREATION_OFF}. Check the ID, or ${TURN_CREATION_ON} to create such cases.`,
			};
		}
		case 'skippedRows':
			return certainSkip(input) === 'noCaseId'
				? {
						summary: `${row} skipped: no case ID`,
						description: `Matching by case ID while ${CREATION_OFF}, a row without a case ID matches nothing: fill in '${searchColumnOf(input)}', or ${TURN_CREATION_ON}.`,
					}
				: {
						summary: `${row} skipped: blank row`,
						description:
							'CommCare skips a blank row (every mapped cell empty) without an error: fill in the record, or leave it out.',
					};
		case 'noCounts':
			return {
				summary: `${row} imported or skipped: CommCare's counts for its import are missing or do not add up`,
				description: importOutcome.description ?? null,
			};
		default:
			return importedOrSkippedWords(row, input, importOutcome, fact);
	}
}

/** A record of an import that did not finish with state 2: not finished yet, failed, or not known. */
function unfinishedWords(row: string, importOutcome: ImportOutcomeJson): Words {
	const description = importOutcome.description ?? null;
	switch (importOutcome.reason) {
		case 'notFinished':
			return {
				outcome: 'notFinished',
				reason: 'notFinished',
				summary: `${row} ${lowerFirst(importOutcome.summary)}`,
				description,
				errors: NONE,
			};
		case 'failed':
			return {
				summary: `${row} may not have been imported: the ${lowerFirst(importOutcome.summary)}`,
				description,
				errors: importOutcome.errors.map(({ title, description: text, column }) => ({
					title: title ?? null,
					description: text ?? null,
					column: column ?? null,
				})),
			};
		case 'noStatusUrl':
			return {
				summary: `${row} not imported: ${importOutcome.summary.replace(/^No import to check: /, '')}`,
				description,
				errors: importOutcome.errors,
			};
		default:
			return {
				summary: `${row}, result not known: ${lowerFirst(importOutcome.summary)}`,
				description,
				errors: NONE,
			};
	}
}

function importedWords(row: string, cases: string, input: RecordInput, fact: RecordLookup | undefined): Words {
	const changes = storedChanges(input);
	if (changes.length > 0) {
		return {
			outcome: 'warning',
			reason: 'importedWithChanges',
			summary: changesSummary(changes, input),
			description: 'CommCare stored the row, but not as it is written: warnings say what changed and what to do.',
		};
	}
	const other = otherCaseTypeOf(fact);
	if (fact?.kind === 'otherCaseType') {
		return {
			summary: `${row} imported as a new ${cases}: its case_id belongs to a ${other} case; was Case Type meant to be ${other}?`,
			description: `CommCare takes a case_id of another case type for no match, and made a new case instead. If Case Type was wrong, close the new case, set Case Type to ${other} and send the row again.`,
		};
	}
	if (fact?.kind === 'found') {
		const summary = `${row} imported: ${cases} ${fact.found.case_id} ${fact.action ?? 'created or updated'}`;
		if (other === null || fact.action === 'updated') return { summary, description: null };
		return {
			summary: `${summary}; its ID also belongs to a ${other} case; was Case Type meant to be ${other}?`,
			description: `If Case Type was wrong, the new ${cases} duplicates the ${other} case: close it, set Case Type to ${other} and send the row again.`,
		};
	}
	return { summary: `${row} imported: ${cases} created or updated`, description: null };
}

function importedOrSkippedWords(
	row: string,
	input: RecordInput,
	importOutcome: ImportOutcomeJson,
	fact: RecordLookup | undefined,
): Words {
	const skipped = importOutcome.skipped_count;
	if (skipped === null) {
		return {
			summary: `${row} imported or skipped: CommCare's counts cannot be matched to the rows sent`,
			description:
				"Turn on Look Up Case IDs to find each record's case, or check the import history in CommCare HQ (Data → Import Cases from Excel).",
		};
	}
	const kind = certainSkip(input);
	const hint =
		kind !== null
			? `; probably this one (${kind === 'blank' ? 'blank row' : 'no case ID'})`
			: fact?.kind === 'countsDisagree'
				? '; a case was found for it, but the counts leave no room for it'
				: '';
	return {
		summary: `${row} imported or skipped: CommCare skipped ${plural(skipped, 'sheet row')} of its upload without saying which${hint}`,
		description: silentSkipAdvice(input.upload),
	};
}

/** The other case type the lookup saw the row's ID under, if it did. */
function otherCaseTypeOf(fact: RecordLookup | undefined): string | null {
	if (fact?.kind === 'otherCaseType') return fact.found.case_type ?? 'other';
	if (fact?.kind === 'found' || fact?.kind === 'notFound') return fact.otherCaseType ?? null;
	return null;
}
