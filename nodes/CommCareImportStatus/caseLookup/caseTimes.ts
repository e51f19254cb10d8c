/**
 * What a found case's times prove: whether this import opened it, and so whether its row created or updated it.
 * - CommCare's times are UTC (`2021-02-18T10:59:00.000000Z`, docs/commcare-api.md §9); one without an offset is
 *   read as UTC too, never on the n8n machine's clock.
 * - A `date_opened` is no proof when it cannot be the time the case was opened: later than the case's last
 *   modification (a device clock ahead, or a `date_opened` column), or set by the row itself (a `date_opened`
 *   value, which CommCare applies on projects with that feature). Such a case's action stays null.
 */
import type { IDataObject } from 'n8n-workflow';

import { isWrittenBlank } from '../../shared/cellText';
import type { ImportOutcomeJson } from '../../shared/outputContract';
import type { CaseSummary } from '../../shared/caseApi';
import type { CaseAction, RecordLookup } from './lookupResult';

/** A date_opened up to this much after the last modification is still taken as true (two timestamps of one save). */
const SAME_SAVE_MS = 1000;

/** A CommCare time in ms since the epoch: UTC unless the text carries an offset; NaN when it is not a time. */
export function commCareTime(text: string | null): number {
	if (text === null) return NaN;
	const hasClock = /T\d\d:\d\d/.test(text);
	const hasOffset = /(?:Z|[+-]\d\d:?\d\d)$/i.test(text);
	// ECMAScript reads a date-time without an offset on the local clock (a date alone as UTC): say UTC.
	return Date.parse(hasClock && !hasOffset ? `${text}Z` : text);
}

/** When the case was opened, if its `date_opened` can say so (see the header); NaN otherwise. */
export function trustedOpening(found: CaseSummary, record: IDataObject, now: number): number {
	if (!isWrittenBlank(record.date_opened)) return NaN;
	const opened = commCareTime(found.date_opened);
	const modified = commCareTime(found.server_last_modified);
	const latest = Number.isNaN(modified) ? now : modified;
	return opened > latest + SAME_SAVE_MS ? NaN : opened;
}

type Found = Extract<RecordLookup, { kind: 'found' }>;

/**
 * Created or updated, matching by external id. Later rows of a case in the upload updated it; its first row created
 * it when the case was opened by this import. Three readings of "opened by this import", each kept only when it
 * agrees with CommCare's created count (when the records are the whole upload and every imported row's case was found):
 * 1. opened after the second the upload was accepted (the server's Date header has whole seconds; a case opened
 *    within that second is settled by reading 2 or 3);
 * 2. opened since the import began touching cases (the earliest modification among the found cases);
 * 3. the cases opened last, as many as the counts say were created: a case the import opened was opened after every
 *    case it found already there, and each of those was modified after it was opened (the import touched it). This
 *    settles a case opened within the upload's second, just before it, that the import then updated; a tie at the
 *    cut settles nothing.
 * Without counts to agree with (part of the upload, cases the index does not show yet, or a case whose opening time
 * proves nothing), reading 1 alone, and what it cannot settle is left unsaid.
 */
export function settleActions(
	found: Array<{ row: number; lookup: Found; opened: number }>,
	outcome: ImportOutcomeJson,
	countsCoverFoundCases: boolean,
	acceptedAt: number,
): void {
	if (Number.isNaN(acceptedAt)) return;
	const byRow = [...found].sort((a, b) => a.row - b.row);
	const firstRowOf = new Map<string, number>();
	for (const { row, lookup } of byRow)
		if (!firstRowOf.has(lookup.found.case_id)) firstRowOf.set(lookup.found.case_id, row);
	const open: Array<{ lookup: Found; opened: number }> = [];
	for (const entry of byRow) {
		if (entry.lookup.action !== null) continue;
		if (firstRowOf.get(entry.lookup.found.case_id) !== entry.row) entry.lookup.action = 'updated';
		else open.push(entry);
	}
	type Open = (typeof open)[number];
	const importBegan = byRow
		.map(({ lookup }) => commCareTime(lookup.found.server_last_modified))
		.filter((time) => time >= acceptedAt - 1000)
		.reduce((earliest, time) => Math.min(earliest, time), Infinity);
	const strictSecond = ({ opened }: Open): CaseAction | null =>
		Number.isNaN(opened) ? null : opened >= acceptedAt + 1000 ? 'created' : opened < acceptedAt ? 'updated' : null;
	const byImportStart = ({ opened }: Open): CaseAction => (opened >= importBegan ? 'created' : 'updated');
	const bySecond = (entry: Open): CaseAction => strictSecond(entry) ?? byImportStart(entry);
	const everyOpeningKnown = open.every(({ opened }) => !Number.isNaN(opened));
	if (!countsCoverFoundCases || outcome.created_count === null || !everyOpeningKnown) {
		for (const entry of open) entry.lookup.action = strictSecond(entry);
		return;
	}
	const createdBefore = byRow.filter(({ lookup }) => lookup.action === 'created').length;
	const byOpeningOrder = openedLast(open, outcome.created_count - createdBefore);
	const readings = [bySecond, byImportStart, ...(byOpeningOrder ? [byOpeningOrder] : [])];
	const fitting = readings.find(
		(reading) => createdBefore + open.filter((entry) => reading(entry) === 'created').length === outcome.created_count,
	);
	for (const entry of open) entry.lookup.action = fitting ? fitting(entry) : null;
}

/**
 * Reading 3 of `settleActions`: the `created` cases opened last are the ones the import created; null when that cut
 * falls on a tie or a case it calls updated was not modified after it was opened.
 */
function openedLast<Entry extends { lookup: { found: CaseSummary }; opened: number }>(
	open: Entry[],
	created: number,
): ((entry: Entry) => CaseAction) | null {
	if (created < 0 || created > open.length) return null;
	const newestFirst = open.map(({ opened }) => opened).sort((a, b) => b - a);
	if (created > 0 && created < open.length && newestFirst[created - 1] === newestFirst[created]) return null;
	const cut = created === 0 ? Infinity : newestFirst[created - 1];
	const reading = ({ opened }: Entry): CaseAction => (opened >= cut ? 'created' : 'updated');
	const touchedAfterOpening = (entry: Entry) => commCareTime(entry.lookup.found.server_last_modified) > entry.opened;
	return open.every((entry) => reading(entry) === 'created' || touchedAfterOpening(entry)) ? reading : null;
}
