/**
 * What CommCare Bulk Import does when it runs. Source "binary": one upload per input item. Source "items": all
 * input items become the rows of one spreadsheet (not built yet; it will plug in at `uploadInputItems`).
 */
import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type NodeApiError,
} from 'n8n-workflow';

import { InvalidInputError, toNodeError } from '../shared/errors';
import { getCommCareCredentials, validateProjectSpace, type CommCareCredentials } from '../shared/transport';
import type { ImportSettings, SearchField } from '../shared/types';
import { uploadResultJson, uploadSpreadsheet } from '../shared/upload';
import { binaryPropertyName, spreadsheetFromBinary } from './binaryInput';

export async function executeBulkImport(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const source = ctx.getNodeParameter('source', 0, 'binary') as 'binary' | 'items';
	if (source === 'items') return [await uploadInputItems(ctx)];
	return [await uploadEachBinaryFile(ctx)];
}

/** The importer settings for one item (parameters may be expressions), checked before anything is sent. */
export function readImportSettings(ctx: IExecuteFunctions, itemIndex: number): ImportSettings {
	const text = (name: string, fallback: string) => String(ctx.getNodeParameter(name, itemIndex, fallback) ?? '').trim();
	const projectSpace = validateProjectSpace(text('projectSpace', ''));
	const caseType = text('caseType', '');
	if (!caseType) throw new InvalidInputError('The case type is empty', 'Type the case type to import, e.g. patient.');
	const searchField = text('searchField', 'case_id');
	if (searchField !== 'case_id' && searchField !== 'external_id') {
		throw new InvalidInputError(
			`"Match Cases By" must be case_id or external_id (found '${searchField}')`,
			'These are the only two ways CommCare matches rows to cases.',
		);
	}
	return {
		projectSpace,
		caseType,
		searchField: searchField as SearchField,
		// Empty means "the column named like the search field", which is also CommCare's own default.
		searchColumn: text('searchColumn', '') || searchField,
		createNewCases: ctx.getNodeParameter('createNewCases', itemIndex, false) === true,
		nameColumn: text('nameColumn', 'name') || 'name',
		comment: String(ctx.getNodeParameter('comment', itemIndex, '') ?? ''),
	};
}

function uploadTimeoutMs(ctx: IExecuteFunctions, itemIndex: number): number {
	const seconds = Number(ctx.getNodeParameter('options.timeoutSeconds', itemIndex, 300));
	return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 300_000;
}

async function uploadEachBinaryFile(ctx: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const output: INodeExecutionData[] = [];
	let credentials: CommCareCredentials | undefined;
	const items = ctx.getInputData();
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		let fileName: string | undefined;
		try {
			credentials ??= await getCommCareCredentials(ctx, itemIndex);
			const settings = readImportSettings(ctx, itemIndex);
			const file = await spreadsheetFromBinary(ctx, itemIndex);
			fileName = file.fileName;
			const receipt = await uploadSpreadsheet(ctx, credentials, settings, file, {
				itemIndex,
				timeoutMs: uploadTimeoutMs(ctx, itemIndex),
			});
			output.push({ json: uploadResultJson(settings, receipt), pairedItem: { item: itemIndex } });
		} catch (error) {
			const nodeError = toNodeError(ctx.getNode(), error, itemIndex, credentials?.secrets);
			if (!ctx.continueOnFail()) throw nodeError;
			output.push(errorItem(ctx, nodeError, itemIndex, { fileName }));
		}
	}
	return output;
}

async function uploadInputItems(ctx: IExecuteFunctions): Promise<INodeExecutionData[]> {
	throw new NodeOperationError(ctx.getNode(), 'Source "Input Items" is not implemented yet', {
		description: 'Use Source "Spreadsheet File" with a file made by the Convert to File node for now.',
	});
}

/**
 * The item that stands for a failed upload under "continue on fail": the error plus what was being imported,
 * with `error` set on the item so n8n's error output recognises it (n8n then merges in the input item's JSON).
 */
function errorItem(
	ctx: IExecuteFunctions,
	error: NodeApiError | NodeOperationError,
	itemIndex: number,
	known: { fileName?: string },
): INodeExecutionData {
	const parameter = (name: string): string | null => {
		try {
			const value = ctx.getNodeParameter(name, itemIndex, null);
			return value === null || value === undefined ? null : String(value);
		} catch {
			return null;
		}
	};
	const source = parameter('source') ?? 'binary';
	const json: IDataObject = {
		error: error.message,
		message: error.message,
		description: error.description ?? null,
		httpCode: (error as NodeApiError).httpCode ?? null,
		itemIndex,
		projectSpace: parameter('projectSpace'),
		caseType: parameter('caseType'),
		source,
		binaryPropertyName: source === 'binary' ? binaryPropertyName(ctx, itemIndex) : null,
		fileName: known.fileName ?? binaryFileName(ctx, itemIndex) ?? null,
	};
	return { json, error, pairedItem: { item: itemIndex } };
}

function binaryFileName(ctx: IExecuteFunctions, itemIndex: number): string | undefined {
	try {
		return ctx.getInputData()[itemIndex]?.binary?.[binaryPropertyName(ctx, itemIndex)]?.fileName;
	} catch {
		return undefined;
	}
}
