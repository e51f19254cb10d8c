/**
 * The one way CommCare Bulk Import runs, whatever the source. In order, nothing sent before step 5:
 * 1. settings, 2. the plan of uploads, 3. their checks: the source does these (`UploadSource.plan`);
 * 4. a dry run outputs what it would send (per upload, or per record) and stops; otherwise every upload's file is
 *    made ready (a source that writes files writes them all, into one temporary folder removed at the end);
 * 5. the uploads, in order; each accepted one gives its output item (or one per record).
 * A failure in 1–4 sends nothing. A failed upload in 5 stops the run, and its message lists the uploads CommCare had
 * already accepted. With Continue On Fail a failure becomes error items in its place and the rest goes on.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { CheckFindings } from './checks/report';
import type { DryRunResultJson, UploadResultJson } from '../shared/outputContract';
import { getCommCareCredentials, type CommCareCredentials } from '../shared/transport/credentials';
import type { RetryPolicy } from '../shared/transport/retryPolicy';
import { ChecksFailedError, errorItem, nodeErrorFor, pairedItems, type AcceptedUpload } from './failures';
import type { ImportSettings, RunOptions } from './parameters';
import { withTemporaryFolder } from '../shared/temporaryFolder';
import { uploadResultJson } from './results';
import { uploadSpreadsheet, type SpreadsheetFile } from './upload';

/** What a run uses besides its parameters: the node passes the defaults; tests may pass quicker retries. */
export interface BulkImportServices {
	retryPolicy: RetryPolicy;
}

/** One upload the run will make (or, in a dry run, would make), whichever source planned it. */
export interface PlannedUpload {
	/** Input items it stands for, in order: its output items pair with them. */
	itemIndexes: number[];
	/** Where its output goes among the run's outputs (outputs are sorted by it; equal slots keep their order). */
	slot: number;
	settings: ImportSettings;
	options: RunOptions;
	fileName: string;
	/** What was refused when the checks fail ("'a.xlsx' (item 0)"). */
	subject: string;
	/** In the note on uploads already accepted: "item 0 ('a.xlsx')", "upload 1 of 3 (items 0 to 6)". */
	label: string;
	findings: CheckFindings;
	dryRunJson: DryRunResultJson;
	/** Keys of the upload's output and error items besides the receipt (upload number, columns left out...). */
	resultExtras: Partial<Pick<UploadResultJson, 'uploadNumber' | 'uploadCount' | 'columnsLeftOut'>>;
	/** Keys its error item carries (file name, upload number). */
	errorContext: IDataObject;
}

/** A failure that concerns some input items: their error items stand for it, in `slot`. */
export interface Failure {
	error: unknown;
	itemIndexes: number[];
	slot: number;
	context?: IDataObject;
	/**
	 * A setting read once for all items failed: the error names no item (n8n would add "[item 0]" to its title),
	 * and its message names the items itself when some differ.
	 */
	readOnce?: boolean;
}

/** Steps 1–3 of a source: what to upload, and what already failed for which items. */
export interface SourcePlan {
	uploads: PlannedUpload[];
	failures: Failure[];
	/** Output items of records left out of their upload (Check Parents Exist, one item per record), output as they are. */
	notSent?: INodeExecutionData[];
}

/** What differs between the two sources; everything else is the pipeline's. */
export interface UploadSource {
	/** One output (and error) item per record instead of per upload (source "Input Items" with that option). */
	readonly outputPerRecord: boolean;
	/**
	 * Steps 1–3. `credentials(itemIndex)` reads the credential the first time it is needed (a dry run needs none, unless
	 * it checks parents).
	 */
	plan(
		credentials: (itemIndex: number) => Promise<CommCareCredentials>,
		services: BulkImportServices,
	): Promise<SourcePlan>;
	/** Step 4: the file to send, read or written into `folder`. */
	file(upload: PlannedUpload, folder: string): Promise<SpreadsheetFile>;
	/** What a failure to make a file ready concerns (nothing is sent then). */
	fileFailure(error: unknown, upload: PlannedUpload): Failure;
	/** The output items of an accepted upload, one per record (when `outputPerRecord`). */
	recordItems(upload: PlannedUpload, json: UploadResultJson): INodeExecutionData[];
	/** A dry run's items, one per record; null for its one item per upload (`dryRunJson`). */
	dryRunRecordItems(upload: PlannedUpload): INodeExecutionData[] | null;
	/** An input record, for its per-record error item. */
	record(itemIndex: number): IDataObject;
}

/** Runs one source through the steps above and returns the node's output items. */
export async function runPipeline(
	ctx: IExecuteFunctions,
	source: UploadSource,
	services: BulkImportServices,
): Promise<INodeExecutionData[]> {
	return await new PipelineRun(ctx, source, services).run();
}

class PipelineRun {
	private readonly outputs: Array<{ slot: number; item: INodeExecutionData }> = [];
	private readonly accepted: AcceptedUpload[] = [];
	private credentials: CommCareCredentials | undefined;

	constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly source: UploadSource,
		private readonly services: BulkImportServices,
	) {}

	async run(): Promise<INodeExecutionData[]> {
		const plan = await this.source.plan(async (itemIndex) => {
			this.credentials ??= await getCommCareCredentials(this.ctx, itemIndex);
			return this.credentials;
		}, this.services);
		for (const item of plan.notSent ?? []) this.outputs.push({ slot: 0, item });
		// Failures and uploads in input order, so that without Continue On Fail the first one is what stops the run.
		const steps = [
			...plan.failures.map((failure) => ({ slot: failure.slot, failure })),
			...plan.uploads.map((upload) => ({ slot: upload.slot, upload })),
		].sort((a, b) => a.slot - b.slot);
		const toSend: PlannedUpload[] = [];
		for (const step of steps) {
			if ('failure' in step) this.fail(step.failure);
			else if (step.upload.options.dryRun) this.dryRun(step.upload);
			else if (step.upload.findings.errors.length > 0) this.fail(checksFailure(step.upload));
			else toSend.push(step.upload);
		}
		if (toSend.length > 0) await withTemporaryFolder(async (folder) => await this.send(toSend, folder));
		// In input order: by slot, then (records of one slot, a record left out among them) by the item they stand for.
		return [...this.outputs]
			.sort((a, b) => a.slot - b.slot || firstItem(a.item) - firstItem(b.item))
			.map((output) => output.item);
	}

	/** Steps 4 and 5: every file ready first (a failure sends nothing), then the uploads in order. */
	private async send(uploads: PlannedUpload[], folder: string): Promise<void> {
		const files: SpreadsheetFile[] = [];
		for (const upload of uploads) {
			try {
				files.push(await this.source.file(upload, folder));
			} catch (error) {
				return this.fail(this.source.fileFailure(error, upload));
			}
		}
		for (const [index, upload] of uploads.entries()) await this.upload(upload, files[index]);
	}

	private async upload(upload: PlannedUpload, file: SpreadsheetFile): Promise<void> {
		let json: UploadResultJson;
		try {
			const receipt = await uploadSpreadsheet(
				this.ctx,
				this.credentials as CommCareCredentials,
				upload.settings,
				file,
				{
					itemIndex: upload.itemIndexes[0],
					timeoutMs: upload.options.timeoutMs,
					retry: this.services.retryPolicy,
				},
			);
			json = uploadResultJson(upload.settings, receipt, {
				rowCount: upload.findings.rowCount,
				warnings: upload.findings.warnings,
				...upload.resultExtras,
			});
		} catch (error) {
			const { itemIndexes, slot, errorContext: context } = upload;
			return this.fail({ error, itemIndexes, slot, context });
		}
		this.accepted.push({ label: upload.label, statusUrl: json.status_url });
		if (!this.source.outputPerRecord) return this.output(upload.slot, upload.itemIndexes, json);
		for (const item of this.source.recordItems(upload, json)) this.outputs.push({ slot: upload.slot, item });
	}

	private dryRun(upload: PlannedUpload): void {
		const records = this.source.dryRunRecordItems(upload);
		if (!records) return this.output(upload.slot, upload.itemIndexes, upload.dryRunJson);
		for (const item of records) this.outputs.push({ slot: upload.slot, item });
	}

	private output(slot: number, itemIndexes: number[], json: IDataObject): void {
		this.outputs.push({ slot, item: { json, pairedItem: pairedItems(itemIndexes) } });
	}

	/**
	 * Throws (Continue On Fail off), or adds the error item(s) standing for the failure's items: one per record in
	 * per-record mode, so every record still reaches CommCare Import Status (its Error output); else one for all.
	 */
	private fail({ error, itemIndexes, slot, context = {}, readOnce = false }: Failure): void {
		const itemIndex = readOnce ? undefined : (itemIndexes[0] ?? 0);
		const nodeError = nodeErrorFor(this.ctx, error, itemIndex, this.credentials?.redactor, this.accepted);
		if (!this.ctx.continueOnFail()) throw nodeError;
		if (!this.source.outputPerRecord) {
			this.outputs.push({ slot, item: errorItem(this.ctx, nodeError, itemIndexes, context, error) });
			return;
		}
		for (const itemIndex of itemIndexes) {
			const record = { ...this.source.record(itemIndex) };
			this.outputs.push({ slot, item: errorItem(this.ctx, nodeError, [itemIndex], { ...context, record }, error) });
		}
	}
}

/** An upload whose checks found errors: refused, nothing sent. */
function checksFailure(upload: PlannedUpload): Failure {
	const { errors, warnings } = upload.findings;
	const error = new ChecksFailedError(upload.subject, errors, warnings);
	return { error, itemIndexes: upload.itemIndexes, slot: upload.slot, context: upload.errorContext };
}

/** The first input item an output item stands for (its `pairedItem`). */
function firstItem(item: INodeExecutionData): number {
	const paired = Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem;
	return typeof paired === 'number' ? paired : (paired?.item ?? 0);
}
