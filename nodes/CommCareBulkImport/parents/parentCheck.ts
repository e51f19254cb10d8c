/**
 * Options → "Check Parents Exist", as a run makes it: the parents every upload's rows name are looked up in one go per
 * project space (parentLookup.ts), within one deadline, through the credential's own server. When CommCare will not
 * answer (no "Access APIs" permission, a plan without API access, its rate limit, the deadline), the run stops with
 * that reason, or goes on unchecked with a warning when the user chose so (Options → "If Parents Cannot Be Checked").
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import { CaseLookupUnavailable, caseApiThroughTransport, type LookupWording } from '../../shared/caseApi';
import { throwIfCancelled } from '../../shared/concurrency';
import type { CheckFinding } from '../../shared/outputContract';
import { sleepUnlessCancelled } from '../../shared/sleep';
import { caseApiBase } from '../../shared/transport/addresses';
import type { CommCareCredentials } from '../../shared/transport/credentials';
import type { RetryPolicy } from '../../shared/transport/retryPolicy';
import type { ParentCheckMode } from '../parameters';
import { lookUpParents, type ParentVerdict } from './parentLookup';
import type { ParentLink } from './parentRows';

/** The longest the whole check may take, every request, retry and pause included. */
export const PARENT_CHECK_WAIT_SECONDS = 120;
/** Bulk fetches in flight at once. */
const CONCURRENCY = 2;

export type ParentCheckResult =
	| { kind: 'checked'; verdicts: Map<string, ParentVerdict> }
	/** CommCare did not answer: `finding` (an error, or a warning when the user chose to go on) says why. */
	| { kind: 'unavailable'; finding: CheckFinding; goOn: boolean };

export async function checkParentsExist(
	ctx: IExecuteFunctions,
	credentials: CommCareCredentials,
	links: Array<{ projectSpace: string; links: ParentLink[] }>,
	mode: ParentCheckMode,
	retry: RetryPolicy,
): Promise<ParentCheckResult> {
	const signal = ctx.getExecutionCancelSignal?.();
	const deadline = Date.now() + PARENT_CHECK_WAIT_SECONDS * 1000;
	const verdicts = new Map<string, ParentVerdict>();
	const bySpace = new Map<string, ParentLink[]>();
	for (const group of links) {
		bySpace.set(group.projectSpace, (bySpace.get(group.projectSpace) ?? []).concat(group.links));
	}
	try {
		for (const [projectSpace, spaceLinks] of bySpace) {
			if (spaceLinks.length === 0) continue;
			const api = caseApiThroughTransport(ctx, credentials, {
				apiBase: caseApiBase(null, credentials.baseUrl, projectSpace),
				projectSpace,
				concurrency: CONCURRENCY,
				signal,
				deadline,
				waitSeconds: PARENT_CHECK_WAIT_SECONDS,
				retry,
				wording: wording(mode),
			});
			const found = await lookUpParents(api, spaceLinks, {
				deadline,
				now: Date.now,
				sleep: async (ms) => await sleepUnlessCancelled(ms, signal).catch(() => throwIfCancelled(signal)),
			});
			// Keys of different project spaces never meet: one space per upload, and a key names its type and id.
			for (const [key, verdict] of found) verdicts.set(key, verdict);
		}
	} catch (error) {
		// Anything else (the execution cancelled) ends the run as it is.
		if (!(error instanceof CaseLookupUnavailable)) return await Promise.reject(error);
		const goOn = mode === 'uploadUnchecked';
		return {
			kind: 'unavailable',
			goOn,
			finding: {
				code: 'parentCheckUnavailable',
				message: firstSentence(error.message),
				description: error.message,
			},
		};
	}
	return { kind: 'checked', verdicts };
}

function wording(mode: ParentCheckMode): LookupWording {
	return {
		name: 'parent check',
		wait: 'the parent check’s limit',
		skip:
			mode === 'uploadUnchecked'
				? 'The upload went on without it (Options → "If Parents Cannot Be Checked": Upload Unchecked).'
				: 'Nothing was uploaded. Fix that, switch Options → "Check Parents Exist" off, or set "If Parents Cannot Be Checked" to Upload Unchecked.',
	};
}

/** "CommCare refused the parent check (HTTP 403)" of "CommCare refused the parent check (HTTP 403): user … ". */
function firstSentence(message: string): string {
	const end = message.search(/[:.](\s|$)/);
	return end === -1 ? message : message.slice(0, end);
}
