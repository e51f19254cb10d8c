/** Input items → the status URLs to poll → one outcome per item, routed to the Success, Warning and Error outputs. */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { checkedRequestUrl, type BaseUrl } from '../shared/transport/addresses';
import type { ImportOutcomeJson, Outcome, RecordOutcomeJson } from '../shared/outputContract';
import { type WaitResult, unpolled } from './polling';
import { classifyImport } from './importOutcome';
import { classifyRecords } from './recordOutcomes';
import { isRecordItem, type ImportRecords } from './records';
import type { GroupLookup } from './caseLookup/lookupResult';
import { simplifyOutcome } from './simplify';
import { isPlainObject } from './statusBody';

/** One input item and what to do with it. */
export interface StatusCheck {
	itemIndex: number;
	json: IDataObject;
	/** The status URL as given (verbatim; docs/commcare-api.md §1: treat it as opaque), or null when the item has none. */
	statusUrl: string | null;
	/** The address polled: the given one, or a relative one resolved against the Base URL. Null when not polled. */
	pollUrl: string | null;
	/** Set when the item is decided without a request: no URL, or a URL that is refused. */
	unpolled: WaitResult | null;
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
			return { itemIndex, json, statusUrl: null, pollUrl: null, unpolled: unpolled({ kind: 'missingStatusUrl' }) };
		}
		const statusUrl = typeof raw === 'string' ? raw.trim() : JSON.stringify(raw);
		if (typeof raw !== 'string') {
			const reason = `the status URL must be text, but the expression gave ${statusUrl.slice(0, 80)}`;
			return { itemIndex, json, statusUrl, pollUrl: null, unpolled: unpolled({ kind: 'refused', reason }) };
		}
		try {
			const pollUrl = checkedRequestUrl(statusUrl, baseUrl);
			return { itemIndex, json, statusUrl, pollUrl, unpolled: null };
		} catch (error) {
			const { message, description } = error as { message: string; description?: string };
			const reason = description ? `${message}. ${description}` : message;
			return { itemIndex, json, statusUrl, pollUrl: null, unpolled: unpolled({ kind: 'refused', reason }) };
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
}

function waitFor(check: StatusCheck, waits: Map<string, WaitResult>): WaitResult {
	return check.unpolled ?? waits.get(check.pollUrl as string) ?? unpolled({ kind: 'timedOut', lastProblem: null });
}

/** The record items grouped by import (records share an import only when they share a polled URL). */
export function recordGroups(checks: StatusCheck[], waits: Map<string, WaitResult>): RecordGroup[] {
	const byKey = new Map<string, StatusCheck[]>();
	for (const check of checks) {
		if (!isRecordItem(check.json)) continue;
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
		}));
		const importOutcome = classifyImport(group[0].statusUrl, inputs[0].upload, waitFor(group[0], waits));
		return { key, checks: group, inputs, pollUrl: group[0].unpolled === null ? group[0].pollUrl : null, importOutcome };
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
 */
export function outcomesForItems(
	checks: StatusCheck[],
	waits: Map<string, WaitResult>,
	lookupOf?: (group: RecordGroup) => GroupLookup | undefined,
	groups: RecordGroup[] = recordGroups(checks, waits),
): Array<{ itemIndex: number; json: ImportOutcomeJson | RecordOutcomeJson }> {
	const outcomes: Array<{ itemIndex: number; json: ImportOutcomeJson | RecordOutcomeJson }> = [];
	for (const check of checks) {
		if (isRecordItem(check.json)) continue;
		outcomes.push({
			itemIndex: check.itemIndex,
			json: classifyImport(check.statusUrl, uploadOf(check.json), waitFor(check, waits)),
		});
	}
	for (const group of groups) {
		classifyRecords(group.inputs, group.importOutcome, lookupOf?.(group)).forEach((json, index) => {
			outcomes.push({ itemIndex: group.checks[index].itemIndex, json });
		});
	}
	return outcomes;
}

// Outputs

export const OUTPUT_INDEX: Record<Outcome, number> = { success: 0, warning: 1, error: 2, notFinished: 3 };

/**
 * Puts each outcome on its output (Success, Warning, Error), linked to the input item it came from; with `simplify`
 * (version 1.1's default), in its simplified form.
 */
export function routeToOutputs(
	outcomes: Array<{ itemIndex: number; json: ImportOutcomeJson | RecordOutcomeJson }>,
	{ simplify = false }: { simplify?: boolean } = {},
): INodeExecutionData[][] {
	const outputs: INodeExecutionData[][] = [[], [], []];
	const ordered = [...outcomes].sort((a, b) => a.itemIndex - b.itemIndex);
	for (const { itemIndex, json } of ordered) {
		const shown = simplify ? simplifyOutcome(json) : json;
		outputs[OUTPUT_INDEX[json.outcome]].push({ json: shown, pairedItem: { item: itemIndex } });
	}
	return outputs;
}
