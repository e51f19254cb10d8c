/**
 * A loopback HTTP server that holds every request until `expected` requests are open at the same time, then
 * answers them all. Executions that call it can only all finish if that many ran concurrently: with two workers
 * of concurrency 5, ten held requests prove both workers were running jobs at once.
 *
 * If the count is never reached (say, one worker took no jobs), it answers everyone after `giveUpMs` so the test
 * ends and its assertions on `maxOpen` report the shortfall instead of a hang.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';

export interface HoldServer {
	url: string;
	/** requestId query values, in arrival order. */
	received: string[];
	/** Most requests that were open at the same time. */
	maxOpen(): number;
	/** True once the expected count was reached (false after giving up). */
	reachedTogether(): boolean;
	close(): Promise<void>;
}

export async function startHoldServer(expected: number, giveUpMs = 120_000): Promise<HoldServer> {
	const waiting: Array<() => void> = [];
	const received: string[] = [];
	let open = 0;
	let maxOpen = 0;
	let released = false;
	let reachedTogether = false;
	const releaseAll = () => {
		released = true;
		for (const answer of waiting.splice(0)) answer();
	};
	const giveUp = setTimeout(releaseAll, giveUpMs);

	const server = http.createServer((request, response) => {
		const requestId = new URL(request.url ?? '/', 'http://localhost').searchParams.get('requestId') ?? '';
		received.push(requestId);
		open++;
		maxOpen = Math.max(maxOpen, open);
		const answer = () => {
			open--;
			response.setHeader('content-type', 'application/json');
			response.end(JSON.stringify({ requestId, heldWith: maxOpen }));
		};
		if (released) return answer();
		waiting.push(answer);
		if (waiting.length >= expected) {
			reachedTogether = true;
			clearTimeout(giveUp);
			releaseAll();
		}
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/hold`,
		received,
		maxOpen: () => maxOpen,
		reachedTogether: () => reachedTogether,
		close: () => {
			clearTimeout(giveUp);
			releaseAll();
			return new Promise((resolve) => server.close(() => resolve()));
		},
	};
}
