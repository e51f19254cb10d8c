/** Bounded concurrency for the node's requests (status polls, case lookups), stopping at the execution's cancel. */

export class PollingCancelledError extends Error {
	constructor() {
		super('The execution was cancelled while waiting for the import status');
		this.name = 'PollingCancelledError';
	}
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
	if (signal?.aborted) throw new PollingCancelledError();
}

/** Runs `task` over `items` with at most `limit` running at once; starts nothing new once cancelled. */
export async function forEachLimited<T, R>(
	items: T[],
	limit: number,
	signal: AbortSignal | undefined,
	task: (item: T) => Promise<R>,
): Promise<R[]> {
	const results: R[] = new Array(items.length);
	let next = 0;
	const worker = async () => {
		while (next < items.length) {
			throwIfCancelled(signal);
			const index = next++;
			results[index] = await task(items[index]);
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
	return results;
}
