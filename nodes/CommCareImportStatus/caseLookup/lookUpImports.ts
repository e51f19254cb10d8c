/**
 * "Look Up Case IDs": after the wait, the records of every finished import are looked up (`lookUpRecords`), one
 * import after the other, within one deadline shared by all: "Case Lookup Wait" bounds the whole lookup, every
 * request and retry included. A lookup that cannot run is
 * said once, as an execution hint, and on each of its records; it never changes an import's outcome.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import { caseApiBase } from '../../shared/transport/addresses';
import type { CommCareCredentials } from '../../shared/transport/credentials';
import { sleepUnlessCancelled } from '../../shared/sleep';
import { throwIfCancelled } from '../../shared/concurrency';
import { importFinished, recordsToLookUp, type ImportRecords } from '../records';
import { caseApiThroughTransport } from '../../shared/caseApi';
import type { GroupLookup } from './lookupResult';
import { lookUpRecords } from './lookUpRecords';

export interface CaseLookupSettings {
	/** The longest the whole lookup may take (most of it, usually, waiting for CommCare's search index). */
	waitSeconds: number;
	concurrency: number;
	signal?: AbortSignal;
}

const NOTHING_LOOKED_UP: GroupLookup = Object.freeze({
	unavailable: null,
	byRow: new Map(),
	indexBehind: false,
	outOfTime: null,
	requests: 0,
	waitedSeconds: 0,
});

export async function lookUpCaseIds<Group extends ImportRecords>(
	ctx: IExecuteFunctions,
	credentials: CommCareCredentials,
	groups: Group[],
	settings: CaseLookupSettings,
): Promise<Map<Group, GroupLookup>> {
	const lookups = new Map<Group, GroupLookup>();
	const deadline = Date.now() + settings.waitSeconds * 1000;
	const hints = new Set<string>();
	for (const group of groups) {
		throwIfCancelled(settings.signal);
		if (!importFinished(group.importOutcome)) {
			lookups.set(group, NOTHING_LOOKED_UP);
			continue;
		}
		const upload = group.inputs[0].upload;
		const projectSpace = typeof upload.projectSpace === 'string' ? upload.projectSpace : '';
		const api = caseApiThroughTransport(ctx, credentials, {
			apiBase: caseApiBase(group.pollUrl, credentials.baseUrl, projectSpace),
			projectSpace,
			concurrency: settings.concurrency,
			signal: settings.signal,
			deadline,
			waitSeconds: settings.waitSeconds,
		});
		const lookup = await lookUpRecords(
			api,
			{
				candidates: recordsToLookUp(group.inputs, group.importOutcome),
				recordCount: group.inputs.length,
				outcome: group.importOutcome,
				upload,
			},
			{ deadline, now: Date.now, sleep: async (ms) => await pause(ms, settings.signal) },
		);
		throwIfCancelled(settings.signal);
		if (lookup.unavailable) hints.add(lookup.unavailable.message);
		if (lookup.outOfTime) hints.add(lookup.outOfTime);
		lookups.set(group, lookup);
	}
	if (hints.size > 0 && typeof ctx.addExecutionHints === 'function') {
		ctx.addExecutionHints(
			...[...hints].map((message) => ({ message, type: 'warning' as const, location: 'outputPane' as const })),
		);
	}
	return lookups;
}

async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
	// The wait only ends early when the execution is cancelled: that stops the node like a cancelled poll.
	await sleepUnlessCancelled(ms, signal).catch(() => throwIfCancelled(signal));
}
