/**
 * The workflows in examples/ stay importable as our nodes evolve: their CommCare nodes use only parameters (and
 * option values) the node descriptions define and show, every connection joins existing nodes and outputs, and the
 * layout reads left to right. (Whether n8n's own node types and versions exist on both n8n lines is checked against
 * the real n8n installs in test/e2e/workflows.test.ts.)
 */
import {
	NodeHelpers,
	Workflow,
	type INode,
	type INodeProperties,
	type INodePropertyCollection,
	type INodeType,
	type INodeTypeDescription,
	type INodeTypes,
} from 'n8n-workflow';

import { CommCareBulkImport } from '../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { CommCareImportStatus } from '../../nodes/CommCareImportStatus/CommCareImportStatus.node';
import { CommCareLookupTableImport } from '../../nodes/CommCareLookupTableImport/CommCareLookupTableImport.node';
import {
	COMMCARE_CREDENTIAL_TYPE,
	COMMCARE_NODE_TYPES,
	CREDENTIAL_PLACEHOLDER,
	exampleFileNames,
	loadExample,
	type WorkflowJson,
	type WorkflowNode,
} from '../../examples/workflows';

const descriptions: Record<string, INodeTypeDescription> = {
	[COMMCARE_NODE_TYPES.bulkImport]: new CommCareBulkImport().description,
	[COMMCARE_NODE_TYPES.importStatus]: new CommCareImportStatus().description,
	[COMMCARE_NODE_TYPES.lookupTableImport]: new CommCareLookupTableImport().description,
};

const STICKY_NOTE = 'n8n-nodes-base.stickyNote';
const TRIGGERS = new Set(['n8n-nodes-base.manualTrigger', 'n8n-nodes-base.scheduleTrigger']);

/** Outputs of n8n's own node types as the examples use them (all have one, unless listed). */
const BASE_NODE_OUTPUTS: Record<string, number> = { 'n8n-nodes-base.if': 2 };

/** The outputs of a node: of ours, as n8n computes them for its version (an `outputs` expression is evaluated). */
function outputCount(node: WorkflowNode): number {
	const description = descriptions[node.type];
	if (!description) return BASE_NODE_OUTPUTS[node.type] ?? 1;
	if (Array.isArray(description.outputs)) return description.outputs.length;
	const type = { description } as INodeType;
	const nodeTypes: INodeTypes = { getByName: () => type, getByNameAndVersion: () => type, getKnownTypes: () => ({}) };
	const workflowNode = { ...node, id: node.name, position: [0, 0], parameters: {} } as unknown as INode;
	const workflow = new Workflow({ nodes: [workflowNode], connections: {}, active: false, nodeTypes });
	return NodeHelpers.getNodeOutputs(workflow, workflowNode, description).length;
}

/** The value a parameter has on this node: its own, or the description's default. */
function effectiveValue(node: WorkflowNode, description: INodeTypeDescription, name: string): unknown {
	if (name in node.parameters) return node.parameters[name];
	return description.properties.find((property) => property.name === name)?.default;
}

/** The version n8n gives a node added in the editor: the default, else the newest. */
function newestVersion(description: INodeTypeDescription): number {
	const versions = Array.isArray(description.version) ? description.version : [description.version];
	return description.defaultVersion ?? Math.max(...versions);
}

/** Whether a property's displayOptions show it, given the node's other parameters and its version (`@version`). */
function isShown(property: INodeProperties, node: WorkflowNode, description: INodeTypeDescription): boolean {
	const valueOf = (name: string) =>
		name === '@version' ? node.typeVersion : name.startsWith('@') ? undefined : effectiveValue(node, description, name);
	const matches = (name: string, allowed: unknown[]) => allowed.includes(valueOf(name));
	const show = property.displayOptions?.show ?? {};
	const hide = property.displayOptions?.hide ?? {};
	for (const [name, allowed] of Object.entries(show)) {
		if (name.startsWith('@') && name !== '@version') continue;
		if (!matches(name, allowed as unknown[])) return false;
	}
	for (const [name, hidden] of Object.entries(hide)) {
		if (name.startsWith('@') && name !== '@version') continue;
		if (matches(name, hidden as unknown[])) return false;
	}
	return true;
}

/**
 * Whether an option of a collection is shown: its conditions name top-level parameters as `/name`, and the node's
 * version as `@version` (n8n honours both on a collection's options).
 */
function isOptionShown(option: INodeProperties, rootValue: (name: string) => unknown): boolean {
	const show = option.displayOptions?.show ?? {};
	return Object.entries(show).every(([name, allowed]) => {
		if (name === '@version') return (allowed as unknown[]).includes(rootValue('@version'));
		return !name.startsWith('/') || (allowed as unknown[]).includes(rootValue(name.slice(1)));
	});
}

/** Problems with one parameter value against its property (option values, collections), as readable strings. */
function valueProblems(
	property: INodeProperties,
	value: unknown,
	where: string,
	rootValue: (name: string) => unknown,
): string[] {
	const isExpression = typeof value === 'string' && value.startsWith('=');
	if (isExpression) return [];
	switch (property.type) {
		case 'options': {
			const allowed = (property.options ?? []).map((option) => (option as { value: unknown }).value);
			return allowed.includes(value)
				? []
				: [`${where}: ${JSON.stringify(value)} is not one of ${JSON.stringify(allowed)}`];
		}
		case 'boolean':
			return typeof value === 'boolean' ? [] : [`${where}: ${JSON.stringify(value)} is not a boolean`];
		case 'number':
			return typeof value === 'number' ? [] : [`${where}: ${JSON.stringify(value)} is not a number`];
		case 'string':
			return typeof value === 'string' ? [] : [`${where}: ${JSON.stringify(value)} is not text`];
		case 'collection': {
			if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${where}: not an object`];
			const options = (property.options ?? []) as INodeProperties[];
			return Object.entries(value).flatMap(([key, inner]) => {
				const option = options.find((candidate) => candidate.name === key);
				if (!option) return [`${where}.${key}: not an option of this collection`];
				if (!isOptionShown(option, rootValue))
					return [`${where}.${key}: hidden by the other parameters (displayOptions)`];
				return valueProblems(option, inner, `${where}.${key}`, rootValue);
			});
		}
		case 'resourceLocator': {
			const locator = value as { __rl?: unknown; mode?: unknown; value?: unknown } | null;
			const modes = (property.modes ?? []).map((mode) => mode.name);
			if (typeof locator !== 'object' || locator === null || locator.__rl !== true)
				return [`${where}: ${JSON.stringify(value)} is not a resource locator ({ "__rl": true, … })`];
			if (!modes.includes(String(locator.mode)))
				return [`${where}: mode ${JSON.stringify(locator.mode)} is not one of ${JSON.stringify(modes)}`];
			return typeof locator.value === 'string' ? [] : [`${where}: its value is not text`];
		}
		case 'fixedCollection': {
			const groups = (property.options ?? []) as INodePropertyCollection[];
			return Object.keys(value as object)
				.filter((key) => !groups.some((group) => group.name === key))
				.map((key) => `${where}.${key}: not a group of this collection`);
		}
		default:
			return [];
	}
}

/** Everything wrong with a CommCare node of an example, as readable strings (empty = fine). */
function commCareNodeProblems(node: WorkflowNode): string[] {
	const description = descriptions[node.type];
	const problems: string[] = [];
	if (node.typeVersion !== newestVersion(description)) {
		problems.push(`typeVersion ${node.typeVersion}, the node's newest version is ${newestVersion(description)}`);
	}
	for (const [name, value] of Object.entries(node.parameters)) {
		const candidates = description.properties.filter(
			(property) => property.name === name && property.type !== 'notice',
		);
		if (candidates.length === 0) {
			problems.push(`parameter "${name}" is not defined by ${description.name}`);
			continue;
		}
		const shown = candidates.filter((property) => isShown(property, node, description));
		if (shown.length === 0) {
			problems.push(`parameter "${name}" is set but hidden by the other parameters (displayOptions)`);
			continue;
		}
		const rootValue = (parameter: string) =>
			parameter === '@version' ? node.typeVersion : effectiveValue(node, description, parameter);
		const perCandidate = shown.map((property) => valueProblems(property, value, name, rootValue));
		if (perCandidate.every((list) => list.length > 0)) problems.push(...perCandidate[0]);
	}
	for (const property of description.properties) {
		if (property.required && isShown(property, node, description) && !(property.name in node.parameters)) {
			if (property.default === '' || property.default === undefined)
				problems.push(`required parameter "${property.name}" is not set`);
		}
	}
	const credentialNames = Object.keys(node.credentials ?? {});
	const expected = (description.credentials ?? []).map((credential) => credential.name);
	if (JSON.stringify(credentialNames) !== JSON.stringify(expected)) {
		problems.push(`credentials ${JSON.stringify(credentialNames)}, the node takes ${JSON.stringify(expected)}`);
	}
	return problems.map((problem) => `${node.name}: ${problem}`);
}

/** Whether a path of connections leads from one node to another (a connection back along it closes a loop). */
function leadsTo(workflow: WorkflowJson, from: string, to: string): boolean {
	const seen = new Set<string>();
	const pending = [from];
	while (pending.length > 0) {
		const name = pending.pop()!;
		if (name === to) return true;
		if (seen.has(name)) continue;
		seen.add(name);
		for (const targets of workflow.connections[name]?.main ?? []) {
			for (const target of targets ?? []) pending.push(target.node);
		}
	}
	return false;
}

/** Connections that would not load or read badly: unknown nodes or outputs, and right to left unless closing a loop. */
function connectionProblems(workflow: WorkflowJson): string[] {
	const byName = new Map(workflow.nodes.map((node) => [node.name, node]));
	const problems: string[] = [];
	for (const [sourceName, byType] of Object.entries(workflow.connections)) {
		const source = byName.get(sourceName);
		if (!source) {
			problems.push(`connection from "${sourceName}", which is not a node`);
			continue;
		}
		for (const [type, outputs] of Object.entries(byType)) {
			if (type !== 'main') problems.push(`${sourceName}: connection type "${type}"`);
			if (outputs.length > outputCount(source)) {
				problems.push(`${sourceName}: ${outputs.length} outputs connected, the node has ${outputCount(source)}`);
			}
			outputs.forEach((targets, outputIndex) => {
				for (const target of targets ?? []) {
					const targetNode = byName.get(target.node);
					if (!targetNode) problems.push(`${sourceName}[${outputIndex}] -> "${target.node}", which is not a node`);
					else if (TRIGGERS.has(targetNode.type) || targetNode.type === STICKY_NOTE) {
						problems.push(`${sourceName}[${outputIndex}] -> "${target.node}", which takes no input`);
					} else if (targetNode.position[0] <= source.position[0] && !leadsTo(workflow, target.node, sourceName)) {
						problems.push(`${sourceName} -> ${target.node} goes right to left`);
					}
					if (target.type !== 'main' || target.index !== 0) {
						problems.push(`${sourceName}[${outputIndex}] -> ${target.node}: input ${target.type}/${target.index}`);
					}
				}
			});
		}
	}
	return problems;
}

/** Nodes nothing leads to (triggers and sticky notes aside): they would never run. */
function unreachableNodes(workflow: WorkflowJson): string[] {
	const reached = new Set<string>();
	for (const byType of Object.values(workflow.connections)) {
		for (const outputs of Object.values(byType)) {
			for (const targets of outputs) for (const target of targets ?? []) reached.add(target.node);
		}
	}
	return workflow.nodes
		.filter((node) => !TRIGGERS.has(node.type) && node.type !== STICKY_NOTE && !reached.has(node.name))
		.map((node) => node.name);
}

const examples = exampleFileNames();

test('examples/ holds the six documented workflows', () => {
	expect(examples).toEqual([
		'facility-list-to-lookup-table.json',
		'google-sheets-to-commcare.json',
		'households-to-commcare.json',
		'long-queue-import.json',
		'postgres-to-commcare.json',
		'spreadsheet-file-to-commcare.json',
	]);
});

describe.each(examples)('examples/%s', (fileName) => {
	const workflow = loadExample(fileName);
	const commCareNodes = workflow.nodes.filter((node) => descriptions[node.type]);

	test('is a workflow export: a name, nodes with unique names and ids, connections, execution order v1', () => {
		expect(typeof workflow.name).toBe('string');
		expect(workflow.name).not.toBe('');
		const names = workflow.nodes.map((node) => node.name);
		expect(new Set(names).size).toBe(names.length);
		const ids = workflow.nodes.map((node) => node.id);
		expect(new Set(ids).size).toBe(ids.length);
		for (const node of workflow.nodes) {
			expect(node).toEqual(
				expect.objectContaining({
					id: expect.any(String),
					name: expect.any(String),
					type: expect.any(String),
					typeVersion: expect.any(Number),
					position: [expect.any(Number), expect.any(Number)],
					parameters: expect.any(Object),
				}),
			);
		}
		expect(workflow.settings).toEqual(expect.objectContaining({ executionOrder: 'v1' }));
		// No ids of somebody's n8n: the user's instance gives ids on import.
		expect(workflow.id).toBeUndefined();
	});

	test('starts with one trigger; each CommCare Bulk Import feeds a CommCare Import Status of its own', () => {
		expect(workflow.nodes.filter((node) => TRIGGERS.has(node.type))).toHaveLength(1);
		const bulkImports = workflow.nodes.filter((node) => node.type === COMMCARE_NODE_TYPES.bulkImport);
		const importStatuses = workflow.nodes.filter((node) => node.type === COMMCARE_NODE_TYPES.importStatus);
		const lookupTableImports = workflow.nodes.filter((node) => node.type === COMMCARE_NODE_TYPES.lookupTableImport);
		expect(bulkImports.length + lookupTableImports.length).toBeGreaterThan(0);
		// One Import Status per Bulk Import (the households example imports twice: households, then their members).
		expect(importStatuses).toHaveLength(bulkImports.length);
		expect(bulkImports.map((node) => workflow.connections[node.name].main)).toEqual(
			importStatuses.map((status) => [[{ node: status.name, type: 'main', index: 0 }]]),
		);
	});

	test('its CommCare nodes use only parameters and values the node descriptions define and show', () => {
		expect(commCareNodes.flatMap(commCareNodeProblems)).toEqual([]);
	});

	test('its CommCare nodes carry the credential placeholder, for the user to replace', () => {
		for (const node of commCareNodes) {
			expect(node.credentials).toEqual({ [COMMCARE_CREDENTIAL_TYPE]: CREDENTIAL_PLACEHOLDER });
		}
	});

	test('connections join existing nodes and outputs, left to right, and every node is reached', () => {
		expect(connectionProblems(workflow)).toEqual([]);
		expect(unreachableNodes(workflow)).toEqual([]);
	});

	test('each output of every Import Status leads somewhere, Not Finished included', () => {
		for (const status of workflow.nodes.filter((node) => node.type === COMMCARE_NODE_TYPES.importStatus)) {
			const outputs = workflow.connections[status.name].main;
			expect(outputs).toHaveLength(outputCount(status));
			expect(outputs).toHaveLength(4);
			for (const targets of outputs) expect(targets?.length).toBeGreaterThan(0);
		}
	});

	test('each output of every Lookup Table Import leads somewhere (Success, Warning, Error)', () => {
		for (const node of workflow.nodes.filter((node) => node.type === COMMCARE_NODE_TYPES.lookupTableImport)) {
			const outputs = workflow.connections[node.name].main;
			expect(outputs).toHaveLength(outputCount(node));
			expect(outputs).toHaveLength(3);
			for (const targets of outputs) expect(targets?.length).toBeGreaterThan(0);
		}
	});

	test('has a sticky note saying what to configure', () => {
		const notes = workflow.nodes.filter((node) => node.type === STICKY_NOTE);
		expect(notes.length).toBeGreaterThan(0);
		expect(notes.map((note) => String(note.parameters.content)).join('\n')).toMatch(/credential/i);
	});
});

describe('the checks above can fail', () => {
	const bulkImport: WorkflowNode = {
		id: 'x',
		name: 'Import',
		type: COMMCARE_NODE_TYPES.bulkImport,
		typeVersion: 1.3,
		position: [0, 0],
		parameters: {
			projectSpace: { __rl: true, mode: 'name', value: 'p' },
			caseType: { __rl: true, mode: 'list', value: 'patient' },
			source: 'binary',
			binaryPropertyName: 'data',
			searchField: 'name',
			nope: 1,
			options: { outputPerRecord: true, timeoutSeconds: 'soon' },
		},
		credentials: { commCareApi: CREDENTIAL_PLACEHOLDER },
	};

	test('an unknown parameter, a hidden one, a hidden option and values of the wrong kind are reported', () => {
		expect(commCareNodeProblems(bulkImport)).toEqual([
			'Import: searchField: "name" is not one of ["case_id","external_id"]',
			'Import: parameter "nope" is not defined by commCareBulkImport',
			'Import: options.outputPerRecord: hidden by the other parameters (displayOptions)',
			'Import: options.timeoutSeconds: "soon" is not a number',
		]);
		const itemsSource = {
			...bulkImport,
			parameters: {
				projectSpace: bulkImport.parameters.projectSpace,
				caseType: bulkImport.parameters.caseType,
				source: 'items',
				binaryPropertyName: 'data',
			},
		};
		expect(commCareNodeProblems(itemsSource)).toEqual([
			'Import: parameter "binaryPropertyName" is set but hidden by the other parameters (displayOptions)',
		]);
		// From 1.3, Output says it: the older option is hidden by the version, even with Input Items.
		const { binaryPropertyName: _unused, ...itemsParameters } = itemsSource.parameters;
		const olderOption = { ...itemsSource, parameters: { ...itemsParameters, options: { outputPerRecord: true } } };
		expect(commCareNodeProblems(olderOption)).toEqual([
			'Import: options.outputPerRecord: hidden by the other parameters (displayOptions)',
		]);
		expect(commCareNodeProblems({ ...olderOption, typeVersion: 1.2 })).toEqual([
			"Import: typeVersion 1.2, the node's newest version is 1.3",
		]);
	});

	test("a version-1 node or a newer node with version 1's plain strings is reported", () => {
		const plain = {
			...bulkImport,
			parameters: { projectSpace: 'p', caseType: { __rl: true, mode: 'byId', value: 'patient' } },
		};
		expect(commCareNodeProblems(plain)).toEqual([
			'Import: projectSpace: "p" is not a resource locator ({ "__rl": true, … })',
			'Import: caseType: mode "byId" is not one of ["list","name"]',
		]);
		expect(
			commCareNodeProblems({ ...bulkImport, typeVersion: 1, parameters: { projectSpace: 'p', caseType: 't' } }),
		).toEqual(["Import: typeVersion 1, the node's newest version is 1.3"]);
	});

	test('a connection to a missing node or a missing output is reported', () => {
		const workflow: WorkflowJson = {
			name: 'broken',
			nodes: [bulkImport],
			connections: { Import: { main: [[{ node: 'Nowhere', type: 'main', index: 0 }], []] } },
		};
		expect(connectionProblems(workflow)).toEqual([
			'Import: 2 outputs connected, the node has 1',
			'Import[0] -> "Nowhere", which is not a node',
		]);
	});

	test("Import Status's outputs are counted for the node's version: Not Finished only from 1.2 on", () => {
		const status = (typeVersion: number): WorkflowNode => ({
			id: 's',
			name: 'Status',
			type: COMMCARE_NODE_TYPES.importStatus,
			typeVersion,
			position: [0, 0],
			parameters: {},
		});
		const fourOutputs = (typeVersion: number): WorkflowJson => ({
			name: 'four',
			nodes: [status(typeVersion)],
			connections: { Status: { main: [[], [], [], []] } },
		});
		expect(connectionProblems(fourOutputs(1.1))).toEqual(['Status: 4 outputs connected, the node has 3']);
		expect(connectionProblems(fourOutputs(1.2))).toEqual([]);
	});
});
