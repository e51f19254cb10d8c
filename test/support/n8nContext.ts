/**
 * A faithful stand-in for the execution context n8n hands a node's `execute()`, for integration tests that talk
 * to the emulator over real sockets. What matters is copied from n8n-core (packages/core/.../request-helper-functions
 * and request-helpers/http-request.ts):
 *  - `httpRequestWithAuthentication` reads the credential, applies the credential type's `authenticate` (function or
 *    generic form), sets `this.getExecutionCancelSignal()` of the context it is called on as `abortSignal`
 *    (replacing any the node set), sends through axios the way
 *    `convertN8nRequestToAxios` does, and wraps any thrown error in `NodeApiError(node, error)`.
 *  - like n8n, axios follows redirects unless `disableFollowRedirect` is set.
 *  - binary data in two modes: `default` (base64 in `data`) and `filesystem` (an `id`, bytes on disk, `data` unused).
 * Parameters come from the test; missing ones fall back to the node description's defaults, as in n8n.
 */
import axios, { type AxiosRequestConfig } from 'axios';
import { randomUUID } from 'crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import https from 'https';
import { tmpdir } from 'os';
import { join } from 'path';
import type { Readable } from 'stream';
import {
	NodeApiError,
	NodeHelpers,
	NodeOperationError,
	type IBinaryData,
	type ICredentialDataDecryptedObject,
	type ICredentialType,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestOptions,
	type ILoadOptionsFunctions,
	type INode,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
} from 'n8n-workflow';

import { CommCareApi } from '../../credentials/CommCareApi.credentials';

export type BinaryMode = 'default' | 'filesystem';

export interface ContextOptions {
	node: INodeType;
	/** Node parameters; a function value is evaluated per item, like an expression: (itemIndex, item) => value. */
	parameters?: Record<string, unknown>;
	/** Decrypted credential data for `commCareApi` (omit to simulate a node without credentials). */
	credentials?: ICredentialDataDecryptedObject;
	items?: INodeExecutionData[];
	continueOnFail?: boolean;
	binaryMode?: BinaryMode;
	/** The execution's cancel signal (n8n aborts it when the user stops the execution). */
	cancelSignal?: AbortSignal;
	/** The workflow's time zone, as `this.getTimezone()` gives it (default UTC). */
	timezone?: string;
	credentialType?: ICredentialType;
	/**
	 * The node's version, as a saved workflow stores it (default: its newest). As in n8n, a parameter the version
	 * does not show (`@version` display options) is ignored, and each default is the one that version shows.
	 */
	typeVersion?: number;
}

export interface SentRequest {
	options: IHttpRequestOptions;
	credentialType: string | null;
}

const binaryStoreDir = mkdtempSync(join(tmpdir(), 'commcare-binary-'));
// Jest evaluates this module once per test file: remove that file's store after its tests, so runs leave nothing in
// /tmp (jest stops its workers with a signal, so an 'exit' handler would not run).
if (typeof afterAll === 'function') afterAll(() => rmSync(binaryStoreDir, { recursive: true, force: true }));

/** Stores bytes the way n8n's filesystem binary-data mode does: an id, a file, metadata beside it. */
function storeFilesystemBinary(buffer: Buffer, fileName: string, mimeType: string): IBinaryData {
	const id = `filesystem-v2:workflows/test/executions/temp/binary_data/${randomUUID()}`;
	const path = binaryPathFromId(id);
	writeFileSync(path, buffer);
	writeFileSync(`${path}.metadata`, JSON.stringify({ fileName, mimeType, fileSize: buffer.length }));
	return {
		id,
		data: 'filesystem-v2',
		mimeType,
		fileName,
		fileExtension: fileName.includes('.') ? fileName.split('.').pop() : undefined,
		fileSize: `${(buffer.length / 1024).toFixed(2)} kB`,
		bytes: buffer.length,
	} as IBinaryData;
}

function binaryPathFromId(id: string): string {
	return join(binaryStoreDir, id.split('/').pop() as string);
}

/** Builds an input item holding a file, in the requested binary-data mode. */
export function binaryItem(
	buffer: Buffer,
	fileName: string,
	options: { mode?: BinaryMode; property?: string; json?: IDataObject; mimeType?: string } = {},
): INodeExecutionData {
	const mimeType = options.mimeType ?? guessMime(fileName);
	const binary: IBinaryData =
		options.mode === 'filesystem'
			? storeFilesystemBinary(buffer, fileName, mimeType)
			: ({
					data: buffer.toString('base64'),
					mimeType,
					fileName,
					fileExtension: fileName.includes('.') ? fileName.split('.').pop() : undefined,
					fileSize: `${(buffer.length / 1024).toFixed(2)} kB`,
				} as IBinaryData);
	return { json: options.json ?? {}, binary: { [options.property ?? 'data']: binary } };
}

function guessMime(fileName: string): string {
	const ext = fileName.toLowerCase().split('.').pop();
	if (ext === 'xlsx') return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
	if (ext === 'xls') return 'application/vnd.ms-excel';
	if (ext === 'csv') return 'text/csv';
	return 'application/octet-stream';
}

/** Applies a credential type's `authenticate` as n8n's CredentialsHelper does (function or generic form). */
async function authenticate(
	credentialType: ICredentialType,
	credentials: ICredentialDataDecryptedObject,
	options: IHttpRequestOptions,
): Promise<IHttpRequestOptions> {
	const auth = credentialType.authenticate;
	if (!auth) return options;
	if (typeof auth === 'function') return await auth(credentials, options);
	const resolve = (value: unknown) =>
		typeof value === 'string'
			? value.replace(/^=?\{\{\s*\$credentials\.(\w+)\s*\}\}$/, (_m, key: string) => String(credentials[key] ?? ''))
			: value;
	const out = { ...options, headers: { ...(options.headers ?? {}) }, qs: { ...(options.qs ?? {}) } };
	for (const [key, value] of Object.entries(auth.properties.headers ?? {})) out.headers[key] = resolve(value) as string;
	for (const [key, value] of Object.entries(auth.properties.qs ?? {})) out.qs[key] = resolve(value) as string;
	if (auth.properties.auth) {
		out.auth = {
			username: resolve(auth.properties.auth.username) as string,
			password: resolve(auth.properties.auth.password) as string,
		};
	}
	return out;
}

/** The request n8n's `httpRequest` makes: the relevant part of `convertN8nRequestToAxios` and its return shape. */
export async function n8nHttpRequest(options: IHttpRequestOptions): Promise<unknown> {
	const config: AxiosRequestConfig = {
		url: options.url,
		method: options.method ?? 'GET',
		headers: { ...((options.headers as Record<string, string>) ?? {}) },
		params: options.qs,
		timeout: options.timeout ?? 300000,
		auth: options.auth as AxiosRequestConfig['auth'],
		maxBodyLength: Infinity,
		maxContentLength: Infinity,
		signal: options.abortSignal,
		proxy: false,
	};
	if (options.baseURL !== undefined) config.baseURL = options.baseURL;
	if (options.disableFollowRedirect === true) config.maxRedirects = 0;
	if (options.encoding !== undefined) config.responseType = options.encoding as AxiosRequestConfig['responseType'];
	if (options.skipSslCertificateValidation === true) {
		config.httpsAgent = new https.Agent({ rejectUnauthorized: false });
	}
	const body = options.body as unknown;
	if (body) {
		const headers = config.headers as Record<string, string>;
		const hasContentType = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
		if (!hasContentType && body && typeof (body as { getHeaders?: unknown }).getHeaders === 'function') {
			Object.assign(headers, (body as { getHeaders: () => Record<string, string> }).getHeaders());
		}
		if (typeof body === 'string' || (typeof body === 'object' && Object.keys(body as object).length > 0)) {
			config.data = body;
		}
	}
	if (options.json) {
		const headers = config.headers as Record<string, string>;
		if (!Object.keys(headers).some((h) => h.toLowerCase() === 'accept')) headers.Accept = 'application/json';
	}
	if (options.ignoreHttpStatusErrors) config.validateStatus = () => true;
	if (String(config.method).toUpperCase() === 'GET') delete config.data;
	const result = await axios(config);
	if (options.returnFullResponse) {
		return { body: result.data, headers: result.headers, statusCode: result.status, statusMessage: result.statusText };
	}
	return result.data;
}

/** Parameters as a workflow stores them: functions (per-item values in tests) become expression strings. */
function asStoredParameters(value: unknown): unknown {
	if (typeof value === 'function') return '={{ $json /* evaluated per item by the test */ }}';
	if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
	return Object.fromEntries(
		Object.entries(value as Record<string, unknown>).map(([key, entry]) => [key, asStoredParameters(entry)]),
	);
}

function getByPath(source: Record<string, unknown>, path: string): unknown {
	let current: unknown = source;
	for (const part of path.split('.')) {
		if (current === null || typeof current !== 'object') return undefined;
		current = (current as Record<string, unknown>)[part];
	}
	return current;
}

/** Whether a property exists in this version of the node: its `@version` display options admit it. */
function inVersion(property: INodeProperties, typeVersion: number): boolean {
	const shown = property.displayOptions?.show?.['@version'] as number[] | undefined;
	const hidden = property.displayOptions?.hide?.['@version'] as number[] | undefined;
	return (shown === undefined || shown.includes(typeVersion)) && !(hidden ?? []).includes(typeVersion);
}

function propertyOf(properties: INodeProperties[], name: string, typeVersion: number): INodeProperties | undefined {
	return properties.find((p) => p.name === name.split('.')[0] && inVersion(p, typeVersion));
}

/** Whether some definition of the parameter is displayed with these parameter values (defaults filled in). */
function displayed(
	description: INodeType['description'],
	parameters: IDataObject,
	name: string,
	node: Pick<INode, 'typeVersion'>,
): boolean {
	const values = NodeHelpers.getNodeParameters(
		description.properties,
		parameters as INode['parameters'],
		true,
		false,
		node as INode,
		description,
	);
	return description.properties
		.filter((property) => property.name === name.split('.')[0])
		.some((property) => NodeHelpers.displayParameter(values ?? {}, property, node, description));
}

function defaultFromDescription(properties: INodeProperties[], name: string, typeVersion: number): unknown {
	const [, ...rest] = name.split('.');
	const property = propertyOf(properties, name, typeVersion);
	if (!property) return undefined;
	if (rest.length === 0) return property.default;
	if (property.type === 'collection' || property.type === 'fixedCollection') return undefined;
	return undefined;
}

/** Resolves the two expression forms our defaults use: `={{ $json.key }}` and `={{ $json["key"] }}`. */
function resolveExpression(value: unknown, item: INodeExecutionData | undefined): unknown {
	if (typeof value !== 'string' || !value.startsWith('=')) return value;
	const match = /^=\{\{\s*\$json(?:\.(\w+)|\[["'](.+?)["']\])\s*\}\}$/.exec(value);
	if (!match) throw new Error(`The test context cannot evaluate expression ${value}; pass a function instead`);
	return item?.json[match[1] ?? match[2]];
}

export interface TestContext {
	context: IExecuteFunctions;
	/** Every request the node asked n8n to make (after authentication was applied). */
	sent: SentRequest[];
	node: INode;
	/** What the node passed to `this.addExecutionHints` (shown above the output in the editor). */
	hints: Array<{ message: string; type?: string; location?: string }>;
}

export function createExecuteContext(options: ContextOptions): TestContext {
	const description = options.node.description;
	const node: INode = {
		id: randomUUID(),
		name: description.defaults.name ?? description.displayName,
		type: `n8n-nodes-commcare.${description.name}`,
		typeVersion:
			options.typeVersion ??
			(Array.isArray(description.version) ? Math.max(...description.version) : description.version),
		position: [0, 0],
		// As n8n stores them: a parameter given as a function (evaluated per item) is an expression, `={{ … }}`.
		parameters: asStoredParameters(options.parameters ?? {}) as INode['parameters'],
	};
	const items: INodeExecutionData[] = options.items ?? [{ json: {} }];
	const parameters = options.parameters ?? {};
	const credentialType = options.credentialType ?? new CommCareApi();
	const cancelController = new AbortController();
	const cancelSignal = options.cancelSignal ?? cancelController.signal;
	const hints: TestContext['hints'] = [];
	const sent: SentRequest[] = [];

	const getBinary = (itemIndex: number, propertyName: string): IBinaryData => {
		const binary = items[itemIndex]?.binary?.[propertyName];
		if (!binary) {
			throw new NodeOperationError(
				node,
				`This operation expects the node's input data to contain a binary file '${propertyName}', but none was found [item ${itemIndex}]`,
				{ itemIndex },
			);
		}
		return binary;
	};

	const helpers = {
		async httpRequestWithAuthentication(
			this: unknown,
			credentialTypeName: string,
			requestOptions: IHttpRequestOptions,
		) {
			// As n8n-core (1.x and 2.x): the abort signal is the cancel signal of the context the helper is called on.
			const caller = this as { getExecutionCancelSignal?: () => AbortSignal } | undefined;
			if (caller && typeof caller === 'object' && 'getExecutionCancelSignal' in caller) {
				requestOptions.abortSignal = caller.getExecutionCancelSignal?.();
			}
			try {
				if (!options.credentials) {
					throw new NodeOperationError(
						node,
						`Node "${node.name}" does not have any credentials of type "${credentialTypeName}" set`,
					);
				}
				const authed = await authenticate(credentialType, { ...options.credentials }, requestOptions);
				sent.push({ options: authed, credentialType: credentialTypeName });
				return await n8nHttpRequest(authed);
			} catch (error) {
				if (error instanceof NodeOperationError || error instanceof NodeApiError) throw error;
				throw new NodeApiError(node, error as never);
			}
		},
		async httpRequest(requestOptions: IHttpRequestOptions) {
			sent.push({ options: requestOptions, credentialType: null });
			return await n8nHttpRequest(requestOptions);
		},
		assertBinaryData(itemIndex: number, propertyName: string) {
			return getBinary(itemIndex, propertyName);
		},
		async getBinaryDataBuffer(itemIndex: number, propertyName: string): Promise<Buffer> {
			const binary = getBinary(itemIndex, propertyName);
			if (binary.id) return readFileSync(binaryPathFromId(binary.id));
			return Buffer.from(binary.data, 'base64');
		},
		async getBinaryStream(binaryDataId: string, chunkSize?: number): Promise<Readable> {
			return createReadStream(binaryPathFromId(binaryDataId), { highWaterMark: chunkSize });
		},
		async getBinaryMetadata(binaryDataId: string) {
			const path = binaryPathFromId(binaryDataId);
			const meta = JSON.parse(readFileSync(`${path}.metadata`, 'utf8')) as IDataObject;
			return { ...meta, fileSize: statSync(path).size };
		},
		async prepareBinaryData(buffer: Buffer, fileName?: string, mimeType?: string): Promise<IBinaryData> {
			const name = fileName ?? 'file';
			return options.binaryMode === 'filesystem'
				? storeFilesystemBinary(buffer, name, mimeType ?? guessMime(name))
				: (binaryItem(buffer, name, { mimeType }).binary as Record<string, IBinaryData>).data;
		},
		returnJsonArray(data: IDataObject | IDataObject[]): INodeExecutionData[] {
			return (Array.isArray(data) ? data : [data]).map((json) => ({ json }));
		},
		constructExecutionMetaData(
			inputData: INodeExecutionData[],
			metadata: { itemData: { item: number } | Array<{ item: number }> },
		): INodeExecutionData[] {
			return inputData.map((data) => ({ ...data, pairedItem: metadata.itemData }));
		},
	};

	const context = {
		getNode: () => node,
		getInputData: () => items,
		getMode: () => 'manual',
		getExecutionId: () => 'test-execution',
		getWorkflow: () => ({ id: 'test-workflow', name: 'test', active: false }),
		continueOnFail: () => options.continueOnFail === true,
		getExecutionCancelSignal: () => cancelSignal,
		getTimezone: () => options.timezone ?? 'UTC',
		onExecutionCancellation: (handler: () => unknown) => cancelSignal.addEventListener('abort', () => handler()),
		getCredentials: async (type: string) => {
			if (!options.credentials) {
				throw new NodeOperationError(node, `Node "${node.name}" does not have any credentials of type "${type}" set`);
			}
			return { ...options.credentials };
		},
		getNodeParameter(name: string, itemIndex: number, fallback?: unknown, options?: { extractValue?: boolean }) {
			const known = propertyOf(description.properties, name, node.typeVersion) !== undefined;
			// As n8n-core: extractValue looks the parameter up among those displayed, and throws for a hidden one.
			if (options?.extractValue && known && !displayed(description, parameters as IDataObject, name, node)) {
				throw new Error(`Could not find property "${name}" (n8n-core: a hidden parameter read with extractValue)`);
			}
			let value = known ? getByPath(parameters, name) : undefined;
			if (value === undefined) value = defaultFromDescription(description.properties, name, node.typeVersion);
			if (typeof value === 'function')
				value = (value as (i: number, item: INodeExecutionData) => unknown)(itemIndex, items[itemIndex]);
			// As n8n-core's extractValue: a resource locator gives its value; anything else is returned as it is.
			if (options?.extractValue && isResourceLocator(value)) value = value.value;
			value = resolveExpression(value, items[itemIndex]);
			// As n8n-core (lodash `get` with the fallback as default): an undefined fallback is no fallback.
			if (value === undefined) value = fallback;
			if (value === undefined) throw new Error(`Could not get parameter "${name}"`);
			return value;
		},
		logger: { debug() {}, info() {}, warn() {}, error() {} },
		sendMessageToUI() {},
		addExecutionHints: (...added: TestContext['hints']) => hints.push(...added),
		helpers,
	} as unknown as IExecuteFunctions;

	return { context, sent, node, hints };
}

function isResourceLocator(value: unknown): value is { __rl: true; mode: string; value: unknown } {
	return typeof value === 'object' && value !== null && 'mode' in value && 'value' in value;
}

/** Runs a node's `execute()` in the stand-in context and returns its outputs plus what it sent. */
export async function runNode(options: ContextOptions) {
	const test = createExecuteContext(options);
	const outputs = (await options.node.execute!.call(test.context)) as INodeExecutionData[][];
	return { outputs, sent: test.sent, node: test.node, hints: test.hints };
}

/**
 * The context n8n hands a node's list-search method when the editor fills a list: the node's current parameters,
 * its credential and the request helpers, but no input items and no execution cancel signal (n8n-core's
 * LoadOptionsContext).
 */
export function createLoadOptionsContext(options: Omit<ContextOptions, 'items' | 'cancelSignal'>) {
	const { context, sent, node } = createExecuteContext(options);
	const loadOptions = {
		getNode: () => node,
		getNodeParameter: (name: string, fallback?: unknown, parameterOptions?: { extractValue?: boolean }) =>
			context.getNodeParameter(name, 0, fallback, parameterOptions),
		getCurrentNodeParameter: (name: string, parameterOptions?: { extractValue?: boolean }) =>
			context.getNodeParameter(name, 0, undefined, parameterOptions),
		getCredentials: (type: string) => context.getCredentials(type),
		getTimezone: () => 'UTC',
		logger: context.logger,
		helpers: {
			httpRequestWithAuthentication: context.helpers.httpRequestWithAuthentication,
			httpRequest: context.helpers.httpRequest,
		},
	} as unknown as ILoadOptionsFunctions;
	return { context: loadOptions, sent, node };
}
