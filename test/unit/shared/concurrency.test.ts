/**
 * forEachLimited (concurrency.ts), which runs the node's parallel requests (status polls, case lookups): at most
 * `limit` at once, and the first failure or the execution's cancel stops the whole run. No worker takes more work, the
 * tasks in flight are told through their signal, and the promise settles only once every one of them has stopped, so
 * nothing of the run is still working when the node returns.
 */
import { forEachLimited, PollingCancelledError } from '../../../nodes/shared/concurrency';

/** A task per item that waits until released (or aborted), recording what happened. */
function gatedTasks() {
	const started: number[] = [];
	const finished: number[] = [];
	const abortedInFlight: number[] = [];
	const gates = new Map<number, { release: () => void; fail: (error: Error) => void }>();
	const task = async (item: number, signal: AbortSignal) => {
		started.push(item);
		try {
			let inFlight = true;
			await new Promise<void>((resolve, reject) => {
				const settle = (then: () => void) => () => {
					inFlight = false;
					then();
				};
				gates.set(item, { release: settle(resolve), fail: (error) => settle(() => reject(error))() });
				signal.addEventListener('abort', () => {
					if (!inFlight) return;
					abortedInFlight.push(item);
					// A request aborted takes a moment to come back.
					setTimeout(() => reject(new Error(`aborted ${item}`)), 20);
				});
			});
			return item * 10;
		} finally {
			finished.push(item);
		}
	};
	const tick = async () => await new Promise((resolve) => setImmediate(resolve));
	return { task, started, finished, abortedInFlight, gates, tick };
}

describe('forEachLimited', () => {
	it('runs every item, at most `limit` at once, results in item order', async () => {
		const { task, started, gates, tick } = gatedTasks();
		const run = forEachLimited([1, 2, 3, 4, 5], 2, undefined, task);
		await tick();
		expect(started).toEqual([1, 2]);
		for (const item of [2, 1, 3, 4, 5]) {
			while (!gates.has(item)) await tick();
			gates.get(item)!.release();
		}
		await expect(run).resolves.toEqual([10, 20, 30, 40, 50]);
	});

	it('the first failure stops the run: nobody takes another item, the task in flight is aborted and awaited', async () => {
		const { task, started, finished, abortedInFlight, gates, tick } = gatedTasks();
		let settled = false;
		const run = forEachLimited([1, 2, 3, 4, 5], 2, undefined, task).finally(() => (settled = true));
		await tick();
		gates.get(1)!.fail(new Error('HTTP 403'));
		await tick();
		// Item 2 is still coming back from its abort: the run has not settled yet.
		expect(settled).toBe(false);
		await expect(run).rejects.toThrow('HTTP 403');
		expect(started).toEqual([1, 2]);
		expect(abortedInFlight).toEqual([2]);
		expect(finished.sort()).toEqual([1, 2]);
	});

	it("the execution's cancel stops the run the same way, with PollingCancelledError", async () => {
		const { task, started, abortedInFlight, tick } = gatedTasks();
		const cancel = new AbortController();
		const run = forEachLimited([1, 2, 3], 2, cancel.signal, task);
		await tick();
		cancel.abort();
		await expect(run).rejects.toBeInstanceOf(PollingCancelledError);
		expect(started).toEqual([1, 2]);
		expect(abortedInFlight.sort()).toEqual([1, 2]);
	});
});
