/**
 * How CommCare Bulk Import fails: the error that stops an upload when the checks find problems, the note that says
 * which uploads CommCare had already accepted when a later one failed, and the error items of "Continue On Fail".
 */
import type {
	IDataObject,
	IPairedItemData,
	IExecuteFunctions,
	INodeExecutionData,
	NodeApiError,
	NodeOperationError,
} from 'n8n-workflow';

import { toNodeError } from '../shared/errors';
import { InvalidInputError } from '../shared/invalidInputError';
import type { Redactor } from '../shared/redaction';
import type { CheckCode, CheckFinding } from '../shared/outputContract';
import { plural } from '../shared/wording';
import { CHECKS } from './checks/catalogue';

/**
 * The checks before upload found errors: nothing is sent. `subject` names what was refused ("'a.xlsx' (item 1)",
 * "The input items were"). The message is one line: the first problem, which names the column, the sheet rows and,
 * for items, the items (and how many more there are); the description says what to do about it, lists the others
 * (each also in `errors`, with what to do), and whether skipping the checks would send it.
 */
export class ChecksFailedError extends InvalidInputError {
	constructor(
		subject: string,
		readonly errors: CheckFinding[],
		readonly warnings: CheckFinding[],
	) {
		super(checksMessage(subject, errors), checksDescription(errors));
		this.name = 'ChecksFailedError';
	}

	/** Input items named by the problems (items source), in order, without repeats. */
	get itemIndexes(): number[] {
		return [...new Set(this.errors.flatMap((issue) => issue.items ?? []))].sort((a, b) => a - b);
	}
}

function checksMessage(subject: string, errors: CheckFinding[]): string {
	const more = errors.length > 1 ? ` (and ${plural(errors.length - 1, 'more problem')})` : '';
	return `${subject} not uploaded: ${errors[0].message}${more}`;
}

const UNWRITABLE = new Set<CheckCode>(['nestedValue', 'invalidValue']);

function checksDescription(errors: CheckFinding[]): string {
	const [first, ...others] = errors;
	const also = others.length > 0 ? `Also:\n${others.map((issue) => `• ${issue.message}`).join('\n')}\n` : '';
	// Skipping the checks sends the data as it is, except what the node cannot write as asked: a missing or nameless
	// field ("always"), a value no cell can hold (the writer refuses it too).
	const skippable = errors.every((issue) => CHECKS[issue.code].severity !== 'always' && !UNWRITABLE.has(issue.code));
	const close = skippable
		? 'Nothing was sent to CommCare. Fix the data and run again, or turn on Options → Skip Checks Before Upload to send it as it is.'
		: 'Nothing was sent to CommCare.';
	return `${first.description ? `${first.description}\n` : ''}${also}${close}`;
}

/** An upload CommCare accepted during this run. */
export interface AcceptedUpload {
	/** "item 1 ('a.xlsx')", "upload 1 of 3 (items 1 to 7)". */
	label: string;
	statusUrl: string;
}

/**
 * Said when the run stops after CommCare accepted some uploads: those are queued and will import, so running the
 * same input again would import their rows twice.
 */
export function alreadyAcceptedNote(accepted: AcceptedUpload[]): string {
	if (accepted.length === 0) return '';
	const list = accepted.map((upload) => `${upload.label}: ${upload.statusUrl}`).join('; ');
	return ` Before this failure CommCare accepted ${accepted.length === 1 ? 'this upload' : `these ${accepted.length} uploads`}, which will import: ${list}. Do not run the same input again without removing their rows, or they are imported twice.`;
}

/** The n8n error for a failure, with the note about uploads already accepted added to its description. */
export function nodeErrorFor(
	ctx: IExecuteFunctions,
	error: unknown,
	itemIndex: number | undefined,
	redactor: Redactor | undefined,
	accepted: AcceptedUpload[] = [],
): NodeApiError | NodeOperationError {
	const nodeError = toNodeError(ctx.getNode(), error, itemIndex, redactor);
	const note = alreadyAcceptedNote(accepted);
	if (note) nodeError.description = `${nodeError.description ?? ''}${note}`.trim();
	return nodeError;
}

/**
 * The item that stands for a failure under "Continue On Fail" (paired with `itemIndexes`): the error plus what was
 * being imported, with `error` set on the item so n8n's error output recognises it. `extra` adds what the source knows (file name,
 * the checks' findings, the record). Such an item has no `status_url`, so CommCare Import Status puts it on its
 * Error output as "the upload failed upstream" (and it has no `row`, so it is never taken for an uploaded record).
 */
export function errorItem(
	ctx: IExecuteFunctions,
	error: NodeApiError | NodeOperationError,
	itemIndexes: number[],
	extra: IDataObject,
	originalError?: unknown,
): INodeExecutionData {
	const itemIndex = itemIndexes[0] ?? 0;
	const parameter = (name: string): string | null => {
		try {
			const value = ctx.getNodeParameter(name, itemIndex, null);
			return value === null || value === undefined ? null : String(value);
		} catch {
			return null;
		}
	};
	const json: IDataObject = {
		error: error.message,
		message: error.message,
		description: error.description ?? null,
		httpCode: (error as NodeApiError).httpCode ?? null,
		itemIndex,
		projectSpace: parameter('projectSpace'),
		caseType: parameter('caseType'),
		source: parameter('source') ?? 'binary',
		...extra,
	};
	if (originalError instanceof ChecksFailedError) {
		json.errors = originalError.errors;
		json.warnings = originalError.warnings;
	}
	return { json, error, pairedItem: pairedItems(itemIndexes) };
}

/** n8n's `pairedItem` for an output item that stands for these input items. */
export function pairedItems(indexes: number[]): IPairedItemData | IPairedItemData[] {
	return indexes.length === 1 ? { item: indexes[0] } : indexes.map((item) => ({ item }));
}
