/**
 * CommCare's counts bound what the lookup may claim. A case the search index shows for a row is not proof that the
 * import touched it: the index can lag, and someone may have created or changed the case since. So the found cases
 * must fit the counts: no more rows updated than matched, no more created than created, no more found in all than
 * both together. Where they do not fit, no found case of the kind that overflows can be told from the others, so
 * each of them becomes `countsDisagree`: no case ID, and the record is routed by the counts alone.
 */
import type { ImportOutcomeJson } from '../../shared/outputContract';
import type { RecordLookup } from './lookupResult';

type Found = Extract<RecordLookup, { kind: 'found' }>;

export function boundByCounts(byRow: Map<number, RecordLookup>, outcome: ImportOutcomeJson): void {
	const matched = outcome.match_count;
	const created = outcome.created_count;
	if (matched === null || created === null) return;
	const found = () => [...byRow.entries()].filter((entry): entry is [number, Found] => entry[1].kind === 'found');
	const counted = `CommCare counted ${matched} matched and ${created} created`;
	const demote = (entries: Array<[number, Found]>, why: string) => {
		for (const [row] of entries) byRow.set(row, { kind: 'countsDisagree', why: `${counted}, ${why}` });
	};
	const updated = found().filter(([, lookup]) => lookup.action === 'updated');
	if (updated.length > matched) demote(updated, `yet the lookup found ${updated.length} cases rows updated`);
	const made = found().filter(([, lookup]) => lookup.action === 'created');
	if (made.length > created) demote(made, `yet the lookup found ${made.length} cases rows created`);
	const rest = found();
	if (rest.length > matched + created) demote(rest, `yet the lookup found cases for ${rest.length} rows`);
}
