/**
 * Input items → the status URLs to poll → one outcome per item, routed to the Success, Warning, Error and (version 1.2
 * on) Not Finished outputs. `plain` is version 1.2's reading (plainImport.ts, plainRecords.ts, checkOnly.ts,
 * notSent.ts): older versions keep classifyImport's and classifyRecords' outcomes as they are.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { checkedRequestUrl, type BaseUrl } from '../shared/transport/addresses';
import type { ImportOutcomeJson, Outcome, RecordOutcomeJson } from '../shared/outputContract';
import { classifyImport } from './importOutcome';
import { classifyRecords } from './recordOutcomes';
import { findingsOf, isRecordItem, type ImportRecords } from './records';
import type { GroupLookup } from './caseLookup/lookupResult';
import { simplifyOutcome } from './simplify';
import { type ImportWait, isPlainObject, unpolledImport } from './statusBody';
import { checkOnlyOutcome, isCheckOnlyOutcome, isDryRunItem } from './checkOnly';
import { isNotSentItem, isNotSentOutcome, notSentRecord } from './notSent';
import { plainImport } from './plainImport';
import { plainRecords } from './plainRecords';

/** One input item and what to do with it. */
export interface StatusCheck {
	itemIndex: number;
	json: IDataObject;
	/** The status URL as given (verbatim; docs/commcare-api.md §1: treat it as opaque), or null when the item has none. */
	statusUrl: string | null;
	/** The address polled: the given one, or a relative one resolved against the Base URL. Null when not polled. */
	pollUrl: string | null;
	/** Set when the item is decided without a request: no URL, or a URL that is refused. */
	unpolled: ImportWait | null;
}

/**
 * Decides per item what to poll. An item without a status URL is an upstream failure; a URL that is not a valid
 * http(s) address, or not on the credential's origin, is never requested (the credential only goes to `baseUrl`'s
 * origin). A relative URL is resolved against the Base URL.
 */
export function planStatusChecks(jsons: IDataObject[], statusUrls: unknown[], baseUrl: BaseUrl): StatusCheck[] {
	return jsons.map((json, itemIndex) => {
		const raw = statusUrls[itemIndex];
		if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
			return {
				itemIndex,
				json,
				statusUrl: null,
				pollUrl: null,
				unpolled: unpolledImport({ kind: 'missingStatusUrl' }),
			};
		}
		const statusUrl = typeof raw === 'string' ? raw.trim() : JSON.stringify(raw);
		if (typeof raw !== 'string') {
			const reason = `the status URL must be text, but the expression gave ${statusUrl.slice(0, 80)}`;
			return { itemIndex, json, statusUrl, pollUrl: null, unpolled: unpolledImport({ kind: 'refused', reason }) };
		}
		try {
			const pollUrl = checkedRequestUrl(statusUrl, baseUrl);
			return { itemIndex, json, statusUrl, pollUrl, unpolled: null };
		} catch (error) {
			const { message, description } = error as { message: string; description?: string };
			const reason = description ? `${message}. ${description}` : message;
			const end = { kind: 'refused' as const, reason, message, advice: description };
			return { itemIndex, json, statusUrl, pollUrl: null, unpolled: unpolledImport(end) };
		}
	});
}

/** The URLs the plan needs polled (each once). */
export function urlsToPoll(checks: StatusCheck[]): string[] {
	return [...new Set(checks.flatMap((check) => (check.unpolled === null && check.pollUrl ? [check.pollUrl] : [])))];
}

/** The record items (per-record mode) of one import, classified together. */
export interface RecordGroup extends ImportRecords {
	key: string;
	checks: StatusCheck[];
	/** How the wait for the import ended (version 1.2 words it). */
	wait: ImportWait;
}

/**
 * Items version 1.2 decides without any import: a dry run's (checkOnly.ts), a record Bulk Import did not send
 * (notSent.ts), and this node's own outcomes of them sent in again.
 */
function isWithoutImport(json: IDataObject): boolean {
	return isDryRunItem(json) || isCheckOnlyOutcome(json) || isNotSentItem(json) || isNotSentOutcome(json);
}

/** The outcome of an item decided without any import: this node's own outcome stays as it is. */
function outcomeWithoutImport(json: IDataObject): ImportOutcomeJson | RecordOutcomeJson {
	if (isCheckOnlyOutcome(json) || isNotSentOutcome(json)) return json as unknown as ImportOutcomeJson;
	return isNotSentItem(json) ? notSentRecord(json) : checkOnlyOutcome(json);
}

function waitFor(check: StatusCheck, waits: Map<string, ImportWait>): ImportWait {
	return (
		check.unpolled ?? waits.get(check.pollUrl as string) ?? unpolledImport({ kind: 'timedOut', lastProblem: null })
	);
}

/**
 * The record items grouped by import (records share an import only when they share a polled URL). With `plain`
 * (version 1.2), a dry run's records, and records Bulk Import did not send, are not records of an import.
 */
export function recordGroups(checks: StatusCheck[], waits: Map<string, ImportWait>, plain = false): RecordGroup[] {
	const byKey = new Map<string, StatusCheck[]>();
	for (const check of checks) {
		if (!isRecordItem(check.json) || (plain && isWithoutImport(check.json))) continue;
		const key = check.unpolled === null ? `url:${check.pollUrl}` : `item:${check.itemIndex}`;
		// Append in place: copying the group for every record made 100,000 records of one import take minutes.
		const group = byKey.get(key);
		if (group) group.push(check);
		else byKey.set(key, [check]);
	}
	return [...byKey.entries()].map(([key, group]) => {
		const inputs = group.map((check) => ({
			row: check.json.row as number,
			record: check.json.record as IDataObject,
			upload: isPlainObject(check.json.upload) ? (check.json.upload as IDataObject) : {},
			warnings: findingsOf(check.json, 'warnings'),
		}));
		const wait = waitFor(group[0], waits);
		const importOutcome = classifyImport(group[0].statusUrl, inputs[0].upload, wait);
		const pollUrl = group[0].unpolled === null ? group[0].pollUrl : null;
		return { key, checks: group, inputs, pollUrl, importOutcome, wait };
	});
}

/**
 * The upload an item stands for: the Bulk Import item itself, or, when the item is this node's own outcome of an
 * earlier check (an Error item sent round a Wait loop to check again), the upload that outcome carries.
 */
function uploadOf(json: IDataObject): IDataObject {
	const isOutcome = typeof json.outcome === 'string' && typeof json.reason === 'string' && 'status_url' in json;
	return isOutcome && isPlainObject(json.upload) ? (json.upload as IDataObject) : json;
}

/**
 * One outcome per item: an upload item gets its import's outcome; record items (per-record mode) of the same
 * import are classified together, each on its own row, with their case lookup when there was one (`lookupOf`).
 * With `plain` (version 1.2), in its words, a dry run's items as checks (checkOnly.ts) and a record Bulk Import did
 * not send as an Error of its own (notSent.ts).
 */
export function outcomesForItems(
	checks: StatusCheck[],
	waits: Map<string, ImportWait>,
	lookupOf?: (group: RecordGroup) => GroupLookup | undefined,
	groups?: RecordGroup[],
	plain = false,
): Array<{ itemIndex: number; json: ImportOutcomeJson | RecordOutcomeJson }> {
	const outcomes: Array<{ itemIndex: number; json: ImportOutcomeJson | RecordOutcomeJson }> = [];
	for (const check of checks) {
		if (plain && isWithoutImport(check.json)) {
			outcomes.push({ itemIndex: check.itemIndex, json: outcomeWithoutImport(check.json) });
			continue;
		}
		if (isRecordItem(check.json)) continue;
		const wait = waitFor(check, waits);
		const classic = classifyImport(check.statusUrl, uploadOf(check.json), wait);
		outcomes.push({ itemIndex: check.itemIndex, json: plain ? plainImport(classic, wait) : classic });
	}
	for (const group of groups ?? recordGroups(checks, waits, plain)) {
		const lookup = lookupOf?.(group);
		const classic = classifyRecords(group.inputs, group.importOutcome, lookup);
		const records = plain
			? plainRecords(classic, group.inputs, plainImport(group.importOutcome, group.wait), lookup)
			: classic;
		records.forEach((json, index) => {
			outcomes.push({ itemIndex: group.checks[index].itemIndex, json });
		});
	}
	return outcomes;
}

// Outputs

export const OUTPUT_INDEX: Record<Outcome, number> = { success: 0, warning: 1, error: 2, notFinished: 3 };

/**
 * Puts each outcome on its output (Success, Warning, Error, and Not Finished when there are 4), linked to the input
 * item it came from; with `simplify` (version 1.1's default), in its simplified form (`plain`: version 1.2's keys).
 */
export function routeToOutputs(
	outcomes: Array<{ itemIndex: number; json: ImportOutcomeJson | RecordOutcomeJson }>,
	{
		simplify = false,
		plain = false,
		outputs: count = 3,
	}: { simplify?: boolean; plain?: boolean; outputs?: number } = {},
): INodeExecutionData[][] {
	const outputs: INodeExecutionData[][] = Array.from({ length: count }, () => []);
	const ordered = [...outcomes].sort((a, b) => a.itemIndex - b.itemIndex);
	for (const { itemIndex, json } of ordered) {
		const shown = simplify ? simplifyOutcome(json, plain) : json;
		outputs[OUTPUT_INDEX[json.outcome]].push({ json: shown, pairedItem: { item: itemIndex } });
	}
	return outputs;
}
