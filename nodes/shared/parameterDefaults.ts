import type { INodeProperties } from 'n8n-workflow';

/**
 * The default the editor shows for a parameter (`name`, or `options.name` inside a collection), read back from a
 * node's properties: defaults are written once, in the description, and the code that reads parameters falls back
 * to the same values. With `typeVersion`, the definition that version shows (a parameter may be defined once per
 * range of versions, with its own default); without, the parameter must have one default in every version. Throws
 * at load time for a name the properties lack, or a versioned default read without a version (a bug, not a user
 * error).
 */
export function parameterDefault<T extends INodeProperties['default']>(
	properties: INodeProperties[],
	path: string,
	typeVersion?: number,
): T {
	const [first, second] = path.split('.');
	const defaults = properties
		.filter((top) => top.name === first && (typeVersion === undefined || shownIn(top, typeVersion)))
		.map((top) => (second ? (top.options as INodeProperties[] | undefined)?.find((o) => o.name === second) : top))
		.filter((property): property is INodeProperties => property !== undefined && 'default' in property)
		.map((property) => property.default as T);
	if (defaults.length === 0) throw new Error(`No parameter '${path}' in the node's properties`);
	if (defaults.some((value) => JSON.stringify(value) !== JSON.stringify(defaults[0]))) {
		throw new Error(`The default of '${path}' differs between versions: read it for a version (defaultsAt)`);
	}
	return defaults[0];
}

/** Whether a node of `typeVersion` has this property: its `@version` display options admit that version. */
function shownIn(property: INodeProperties, typeVersion: number): boolean {
	const shown = property.displayOptions?.show?.['@version'] as number[] | undefined;
	const hidden = property.displayOptions?.hide?.['@version'] as number[] | undefined;
	return (shown === undefined || shown.includes(typeVersion)) && !(hidden ?? []).includes(typeVersion);
}
