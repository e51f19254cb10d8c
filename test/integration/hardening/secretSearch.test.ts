/**
 * The secret search every hardening scenario runs through (harness.ts) must find a secret wherever an error or an
 * output could carry it: otherwise "no secret leaked" would prove nothing.
 */
import { NodeApiError, NodeOperationError, type INode } from 'n8n-workflow';

import { expectNoSecrets, SECRET_USER, type RunResult } from './harness';

const node = { name: 'CommCare', type: 'test', typeVersion: 1, position: [0, 0], parameters: {} } as unknown as INode;

function resultWith(parts: Partial<RunResult>): RunResult {
	return { logs: [], ...parts };
}

describe('the secret search', () => {
	it('passes a run that exposes no secret', () => {
		expect(() =>
			expectNoSecrets(
				resultWith({
					outputs: [[{ json: { summary: 'fine', user: SECRET_USER.username } }]],
					logs: ['debug: retry 1'],
				}),
			),
		).not.toThrow();
	});

	it.each<[string, () => RunResult]>([
		[
			'an output item',
			() => resultWith({ outputs: [[{ json: { nested: { deeper: [`key ${SECRET_USER.apiKey}`] } } }]] }),
		],
		[
			'an error message',
			() => resultWith({ error: new NodeOperationError(node, `bad ${SECRET_USER.password}`) as never }),
		],
		[
			'an error description',
			() =>
				resultWith({
					error: new NodeOperationError(node, 'bad', { description: `see ${SECRET_USER.apiKey}` }) as never,
				}),
		],
		[
			'a cause deep inside an error',
			() => {
				const error = new NodeApiError(node, {
					response: { config: { headers: { Authorization: `ApiKey ${SECRET_USER.username}:${SECRET_USER.apiKey}` } } },
				} as never);
				return resultWith({ error: error as never });
			},
		],
		[
			'the stack only',
			() => {
				const error = new Error('plain');
				error.stack = `Error: at ${SECRET_USER.apiKey.slice(0, 20)}…`;
				return resultWith({ error: error as never });
			},
		],
		[
			'a non-enumerable property',
			() => {
				const error = new Error('plain');
				Object.defineProperty(error, 'context', {
					value: { header: Buffer.from(`${SECRET_USER.username}:${SECRET_USER.password}`).toString('base64') },
					enumerable: false,
				});
				return resultWith({ error: error as never });
			},
		],
		[
			'a log line',
			() => resultWith({ logs: [`debug: sent Authorization: ApiKey ${SECRET_USER.username}:${SECRET_USER.apiKey}`] }),
		],
	])('finds a secret in %s', (_where, build) => {
		expect(() => expectNoSecrets(build())).toThrow(/A secret leaked/);
	});
});
