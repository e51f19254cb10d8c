/** Import Status's defaults: those every version shares, and those a version changed (versions.ts). */
import { NodeHelpers, type INode, type INodeParameters, type INodeProperties } from 'n8n-workflow';

import { CommCareImportStatus } from '../../../nodes/CommCareImportStatus/CommCareImportStatus.node';
import { DEFAULTS, defaultsAt, importStatusProperties } from '../../../nodes/CommCareImportStatus/description';
import { VERSIONS } from '../../../nodes/CommCareImportStatus/versions';

describe('Import Status defaults', () => {
	it('are the ones saved workflows rely on (a parameter left out takes its default)', () => {
		expect(DEFAULTS).toEqual({
			pollInterval: 5,
			timeout: 30,
			maxPollInterval: 60,
			concurrency: 4,
			lookUpCaseIds: true,
			caseLookupWait: 60,
		});
	});

	it('give the full outcome in version 1, which has no Simplify, and the simplified one from 1.1 on', () => {
		expect(VERSIONS.map((version) => [version, defaultsAt(version).simplify])).toEqual([
			[1, false],
			[1.1, true],
			[1.2, true],
		]);
	});
});

/**
 * The properties a node of `typeVersion` shows when Timeout is `timeout`, decided by n8n's own display rules
 * (NodeHelpers.displayParameter, as the editor calls it; options of a collection see the root values under "/").
 */
function shownAt(typeVersion: number, timeout: number): string[] {
	const description = new CommCareImportStatus().description;
	const node = { typeVersion, parameters: {} } as unknown as INode;
	const values = { timeout, options: {} };
	const shown = (property: INodeProperties, nodeValues: INodeParameters) =>
		NodeHelpers.displayParameter(nodeValues, property, node, description, values);
	return importStatusProperties
		.filter((property) => shown(property, values))
		.flatMap((property) =>
			property.type === 'collection'
				? (property.options as INodeProperties[])
						.filter((option) => shown(option, values.options))
						.map((option) => `${property.name}.${option.name}`)
				: [property.type === 'notice' ? `${property.name}: ${property.displayName}` : property.name],
		);
}

describe('the form', () => {
	it('version 1.2 names its four outputs, and Timeout 0 says where unfinished imports go, without the intervals', () => {
		const waiting = shownAt(1.2, 30);
		expect(waiting.filter((name) => name.startsWith('outputsNotice'))).toEqual([
			expect.stringMatching(/Success: .*Warning: .*Error: .*Not Finished: still queued or running/),
		]);
		expect(waiting).toEqual(expect.arrayContaining(['pollInterval', 'options.maxPollInterval']));
		expect(waiting.some((name) => name.startsWith('checkOnceNotice'))).toBe(false);

		const once = shownAt(1.2, 0);
		expect(once).not.toContain('pollInterval');
		expect(once).not.toContain('options.maxPollInterval');
		expect(once.filter((name) => name.startsWith('checkOnceNotice'))).toEqual([
			expect.stringMatching(
				/^checkOnceNotice: Checks once without waiting: imports still queued or running go to Not Finished/,
			),
		]);
	});

	it.each([1, 1.1])(
		'a saved %s node keeps its three outputs in the notice, and Timeout 0 says they go to Error',
		(version) => {
			expect(shownAt(version, 30).filter((name) => name.startsWith('outputsNotice'))).toEqual([
				expect.not.stringContaining('Not Finished'),
			]);
			expect(shownAt(version, 0).filter((name) => name.startsWith('checkOnceNotice'))).toEqual([
				expect.stringMatching(/go to Error with reason timedOut/),
			]);
			expect(shownAt(version, 0)).not.toContain('pollInterval');
		},
	);
});
