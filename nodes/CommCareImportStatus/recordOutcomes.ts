/** Per-record mode: one import's outcome turned into one outcome per record (input item) of that upload. */
import type { IDataObject } from 'n8n-workflow';
import { plural } from '../shared/wording';
import type { Outcome, OutcomeReason, RecordOutcomeJson } from '../shared/outputContract';
import { createNewCasesOf, silentSkipReason, type ImportResult } from './importOutcome';
import { certainSkipReason, importFinished, type RecordInput } from './records';
import { caseFields, NOT_IMPORTED, NOT_RUN, notLookedUp, type CaseFields } from './caseLookup/lookupJson';
import type { GroupLookup, RecordLookup } from './caseLookup/lookupResult';
import { withParentCase } from './caseLookup/parentCase';

/**
 * What a row of an import that did not finish is, in the summary's first words: a failed import may have applied it
 * before it failed (importOutcome.ts), a denied or failed check says nothing (a timed-out one reads "not finished yet").
 */
const UNFINISHED_ROW: Partial<Record<OutcomeReason, string>> = {
	failed: 'may not have been imported',
	noStatusUrl: 'not imported',
};

/** The errors of a record that has none: one frozen list for all of them, so 100,000 records do not hold 100,000. */
const NO_ERRORS = Object.freeze([]) as unknown as IDataObject[];

/**
 * Routes every record of one import (rule documented in the README, "Per-record results"):
 * - whole import not finished with state 2 (failed, timed out, 404, refused...) -> error for every record, with
 *   the import's failure as its error;
 * - row listed in `errors` -> warning, with that row's entries: the server did not import it, but the import as a
 *   whole went through, so this is a row to fix and send again (the same route as an import with row errors);
 *   Error stays for what needs an alert: the import itself failed, timed out or could not be checked;
 * - otherwise, when the counts show no silent skip -> success;
 * - when they show k silent skips and exactly k of the records are certain skips (see `certainSkipReason`) -> those
 *   are warnings ("skipped"), the rest success;
 * - when they show k skips that the records cannot account for -> every unlisted record is a warning
 *   ("imported or skipped"): the server does not say which rows it skipped, and we will not guess.
 * With the case lookup (`lookup`, "Look Up Case IDs"), facts come first, within the counts: a record whose case was
 * found is imported (the lookup gives no more found cases than CommCare counted, countsBound.ts); one whose id matched
 * no case with "Create New Cases" off was skipped (`notMatched`), and counts as a known skip, unless there are more
 * such records than CommCare skipped; every other record is routed by the rules above. Each record then also
 * carries `case_id`, `case`, `caseLookup`, and `parent_case_id` when it names a parent (caseLookup/parentCase.ts).
 */
export function classifyRecords(
	records: RecordInput[],
	outcome: ImportResult,
	lookup?: GroupLookup,
): RecordOutcomeJson[] {
	const importSummary = importContext(outcome);
	const lookupRan = lookup !== undefined;
	const build = (
		input: RecordInput,
		result: Outcome,
		reason: OutcomeReason,
		summary: string,
		errors: IDataObject[],
		caseInfo?: CaseFields,
	): RecordOutcomeJson => ({
		outcome: result,
		reason,
		summary,
		status_url: outcome.status_url,
		row: input.row,
		record: input.record,
		errors,
		import: importSummary,
		...(lookupRan ? withParentCase(caseInfo ?? caseFieldsOf(input, lookup), input.record, input.upload) : {}),
	});

	if (!importFinished(outcome)) {
		const wholeImportError =
			outcome.errors.length > 0
				? outcome.errors.map(({ title, description, column }) => ({ title, description, column }))
				: [{ title: 'Import not completed', description: outcome.summary, column: null }];
		return records.map((input) =>
			build(
				input,
				'error',
				outcome.reason,
				outcome.reason === 'timedOut'
					? // "Row 4 not finished yet (still queued after 30 min, 12 polls) — it may still finish; …"
						`Row ${input.row} ${outcome.summary.charAt(0).toLowerCase()}${outcome.summary.slice(1)}`
					: `Row ${input.row} ${UNFINISHED_ROW[outcome.reason] ?? 'result not known'}: ${outcome.summary}`,
				wholeImportError,
				notLookedUp('notRun', NOT_RUN),
			),
		);
	}

	const errorsByRow = new Map<number, IDataObject[]>();
	for (const entry of outcome.errors) {
		for (const row of entry.rows) {
			const list = errorsByRow.get(row) ?? [];
			list.push({ title: entry.title, description: entry.description, column: entry.column });
			errorsByRow.set(row, list);
		}
	}
	const unlisted = records.filter((input) => !errorsByRow.has(input.row));
	// Unknown (counts that do not add up, or no row count): no unlisted record is known to be imported.
	const skipped = outcome.skipped_count;
	const certainSkips = new Map<RecordInput, string>();
	for (const input of unlisted) {
		const reason = certainSkipReason(input);
		if (reason !== null) certainSkips.set(input, reason);
	}
	const createNewCases = createNewCasesOf(unlisted[0]?.upload ?? {});
	const matchedNothing = (fact: RecordLookup | undefined) =>
		createNewCases === false && (fact?.kind === 'notFound' || fact?.kind === 'otherCaseType');
	const unmatched = unlisted.filter((input) => matchedNothing(lookup?.byRow.get(input.row))).length;
	// The counts win here too: more rows the lookup saw match nothing than CommCare skipped proves none of them.
	const unmatchedFitCounts = skipped === null || certainSkips.size + unmatched <= skipped;
	const notMatched = (fact: RecordLookup | undefined) => unmatchedFitCounts && matchedNothing(fact);
	const knownSkips = certainSkips.size + (unmatchedFitCounts ? unmatched : 0);
	const skipsAccountedFor = skipped === knownSkips;

	return records.map((input) => {
		const rowErrors = errorsByRow.get(input.row);
		if (rowErrors) {
			const titles = rowErrors.map((entry) => entry.title ?? entry.description).join(', ');
			return build(
				input,
				'warning',
				'rowErrors',
				`Row ${input.row} not imported: ${titles}`,
				rowErrors,
				notLookedUp('notImported', NOT_IMPORTED),
			);
		}
		const fact = lookup?.byRow.get(input.row);
		if (fact?.kind === 'found') {
			const action = fact.action ?? 'created or updated';
			return build(
				input,
				'success',
				'imported',
				`Row ${input.row} imported: case ${fact.found.case_id} ${action}`,
				NO_ERRORS,
			);
		}
		if (notMatched(fact)) {
			const why = caseFieldsOf(input, lookup).caseLookup.message;
			return build(input, 'warning', 'notMatched', `Row ${input.row} skipped: ${why}`, NO_ERRORS);
		}
		if (outcome.created_count === null || (outcome.reason === 'noCounts' && outcome.outcome === 'warning')) {
			return build(input, 'warning', 'noCounts', `Row ${input.row} imported or skipped: ${outcome.summary}`, NO_ERRORS);
		}
		if (skipped === null) {
			return build(
				input,
				'warning',
				'importedOrSkipped',
				`Row ${input.row} imported or skipped: CommCare's counts for this upload cannot be matched to its rows, so this row's fate is not known. ${outcome.summary}`,
				[],
			);
		}
		if (skipped === 0) {
			return build(input, 'success', 'imported', `Row ${input.row} imported (created or updated)`, NO_ERRORS);
		}
		if (skipsAccountedFor) {
			const reason = certainSkips.get(input);
			return reason === undefined
				? build(input, 'success', 'imported', `Row ${input.row} imported (created or updated)`, NO_ERRORS)
				: build(input, 'warning', 'skippedRows', `Row ${input.row} skipped silently: ${reason}`, NO_ERRORS);
		}
		const reason = certainSkips.get(input);
		const hint =
			reason !== undefined
				? ` (probably skipped: ${reason})`
				: fact?.kind === 'countsDisagree'
					? " (a case was found for it, but CommCare's counts leave no room for every case found, so none is given)"
					: '';
		return build(
			input,
			'warning',
			'importedOrSkipped',
			`Row ${input.row} imported or skipped${hint}: CommCare's counts show ${plural(skipped, 'row')} of this upload skipped silently without saying which: ${silentSkipReason(createNewCasesOf(input.upload), input.upload)}`,
			[],
		);
	});
}

/** A record's case keys: its lookup, a certain skip's "not imported", or the lookup's failure. */
function caseFieldsOf(input: RecordInput, lookup: GroupLookup | undefined): CaseFields {
	if (!lookup) return notLookedUp('notRun', NOT_RUN);
	if (lookup.unavailable) return notLookedUp('unavailable', lookup.unavailable.message);
	const fact = lookup.byRow.get(input.row);
	if (fact) return caseFields(fact, lookup, input.upload);
	return notLookedUp('notImported', NOT_IMPORTED);
}

/** What a record item carries about its import: everything but the (possibly huge) error list and upload item. */
function importContext(outcome: ImportResult): IDataObject {
	const { errors: _errors, upload: _upload, ...rest } = outcome;
	return rest;
}

// Input items -> what to poll -> one outcome per item
