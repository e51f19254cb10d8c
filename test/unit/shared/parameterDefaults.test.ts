/**
 * Defaults read back from a node's description: one default per parameter in every version, or, for a parameter
 * defined once per range of versions, the default of the definition a version shows.
 */
import type { INodeProperties } from 'n8n-workflow';

import { parameterDefault } from '../../../nodes/shared/parameterDefaults';

const PROPERTIES: INodeProperties[] = [
	{ displayName: 'Mode', name: 'mode', type: 'string', default: 'old', displayOptions: { show: { '@version': [1] } } },
	{ displayName: 'Mode', name: 'mode', type: 'string', default: 'new', displayOptions: { hide: { '@version': [1] } } },
	{ displayName: 'Limit', name: 'limit', type: 'number', default: 5 },
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		default: {},
		options: [{ displayName: 'Wait', name: 'wait', type: 'number', default: 30 }],
	},
];

describe('parameterDefault', () => {
	it('reads a default every version shares, at the top or inside a collection', () => {
		expect(parameterDefault(PROPERTIES, 'limit')).toBe(5);
		expect(parameterDefault(PROPERTIES, 'options.wait')).toBe(30);
		expect(parameterDefault(PROPERTIES, 'limit', 2)).toBe(5);
	});

	it('reads a versioned default for the version asked, from the definition that version shows', () => {
		expect(parameterDefault(PROPERTIES, 'mode', 1)).toBe('old');
		expect(parameterDefault(PROPERTIES, 'mode', 1.1)).toBe('new');
		expect(parameterDefault(PROPERTIES, 'mode', 2)).toBe('new');
	});

	it('refuses a versioned default read without a version, and a name the properties lack', () => {
		expect(() => parameterDefault(PROPERTIES, 'mode')).toThrow(
			"The default of 'mode' differs between versions: read it for a version (defaultsAt)",
		);
		expect(() => parameterDefault(PROPERTIES, 'missing')).toThrow("No parameter 'missing' in the node's properties");
		expect(() => parameterDefault(PROPERTIES, 'options.missing')).toThrow("No parameter 'options.missing'");
	});
});
