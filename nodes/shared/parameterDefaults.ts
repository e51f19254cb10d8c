import type { INodeProperties } from 'n8n-workflow';

/**
 * The default the editor shows for a parameter (`name`, or `options.name` inside a collection), read back from a
 * node's properties: defaults are written once, in the description, and the code that reads parameters falls back
 * to the same values. Throws at load time for a name the properties lack (a typo is a bug, not a user error).
 */
export function parameterDefault<T extends INodeProperties['default']>(properties: INodeProperties[], path: string): T {
	const [first, second] = path.split('.');
	const top = properties.find((property) => property.name === first);
	const property = second
		? (top?.options as INodeProperties[] | undefined)?.find((option) => option.name === second)
		: top;
	if (!property || !('default' in property)) {
		throw new Error(`No parameter '${path}' in the node's properties`);
	}
	return property.default as T;
}
