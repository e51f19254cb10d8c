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

/**
 * Runs `task` over `items` with at most `limit` running at once. The first failure (or the execution's cancel) stops
 * the run as a whole: no worker takes another item, and the signal each task was given aborts, so a request in
 * flight ends too. The promise settles only once every worker has stopped, so nothing of the run is still sending
 * when the caller goes on (or the node returns).
 */
export async function forEachLimited<T, R>(
	items: T[],
	limit: number,
	signal: AbortSignal | undefined,
	task: (item: T, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
	const results: R[] = new Array(items.length);
	const stop = new AbortController();
	const onCancel = () => stop.abort(new PollingCancelledError());
	if (signal?.aborted) onCancel();
	else signal?.addEventListener('abort', onCancel, { once: true });
	let next = 0;
	let failure: { error: unknown } | null = null;
	const worker = async () => {
		while (next < items.length && !stop.signal.aborted) {
			const index = next++;
			try {
				results[index] = await task(items[index], stop.signal);
			} catch (error) {
				failure ??= { error };
				stop.abort(error);
			}
		}
	};
	try {
		await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
	} finally {
		signal?.removeEventListener('abort', onCancel);
	}
	throwIfCancelled(signal);
	if (failure) throw (failure as { error: unknown }).error;
	return results;
}
