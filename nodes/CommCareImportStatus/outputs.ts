/**
 * The node's outputs per version: Success, Warning and Error, and from version 1.2 on (NOT_FINISHED_OUTPUT) Not
 * Finished as the fourth. A saved node keeps its version, so its outputs must follow its version, not the newest:
 * n8n computes them per node from an expression on `$nodeVersion`, as its own Respond to Webhook node does (the
 * editor, the run and the error output all read them through NodeHelpers.getNodeOutputs, on n8n 1.x and 2.x alike).
 */
import { NodeConnectionTypes, type INodeOutputConfiguration } from 'n8n-workflow';

import { NOT_FINISHED_OUTPUT } from './versions';

export const OUTPUT_NAMES = ['Success', 'Warning', 'Error', 'Not Finished'] as const;

/** How many outputs a node of `typeVersion` has. */
export function outputCount(typeVersion: number): number {
	return typeVersion >= NOT_FINISHED_OUTPUT ? 4 : 3;
}

function outputsOf(count: number): INodeOutputConfiguration[] {
	return OUTPUT_NAMES.slice(0, count).map((displayName) => ({ type: NodeConnectionTypes.Main, displayName }));
}

/**
 * `={{ $nodeVersion >= 1.2 ? [four outputs] : [three outputs] }}`, the lists written out as JSON (no `}}` in them,
 * which would end the expression early).
 */
export const OUTPUTS_EXPRESSION: `={{${string}}}` = `={{ $nodeVersion >= ${NOT_FINISHED_OUTPUT} ? ${JSON.stringify(outputsOf(4))} : ${JSON.stringify(outputsOf(3))} }}`;
