/**
 * Small purpose-built servers that play CommCare on a loopback port, and a node context whose credential points at
 * one, for the unit tests of the transport and the upload over real sockets.
 */
import http from 'http';
import type { AddressInfo } from 'net';

import { CommCareBulkImport } from '../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { commCareCredentialsFrom } from '../../nodes/shared/transport/credentials';
import { retryPolicyWith } from '../../nodes/shared/transport/retryPolicy';
import { createExecuteContext } from './n8nContext';

export interface TestServer {
	url: string;
	/** Requests received: method, path, authorization header. */
	hits: Array<{ method: string; path: string; authorization?: string }>;
	close: () => Promise<void>;
}

/** A server on a loopback port that answers with `handler` once it has read the whole request body. */
export async function startServer(
	handler: (req: http.IncomingMessage, res: http.ServerResponse, hit: number) => void,
): Promise<TestServer> {
	const hits: TestServer['hits'] = [];
	const server = http.createServer((req, res) => {
		hits.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
		// Read the whole body before answering, as a real server would.
		req.resume();
		req.on('end', () => handler(req, res, hits.length));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		hits,
		close: async () => {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}

/** The key of the credential `setup` gives. */
export const API_KEY = '0123456789abcdef0123456789abcdef01234567';

/** The default retry policy with back-offs of a few milliseconds. */
export const fastRetry = retryPolicyWith({ baseDelayMs: 1, maxDelayMs: 5 });

/**
 * An execution context of CommCare Bulk Import (as saved) whose credential points at `baseUrl`, and that credential as
 * the transport reads it.
 */
export function setup(baseUrl: string, cancelSignal?: AbortSignal) {
	const data = { baseUrl, authType: 'apiKey', username: 'me@example.org', apiKey: API_KEY };
	const test = createExecuteContext({
		node: new CommCareBulkImport(),
		credentials: data,
		cancelSignal,
	});
	return { ...test, credentials: commCareCredentialsFrom(data) };
}

/** Answers with `body` as JSON. */
export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
	res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
	res.end(JSON.stringify(body));
}
