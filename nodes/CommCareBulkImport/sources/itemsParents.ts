/**
 * Options → "Check Parents Exist" for source "Input Items". The parents the planned uploads' rows name are looked up
 * (parents/); then, for the rows whose parent CommCare does not have:
 * - one output item per record: the records are left out and the items re-planned without them, so row numbers and
 *   checks are those of what is really sent; each one is output on its own (`NotSentRecordJson`, in a dry run a
 *   record that would not be sent). One missing household should not hold back ten thousand members, and each
 *   record has its own item to say so.
 * - one output item per upload: an error finding on the upload, which stops it: there is no item to carry a record
 *   left out.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { idCellText, serverText } from '../../shared/cellText';
import type { CheckFinding } from '../../shared/outputContract';
import type { CommCareCredentials } from '../../shared/transport/credentials';
import type { RetryPolicy } from '../../shared/transport/retryPolicy';
import type { ItemsOptions, RunOptions, SettingsGroup } from '../parameters';
import { checkParentsExist } from '../parents/parentCheck';
import {
	linkColumns,
	parentLinks,
	parentProblems,
	recordFinding,
	uploadFinding,
	type ColumnTexts,
	type ParentLink,
} from '../parents/parentRows';
import { notSentRecordResult } from '../results';
import { ownValue } from '../spreadsheet/values';
import { planItemsUpload, type ItemsPlan, type ItemsUpload } from './itemsPlan';

export interface ItemsParentCheck {
	/** The plan to send: without the records left out. */
	plan: ItemsPlan;
	/** Findings to add to an upload's errors, and to every upload's warnings. */
	errorsOf: (upload: ItemsUpload) => CheckFinding[];
	warnings: CheckFinding[];
	/** The output items of the records left out. */
	notSent: INodeExecutionData[];
}

export async function checkItemsParents(
	ctx: IExecuteFunctions,
	credentials: CommCareCredentials,
	items: IDataObject[],
	groups: SettingsGroup[],
	plan: ItemsPlan,
	options: { run: RunOptions; items: ItemsOptions; perRecord: boolean; retry: RetryPolicy },
): Promise<ItemsParentCheck> {
	const linksOf = new Map(plan.uploads.map((upload) => [upload, uploadParentLinks(upload)]));
	const unchanged = { plan, notSent: [] as INodeExecutionData[] };
	const result = await checkParentsExist(
		ctx,
		credentials,
		plan.uploads.map((upload) => ({ projectSpace: upload.settings.projectSpace, links: linksOf.get(upload) ?? [] })),
		options.run.parentCheckUnavailable,
		options.retry,
	);
	if (result.kind === 'unavailable') {
		const finding = result.finding;
		return result.goOn
			? { ...unchanged, errorsOf: () => [], warnings: [finding] }
			: { ...unchanged, errorsOf: () => [finding], warnings: [] };
	}
	const problemsOf = new Map(
		plan.uploads.map((upload) => [upload, parentProblems(linksOf.get(upload) ?? [], result.verdicts)]),
	);
	const perRecord = options.run.dryRun ? options.items.dryRunPerRecord : options.perRecord;
	if (!perRecord) {
		return {
			...unchanged,
			errorsOf: (upload) => {
				const problems = problemsOf.get(upload) ?? [];
				return problems.length === 0 ? [] : [uploadFinding(problems, (row) => upload.itemIndexes[row - 2])];
			},
			warnings: [],
		};
	}
	const leftOut = new Set<number>();
	const notSent: INodeExecutionData[] = [];
	for (const [upload, problems] of problemsOf) {
		for (const problem of problems) {
			const itemIndex = upload.itemIndexes[problem.link.row - 2];
			leftOut.add(itemIndex);
			const json = notSentRecordResult(
				upload.settings,
				items[itemIndex],
				upload.columns,
				recordFinding(problem, itemIndex),
				options.run.dryRun,
			);
			notSent.push({ json, pairedItem: { item: itemIndex } });
		}
	}
	if (leftOut.size === 0) return { ...unchanged, errorsOf: () => [], warnings: [] };
	const kept = groups
		.map((group) => ({ ...group, itemIndexes: group.itemIndexes.filter((index) => !leftOut.has(index)) }))
		.filter((group) => group.itemIndexes.length > 0);
	const replanned = kept.length === 0 ? { ...plan, uploads: [] } : planItemsUpload(items, kept, options.items);
	return { plan: replanned, notSent, errorsOf: () => [], warnings: [] };
}

/** The parents an upload's rows name, from the cells it would write (its columns only). */
function uploadParentLinks(upload: ItemsUpload): ParentLink[] {
	const { settings, columns, items } = upload;
	const texts: ColumnTexts = {};
	for (const column of linkColumns(settings).filter((name) => columns.includes(name))) {
		// ID columns are written as text; parent_type as any other value.
		const textOf = column === 'parent_type' ? serverText : idCellText;
		texts[column] = items.map((item) => textOf(ownValue(item, column)));
	}
	return parentLinks(settings, texts, items.length);
}
