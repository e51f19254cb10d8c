/**
 * parameterOfEveryItem (itemParameters.ts): a parameter that is only `{{ $json.<field> }}` is read from each item's
 * JSON without asking n8n to evaluate it per item, where that is sure to give n8n's value; anything else is asked of
 * n8n. The table at the end holds the shortcut to n8n's own expression engine (n8n-workflow's), value for value and
 * error for error.
 */
import { Workflow, type IDataObject, type IExecuteFunctions, type INodeTypes } from 'n8n-workflow';

import { parameterOfEveryItem } from '../../../nodes/CommCareImportStatus/itemParameters';

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
	it('reads `{{ $json.status_url }}` from each item that has it, asking n8n only for the item without it', () => {
		const { ctx, asked } = contextWith('={{ $json.status_url }}');
		expect(parameterOfEveryItem(ctx, 'statusUrl', jsons, '')).toEqual(['https://a/1', 42, 'evaluated 2']);
		expect(asked).toEqual([2]);
	});

	it('follows a dotted path; an item where a step is missing or not an object is asked of n8n', () => {
		const { ctx, asked } = contextWith('={{$json.nested.url}}');
		expect(parameterOfEveryItem(ctx, 'statusUrl', jsons, '')).toEqual(['https://n/1', 'evaluated 1', 'evaluated 2']);
		expect(asked).toEqual([1, 2]);
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

/** n8n's own expression engine, as a node's getNodeParameter uses it, over one parameter and the given items. */
function n8nEngine(expression: string, items: IDataObject[]) {
	const nodeTypes = {
		getByName: () => ({ description: { properties: [] } }),
		getByNameAndVersion: () => ({ description: { properties: [] } }),
		getKnownTypes: () => ({}),
	} as unknown as INodeTypes;
	const node = { id: '1', name: 'Status', type: 'test', typeVersion: 1, position: [0, 0] as [number, number] };
	const workflow = new Workflow({ nodes: [{ ...node, parameters: {} }], connections: {}, active: false, nodeTypes });
	const evaluate = (itemIndex: number): unknown =>
		workflow.expression.getParameterValue(
			expression,
			null,
			0,
			itemIndex,
			'Status',
			items.map((json) => ({ json })),
			'manual',
			{},
		);
	const asked: number[] = [];
	const ctx = {
		getNode: () => ({ ...node, parameters: { statusUrl: expression } }),
		getNodeParameter: (_name: string, itemIndex: number) => {
			asked.push(itemIndex);
			return evaluate(itemIndex);
		},
	} as unknown as IExecuteFunctions;
	return { ctx, evaluate, asked };
}

function outcome(run: () => unknown): { value: unknown } | { error: string } {
	try {
		return { value: run() };
	} catch (error) {
		return { error: (error as Error).message };
	}
}

describe('the shortcut agrees with n8n', () => {
	const own = (json: IDataObject) => json;
	it.each<[string, string, IDataObject, boolean]>([
		// [what, expression, item JSON, read without n8n]
		['a plain field', '={{ $json.status_url }}', { status_url: 'https://a/1' }, true],
		['a nested field', '={{ $json.upload.url }}', { upload: { url: 'https://a/2' } }, true],
		['a number', '={{ $json.status_url }}', { status_url: 7 }, true],
		['null', '={{ $json.status_url }}', { status_url: null }, true],
		['a missing field', '={{ $json.status_url }}', {}, false],
		['a missing parent', '={{ $json.upload.url }}', {}, false],
		[
			'a field named constructor',
			'={{ $json.constructor }}',
			own({ constructor: 'https://a/3' } as IDataObject),
			false,
		],
		['a field named toString', '={{ $json.toString }}', own({ toString: 'https://a/4' } as IDataObject), false],
		['an inherited toString', '={{ $json.toString }}', {}, false],
		['__proto__', '={{ $json.__proto__ }}', {}, false],
		['valueOf', '={{ $json.valueOf }}', {}, false],
		['hasOwnProperty', '={{ $json.hasOwnProperty }}', {}, false],
		['the length of a text', '={{ $json.status_url.length }}', { status_url: 'abc' }, false],
		['the length of a list', '={{ $json.urls.length }}', { urls: ['a', 'b'] }, false],
		['an object', '={{ $json.upload }}', { upload: { url: 'x' } }, false],
		['a list', '={{ $json.urls }}', { urls: ['a'] }, false],
		['a name n8n refuses', '={{ $json.mainModule }}', { mainModule: 'x' }, false],
	])('%s', (_what, expression, json, shortcut) => {
		const { ctx, evaluate, asked } = n8nEngine(expression, [json]);
		const n8nSays = outcome(() => evaluate(0));
		expect(outcome(() => parameterOfEveryItem(ctx, 'statusUrl', [json], '')[0])).toEqual(n8nSays);
		expect(asked).toEqual(shortcut ? [] : [0]);
	});
});
