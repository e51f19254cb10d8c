/**
 * What n8n's own nodes are, per installed n8n version: read from the catalogue n8n-nodes-base ships
 * (`dist/types/nodes.json`, the same descriptions the editor loads). Used to prove that every n8n node an example
 * uses exists, in that type version, with those parameters and credentials, on each supported n8n line.
 */
import { promises as fs } from 'fs';
import * as path from 'path';

import type { N8nInstall } from '../harness/n8n/install';
import type { WorkflowNode } from '../../examples/workflows';

interface CatalogProperty {
	name: string;
	displayOptions?: { show?: Record<string, unknown[]> };
}

interface CatalogEntry {
	name: string;
	version: number | number[];
	properties: CatalogProperty[];
	credentials?: Array<{ name: string }>;
}

const BASE_PREFIX = 'n8n-nodes-base.';

export async function loadNodeCatalog(install: N8nInstall): Promise<CatalogEntry[]> {
	const file = path.join(install.dir, 'node_modules', 'n8n-nodes-base', 'dist', 'types', 'nodes.json');
	return JSON.parse(await fs.readFile(file, 'utf8')) as CatalogEntry[];
}

/** `@version` conditions as n8n writes them: plain numbers or `{ _cnd: { gte | lte | gt | lt | eq | between } }`. */
function versionMatches(condition: unknown, version: number): boolean {
	if (typeof condition === 'number') return condition === version;
	const cnd = (condition as { _cnd?: Record<string, unknown> })?._cnd;
	if (!cnd) return false;
	const [operator, operand] = Object.entries(cnd)[0];
	switch (operator) {
		case 'gte':
			return version >= (operand as number);
		case 'lte':
			return version <= (operand as number);
		case 'gt':
			return version > (operand as number);
		case 'lt':
			return version < (operand as number);
		case 'eq':
			return version === operand;
		case 'between': {
			const { from, to } = operand as { from: number; to: number };
			return version >= from && version <= to;
		}
		default:
			return false;
	}
}

/**
 * Problems of one n8n-nodes-base node against this n8n's catalogue: unknown type or version, a top-level parameter
 * the node (in that version) does not define, a credential type it does not take. Empty = fine.
 */
export function baseNodeProblems(catalog: CatalogEntry[], node: WorkflowNode): string[] {
	const shortName = node.type.slice(BASE_PREFIX.length);
	const entry = catalog.find((candidate) => {
		const versions = Array.isArray(candidate.version) ? candidate.version : [candidate.version];
		return candidate.name === shortName && versions.includes(node.typeVersion);
	});
	if (!entry) return [`${node.name}: ${node.type} version ${node.typeVersion} does not exist`];
	const problems: string[] = [];
	for (const parameter of Object.keys(node.parameters)) {
		const defined = entry.properties.some((property) => {
			if (property.name !== parameter) return false;
			const versions = property.displayOptions?.show?.['@version'];
			return !versions || versions.some((condition) => versionMatches(condition, node.typeVersion));
		});
		if (!defined)
			problems.push(`${node.name}: parameter "${parameter}" is not defined by ${node.type} v${node.typeVersion}`);
	}
	const credentialTypes = new Set((entry.credentials ?? []).map((credential) => credential.name));
	for (const credential of Object.keys(node.credentials ?? {})) {
		if (!credentialTypes.has(credential))
			problems.push(`${node.name}: ${node.type} takes no credential "${credential}"`);
	}
	return problems;
}

export function isBaseNode(node: WorkflowNode): boolean {
	return node.type.startsWith(BASE_PREFIX);
}
