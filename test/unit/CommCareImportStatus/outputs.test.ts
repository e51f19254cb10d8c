/**
 * The outputs of a node, as n8n computes them for the editor, the run and the error output: NodeHelpers.getNodeOutputs
 * evaluates the description's `outputs` expression for that node, in n8n-workflow's own expression engine.
 */
import { NodeHelpers, Workflow, type INode, type INodeType, type INodeTypes } from 'n8n-workflow';

import { CommCareImportStatus } from '../../../nodes/CommCareImportStatus/CommCareImportStatus.node';
import { OUTPUT_NAMES, outputCount } from '../../../nodes/CommCareImportStatus/outputs';
import { VERSIONS } from '../../../nodes/CommCareImportStatus/versions';

const nodeType = new CommCareImportStatus();

function outputsOf(typeVersion: number, onError?: INode['onError']) {
	const node: INode = {
		id: 'status',
		name: 'CommCare Import Status',
		type: 'n8n-nodes-commcare.commCareImportStatus',
		typeVersion,
		position: [0, 0],
		parameters: {},
		...(onError ? { onError } : {}),
	};
	const nodeTypes: INodeTypes = {
		getByName: () => nodeType as INodeType,
		getByNameAndVersion: () => nodeType as INodeType,
		getKnownTypes: () => ({}),
	};
	const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes });
	return NodeHelpers.getNodeOutputs(workflow, node, nodeType.description);
}

describe('the outputs of each version', () => {
	it('version 1.2 has four: Success, Warning, Error and Not Finished', () => {
		expect(outputsOf(1.2)).toEqual([
			{ type: 'main', displayName: 'Success' },
			{ type: 'main', displayName: 'Warning' },
			{ type: 'main', displayName: 'Error' },
			{ type: 'main', displayName: 'Not Finished' },
		]);
	});

	it.each([1, 1.1])('a saved %s node keeps its three: Success, Warning, Error', (typeVersion) => {
		expect(outputsOf(typeVersion)).toEqual([
			{ type: 'main', displayName: 'Success' },
			{ type: 'main', displayName: 'Warning' },
			{ type: 'main', displayName: 'Error' },
		]);
	});

	it('as many as the code routes to, in every version', () => {
		for (const typeVersion of VERSIONS) {
			expect(outputsOf(typeVersion).map((output) => (output as { displayName: string }).displayName)).toEqual(
				OUTPUT_NAMES.slice(0, outputCount(typeVersion)),
			);
		}
	});

	it("n8n's error output (On Error: Continue (using error output)) comes after them", () => {
		expect(outputsOf(1.2, 'continueErrorOutput')).toHaveLength(5);
		expect(outputsOf(1.1, 'continueErrorOutput')).toHaveLength(4);
	});
});
