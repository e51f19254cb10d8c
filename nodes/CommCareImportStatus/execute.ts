/**
 * CommCare Import Status, run: read the settings once for the run, decide per item what to poll (routing.ts), poll
 * all distinct status URLs together in the shared polling loop (reading each body with statusBody.ts's reader), then
 * route one outcome per item to Success / Warning / Error (and Not Finished from version 1.2 on). Failures of an
 * import are items on the Error output, not thrown errors; only a missing credential or a cancelled execution stop
 * the node.
 */
import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { toNodeError } from '../shared/errors';
import { withRedaction } from '../shared/withRedaction';
import { PollingCancelledError } from '../shared/concurrency';
import { fetchStatusThroughTransport, pollStatusUrls, type PollingOptions } from '../shared/polling';
import { readImportStatus, unpolledImport } from './statusBody';
import { DEFAULTS, defaultsAt, MIN_POLL_INTERVAL_SECONDS } from './description';
import { outcomesForItems, planStatusChecks, recordGroups, routeToOutputs, urlsToPoll } from './routing';
import { lookUpCaseIds } from './caseLookup/lookUpImports';
import { getCommCareCredentials } from '../shared/transport/credentials';
import { parameterOfEveryItem } from './itemParameters';
import { outputCount } from './outputs';
import { NOT_FINISHED_OUTPUT, SIMPLIFIED_OUTPUT } from './versions';

/** Settings of the one polling loop, read from the first item (they cannot differ per item). */
function readPollingSettings(ctx: IExecuteFunctions): PollingOptions {
	const number = (name: string, fallback: number): number => {
		const value = Number(ctx.getNodeParameter(name, 0, fallback));
		return Number.isFinite(value) ? value : fallback;
	};
	const intervalSeconds = Math.max(MIN_POLL_INTERVAL_SECONDS, number('pollInterval', DEFAULTS.pollInterval));
	return {
		intervalSeconds,
		maxIntervalSeconds: Math.max(intervalSeconds, number('options.maxPollInterval', DEFAULTS.maxPollInterval)),
		timeoutSeconds: Math.max(0, number('timeout', DEFAULTS.timeout) * 60),
		concurrency: Math.max(1, Math.floor(number('options.concurrency', DEFAULTS.concurrency))),
		signal: ctx.getExecutionCancelSignal?.(),
	};
}

export async function executeImportStatus(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await withRedaction(ctx, async () => await checkImports(ctx));
}

async function checkImports(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const { typeVersion } = ctx.getNode();
	const outputs = outputCount(typeVersion);
	const items = ctx.getInputData();
	if (items.length === 0) return Array.from({ length: outputs }, () => []);
	const jsons = items.map((item) => item.json);
	const statusUrls = parameterOfEveryItem(ctx, 'statusUrl', jsons, '');
	const simplify =
		typeVersion >= SIMPLIFIED_OUTPUT && ctx.getNodeParameter('simplify', 0, defaultsAt(typeVersion).simplify) === true;
	// Version 1.2's reading: Not Finished, dry runs as checks, what to do, the records' warnings (versions.ts).
	const plain = typeVersion >= NOT_FINISHED_OUTPUT;
	const route = (outcomes: Parameters<typeof routeToOutputs>[0]) =>
		routeToOutputs(outcomes, { simplify, plain, outputs });

	let credentials;
	try {
		credentials = await getCommCareCredentials(ctx);
	} catch (error) {
		if (!ctx.continueOnFail()) throw toNodeError(ctx.getNode(), error, undefined);
		// Nothing can be asked without a usable credential: every item goes to Error saying why.
		const { message: reason, description } = error as { message: string; description?: string | null };
		return route(
			outcomesForItems(
				jsons.map((json, itemIndex) => ({
					itemIndex,
					json,
					statusUrl: typeof statusUrls[itemIndex] === 'string' ? (statusUrls[itemIndex] as string) : null,
					pollUrl: null,
					unpolled: unpolledImport({ kind: 'refused', reason, message: reason, advice: description ?? undefined }),
				})),
				new Map(),
				undefined,
				undefined,
				plain,
			),
		);
	}

	const checks = planStatusChecks(jsons, statusUrls, credentials.baseUrl);
	try {
		const polling = readPollingSettings(ctx);
		const waits = await pollStatusUrls(
			urlsToPoll(checks),
			fetchStatusThroughTransport(ctx, credentials),
			polling,
			readImportStatus,
		);
		const groups = recordGroups(checks, waits, plain);
		if (groups.length === 0 || !ctx.getNodeParameter('options.lookUpCaseIds', 0, DEFAULTS.lookUpCaseIds)) {
			return route(outcomesForItems(checks, waits, undefined, groups, plain));
		}
		const lookups = await lookUpCaseIds(ctx, credentials, groups, {
			waitSeconds: Math.max(0, Number(ctx.getNodeParameter('options.caseLookupWait', 0, DEFAULTS.caseLookupWait)) || 0),
			concurrency: polling.concurrency ?? DEFAULTS.concurrency,
			signal: polling.signal,
		});
		return route(outcomesForItems(checks, waits, (group) => lookups.get(group), groups, plain));
	} catch (error) {
		if (error instanceof PollingCancelledError) throw new NodeOperationError(ctx.getNode(), error.message);
		// The credential and the polling settings are read once for all items: the error names no item.
		throw toNodeError(ctx.getNode(), error, undefined);
	}
}
