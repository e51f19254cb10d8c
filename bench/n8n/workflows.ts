/**
 * The workflows `npm run bench:n8n` runs in a real n8n, one per scenario. Each starts with a production Webhook
 * that answers when the run ends (`lastNode`, no data) and is told by the request's JSON body how much to do:
 * `{ rows }` for the Code node that makes the rows, `{ file }` for the file read from disk. The same workflow then
 * serves the small warm-up run and the measured run.
 *
 *   ours:        Webhook → Code "Make Rows" → CommCare Bulk Import (Input Items) → CommCare Import Status
 *   by hand:     Webhook → Code "Make Rows" → Convert to File (xlsx) → HTTP Request "Upload" (multipart, the
 *                binary as `file`, the importer's fields) → HTTP Request "Check Status" → If "Finished?"
 *                (false → Wait 1 s → Check Status again)
 *   file:        Webhook → Read/Write Files from Disk → CommCare Bulk Import (Spreadsheet File) → Import Status
 *   per record:  ours, with Output One Item per Record
 *   rows only:   Webhook → Code "Make Rows" (what n8n spends on the items themselves, on both paths)
 */
import { randomUUID } from 'crypto';

import { byName, COMMCARE_NODE_TYPES, type WorkflowJson, type WorkflowNode } from '../../examples/workflows';
import { rowGeneratorSource } from '../data';

export const NODE = {
	webhook: 'Webhook',
	makeRows: 'Make Rows',
	readFile: 'Read File',
	bulkImport: 'CommCare Bulk Import',
	status: 'CommCare Import Status',
	convertToFile: 'Convert to File',
	upload: 'Upload',
	checkStatus: 'Check Status',
	finished: 'Finished?',
	wait: 'Wait',
} as const;

export const PROJECT_SPACE = 'demo';
export const CASE_TYPE = 'patient';

export interface BenchCredentials {
	commCare: { id: string; name: string };
	/** The by-hand path's Header Auth credential (`Authorization: ApiKey user:key`). */
	headerAuth: { id: string; name: string };
}

export type ScenarioWorkflow = WorkflowJson & { id: string; active: boolean };

let column = 0;
function node(
	name: string,
	body: Pick<WorkflowNode, 'type' | 'typeVersion' | 'parameters'> & Record<string, unknown>,
): WorkflowNode {
	return { id: randomUUID(), name, position: [column++ * 220, 0], ...body };
}

function chain(nodes: WorkflowNode[], extra: WorkflowJson['connections'] = {}): WorkflowJson['connections'] {
	const connections: WorkflowJson['connections'] = {};
	for (let index = 0; index < nodes.length - 1; index++) {
		connections[nodes[index].name] = { main: [[{ node: nodes[index + 1].name, type: 'main', index: 0 }]] };
	}
	return { ...connections, ...extra };
}

function workflow(id: string, nodes: WorkflowNode[], connections: WorkflowJson['connections']): ScenarioWorkflow {
	column = 0;
	return { id, name: `bench: ${id}`, active: true, nodes, connections, settings: { executionOrder: 'v1' } };
}

function webhook(path: string): WorkflowNode {
	return node(NODE.webhook, {
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2.1,
		webhookId: randomUUID(),
		parameters: { httpMethod: 'POST', path, responseMode: 'lastNode', responseData: 'noData', options: {} },
	});
}

/** The benchmark's rows (bench/data.ts `makeRows`), made inside n8n by a Code node: `{ rows }` of the request. */
function makeRows(): WorkflowNode {
	return node(NODE.makeRows, {
		type: 'n8n-nodes-base.code',
		typeVersion: 2,
		parameters: {
			jsCode: `${rowGeneratorSource()}\nreturn makeRows($('${NODE.webhook}').first().json.body.rows).map((json) => ({ json }));`,
		},
	});
}

function bulkImport(credentials: BenchCredentials, parameters: Record<string, unknown>): WorkflowNode {
	return node(NODE.bulkImport, {
		type: COMMCARE_NODE_TYPES.bulkImport,
		typeVersion: 1.1,
		parameters: {
			projectSpace: byName(PROJECT_SPACE),
			caseType: byName(CASE_TYPE),
			searchField: 'external_id',
			createNewCases: true,
			nameColumn: 'name',
			...parameters,
		},
		credentials: { commCareApi: credentials.commCare },
	});
}

/**
 * Polls at once and every second; *Look Up Case IDs* off, because in this mode the emulator answers without
 * importing, so there are no cases to find (the lookup has its own case in `npm run bench`).
 */
function importStatus(credentials: BenchCredentials): WorkflowNode {
	return node(NODE.status, {
		type: COMMCARE_NODE_TYPES.importStatus,
		typeVersion: 1,
		parameters: { pollInterval: 1, timeout: 10, options: { lookUpCaseIds: false } },
		credentials: { commCareApi: credentials.commCare },
	});
}

/** The rows alone: what n8n itself spends on making and holding the items, which both paths pay. */
export function rowsOnlyWorkflow(): ScenarioWorkflow {
	const id = 'rowsOnly';
	const nodes = [webhook(id), makeRows()];
	return workflow(id, nodes, chain(nodes));
}

export function oursWorkflow(
	credentials: BenchCredentials,
	options: { perRecord: boolean; id?: string },
): ScenarioWorkflow {
	const id = options.id ?? (options.perRecord ? 'oursPerRecord' : 'oursItems');
	const nodes = [
		webhook(id),
		makeRows(),
		bulkImport(credentials, { source: 'items', options: options.perRecord ? { outputPerRecord: true } : {} }),
		importStatus(credentials),
	];
	return workflow(id, nodes, chain(nodes));
}

export function fileWorkflow(credentials: BenchCredentials, options: { checks: boolean }): ScenarioWorkflow {
	const id = options.checks ? 'oursFileChecked' : 'oursFileSkipChecks';
	const nodes = [
		webhook(id),
		node(NODE.readFile, {
			type: 'n8n-nodes-base.readWriteFile',
			typeVersion: 1,
			parameters: { operation: 'read', fileSelector: `={{ $json.body.file }}`, options: {} },
		}),
		bulkImport(credentials, {
			source: 'binary',
			binaryPropertyName: 'data',
			searchColumn: 'external_id',
			options: options.checks ? {} : { skipChecks: true },
		}),
		importStatus(credentials),
	];
	return workflow(id, nodes, chain(nodes));
}

/** What a user builds by hand today: Convert to File, a multipart HTTP Request, and a polling loop. */
export function byHandWorkflow(credentials: BenchCredentials, baseUrl: string): ScenarioWorkflow {
	const id = 'byHand';
	const headerAuth = {
		authentication: 'genericCredentialType',
		genericAuthType: 'httpHeaderAuth',
	};
	const field = (name: string, value: string) => ({ name, value });
	const nodes = [
		webhook(id),
		makeRows(),
		node(NODE.convertToFile, {
			type: 'n8n-nodes-base.convertToFile',
			typeVersion: 1.1,
			parameters: { operation: 'xlsx', binaryPropertyName: 'data', options: { fileName: 'cases.xlsx' } },
		}),
		node(NODE.upload, {
			type: 'n8n-nodes-base.httpRequest',
			typeVersion: 4.2,
			parameters: {
				method: 'POST',
				url: `${baseUrl}/a/${PROJECT_SPACE}/importer/excel/bulk_upload_api/`,
				...headerAuth,
				sendBody: true,
				contentType: 'multipart-form-data',
				bodyParameters: {
					parameters: [
						{ parameterType: 'formBinaryData', name: 'file', inputDataFieldName: 'data' },
						field('case_type', CASE_TYPE),
						field('search_field', 'external_id'),
						field('search_column', 'external_id'),
						field('name_column', 'name'),
						field('create_new_cases', 'on'),
					],
				},
				options: {},
			},
			credentials: { httpHeaderAuth: credentials.headerAuth },
		}),
		node(NODE.checkStatus, {
			type: 'n8n-nodes-base.httpRequest',
			typeVersion: 4.2,
			parameters: { method: 'GET', url: '={{ $json.status_url }}', ...headerAuth, options: {} },
			credentials: { httpHeaderAuth: credentials.headerAuth },
		}),
		node(NODE.finished, {
			type: 'n8n-nodes-base.if',
			typeVersion: 2.2,
			parameters: {
				conditions: {
					options: { caseSensitive: true, leftValue: '', typeValidation: 'loose', version: 2 },
					conditions: [
						{
							id: randomUUID(),
							leftValue: '={{ $json.state }}',
							rightValue: 2,
							operator: { type: 'number', operation: 'gte' },
						},
					],
					combinator: 'and',
				},
				looseTypeValidation: true,
				options: {},
			},
		}),
		node(NODE.wait, {
			type: 'n8n-nodes-base.wait',
			typeVersion: 1.1,
			webhookId: randomUUID(),
			parameters: { amount: 1 },
		}),
	];
	const [, , , , checkStatus, finished, wait] = nodes;
	// The chain runs up to the If; its false branch waits and asks again.
	const connections = chain(nodes.slice(0, 6), {
		[finished.name]: { main: [[], [{ node: wait.name, type: 'main', index: 0 }]] },
		[wait.name]: { main: [[{ node: checkStatus.name, type: 'main', index: 0 }]] },
	});
	return workflow(id, nodes, connections);
}
