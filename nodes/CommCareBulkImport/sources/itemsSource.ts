/**
 * Source "Input Items": all input items of the run become the rows of one `.xlsx` (several, `rowsPerUpload` rows
 * each), uploaded to CommCare. In order, nothing sent until the last step:
 * 1. settings and options, read from the first item (one upload for all items: one set of settings);
 * 2. the plan: columns (the same for every upload) and uploads;
 * 3. the checks of every upload (a dry run stops here and outputs what it would send);
 * 4. every upload's file, written to a temporary folder (removed at the end, whatever happens);
 * 5. the uploads, in order; one output item per upload, or per record.
 * Errors in 1–4 stop the run before the first upload. A failed upload in 5 stops the run too, and its message lists
 * the uploads CommCare already accepted; with Continue On Fail the failed upload becomes error items and the
 * next ones go.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { InvalidInputError } from '../../shared/invalidInputError';
import {
	checkChunk,
	chunkItemIndexes,
	describeChunkItems,
	mergeFindings,
	pairedItems,
	planItemsUpload,
	recordResults,
	uncheckedChunk,
	withTemporaryFolder,
	writeChunkFile,
	type ChunkFindings,
	type ItemsChunk,
	type ItemsPlan,
	type SettingsGroup,
} from './itemsPlan';
import { CellValueError } from '../spreadsheet/values';
import { getCommCareCredentials, type CommCareCredentials } from '../../shared/transport/credentials';
import { dryRunResultJson, uploadResultJson, uploadSpreadsheet, type SpreadsheetFile } from '../upload';
import { ChecksFailedError, errorItem, nodeErrorFor, type AcceptedUpload } from '../failures';
import {
	readItemsOptionsForAllItems,
	readRunOptionsForAllItems,
	readSettingsGroups,
	wantsOutputPerRecord,
	type ItemsOptions,
	type RunOptions,
} from '../settings';

export async function uploadInputItems(ctx: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = ctx.getInputData();
	if (items.length === 0) return [];
	const run = new ItemsRun(
		ctx,
		items.map((item) => item.json),
	);
	await run.execute();
	return run.output;
}

/** One execution of the items source; `output` collects the items it returns. */
class ItemsRun {
	readonly output: INodeExecutionData[] = [];
	private credentials: CommCareCredentials | undefined;
	private outputPerRecord = false;
	private readonly accepted: AcceptedUpload[] = [];

	constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly items: IDataObject[],
	) {}

	async execute(): Promise<void> {
		// Read first and on its own: a failure of any other setting is then still reported per record.
		this.outputPerRecord = wantsOutputPerRecord(this.ctx);
		let groups: SettingsGroup[];
		let runOptions: RunOptions;
		let itemsOptions: ItemsOptions;
		try {
			groups = readSettingsGroups(this.ctx, this.items.length);
			runOptions = readRunOptionsForAllItems(this.ctx, this.items.length);
			itemsOptions = readItemsOptionsForAllItems(this.ctx, this.items.length);
			this.outputPerRecord = itemsOptions.outputPerRecord;
			if (!runOptions.dryRun) this.credentials = await getCommCareCredentials(this.ctx, 0);
		} catch (error) {
			return this.fail(error, this.allItems());
		}

		const plan = planItemsUpload(this.items, groups, itemsOptions);
		const findings = plan.chunks.map((chunk) => (runOptions.checks ? checkChunk(plan, chunk) : uncheckedChunk(chunk)));
		if (runOptions.dryRun) return this.outputDryRun(plan, findings);

		// What the node will not write as asked stops the run even when the checks are skipped.
		const errors = [...plan.refusals, ...mergeFindings(findings.map((f) => f.errors))];
		if (errors.length > 0) {
			const refusal = new ChecksFailedError(
				'The input items were',
				errors,
				mergeFindings(findings.map((f) => f.warnings)),
			);
			// Per upload: the error item points at the items the problems name; per record, every record gets one.
			const named = refusal.itemIndexes;
			return this.fail(refusal, this.outputPerRecord || named.length === 0 ? this.allItems() : named);
		}

		await withTemporaryFolder(async (folder) => {
			const files: SpreadsheetFile[] = [];
			try {
				for (const chunk of plan.chunks) files.push(await writeChunkFile(plan, chunk, folder));
			} catch (error) {
				// A refused value gets here only when the checks were skipped: they would have found it first.
				if (!(error instanceof CellValueError)) return this.fail(error, this.allItems());
				const refusal = new InvalidInputError(error.message, 'Nothing was sent to CommCare.');
				return this.fail(refusal, this.outputPerRecord ? this.allItems() : [error.itemIndex]);
			}
			for (const [index, chunk] of plan.chunks.entries()) {
				await this.upload(chunk, files[index], runOptions, findings[index]);
			}
		});
	}

	private async upload(
		chunk: ItemsChunk,
		file: SpreadsheetFile,
		options: RunOptions,
		findings: ChunkFindings,
	): Promise<void> {
		const label =
			chunk.uploadCount > 1
				? `upload ${chunk.uploadNumber} of ${chunk.uploadCount} (${describeChunkItems(chunk)})`
				: 'the upload';
		const { settings } = chunk;
		let json;
		try {
			const receipt = await uploadSpreadsheet(this.ctx, this.credentials as CommCareCredentials, settings, file, {
				itemIndex: chunk.firstItem,
				timeoutMs: options.timeoutMs,
			});
			json = uploadResultJson(settings, receipt, {
				rowCount: findings.rowCount,
				uploadNumber: chunk.uploadNumber,
				uploadCount: chunk.uploadCount,
				warnings: findings.warnings,
				columnsLeftOut: chunk.columnsLeftOut,
			});
		} catch (error) {
			return this.fail(error, chunkItemIndexes(chunk), {
				fileName: chunk.fileName,
				uploadNumber: chunk.uploadNumber,
				uploadCount: chunk.uploadCount,
			});
		}
		this.accepted.push({ label, statusUrl: json.status_url });
		if (!this.outputPerRecord) {
			this.output.push({ json, pairedItem: pairedItems(chunkItemIndexes(chunk)) });
			return;
		}
		for (const record of recordResults(chunk, json, json.warnings)) {
			this.output.push({ json: record.json, pairedItem: { item: record.itemIndex } });
		}
	}

	private outputDryRun(plan: ItemsPlan, findings: ChunkFindings[]): void {
		plan.chunks.forEach((chunk, index) => {
			// Refusals concern the items of this upload, or (a nameless field, a missing field) the run as a whole.
			const refusals = plan.refusals.filter(
				(issue) => !issue.items || issue.items.some((item) => chunk.itemIndexes.includes(item)),
			);
			const chunkFindings = { ...findings[index], errors: [...refusals, ...findings[index].errors] };
			const json = dryRunResultJson(chunk.settings, chunk.fileName, chunkFindings, {
				uploadNumber: chunk.uploadNumber,
				uploadCount: chunk.uploadCount,
				columns: chunk.columns,
				sheetName: chunk.sheetName,
				firstItem: chunk.firstItem,
				lastItem: chunk.itemIndexes[chunk.itemIndexes.length - 1] ?? chunk.firstItem,
				columnsLeftOut: chunk.columnsLeftOut,
			});
			this.output.push({ json, pairedItem: pairedItems(chunkItemIndexes(chunk)) });
		});
	}

	/**
	 * Throws (Continue On Fail off), or adds the error item(s) standing for `itemIndexes`: one per record in
	 * per-record mode, so every record still reaches CommCare Import Status (its Error output); else one for all.
	 */
	private fail(error: unknown, itemIndexes: number[], context: IDataObject = {}): void {
		const nodeError = nodeErrorFor(this.ctx, error, itemIndexes[0] ?? 0, this.credentials?.redactor, this.accepted);
		if (!this.ctx.continueOnFail()) throw nodeError;
		if (!this.outputPerRecord) {
			this.output.push(errorItem(this.ctx, nodeError, itemIndexes, context, error));
			return;
		}
		for (const itemIndex of itemIndexes) {
			this.output.push(
				errorItem(this.ctx, nodeError, [itemIndex], { ...context, record: { ...this.items[itemIndex] } }, error),
			);
		}
	}

	private allItems(): number[] {
		return this.items.map((_item, index) => index);
	}
}
