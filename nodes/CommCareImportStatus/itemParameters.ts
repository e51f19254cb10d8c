import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

/** `={{ $json.a.b }}` and nothing else: a field of the item, by plain names. */
const PLAIN_JSON_FIELD = /^=\{\{\s*\$json((?:\.[A-Za-z_$][\w$]*)+)\s*\}\}$/;

/**
 * Names the shortcut leaves to n8n: members every object inherits (`toString`, `constructor`, `__proto__`…), which
 * n8n refuses or reads differently from a data field, the names n8n's expression sandbox refuses (its list as of
 * n8n 2.x, and anything starting with `_` or `$`, where such names live), and `length`.
 */
const LEFT_TO_N8N = new Set([
	...Object.getOwnPropertyNames(Object.prototype),
	'prototype',
	'getPrototypeOf',
	'mainModule',
	'binding',
	'prepareStackTrace',
	'caller',
	'arguments',
	'getBuiltinModule',
	'dlopen',
	'execve',
	'loadEnvFile',
	'length',
]);

function isShortcutName(name: string): boolean {
	return !LEFT_TO_N8N.has(name) && !/^[_$]/.test(name);
}

function isPlainObject(value: unknown): value is IDataObject {
	if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
	const prototype = Object.getPrototypeOf(value) as unknown;
	return prototype === Object.prototype || prototype === null;
}

/** The field's value when every step is an own data field of a plain object and it ends on a plain value. */
function plainFieldValue(json: IDataObject, path: string[]): { value: unknown } | undefined {
	let value: unknown = json;
	for (const key of path) {
		if (!isPlainObject(value) || !Object.prototype.hasOwnProperty.call(value, key)) return undefined;
		const descriptor = Object.getOwnPropertyDescriptor(value, key);
		if (!descriptor || !('value' in descriptor)) return undefined; // a getter: n8n may read it otherwise
		value = descriptor.value;
	}
	const plain = value === null || ['string', 'number', 'boolean'].includes(typeof value);
	return plain ? { value } : undefined;
}

/**
 * A parameter's value for every input item. n8n evaluates an expression once per item, and in n8n 2.x that costs
 * about half a millisecond (100,000 items: close to a minute, measured with `npm run bench:n8n`). A parameter that
 * is only `{{ $json.<field> }}`, as Import Status's Status URL is by default, is read straight from each item's
 * JSON where that is sure to be what n8n's engine gives: an own field, by plain names, holding text, a number, a
 * boolean or null. Everything else (a missing field, an inherited or refused name, any other expression) goes
 * through n8n, so its value, or its expression error, is n8n's own.
 */
export function parameterOfEveryItem(
	ctx: IExecuteFunctions,
	name: string,
	jsons: IDataObject[],
	fallback: unknown,
): unknown[] {
	const raw = ctx.getNode().parameters[name];
	const path = typeof raw === 'string' ? PLAIN_JSON_FIELD.exec(raw)?.[1].slice(1).split('.') : undefined;
	const shortcut = path !== undefined && path.every(isShortcutName) ? path : undefined;
	return jsons.map((json, itemIndex) => {
		const read = shortcut ? plainFieldValue(json, shortcut) : undefined;
		return read ? read.value : (ctx.getNodeParameter(name, itemIndex, fallback) as unknown);
	});
}
