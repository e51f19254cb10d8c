/**
 * `parent_case_id`: the parent a record's case is indexed to, as CommCare holds it. CommCare stores a row's parent as
 * an index of its case, named by the row's `parent_identifier` or else `parent` (docs/commcare-api.md §6.7), and the
 * Case API gives a case's indices (§9.7); so a record that names a parent (`parent_id` or `parent_external_id`) gets
 * the case ID of its case's index of that name. The key is absent on records that name no parent, and null when their
 * case was not found or has no such index. An index to a case of another type than the record's `parent_type` (or
 * the upload's case type, when the record has no `parent_type` column) is still given, since it is what CommCare
 * holds, and the lookup's message says so.
 */
import type { IDataObject } from 'n8n-workflow';

import { idCellText, isWrittenBlank } from '../../shared/cellText';
import type { CaseSummaryJson } from '../../shared/outputContract';
import type { CaseFields } from './lookupJson';

/** The case keys of a record, with `parent_case_id` right after `case_id` when the record names a parent. */
export function withParentCase(fields: CaseFields, record: IDataObject, upload: IDataObject): CaseFields {
	if (isWrittenBlank(record.parent_id) && isWrittenBlank(record.parent_external_id)) return fields;
	const { case_id, case: found, caseLookup, ...rest } = fields;
	const identifier = isWrittenBlank(record.parent_identifier) ? 'parent' : idCellText(record.parent_identifier);
	const index = found && identifier !== null ? indexNamed(found, identifier) : undefined;
	const note = found ? indexNote(index, identifier ?? 'parent', expectedParentType(record, upload)) : null;
	return {
		case_id,
		parent_case_id: index?.case_id ?? null,
		case: found,
		caseLookup: note ? { ...caseLookup, message: `${caseLookup.message} ${note}` } : caseLookup,
		...rest,
	};
}

function indexNamed(found: CaseSummaryJson, identifier: string) {
	const indices = found.indices ?? {};
	return Object.prototype.hasOwnProperty.call(indices, identifier) ? indices[identifier] : undefined;
}

/**
 * The case type the record's parent was looked for among: its `parent_type`; the upload's case type when the record
 * has no `parent_type` at all; none (any type) when its `parent_type` is blank.
 */
function expectedParentType(record: IDataObject, upload: IDataObject): string | null {
	if ('parent_type' in record) return isWrittenBlank(record.parent_type) ? null : idCellText(record.parent_type);
	return typeof upload.caseType === 'string' && upload.caseType !== '' ? upload.caseType : null;
}

/** What a person should know about the index found (or not): null when it is the expected one. */
function indexNote(
	index: ReturnType<typeof indexNamed>,
	identifier: string,
	expectedType: string | null,
): string | null {
	if (!index)
		return `CommCare's answer shows no '${identifier}' index on the case, so its parent case ID is not known.`;
	if (expectedType === null || index.case_type === null || index.case_type === expectedType) return null;
	return `Its '${identifier}' index points to a ${index.case_type} case (${index.case_id}), not a ${expectedType} case.`;
}
