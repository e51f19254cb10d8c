/**
 * parameterOfEveryItem: a parameter that is only `{{ $json.<field> }}` is read from each item's JSON without asking
 * n8n to evaluate it per item; anything else is asked of n8n for every item.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { parameterOfEveryItem } from '../../nodes/CommCareImportStatus/itemParameters';

/** A context whose node has `statusUrl` stored as given, counting what n8n was asked to evaluate. */
function contextWith(statusUrl: unknown) {
	const asked: number[] = [];
	const ctx = {
		getNode: () => ({ parameters: { statusUrl } }),
		getNodeParameter: (_name: string, itemIndex: number) => {
			asked.push(itemIndex);
			return `evaluated ${itemIndex}`;
		},
	} as unknown as IExecuteFunctions;
	return { ctx, asked };
}

const jsons: IDataObject[] = [
	{ status_url: 'https://a/1', nested: { url: 'https://n/1' } },
	{ status_url: 42, nested: null },
	{},
];

describe('parameterOfEveryItem', () => {
	it('reads `{{ $json.status_url }}` from each item as the expression would give it, asking n8n nothing', () => {
		const { ctx, asked } = contextWith('={{ $json.status_url }}');
		expect(parameterOfEveryItem(ctx, 'statusUrl', jsons, '')).toEqual(['https://a/1', 42, undefined]);
		expect(asked).toEqual([]);
	});

	it('follows a dotted path, giving undefined where a step is missing or not an object', () => {
		const { ctx, asked } = contextWith('={{$json.nested.url}}');
		expect(parameterOfEveryItem(ctx, 'statusUrl', jsons, '')).toEqual(['https://n/1', undefined, undefined]);
		expect(asked).toEqual([]);
	});

	it.each([
		['another expression', "={{ $json.status_url + '/x' }}"],
		['a fixed value', 'https://www.commcarehq.org/a/demo/importer/history/uploads/1/status'],
		['a bracketed field', '={{ $json["status_url"] }}'],
		['no stored value', undefined],
	])('asks n8n for every item for %s', (_what, stored) => {
		const { ctx, asked } = contextWith(stored);
		expect(parameterOfEveryItem(ctx, 'statusUrl', jsons, '')).toEqual(['evaluated 0', 'evaluated 1', 'evaluated 2']);
		expect(asked).toEqual([0, 1, 2]);
	});
});
