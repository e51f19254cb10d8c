/** The checks of an upload written from items, on the cells that would be written; findings of several uploads merged. */
import { checkedValueColumns, runChecks } from '../checks/runChecks';
import { inspectItems } from '../spreadsheet/inspect';
import { type SheetInspection } from '../spreadsheet/inspection';
import { CellValueError } from '../spreadsheet/values';
import type { CheckFinding } from '../../shared/outputContract';
import type { CheckFindings } from '../checks/report';
import type { ItemsPlan, ItemsUpload } from './itemsPlan';

/**
 * The checks of one upload, on the cells that would be written. A value the rules refuse (an object, a cell over
 * Excel's limit...) is an error finding naming the key and the item.
 */
export function checkItemsUpload(plan: ItemsPlan, upload: ItemsUpload): CheckFindings {
	const { settings } = upload;
	const inspection = inspectItemsOrRefusal(upload.items, upload.columns, {
		sheetName: upload.sheetName,
		textColumns: upload.textColumns,
		nestedAsJson: plan.nestedAsJson,
		itemIndexes: upload.itemIndexes,
		timeZone: plan.timeZone,
		valueColumns: checkedValueColumns(settings, upload.columns),
		searchColumn: settings.searchColumn,
	});
	let findings =
		inspection instanceof CellValueError
			? { errors: [cellValueIssue(inspection, upload)], warnings: [] }
			: runChecks({ settings, ...inspection, rowToItem: (row) => upload.itemIndexes[row - 2] });
	if (upload.uploadCount > 1) {
		// Row numbers count within each upload's sheet: say which upload.
		const tag = (issue: CheckFinding) => ({ ...issue, uploadNumber: upload.uploadNumber });
		findings = { errors: findings.errors.map(tag), warnings: findings.warnings.map(tag) };
	}
	return { checked: true, rowCount: upload.items.length, ...findings };
}

/** `inspectItems`, with a value the rules refuse returned instead of thrown. */
function inspectItemsOrRefusal(...args: Parameters<typeof inspectItems>): SheetInspection | CellValueError {
	try {
		return inspectItems(...args);
	} catch (error) {
		if (error instanceof CellValueError) return error;
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- a bug, not a user error: the node wraps it (toNodeError)
		throw error;
	}
}

export function uncheckedItemsUpload(upload: ItemsUpload): CheckFindings {
	return { checked: false, rowCount: upload.items.length, errors: [], warnings: [] };
}

/** A refused value as a finding: `nestedValue` for an object or array, `invalidValue` for the rest. */
export function cellValueIssue(error: CellValueError, upload?: ItemsUpload): CheckFinding {
	const issue: CheckFinding = {
		code: error.problem === 'nested' ? 'nestedValue' : 'invalidValue',
		message: error.message,
		description: error.description,
		column: error.column,
		items: [error.itemIndex],
	};
	if (upload) issue.rows = [upload.itemIndexes.indexOf(error.itemIndex) + 2];
	return issue;
}

/**
 * The findings of several uploads as one list: a finding every upload has (about the columns, which all uploads
 * share) once; the others once per upload, prefixed with the upload (row numbers count within each upload's sheet).
 */
export function mergeFindings(findings: CheckFinding[][]): CheckFinding[] {
	const keyOf = (issue: CheckFinding) => `${issue.code}|${issue.column ?? ''}|${issue.message}`;
	const uploadsWith = new Map<string, number>();
	for (const issues of findings) {
		for (const key of new Set(issues.map(keyOf))) uploadsWith.set(key, (uploadsWith.get(key) ?? 0) + 1);
	}
	const merged: CheckFinding[] = [];
	const added = new Set<string>();
	findings.forEach((issues, index) => {
		for (const issue of issues) {
			const key = keyOf(issue);
			const { uploadNumber: _uploadNumber, ...rest } = issue;
			if (findings.length === 1) merged.push(rest);
			else if (uploadsWith.get(key) !== findings.length) {
				merged.push({ ...issue, message: `Upload ${index + 1} of ${findings.length}: ${issue.message}` });
			} else if (!added.has(key)) {
				added.add(key);
				merged.push(rest);
			}
		}
	});
	return merged;
}

// Files
