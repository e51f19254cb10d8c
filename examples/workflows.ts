/**
 * The example workflows in examples/, made runnable against the emulator: point their CommCare nodes at a credential,
 * replace nodes that call outside services (Google Sheets, Postgres, Slack, email) by local nodes under the same
 * name, and change parameters. Used by the end-to-end tests and by the demo, so both run the examples users import.
 */
import { readFileSync, readdirSync } from 'fs';
import * as path from 'path';

import { REPO_ROOT } from '../test/harness/n8n/pack';

export const EXAMPLES_DIR = path.join(REPO_ROOT, 'examples');

/** Node type names as n8n knows them once the package is installed as a community package. */
export const COMMCARE_NODE_TYPES = {
	bulkImport: 'n8n-nodes-commcare.commCareBulkImport',
	importStatus: 'n8n-nodes-commcare.commCareImportStatus',
	lookupTableImport: 'n8n-nodes-commcare.commCareLookupTableImport',
} as const;

export const COMMCARE_CREDENTIAL_TYPE = 'commCareApi';

/** What examples/ carry instead of a real credential id; the user picks their own credential after importing. */
export const CREDENTIAL_PLACEHOLDER = { id: 'REPLACE_ME', name: 'CommCare account' };

export interface WorkflowNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	[key: string]: unknown;
}

export interface Connection {
	node: string;
	type: string;
	index: number;
}

/** `connections[source][type][outputIndex]` lists what that output feeds. */
export type Connections = Record<string, Record<string, Array<Connection[] | null>>>;

export interface WorkflowJson {
	id?: string;
	name: string;
	nodes: WorkflowNode[];
	connections: Connections;
	settings?: Record<string, unknown>;
	[key: string]: unknown;
}

export function exampleFileNames(): string[] {
	return readdirSync(EXAMPLES_DIR)
		.filter((file) => file.endsWith('.json'))
		.sort();
}

/** A fresh copy of an example (callers change it freely). */
export function loadExample(fileName: string): WorkflowJson {
	return JSON.parse(readFileSync(path.join(EXAMPLES_DIR, fileName), 'utf8')) as WorkflowJson;
}

export function findNode(workflow: WorkflowJson, name: string): WorkflowNode {
	const node = workflow.nodes.find((candidate) => candidate.name === name);
	if (!node) {
		throw new Error(
			`${workflow.name} has no node "${name}"; its nodes: ${workflow.nodes.map((n) => n.name).join(', ')}`,
		);
	}
	return node;
}

export function nodesOfType(workflow: WorkflowJson, type: string): WorkflowNode[] {
	return workflow.nodes.filter((node) => node.type === type);
}

/** The one node of a type (the examples have one Bulk Import and one Import Status each, the households example two). */
export function onlyNodeOfType(workflow: WorkflowJson, type: string): WorkflowNode {
	const found = nodesOfType(workflow, type);
	if (found.length !== 1) throw new Error(`${workflow.name} has ${found.length} nodes of type ${type}, expected 1`);
	return found[0];
}

/** Points every CommCare node at this credential. */
export function useCommCareCredential(workflow: WorkflowJson, credential: { id: string; name: string }): WorkflowJson {
	for (const node of workflow.nodes) {
		if (node.credentials?.[COMMCARE_CREDENTIAL_TYPE]) {
			node.credentials[COMMCARE_CREDENTIAL_TYPE] = { id: credential.id, name: credential.name };
		}
	}
	return workflow;
}

/** Merges parameters into a node's (top level only: a given key replaces the whole value). */
export function setParameters(
	workflow: WorkflowJson,
	nodeName: string,
	parameters: Record<string, unknown>,
): WorkflowJson {
	const node = findNode(workflow, nodeName);
	node.parameters = { ...node.parameters, ...parameters };
	return workflow;
}

/** A value typed "By Name", as CommCare Bulk Import 1.1 stores Project Space and Case Type (resource locators). */
export function byName(value: string): { __rl: true; mode: 'name'; value: string } {
	return { __rl: true, mode: 'name', value };
}

export type LocalNode = Pick<WorkflowNode, 'type' | 'typeVersion' | 'parameters'>;

/**
 * Puts a local node in place of a node that calls an outside service. It keeps the name (so connections still
 * hold), id and position; the outside service's credentials and the node's settings go.
 */
export function replaceNode(workflow: WorkflowJson, nodeName: string, replacement: LocalNode): WorkflowJson {
	const index = workflow.nodes.findIndex((node) => node.name === nodeName);
	if (index === -1) findNode(workflow, nodeName);
	const { id, name, position } = workflow.nodes[index];
	workflow.nodes[index] = { id, name, position, ...replacement };
	return workflow;
}

/** A Code node that outputs these JSON objects as items (the shape a Google Sheets or Postgres read gives). */
export function codeNodeReturning(records: object[]): LocalNode {
	const items = records.map((json) => ({ json }));
	return {
		type: 'n8n-nodes-base.code',
		typeVersion: 2,
		parameters: { jsCode: `return ${JSON.stringify(items, null, 2)};` },
	};
}

/** A node that passes its input through and talks to nobody. */
export function noOpNode(): LocalNode {
	return { type: 'n8n-nodes-base.noOp', typeVersion: 1, parameters: {} };
}

/** Every parameter of a node given as an expression (`={{ … }}`), by dotted path (`options.queryReplacement`). */
export function expressionsOf(node: WorkflowNode): Record<string, string> {
	const found: Record<string, string> = {};
	const walk = (value: unknown, name: string) => {
		if (typeof value === 'string' && value.startsWith('=')) found[name] = value;
		else if (typeof value === 'object' && value !== null && !Array.isArray(value) && !('__rl' in value)) {
			for (const [key, inner] of Object.entries(value)) walk(inner, name ? `${name}.${key}` : key);
		}
	};
	walk(node.parameters, '');
	return found;
}

/**
 * A Set node in place of a node that sends results somewhere (a sheet update, a Slack message, an email, an SQL
 * update): it computes the same expressions, so the run shows what would have been written or sent, and proves the
 * example's expressions (some reach back through both CommCare nodes with `$('…').item`) work in a real n8n.
 * A Google Sheets update computes its columns by name, fixed values (import_status "imported") included.
 */
export function computeInsteadOfSending(workflow: WorkflowJson, nodeName: string): WorkflowJson {
	const node = findNode(workflow, nodeName);
	const columns = (node.parameters.columns as { value?: Record<string, unknown> } | undefined)?.value;
	const values: Record<string, unknown> =
		node.type === 'n8n-nodes-base.googleSheets' && columns ? columns : expressionsOf(node);
	const executeOnce = node.executeOnce === true;
	replaceNode(workflow, nodeName, {
		type: 'n8n-nodes-base.set',
		typeVersion: 3.4,
		parameters: {
			mode: 'manual',
			assignments: {
				assignments: Object.entries(values).map(([name, value], index) => ({
					id: `computed-${index}`,
					// Dotted paths stay flat keys: `options.queryReplacement`, not a nested object.
					name,
					value,
					type: 'string',
				})),
			},
			includeOtherFields: false,
			// An array (an SQL query's parameters) is written as JSON text instead of refused as "not a string".
			options: { dotNotation: false, ignoreConversionErrors: true },
		},
	});
	// A message sent once for all items (Slack, email) is computed once too.
	if (executeOnce) findNode(workflow, nodeName).executeOnce = true;
	return workflow;
}

/** Node types of n8n itself that need an outside service (and a credential) to run. */
const OUTSIDE_SERVICE_TYPES = new Set([
	'n8n-nodes-base.googleSheets',
	'n8n-nodes-base.postgres',
	'n8n-nodes-base.slack',
	'n8n-nodes-base.emailSend',
	'n8n-nodes-base.httpRequest',
]);

export function outsideServiceNodes(workflow: WorkflowJson): WorkflowNode[] {
	return workflow.nodes.filter((node) => OUTSIDE_SERVICE_TYPES.has(node.type));
}

/**
 * Replaces every outside-service node that receives results (notifications, write-backs) by a No Operation node of
 * the same name, so the run shows which items reached each branch. Source nodes are replaced by the caller (they must
 * produce items), so list them in `keep` or replace them first.
 */
export function silenceOutsideServices(workflow: WorkflowJson, keep: string[] = []): WorkflowJson {
	for (const node of outsideServiceNodes(workflow)) {
		if (!keep.includes(node.name)) replaceNode(workflow, node.name, noOpNode());
	}
	return workflow;
}

/**
 * Replaces every outside-service node that receives results (notifications, write-backs) by a Set node computing
 * what it would send (computeInsteadOfSending). Source nodes must be replaced first by the caller (they must produce
 * items): call this after that.
 */
export function localizeOutsideServices(workflow: WorkflowJson): WorkflowJson {
	for (const node of outsideServiceNodes(workflow)) computeInsteadOfSending(workflow, node.name);
	return workflow;
}

/** The JSON `n8n import:credentials` takes for a CommCare API-key credential (plain data; n8n encrypts it). */
export function commCareCredential(options: {
	id: string;
	name: string;
	baseUrl: string;
	username: string;
	apiKey: string;
}): object {
	return {
		id: options.id,
		name: options.name,
		type: COMMCARE_CREDENTIAL_TYPE,
		data: {
			baseUrl: options.baseUrl,
			authType: 'apiKey',
			username: options.username,
			apiKey: options.apiKey,
			allowUnauthorizedCerts: false,
		},
	};
}

/** Node names of examples/google-sheets-to-commcare.json that the demo and the tests refer to. */
export const SHEETS_EXAMPLE = {
	file: 'google-sheets-to-commcare.json',
	read: 'Read registrations',
	bulkImport: 'Import cases into CommCare',
	status: 'Wait for import result',
	onSuccess: 'Mark rows imported',
	onWarning: 'Write problems to the sheet',
	onError: 'Write the failure to the sheet',
	alert: 'Alert the team on Slack',
	onNotFinished: 'Mark rows still importing',
} as const;

/** Node names of examples/spreadsheet-file-to-commcare.json. */
export const FILE_EXAMPLE = {
	file: 'spreadsheet-file-to-commcare.json',
	read: 'Read spreadsheet file',
	bulkImport: 'Import cases into CommCare',
	status: 'Wait for import result',
	onSuccess: 'All rows imported',
	onWarning: 'Email the rows to fix',
	onError: 'Email the failure',
	onNotFinished: 'Email: not finished yet',
} as const;

/** Node names of examples/postgres-to-commcare.json. */
export const POSTGRES_EXAMPLE = {
	file: 'postgres-to-commcare.json',
	read: 'Read new registrations',
	bulkImport: 'Import cases into CommCare',
	status: 'Wait for import result',
	onSuccess: 'Save imported',
	onWarning: 'Save warning',
	onError: 'Save error',
	alert: 'Email the data team',
	onNotFinished: 'Save not finished',
} as const;

/**
 * The Google Sheets example with these records in place of the sheet's rows, its write-backs and its Slack alert
 * computed by Set nodes (computeInsteadOfSending), importing into `projectSpace` (case type `caseType`). It keeps
 * the example's own settings (the demo shows what a user would copy) unless `pollInterval` asks tests to poll faster.
 */
export function sheetsExampleWithRecords(
	records: object[],
	credential: { id: string; name: string },
	projectSpace: string,
	{ caseType = 'patient', pollInterval }: { caseType?: string; pollInterval?: number } = {},
): WorkflowJson {
	const workflow = useCommCareCredential(loadExample(SHEETS_EXAMPLE.file), credential);
	replaceNode(workflow, SHEETS_EXAMPLE.read, codeNodeReturning(records));
	localizeOutsideServices(workflow);
	setParameters(workflow, SHEETS_EXAMPLE.bulkImport, {
		projectSpace: byName(projectSpace),
		caseType: byName(caseType),
	});
	if (pollInterval !== undefined) setParameters(workflow, SHEETS_EXAMPLE.status, { pollInterval });
	return workflow;
}

/** Node names of examples/long-queue-import.json. */
export const LONG_QUEUE_EXAMPLE = {
	file: 'long-queue-import.json',
	read: 'Read spreadsheet file',
	bulkImport: 'Import cases into CommCare',
	status: 'Check import',
	onSuccess: 'All rows imported',
	onWarning: 'Rows to fix',
	onError: 'Import failed',
	roundsLeft: 'Checked fewer than 72 times?',
	wait: 'Wait 5 minutes',
	givenUp: 'Still not finished after 6 hours',
} as const;

/**
 * Node names of examples/households-to-commcare.json: one sheet row per member, households imported first (upper
 * branch), then the members naming each its household (lower branch; execution order v1 runs them in that order).
 */
export const HOUSEHOLDS_EXAMPLE = {
	file: 'households-to-commcare.json',
	read: 'Read members',
	oneItemPerHousehold: 'One item per household',
	households: 'Households',
	importHouseholds: 'Import households',
	householdsStatus: "Households' import result",
	onHouseholdSuccess: 'Write household case IDs',
	onHouseholdWarning: 'Write household problems',
	onHouseholdError: 'Write household failure',
	onHouseholdNotFinished: 'Mark household still importing',
	members: 'Members',
	importMembers: 'Import members',
	membersStatus: "Members' import result",
	onMemberSuccess: 'Write member case IDs',
	onMemberWarning: 'Write member problems',
	onMemberError: 'Write member failure',
	onMemberNotFinished: 'Mark member still importing',
	/** The case types the example's sticky note asks for (Members sets `parent_type` to the first). */
	householdType: 'household',
	memberType: 'member',
} as const;

/**
 * The households example with these member rows in place of the sheet's, its sheet updates computed by Set nodes
 * (computeInsteadOfSending), importing households and members into `projectSpace` under the case types its sticky
 * note names. Like sheetsExampleWithRecords, it keeps the example's own settings unless `pollInterval` asks tests
 * to poll faster.
 */
export function householdsExampleWithRecords(
	records: object[],
	credential: { id: string; name: string },
	projectSpace: string,
	{ pollInterval }: { pollInterval?: number } = {},
): WorkflowJson {
	const workflow = useCommCareCredential(loadExample(HOUSEHOLDS_EXAMPLE.file), credential);
	replaceNode(workflow, HOUSEHOLDS_EXAMPLE.read, codeNodeReturning(records));
	localizeOutsideServices(workflow);
	const imports = [
		[HOUSEHOLDS_EXAMPLE.importHouseholds, HOUSEHOLDS_EXAMPLE.householdsStatus, HOUSEHOLDS_EXAMPLE.householdType],
		[HOUSEHOLDS_EXAMPLE.importMembers, HOUSEHOLDS_EXAMPLE.membersStatus, HOUSEHOLDS_EXAMPLE.memberType],
	] as const;
	for (const [bulkImport, status, caseType] of imports) {
		setParameters(workflow, bulkImport, { projectSpace: byName(projectSpace), caseType: byName(caseType) });
		if (pollInterval !== undefined) setParameters(workflow, status, { pollInterval });
	}
	return workflow;
}

/** A household a member row names (the example's sheet carries it on each of its members' rows). */
export interface HouseholdColumns {
	household_id: string;
	household_name: string;
	village: string;
}

/** One row of the households example's sheet, as Google Sheets gives it (row_number included), results empty. */
export function householdsSheetRow(
	row_number: number,
	member_id: string,
	name: string,
	age: number,
	household: HouseholdColumns,
) {
	return {
		row_number,
		member_id,
		name,
		age,
		...household,
		household_status: '',
		household_error: '',
		household_case_id: '',
		import_status: '',
		import_error: '',
		case_id: '',
	};
}

/**
 * Node names of examples/facility-list-to-lookup-table.json: a dry run of the sheet against CommCare's `facility`
 * table; only a clean dry run (Success) goes on to the upload (Replace on), which sends the sheet's rows again.
 */
export const FACILITY_EXAMPLE = {
	file: 'facility-list-to-lookup-table.json',
	read: 'Read facilities',
	dryRun: 'Dry run: facility table',
	again: 'Facilities again',
	upload: 'Upload facility table',
	onSuccess: 'Tell the team it is done',
	onWarning: 'Tell the team about warnings',
	onError: 'Tell the team it failed',
	onDryRunProblem: 'Tell the team what the dry run found',
	/** The table and its fields, as the example's sticky note and both CommCare nodes name them. */
	table: 'facility',
	fields: ['facility_id', 'name', 'district', 'level', 'phone'],
} as const;

/**
 * The facility example with these records in place of the sheet's rows (Google Sheets gives `row_number` too: the
 * example lists its fields, so that column is not sent), its Slack messages computed by Set nodes
 * (computeInsteadOfSending), both CommCare nodes on `projectSpace`. It keeps the example's own settings (Replace,
 * Dry Run, the safety valve's default), as a user would run it.
 */
export function facilityExampleWithRecords(
	records: object[],
	credential: { id: string; name: string },
	projectSpace: string,
): WorkflowJson {
	const workflow = useCommCareCredential(loadExample(FACILITY_EXAMPLE.file), credential);
	replaceNode(workflow, FACILITY_EXAMPLE.read, codeNodeReturning(records));
	localizeOutsideServices(workflow);
	for (const nodeName of [FACILITY_EXAMPLE.dryRun, FACILITY_EXAMPLE.upload]) {
		setParameters(workflow, nodeName, { projectSpace: byName(projectSpace) });
	}
	return workflow;
}

/** One row of the facility example's sheet, as Google Sheets gives it (row_number included). */
export interface FacilitySheetRow {
	row_number: number;
	facility_id: string;
	name: string;
	district: string;
	level: string;
	phone: string;
}

/** A sheet row's values for the table's fields, as CommCare stores them (the seed and the expected rows). */
export function facilityFields(row: FacilitySheetRow): Record<(typeof FACILITY_EXAMPLE.fields)[number], string> {
	const { facility_id, name, district, level, phone } = row;
	return { facility_id, name, district, level, phone };
}
