/**
 * Source "Spreadsheet File": one upload per input item, of the file in its binary field.
 *
 * Every item's settings and file are read, and every file checked, before the first upload: a bad second file stops
 * the run before the first one is sent (with Continue On Fail, the bad file becomes an error item and the good ones
 * go). Files are read through n8n's helpers, so it works in every binary-data mode: a binary with an `id`
 * (filesystem, S3, database) is streamed, once for the checks and again, fresh, for the upload; one without
 * (in-memory) is read as a Buffer.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { InvalidInputError } from '../../shared/invalidInputError';
import type { CheckFinding } from '../../shared/outputContract';
import type { CommCareCredentials } from '../../shared/transport/credentials';
import type { CheckFindings } from '../checks/report';
import { checkedColumns, runChecks } from '../checks/runChecks';
import { DEFAULTS } from '../description';
import type { ImportSettings, RunOptions } from '../parameters';
import { checkParentsExist } from '../parents/parentCheck';
import {
	linkColumns,
	parentLinks,
	parentProblems,
	uploadFinding,
	type ColumnTexts,
	type ParentLink,
} from '../parents/parentRows';
import type { BulkImportServices, Failure, PlannedUpload, SourcePlan, UploadSource } from '../pipeline';
import { readImportSettings, readRunOptions } from '../settings';
import { formatOf, uploadFileName } from '../spreadsheet/formats';
import { inspectSpreadsheet } from '../spreadsheet/inspect';
import type { SheetInspection } from '../spreadsheet/inspection';
import { SpreadsheetReadError } from '../../shared/spreadsheet/sheetReading';
import { dryRunResultJson } from '../results';
import { type SpreadsheetFile } from '../upload';

/** Source "Spreadsheet File" as the pipeline runs it. */
export class FileSource implements UploadSource {
	readonly outputPerRecord = false;
	private readonly files = new Map<PlannedUpload, SpreadsheetFile>();

	constructor(private readonly ctx: IExecuteFunctions) {}

	/** Every item's settings and file, every file checked: a bad second file stops the run before the first goes. */
	async plan(
		credentials: (itemIndex: number) => Promise<CommCareCredentials>,
		services: BulkImportServices,
	): Promise<SourcePlan> {
		const plan: SourcePlan = { uploads: [], failures: [] };
		for (let itemIndex = 0; itemIndex < this.ctx.getInputData().length; itemIndex++) {
			let fileName: string | undefined;
			try {
				const options = readRunOptions(this.ctx, itemIndex);
				// A dry run sends nothing, so it needs no credential (unless it checks parents).
				if (!options.dryRun || options.checkParents) await credentials(itemIndex);
				const settings = readImportSettings(this.ctx, itemIndex);
				const file = await spreadsheetFromBinary(this.ctx, itemIndex);
				fileName = file.fileName;
				const parents = { links: [] as ParentLink[] };
				const read = options.checks || options.checkParents;
				const checked = read ? await checkSpreadsheetFile(file, settings, parents) : UNCHECKED;
				let findings = options.checks ? checked : { ...UNCHECKED, errors: checked.errors.filter(unreadable) };
				if (options.checkParents && findings.errors.length === 0) {
					findings = await this.withParentFindings(findings, settings, options, parents.links, services, credentials);
				}
				const upload: PlannedUpload = {
					itemIndexes: [itemIndex],
					slot: itemIndex,
					settings,
					options,
					fileName,
					subject: `'${fileName}' (item ${itemIndex + 1})`,
					label: `item ${itemIndex + 1} ('${fileName}')`,
					findings,
					dryRunJson: dryRunResultJson(settings, fileName, findings),
					resultExtras: {},
					errorContext: this.errorContext(itemIndex, fileName),
				};
				this.files.set(upload, file);
				plan.uploads.push(upload);
				if (!options.dryRun && findings.errors.length > 0 && !this.ctx.continueOnFail()) break;
			} catch (error) {
				const context = this.errorContext(itemIndex, fileName);
				plan.failures.push({ error, itemIndexes: [itemIndex], slot: itemIndex, context });
				// Without Continue On Fail this failure stops the run: the files after it need not be read.
				if (!this.ctx.continueOnFail()) break;
			}
		}
		return plan;
	}

	/** Check Parents Exist: the file's rows whose parent CommCare lacks stop the upload (a file is not split). */
	private async withParentFindings(
		findings: CheckFindings,
		settings: ImportSettings,
		options: RunOptions,
		links: ParentLink[],
		services: BulkImportServices,
		credentials: (itemIndex: number) => Promise<CommCareCredentials>,
	): Promise<CheckFindings> {
		if (links.length === 0) return findings;
		const result = await checkParentsExist(
			this.ctx,
			await credentials(0),
			[{ projectSpace: settings.projectSpace, links }],
			options.parentCheckUnavailable,
			services.retryPolicy,
		);
		if (result.kind === 'unavailable') {
			return result.goOn
				? { ...findings, warnings: [...findings.warnings, result.finding] }
				: { ...findings, errors: [...findings.errors, result.finding] };
		}
		const problems = parentProblems(links, result.verdicts);
		if (problems.length === 0) return findings;
		return { ...findings, checked: true, errors: [...findings.errors, uploadFinding(problems)] };
	}

	async file(upload: PlannedUpload): Promise<SpreadsheetFile> {
		return this.files.get(upload) as SpreadsheetFile;
	}

	fileFailure(error: unknown, upload: PlannedUpload): Failure {
		return { error, itemIndexes: upload.itemIndexes, slot: upload.slot, context: upload.errorContext };
	}

	recordItems(): INodeExecutionData[] {
		return [];
	}

	dryRunRecordItems(): null {
		return null;
	}

	record(itemIndex: number): IDataObject {
		return this.ctx.getInputData()[itemIndex]?.json ?? {};
	}

	private errorContext(itemIndex: number, fileName: string | undefined): IDataObject {
		return {
			binaryPropertyName: binaryPropertyName(this.ctx, itemIndex),
			fileName: fileName ?? binaryFileName(this.ctx, itemIndex) ?? null,
		};
	}
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

const UNCHECKED: CheckFindings = { checked: false, rowCount: null, errors: [], warnings: [] };

/**
 * Reads the file's first sheet (streaming) and runs the checks the server would make. A file that cannot be read
 * at all is an error finding: the server would refuse it too.
 */
export async function checkSpreadsheetFile(
	file: SpreadsheetFile,
	settings: ImportSettings,
	parents?: { links: ParentLink[] },
): Promise<CheckFindings> {
	const content = await file.open();
	try {
		const inspection = await inspectSpreadsheet(content, formatOf(file.fileName), {
			valueColumns: checkedColumns(settings),
			searchColumn: settings.searchColumn,
		}).catch((error: unknown) => (error instanceof SpreadsheetReadError ? error : Promise.reject(error)));
		if (inspection instanceof SpreadsheetReadError) {
			return {
				checked: true,
				rowCount: null,
				errors: [{ code: 'unreadableFile', message: inspection.message, description: inspection.description }],
				warnings: [],
			};
		}
		if (parents && !inspection.limitation) parents.links = fileParentLinks(settings, inspection);
		const { errors, warnings } = runChecks({ settings, ...inspection });
		return { checked: true, rowCount: inspection.limitation ? null : inspection.dataRowCount, errors, warnings };
	} finally {
		// The reader may stop after the first sheet: release the rest of the stream (an open file, for filesystem mode).
		if (!Buffer.isBuffer(content)) (content as { destroy?: () => void }).destroy?.();
	}
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the binary

export function binaryPropertyName(ctx: IExecuteFunctions, itemIndex: number): string {
	return String(ctx.getNodeParameter('binaryPropertyName', itemIndex, DEFAULTS.binaryPropertyName)).trim();
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
				`Item ${itemIndex + 1} has no binary data, so there is no file in '${propertyName}' to upload`,
				'Put a node that reads the file before this one (e.g. Read/Write Files from Disk, or HTTP Request with Response Format "File"), or set Source to "Input Items".',
			);
		}
		throw new InvalidInputError(
			`Item ${itemIndex + 1} has no binary field '${propertyName}'; its binary fields are: ${present.map((p) => `'${p}'`).join(', ')}`,
			'Set "Input Data Field Name" to the field that holds the spreadsheet.',
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
		throw new InvalidInputError(
			`The file '${fileName}' is empty (0 bytes)`,
			'There is nothing to import: check that the node before this one gives the spreadsheet itself.',
		);
	}
}

/** A file that cannot be read at all stops the upload even with the checks skipped, once the parent check read it. */
function unreadable(finding: CheckFinding): boolean {
	return finding.code === 'unreadableFile';
}

/** The parents the file's rows name, from the texts the inspection read of its columns. */
function fileParentLinks(settings: ImportSettings, inspection: SheetInspection): ParentLink[] {
	const present = new Set(inspection.headers.filter((header): header is string => header !== null));
	const texts: ColumnTexts = {};
	for (const column of linkColumns(settings)) if (present.has(column)) texts[column] = inspection.values[column];
	return parentLinks(settings, texts, inspection.dataRowCount, inspection.searchIds);
}
