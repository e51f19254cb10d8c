/**
 * Source "Spreadsheet File": one upload per input item, of the file in its binary field.
 *
 * Every item's settings and file are read, and every file checked, before the first upload: a bad second file stops
 * the run before the first one is sent (with Continue On Fail, the bad file becomes an error item and the good ones
 * go). Files are read through n8n's helpers, so it works in every binary-data mode: a binary with an `id`
 * (filesystem, S3, database) is streamed, once for the checks and again, fresh, for the upload; one without
 * (in-memory) is read as a Buffer.
 */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { InvalidInputError } from '../../shared/invalidInputError';
import { checkedColumns, runPreflight } from '../checks/runChecks';
import { inspectSpreadsheet } from '../spreadsheet/inspectFile';
import { type SpreadsheetFormat } from '../spreadsheet/formats';
import { SpreadsheetReadError } from '../spreadsheet/inspection';
import { getCommCareCredentials, type CommCareCredentials } from '../../shared/transport/credentials';
import type { PreflightIssue } from '../../shared/outputContract';
import type { ImportSettings } from '../importSettings';
import { dryRunResultJson, uploadFileName, uploadResultJson, uploadSpreadsheet, type SpreadsheetFile } from '../upload';
import { ChecksFailedError, errorItem, nodeErrorFor, type AcceptedUpload } from '../failures';
import { readImportSettings, readRunOptions, type RunOptions } from '../settings';

/** A file read and checked, waiting for its upload. */
interface PreparedFile {
	itemIndex: number;
	settings: ImportSettings;
	options: RunOptions;
	file: SpreadsheetFile;
	findings: FileFindings;
}

export async function uploadEachBinaryFile(ctx: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = ctx.getInputData();
	// The output of each input item, so error items keep their place among the uploads.
	const outputs: INodeExecutionData[][] = items.map(() => []);
	let credentials: CommCareCredentials | undefined;
	const fail = (error: unknown, itemIndex: number, fileName: string | undefined, accepted: AcceptedUpload[] = []) => {
		const nodeError = nodeErrorFor(ctx, error, itemIndex, credentials?.redactor, accepted);
		if (!ctx.continueOnFail()) throw nodeError;
		const context = {
			binaryPropertyName: binaryPropertyName(ctx, itemIndex),
			fileName: fileName ?? binaryFileName(ctx, itemIndex) ?? null,
		};
		outputs[itemIndex].push(errorItem(ctx, nodeError, [itemIndex], context, error));
	};

	const prepared: PreparedFile[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		let fileName: string | undefined;
		try {
			const options = readRunOptions(ctx, itemIndex);
			// A dry run sends nothing, so it needs no credential.
			if (!options.dryRun) credentials ??= await getCommCareCredentials(ctx, itemIndex);
			const settings = readImportSettings(ctx, itemIndex);
			const file = await spreadsheetFromBinary(ctx, itemIndex);
			fileName = file.fileName;
			const findings = options.checks ? await checkSpreadsheetFile(file, settings) : UNCHECKED;
			if (options.dryRun) {
				outputs[itemIndex].push({
					json: dryRunResultJson(settings, file.fileName, findings),
					pairedItem: { item: itemIndex },
				});
			} else if (findings.errors.length > 0) {
				throw new ChecksFailedError(`'${file.fileName}' (item ${itemIndex})`, findings.errors, findings.warnings);
			} else {
				prepared.push({ itemIndex, settings, options, file, findings });
			}
		} catch (error) {
			fail(error, itemIndex, fileName);
		}
	}

	const accepted: AcceptedUpload[] = [];
	for (const { itemIndex, settings, options, file, findings } of prepared) {
		try {
			const receipt = await uploadSpreadsheet(ctx, credentials as CommCareCredentials, settings, file, {
				itemIndex,
				timeoutMs: options.timeoutMs,
			});
			const json = uploadResultJson(settings, receipt, { rowCount: findings.rowCount, warnings: findings.warnings });
			outputs[itemIndex].push({ json, pairedItem: { item: itemIndex } });
			accepted.push({ label: `item ${itemIndex} ('${file.fileName}')`, statusUrl: receipt.status_url });
		} catch (error) {
			fail(error, itemIndex, file.fileName, accepted);
		}
	}
	return outputs.flat();
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

export interface FileFindings {
	checked: boolean;
	/** Data rows (up to the last non-blank one), when the file could be read; lets Import Status count silent skips. */
	rowCount: number | null;
	errors: PreflightIssue[];
	warnings: PreflightIssue[];
}

const UNCHECKED: FileFindings = { checked: false, rowCount: null, errors: [], warnings: [] };

/**
 * Reads the file's first sheet (streaming) and runs the checks the server would make. A file that cannot be read
 * at all is an error finding: the server would refuse it too.
 */
export async function checkSpreadsheetFile(file: SpreadsheetFile, settings: ImportSettings): Promise<FileFindings> {
	const content = await file.open();
	try {
		const inspection = await inspectSpreadsheet(content, file.fileName.split('.').pop() as SpreadsheetFormat, {
			valueColumns: checkedColumns(settings),
			searchColumn: settings.searchColumn,
		}).catch((error: unknown) => (error instanceof SpreadsheetReadError ? error : Promise.reject(error)));
		if (inspection instanceof SpreadsheetReadError) {
			return {
				checked: true,
				rowCount: null,
				errors: [{ code: 'unreadableFile', message: inspection.message }],
				warnings: [],
			};
		}
		const { errors, warnings } = runPreflight({ settings, ...inspection });
		return { checked: true, rowCount: inspection.limitation ? null : inspection.dataRowCount, errors, warnings };
	} finally {
		// The reader may stop after the first sheet: release the rest of the stream (an open file, for filesystem mode).
		if (!Buffer.isBuffer(content)) (content as { destroy?: () => void }).destroy?.();
	}
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the binary

export function binaryPropertyName(ctx: IExecuteFunctions, itemIndex: number): string {
	return String(ctx.getNodeParameter('binaryPropertyName', itemIndex, 'data')).trim();
}

function binaryFileName(ctx: IExecuteFunctions, itemIndex: number): string | undefined {
	try {
		return ctx.getInputData()[itemIndex]?.binary?.[binaryPropertyName(ctx, itemIndex)]?.fileName;
	} catch {
		return undefined;
	}
}

/** The spreadsheet in the item's binary field; refuses a missing field or an unsupported type before any request. */
export async function spreadsheetFromBinary(ctx: IExecuteFunctions, itemIndex: number): Promise<SpreadsheetFile> {
	const propertyName = binaryPropertyName(ctx, itemIndex);
	const item = ctx.getInputData()[itemIndex];
	const binary = item?.binary?.[propertyName];
	if (!binary) {
		const present = Object.keys(item?.binary ?? {});
		if (present.length === 0) {
			throw new InvalidInputError(
				`Item ${itemIndex} has no binary data, so there is no file in '${propertyName}' to upload`,
				'Put a node that reads the file before this one (e.g. Read/Write Files from Disk, or HTTP Request with Response Format "File"), or set Source to "Input Items".',
			);
		}
		throw new InvalidInputError(
			`Item ${itemIndex} has no binary field '${propertyName}'; its binary fields are: ${present.map((p) => `'${p}'`).join(', ')}`,
			'Set "Input Binary Field" to the field that holds the spreadsheet.',
		);
	}
	const fileName = uploadFileName(binary.fileName, { fileExtension: binary.fileExtension, mimeType: binary.mimeType });

	if (binary.id) {
		const id = binary.id;
		const metadata = await ctx.helpers.getBinaryMetadata(id);
		const size = Number(metadata?.fileSize);
		const knownLength = Number.isFinite(size) && size >= 0 ? size : undefined;
		refuseEmpty(fileName, knownLength);
		return { fileName, knownLength, open: async () => await ctx.helpers.getBinaryStream(id) };
	}
	const { length } = await ctx.helpers.getBinaryDataBuffer(itemIndex, propertyName);
	refuseEmpty(fileName, length);
	// Read again when needed rather than kept: every file is read before the first upload, and holding all their
	// buffers until then would multiply the memory used by a run of many files.
	return {
		fileName,
		knownLength: length,
		open: async () => await ctx.helpers.getBinaryDataBuffer(itemIndex, propertyName),
	};
}

function refuseEmpty(fileName: string, size: number | undefined): void {
	if (size === 0) {
		throw new InvalidInputError(`The file '${fileName}' is empty (0 bytes); there is nothing to import`);
	}
}
