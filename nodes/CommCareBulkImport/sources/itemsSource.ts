/**
 * Source "Input Items": all input items of the run become the rows of one `.xlsx` (several, `rowsPerUpload` rows
 * each, or one per group of items whose settings differ). Settings and options are read for all items at once;
 * the items are one input, so a problem the checks find in any upload refuses them all (nothing is sent), and each
 * upload's file is written to the pipeline's temporary folder before the first upload.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { InvalidInputError } from '../../shared/invalidInputError';
import type { UploadResultJson } from '../../shared/outputContract';
import type { CheckFindings } from '../checks/report';
import { ChecksFailedError } from '../failures';
import type { ItemsOptions, RunOptions, SettingsGroup } from '../parameters';
import type { CommCareCredentials } from '../../shared/transport/credentials';
import type { BulkImportServices, Failure, PlannedUpload, SourcePlan, UploadSource } from '../pipeline';
import {
	readItemsOptionsForAllItems,
	readRunOptionsForAllItems,
	readSettingsGroups,
	wantsOutputPerRecord,
} from '../settings';
import { CellValueError } from '../spreadsheet/values';
import { dryRunRecordResults, dryRunResultJson, recordResults } from '../results';
import { type SpreadsheetFile } from '../upload';
import { checkItemsUpload, mergeFindings, uncheckedItemsUpload } from './itemsChecks';
import { checkItemsParents } from './itemsParents';
import {
	describeUploadItems,
	planItemsUpload,
	writeItemsUploadFile,
	type ItemsPlan,
	type ItemsUpload,
} from './itemsPlan';

/** Source "Input Items" as the pipeline runs it. */
export class ItemsSource implements UploadSource {
	private perRecord: boolean;
	private dryRunPerRecord = false;
	private readonly items: IDataObject[];
	private itemsPlan: ItemsPlan | undefined;
	private readonly planned = new Map<PlannedUpload, ItemsUpload>();

	constructor(private readonly ctx: IExecuteFunctions) {
		this.items = ctx.getInputData().map((item) => item.json);
		// Read first and on its own: a failure of any other setting is then still reported per record.
		this.perRecord = wantsOutputPerRecord(ctx);
	}

	get outputPerRecord(): boolean {
		return this.perRecord;
	}

	async plan(
		credentials: (itemIndex: number) => Promise<CommCareCredentials>,
		services: BulkImportServices,
	): Promise<SourcePlan> {
		if (this.items.length === 0) return { uploads: [], failures: [] };
		let groups: SettingsGroup[];
		let runOptions: RunOptions;
		let itemsOptions: ItemsOptions;
		try {
			groups = readSettingsGroups(this.ctx, this.items.length);
			runOptions = readRunOptionsForAllItems(this.ctx, this.items.length);
			itemsOptions = readItemsOptionsForAllItems(this.ctx, this.items.length);
			this.perRecord = itemsOptions.outputPerRecord;
			this.dryRunPerRecord = itemsOptions.dryRunPerRecord;
			if (!runOptions.dryRun || runOptions.checkParents) await credentials(0);
		} catch (error) {
			return { uploads: [], failures: [{ ...this.failure(error, this.allItems()), readOnce: true }] };
		}

		let plan = planItemsUpload(this.items, groups, itemsOptions);
		const check = (upload: ItemsUpload) =>
			runOptions.checks ? checkItemsUpload(plan, upload) : uncheckedItemsUpload(upload);
		let findings = plan.uploads.map(check);
		let notSent: INodeExecutionData[] = [];
		const stopped = plan.refusals.length > 0 || findings.some((found) => found.errors.length > 0);
		// Parents are looked up only for uploads that could go: what already stops them is said first.
		if (runOptions.checkParents && !stopped) {
			const parents = await checkItemsParents(this.ctx, await credentials(0), this.items, groups, plan, {
				run: runOptions,
				items: itemsOptions,
				perRecord: this.perRecord,
				retry: services.retryPolicy,
			});
			if (parents.plan !== plan) {
				// Records were left out: the rows that go are numbered and checked again.
				plan = parents.plan;
				findings = plan.uploads.map(check);
			}
			notSent = parents.notSent;
			findings = plan.uploads.map((upload, index) => ({
				...findings[index],
				errors: [...findings[index].errors, ...parents.errorsOf(upload)],
				warnings: [...findings[index].warnings, ...parents.warnings],
			}));
		}
		this.itemsPlan = plan;
		const uploads = plan.uploads.map((upload, index) => this.toPlannedUpload(upload, runOptions, findings[index]));
		if (runOptions.dryRun) return { uploads, failures: [], notSent };

		// What the node will not write as asked stops the run even when the checks are skipped.
		const errors = [...plan.refusals, ...mergeFindings(findings.map((f) => f.errors))];
		if (errors.length === 0) return { uploads, failures: [], notSent };
		const refusal = new ChecksFailedError(
			'The input items were',
			errors,
			mergeFindings(findings.map((f) => f.warnings)),
		);
		// Per upload: the error item points at the items the problems name; per record, every record gets one.
		const named = refusal.itemIndexes;
		// Records the parent check left out are output on their own already: the refusal stands for the others.
		const sent = notSent.length === 0 ? this.allItems() : plan.uploads.flatMap((upload) => upload.itemIndexes);
		return {
			uploads: [],
			failures: [this.failure(refusal, this.perRecord || named.length === 0 ? sent : named)],
			notSent,
		};
	}

	async file(upload: PlannedUpload, folder: string): Promise<SpreadsheetFile> {
		return await writeItemsUploadFile(this.itemsPlan as ItemsPlan, this.planned.get(upload) as ItemsUpload, folder);
	}

	fileFailure(error: unknown): Failure {
		// A refused value gets here only when the checks were skipped: they would have found it first.
		if (!(error instanceof CellValueError)) return this.failure(error, this.allItems());
		const refusal = new InvalidInputError(error.message, `${error.description} Nothing was sent to CommCare.`);
		return this.failure(refusal, this.perRecord ? this.allItems() : [error.itemIndex]);
	}

	recordItems(upload: PlannedUpload, json: UploadResultJson): INodeExecutionData[] {
		const itemsUpload = this.planned.get(upload) as ItemsUpload;
		return recordResults(itemsUpload, json, json.warnings).map((record) => ({
			json: record.json,
			pairedItem: { item: record.itemIndex },
		}));
	}

	dryRunRecordItems(upload: PlannedUpload): INodeExecutionData[] | null {
		if (!this.dryRunPerRecord) return null;
		const itemsUpload = this.planned.get(upload) as ItemsUpload;
		return dryRunRecordResults(itemsUpload, upload.dryRunJson).map((record) => ({
			json: record.json,
			pairedItem: { item: record.itemIndex },
		}));
	}

	record(itemIndex: number): IDataObject {
		return this.items[itemIndex];
	}

	/** One upload of the plan as the pipeline sees it; a dry run shows the refusals that concern its items. */
	private toPlannedUpload(upload: ItemsUpload, options: RunOptions, findings: CheckFindings): PlannedUpload {
		const plan = this.itemsPlan as ItemsPlan;
		// Refusals concern the items of this upload, or (a nameless field, a missing field) the run as a whole.
		const refusals = plan.refusals.filter(
			(issue) => !issue.items || issue.items.some((item) => upload.itemIndexes.includes(item)),
		);
		const numbering = { uploadNumber: upload.uploadNumber, uploadCount: upload.uploadCount };
		const planned: PlannedUpload = {
			itemIndexes: upload.itemIndexes,
			slot: 0,
			settings: upload.settings,
			options,
			fileName: upload.fileName,
			subject: 'The input items were',
			label:
				upload.uploadCount > 1
					? `upload ${upload.uploadNumber} of ${upload.uploadCount} (${describeUploadItems(upload)})`
					: 'the upload',
			findings,
			dryRunJson: dryRunResultJson(
				upload.settings,
				upload.fileName,
				{ ...findings, errors: [...refusals, ...findings.errors] },
				{
					...numbering,
					columns: upload.columns,
					sheetName: upload.sheetName,
					firstItem: upload.firstItem,
					lastItem: upload.itemIndexes[upload.itemIndexes.length - 1] ?? upload.firstItem,
					columnsLeftOut: upload.columnsLeftOut,
				},
			),
			resultExtras: { ...numbering, columnsLeftOut: upload.columnsLeftOut },
			errorContext: { fileName: upload.fileName, ...numbering },
		};
		this.planned.set(planned, upload);
		return planned;
	}

	/** A failure of the items as a whole: all in the first slot, before any upload. */
	private failure(error: unknown, itemIndexes: number[]): Failure {
		return { error, itemIndexes, slot: 0 };
	}

	private allItems(): number[] {
		return this.items.map((_item, index) => index);
	}
}
