/**
 * A node as a workflow saved at an older version runs it. The suites written against those versions' parameters
 * (Bulk Import 1.1: "Create New Cases", Match Cases By defaulting to case_id; Import Status 1: the full outcome) keep
 * driving them there, since saved workflows keep running at their version;
 * test/integration/versions/nodeVersions.test.ts drives the newest versions.
 */
import type { INodeType } from 'n8n-workflow';

/** Bulk Import 1.1 and Import Status 1: the versions the older suites were written for. */
export const SAVED_VERSIONS = { bulkImport: 1.1, importStatus: 1 } as const;

/** The node with `version` as its only version, which the test context (and n8n) then runs it as. */
export function savedAt<T extends INodeType>(node: T, version: number): T {
	node.description = { ...node.description, version, defaultVersion: version };
	return node;
}
