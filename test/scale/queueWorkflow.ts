/**
 * The workflow the queue-mode tests run on the workers: a production webhook, the throwaway community node, a
 * call that holds each execution until all of them run at once, and a binary round trip
 * (text -> binary file -> text) so the binary-data mode is exercised inside a worker.
 */
import { randomUUID } from 'crypto';

export const HELLO_NODE_TYPE = 'n8n-nodes-harness-hello.harnessHello';

export interface QueueWorkflowOptions {
	webhookPath: string;
	/** Every execution calls `<holdUrl>?requestId=...` and waits for its answer. */
	holdUrl: string;
}

/** Node names the tests read results from. */
export const NODE = {
	webhook: 'Webhook',
	hello: 'Hello',
	hold: 'Hold Until All Run',
	compose: 'Compose',
	toFile: 'To File',
	fromFile: 'From File',
	result: 'Result',
} as const;

export function queueTestWorkflow({ webhookPath, holdUrl }: QueueWorkflowOptions): object {
	const requestId = `$('${NODE.webhook}').item.json.body.requestId`;
	const position = (index: number): [number, number] => [index * 220, 0];
	const nodes = [
		{
			name: NODE.webhook,
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2.1,
			position: position(0),
			webhookId: randomUUID(),
			parameters: {
				httpMethod: 'POST',
				path: webhookPath,
				responseMode: 'lastNode',
				responseData: 'firstEntryJson',
				options: {},
			},
		},
		{ name: NODE.hello, type: HELLO_NODE_TYPE, typeVersion: 1, position: position(1), parameters: {} },
		{
			name: NODE.hold,
			type: 'n8n-nodes-base.httpRequest',
			typeVersion: 4.2,
			position: position(2),
			parameters: { method: 'GET', url: `=${holdUrl}?requestId={{ ${requestId} }}`, options: {} },
		},
		{
			name: NODE.compose,
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: position(3),
			parameters: {
				assignments: {
					assignments: [
						{ id: randomUUID(), name: 'requestId', type: 'string', value: `={{ ${requestId} }}` },
						{
							id: randomUUID(),
							name: 'text',
							type: 'string',
							value: `=row of {{ ${requestId} }}: {{ $('${NODE.hello}').item.json.hello }}`,
						},
					],
				},
				options: {},
			},
		},
		{
			name: NODE.toFile,
			type: 'n8n-nodes-base.convertToFile',
			typeVersion: 1.1,
			position: position(4),
			parameters: {
				operation: 'toText',
				sourceProperty: 'text',
				binaryPropertyName: 'data',
				options: { fileName: 'rows.txt' },
			},
		},
		{
			name: NODE.fromFile,
			type: 'n8n-nodes-base.extractFromFile',
			typeVersion: 1.1,
			position: position(5),
			parameters: { operation: 'text', binaryPropertyName: 'data', destinationKey: 'roundTrip', options: {} },
		},
		{
			name: NODE.result,
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: position(6),
			parameters: {
				assignments: {
					assignments: [
						{
							id: randomUUID(),
							name: 'requestId',
							type: 'string',
							value: `={{ $('${NODE.compose}').item.json.requestId }}`,
						},
						{ id: randomUUID(), name: 'roundTrip', type: 'string', value: '={{ $json.roundTrip }}' },
						{ id: randomUUID(), name: 'process', type: 'string', value: '={{ $env.N8N_HARNESS_PROCESS_NAME }}' },
						{
							id: randomUUID(),
							name: 'formDataVersion',
							type: 'string',
							value: `={{ $('${NODE.hello}').item.json.formDataVersion }}`,
						},
					],
				},
				options: {},
			},
		},
	];
	const connections = Object.fromEntries(
		nodes
			.slice(0, -1)
			.map((node, index) => [node.name, { main: [[{ node: nodes[index + 1].name, type: 'main', index: 0 }]] }]),
	);
	return { name: `Queue test ${webhookPath}`, active: true, nodes, connections, settings: {} };
}
