/**
 * A request that got no HTTP answer, classified (shared/transport/networkFailure.ts): was it sent, and is it DNS, a
 * certificate or a cancel. Real failures from n8n's request path over loopback, and errors as other code wraps them.
 */
import http from 'http';
import type { AddressInfo } from 'net';

import { NodeApiError } from 'n8n-workflow';

import { classifyNetworkError } from '../../../../nodes/shared/transport/networkFailure';
import { n8nHttpRequest } from '../../../support/n8nContext';

const node = {
	id: '1',
	name: 'CommCare Bulk Import',
	type: 'test',
	typeVersion: 1,
	position: [0, 0] as [number, number],
	parameters: {},
};

describe('classifyNetworkError', () => {
	/** A real axios error from n8n's request path, wrapped the way httpRequestWithAuthentication wraps it. */
	async function realFailure(url: string, timeout?: number): Promise<unknown> {
		try {
			await n8nHttpRequest({ url, method: 'GET', timeout });
		} catch (error) {
			return new NodeApiError(node, error as never);
		}
		throw new Error('the request unexpectedly succeeded');
	}

	async function withServer(handler: http.RequestListener, run: (url: string) => Promise<void>) {
		const server = http.createServer(handler);
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		try {
			await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
		} finally {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		}
	}

	it('connection refused: not sent', async () => {
		const server = http.createServer();
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const port = (server.address() as AddressInfo).port;
		await new Promise((resolve) => server.close(resolve));
		expect(classifyNetworkError(await realFailure(`http://127.0.0.1:${port}/`))).toMatchObject({
			kind: 'notSent',
			code: 'ECONNREFUSED',
		});
	});

	it('socket hang up: maybe sent', async () => {
		await withServer(
			(req) => req.socket.destroy(),
			async (url) => {
				expect(classifyNetworkError(await realFailure(url))).toMatchObject({ kind: 'maybeSent', code: 'ECONNRESET' });
			},
		);
	});

	it('timeout: maybe sent', async () => {
		await withServer(
			() => undefined,
			async (url) => {
				expect(classifyNetworkError(await realFailure(url, 50))).toMatchObject({
					kind: 'maybeSent',
					code: 'ECONNABORTED',
				});
			},
		);
	});

	it('recognises DNS, certificate and cancellation errors, unwrapped or in a cause', () => {
		const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
		expect(classifyNetworkError(withCode('getaddrinfo ENOTFOUND x.invalid', 'ENOTFOUND'))?.kind).toBe('hostNotFound');
		expect(classifyNetworkError(withCode('getaddrinfo EAI_AGAIN x', 'EAI_AGAIN'))?.kind).toBe('notSent');
		expect(
			classifyNetworkError(
				Object.assign(new Error('wrapped'), {
					cause: withCode('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'),
				}),
			)?.kind,
		).toBe('certificate');
		expect(classifyNetworkError(withCode('canceled', 'ERR_CANCELED'))?.kind).toBe('cancelled');
		expect(
			classifyNetworkError(Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }))?.kind,
		).toBe('cancelled');
	});

	it('leaves other errors alone', () => {
		expect(
			classifyNetworkError(new Error('Node does not have any credentials of type "commCareApi" set')),
		).toBeUndefined();
		expect(classifyNetworkError(new TypeError('x is not a function'))).toBeUndefined();
	});
});
