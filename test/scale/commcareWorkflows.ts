/**
 * The workflows the queue-mode tests run with our package: triggered through the main by a production webhook,
 * executed on a worker, ending in three No Operation nodes named after the Import Status outputs, so the stored
 * execution shows at a glance which upload (or record) went where.
 *
 *   file upload:  Webhook (multipart, the .xlsx lands in binary `data` on the main)
 *                   → CommCare Bulk Import (source binary) → CommCare Import Status → Success | Warning | Error
 *   rows:         Webhook (JSON `{ batch, rows }`) → Code "Rows From Request" (one item per row)
 *                   → Convert to File "Rows to Spreadsheet" (.xlsx made in the worker)
 *                   → CommCare Bulk Import (source binary) → CommCare Import Status → Success | Warning | Error
 * and the examples of examples/, their Manual Trigger swapped for a webhook and their outside services for local
 * nodes of the same names (examples/workflows.ts): the spreadsheet-file example reads `<filesDir>/<body.file>`
 * on the worker; the Google Sheets and Postgres examples get their rows from the webhook's JSON `{ rows }`.
 */
import { randomUUID } from 'crypto';

import {
	byName,
	COMMCARE_NODE_TYPES,
	FILE_EXAMPLE,
	loadExample,
	noOpNode,
	replaceNode,
	setParameters,
	silenceOutsideServices,
	useCommCareCredential,
	type WorkflowJson,
	type WorkflowNode,
} from '../../examples/workflows';

export const NODE = {
	webhook: 'Webhook',
	rows: 'Rows From Request',
	toSpreadsheet: 'Rows to Spreadsheet',
	bulkImport: 'CommCare Bulk Import',
	status: 'CommCare Import Status',
	success: 'Success',
	warning: 'Warning',
	error: 'Error',
} as const;

/** The Import Status outputs in order, and the No Operation node each one feeds. */
export const OUTCOME_NODES = [NODE.success, NODE.warning, NODE.error] as const;

export interface ScaleWorkflowOptions {
	webhookPath: string;
	credential: { id: string; name: string };
	projectSpace: string;
	caseType: string;
	/** Import Status polling; small against the local emulator. */
	pollIntervalSeconds: number;
	maxPollIntervalSeconds: number;
	timeoutMinutes: number;
}

/**
 * The file workflows upload without the node's checks, so a file CommCare fails as a whole (a reserved column) gets
 * to CommCare and comes back on the Error output; the checks themselves are the single-process tests' business.
 */
const SKIP_CHECKS_FOR_FILES = true;

const position = (column: number, row = 0): [number, number] => [column * 240, row * 160];

/** What a node is besides its name and place: type, version, parameters, and extras such as credentials. */
type NodeBody = Pick<WorkflowNode, 'type' | 'typeVersion' | 'parameters'> & Record<string, unknown>;

function node(name: string, column: number, body: NodeBody, row = 0): WorkflowNode {
	return { id: randomUUID(), name, position: position(column, row), ...body };
}

function webhookNode(webhookPath: string): WorkflowNode {
	return node(NODE.webhook, 0, {
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2.1,
		webhookId: randomUUID(),
		// Answer at once: the tests read every result from the database, and ten callers must not wait on each other.
		parameters: { httpMethod: 'POST', path: webhookPath, responseMode: 'onReceived', options: {} },
	});
}

function bulkImportNode(
	options: ScaleWorkflowOptions,
	column: number,
	parameters: Record<string, unknown>,
): WorkflowNode {
	return node(NODE.bulkImport, column, {
		type: COMMCARE_NODE_TYPES.bulkImport,
		typeVersion: 1,
		parameters: {
			projectSpace: options.projectSpace,
			caseType: options.caseType,
			createNewCases: true,
			nameColumn: 'name',
			...parameters,
		},
		credentials: { commCareApi: options.credential },
	});
}

function statusNode(options: ScaleWorkflowOptions, column: number): WorkflowNode {
	return node(NODE.status, column, {
		type: COMMCARE_NODE_TYPES.importStatus,
		typeVersion: 1,
		parameters: {
			pollInterval: options.pollIntervalSeconds,
			timeout: options.timeoutMinutes,
			options: { maxPollInterval: options.maxPollIntervalSeconds },
		},
		credentials: { commCareApi: options.credential },
	});
}

function outcomeNodes(column: number): WorkflowNode[] {
	return OUTCOME_NODES.map((name, index) => node(name, column, noOpNode(), index - 1));
}

/** Connects the nodes one after another; the Import Status node fans out to the three outcome nodes. */
function chainConnections(chain: WorkflowNode[]): WorkflowJson['connections'] {
	const connections: WorkflowJson['connections'] = {};
	for (let index = 0; index < chain.length - 1; index++) {
		connections[chain[index].name] = { main: [[{ node: chain[index + 1].name, type: 'main', index: 0 }]] };
	}
	connections[NODE.status] = { main: OUTCOME_NODES.map((name) => [{ node: name, type: 'main', index: 0 }]) };
	return connections;
}

function workflow(name: string, chain: WorkflowNode[]): WorkflowJson & { active: boolean } {
	const nodes = [...chain, ...outcomeNodes(chain.length)];
	return { name, active: true, nodes, connections: chainConnections(chain), settings: { executionOrder: 'v1' } };
}

/** A spreadsheet posted as multipart field `data` goes straight to CommCare (matched by case_id). */
export function fileUploadWorkflow(options: ScaleWorkflowOptions): WorkflowJson & { active: boolean } {
	return workflow(`Queue: file upload (${options.webhookPath})`, [
		webhookNode(options.webhookPath),
		bulkImportNode(options, 1, {
			source: 'binary',
			binaryPropertyName: 'data',
			searchField: 'case_id',
			searchColumn: 'case_id',
			comment: `={{ 'queue test ' + $('${NODE.webhook}').item.json.body.label }}`,
			options: { skipChecks: SKIP_CHECKS_FOR_FILES },
		}),
		statusNode(options, 2),
	]);
}

/** The Code node that turns the webhook's JSON body `{ rows: [...] }` into one item per row. */
function rowsFromRequestNode(): NodeBody {
	return {
		type: 'n8n-nodes-base.code',
		typeVersion: 2,
		parameters: { jsCode: `return $('${NODE.webhook}').first().json.body.rows.map((row) => ({ json: row }));` },
	};
}

/**
 * JSON rows posted to the webhook → an .xlsx made in the worker by Convert to File (what users do to upload rows as
 * a file) → cases matched by external_id, created when new. One outcome per upload.
 */
export function rowsToSpreadsheetWorkflow(options: ScaleWorkflowOptions): WorkflowJson & { active: boolean } {
	return workflow(`Queue: rows as a spreadsheet (${options.webhookPath})`, [
		webhookNode(options.webhookPath),
		node(NODE.rows, 1, rowsFromRequestNode()),
		node(NODE.toSpreadsheet, 2, {
			type: 'n8n-nodes-base.convertToFile',
			typeVersion: 1.1,
			parameters: {
				operation: 'xlsx',
				binaryPropertyName: 'data',
				options: { fileName: `={{ $('${NODE.webhook}').first().json.body.batch }}.xlsx` },
			},
		}),
		bulkImportNode(options, 3, {
			source: 'binary',
			binaryPropertyName: 'data',
			searchField: 'external_id',
			searchColumn: 'external_id',
			comment: `={{ 'queue test ' + $('${NODE.webhook}').first().json.body.batch }}`,
		}),
		statusNode(options, 4),
	]);
}

/**
 * Puts a production webhook (named `Webhook`) in place of the workflow's Manual Trigger, keeping what the trigger
 * fed: `n8n execute` would run the workflow on the main, a webhook call runs it on a worker.
 */
export function triggeredByWebhook(workflow: WorkflowJson, webhookPath: string): WorkflowJson & { active: boolean } {
	const index = workflow.nodes.findIndex((candidate) => candidate.type === 'n8n-nodes-base.manualTrigger');
	if (index === -1) throw new Error(`${workflow.name} has no Manual Trigger to replace`);
	const trigger = workflow.nodes[index];
	workflow.nodes[index] = { ...webhookNode(webhookPath), position: trigger.position };
	workflow.connections[NODE.webhook] = workflow.connections[trigger.name];
	delete workflow.connections[trigger.name];
	return { ...workflow, active: true };
}

/** Node names of an example that the tests need (FILE_EXAMPLE, SHEETS_EXAMPLE, POSTGRES_EXAMPLE all have them). */
interface ExampleNames {
	file: string;
	read: string;
	bulkImport: string;
	status: string;
}

/** An example pointed at the test's credential, project and polling, outside services silenced, webhook-triggered. */
function exampleOnWorkers(
	names: ExampleNames,
	options: ScaleWorkflowOptions,
	adapt: (workflow: WorkflowJson) => void,
): WorkflowJson & { active: boolean } {
	const workflow = useCommCareCredential(loadExample(names.file), options.credential);
	adapt(workflow);
	setParameters(workflow, names.bulkImport, {
		projectSpace: byName(options.projectSpace),
		caseType: byName(options.caseType),
	});
	setParameters(workflow, names.status, {
		pollInterval: options.pollIntervalSeconds,
		timeout: options.timeoutMinutes,
		options: { maxPollInterval: options.maxPollIntervalSeconds },
	});
	silenceOutsideServices(workflow);
	workflow.name = `Queue: ${workflow.name} (${options.webhookPath})`;
	return triggeredByWebhook(workflow, options.webhookPath);
}

/** examples/spreadsheet-file-to-commcare.json reading `<filesDir>/<body.file>` on the worker. */
export function fileExampleWorkflow(
	options: ScaleWorkflowOptions,
	filesDir: string,
): WorkflowJson & { active: boolean } {
	return exampleOnWorkers(FILE_EXAMPLE, options, (workflow) => {
		setParameters(workflow, FILE_EXAMPLE.read, {
			fileSelector: `={{ ${JSON.stringify(`${filesDir}/`)} + $json.body.file }}`,
		});
		const bulkImport = workflow.nodes.find((candidate) => candidate.name === FILE_EXAMPLE.bulkImport)!;
		bulkImport.parameters.options = { ...(bulkImport.parameters.options as object), skipChecks: SKIP_CHECKS_FOR_FILES };
	});
}

/** An items example (Google Sheets, Postgres) whose read node gives the rows posted to the webhook instead. */
export function rowsExampleWorkflow(
	names: ExampleNames,
	options: ScaleWorkflowOptions,
): WorkflowJson & { active: boolean } {
	return exampleOnWorkers(names, options, (workflow) => replaceNode(workflow, names.read, rowsFromRequestNode()));
}

/** How the generated rows reach CommCare in the large-import measurement. */
export type LargeImportRoute =
	/** Bulk Import with source items: the node writes the .xlsx itself (streaming), one output item per upload. */
	| 'items'
	/** The same with one output item per record (and so one Import Status item per record). */
	| 'items-per-record'
	/** Convert to File (.xlsx, SheetJS, in memory) and Bulk Import with source binary: what users did before. */
	| 'convert-to-file';

/**
 * Code node making `body.rows` items of ten columns each (ids unique per row), in the worker's task runner: a
 * stand-in for a large database query or sheet.
 */
function generatedRowsNode(): NodeBody {
	const jsCode = `const count = $('${NODE.webhook}').first().json.body.rows;
const villages = ['Kibera', 'Mathare', 'Kawangware', 'Korogocho'];
const two = (n) => String(n).padStart(2, '0');
const items = [];
for (let i = 1; i <= count; i++) {
  items.push({ json: {
    external_id: 'big-' + String(i).padStart(6, '0'),
    name: 'Person ' + i,
    owner_id: i % 2 ? 'owner-chw-1' : 'owner-chw-2',
    age: String(18 + (i % 50)),
    village: villages[i % 4],
    phone: '+254 7' + String(i).padStart(8, '0'),
    expected_delivery: '2026-' + two(1 + (i % 12)) + '-' + two(1 + (i % 28)),
    risk_level: i % 7 ? 'low' : 'high',
    household_size: String(1 + (i % 9)),
    notes: 'registered by the n8n load test, row ' + i,
  } });
}
return items;`;
	return { type: 'n8n-nodes-base.code', typeVersion: 2, parameters: { jsCode } };
}

export const GENERATED_ROW_COLUMNS = 10;

/** Webhook `{ rows: N }` → N generated rows → CommCare by `route` → Import Status → Success | Warning | Error. */
export function largeImportWorkflow(
	options: ScaleWorkflowOptions,
	route: LargeImportRoute,
): WorkflowJson & { active: boolean } {
	const importSettings = {
		searchField: 'external_id',
		searchColumn: 'external_id',
		comment: `large import (${route})`,
	};
	const chain = [webhookNode(options.webhookPath), node(NODE.rows, 1, generatedRowsNode())];
	if (route === 'convert-to-file') {
		chain.push(
			node(NODE.toSpreadsheet, 2, {
				type: 'n8n-nodes-base.convertToFile',
				typeVersion: 1.1,
				parameters: { operation: 'xlsx', binaryPropertyName: 'data', options: { fileName: 'generated.xlsx' } },
			}),
			// Checks off: they read the whole file once more, and the measurement is about the upload path.
			bulkImportNode(options, 3, {
				source: 'binary',
				binaryPropertyName: 'data',
				...importSettings,
				options: { skipChecks: true },
			}),
		);
	} else {
		chain.push(
			bulkImportNode(options, 2, {
				source: 'items',
				...importSettings,
				options: { outputPerRecord: route === 'items-per-record' },
			}),
		);
	}
	chain.push(statusNode(options, chain.length));
	return workflow(`Queue: large import (${route}, ${options.webhookPath})`, chain);
}
