/** `parent_case_id` from a record and its case's indices (pure logic: the record, the case as the Case API gave it). */
import type { CaseSummaryJson } from '../../../../nodes/shared/outputContract';
import type { CaseFields } from '../../../../nodes/CommCareImportStatus/caseLookup/lookupJson';
import { withParentCase } from '../../../../nodes/CommCareImportStatus/caseLookup/parentCase';

const UPLOAD = { caseType: 'member' };
const FOUND_MESSAGE = 'Case m-1 created by this import.';

function foundCase(indices?: CaseSummaryJson['indices']): CaseFields {
	const found: CaseSummaryJson = {
		case_id: 'm-1',
		case_type: 'member',
		case_name: 'Ann',
		external_id: 'M-1',
		owner_id: 'u',
		closed: false,
		date_opened: null,
		date_closed: null,
		server_last_modified: null,
		...(indices === undefined ? {} : { indices }),
	};
	return {
		case_id: 'm-1',
		case: found,
		caseLookup: { result: 'found', action: 'created', message: FOUND_MESSAGE, indexBehind: false },
	};
}
const notFound: CaseFields = {
	case_id: null,
	case: null,
	caseLookup: { result: 'notFound', action: null, message: 'No member case has external_id M-1.', indexBehind: false },
};
const child = (caseId: string, caseType: string | null = 'household') => ({
	case_id: caseId,
	case_type: caseType,
	relationship: 'child',
});

describe('withParentCase', () => {
	test('a record that names no parent keeps its keys as they are (no parent_case_id key)', () => {
		const fields = foundCase({ parent: child('h-1') });
		for (const record of [
			{ name: 'Ann' },
			{ parent_id: '', parent_external_id: null },
			{ parent_external_id: ' --- ' },
		]) {
			const out = withParentCase(fields, record, UPLOAD);
			expect(out).toBe(fields);
			expect('parent_case_id' in out).toBe(false);
		}
	});

	test('parent_case_id comes right after case_id: the `parent` index, or the one parent_identifier names', () => {
		const fields = foundCase({ parent: child('h-1'), host: { ...child('h-2'), relationship: 'extension' } });
		const byParent = withParentCase(fields, { parent_external_id: 'HH-1', parent_type: 'household' }, UPLOAD);
		expect(Object.keys(byParent)).toEqual(['case_id', 'parent_case_id', 'case', 'caseLookup']);
		expect(byParent.parent_case_id).toBe('h-1');
		expect(byParent.caseLookup.message).toBe(FOUND_MESSAGE);
		const byHost = withParentCase(
			fields,
			{ parent_id: 'h-2', parent_type: 'household', parent_identifier: 'host' },
			UPLOAD,
		);
		expect(byHost.parent_case_id).toBe('h-2');
		expect(withParentCase(fields, { parent_id: 'h-1', parent_identifier: '' }, UPLOAD).parent_case_id).toBe('h-1');
	});

	test('null when the case was not found, or has no index of that name (said in the lookup message)', () => {
		expect(withParentCase(notFound, { parent_external_id: 'HH-1' }, UPLOAD)).toEqual({
			...notFound,
			parent_case_id: null,
		});
		const noIndex = withParentCase(foundCase({}), { parent_external_id: 'HH-1', parent_type: 'household' }, UPLOAD);
		expect(noIndex.parent_case_id).toBeNull();
		expect(noIndex.caseLookup.message).toBe(
			`${FOUND_MESSAGE} CommCare's answer shows no 'parent' index on the case, so its parent case ID is not known.`,
		);
		const otherName = withParentCase(
			foundCase({ parent: child('h-1') }),
			{ parent_id: 'h-1', parent_identifier: 'host' },
			UPLOAD,
		);
		expect(otherName.parent_case_id).toBeNull();
		expect(withParentCase(foundCase(), { parent_id: 'h-1' }, UPLOAD).parent_case_id).toBeNull();
	});

	test("an index to another type than parent_type (or the upload's case type) is still given, and said", () => {
		const fields = foundCase({ parent: child('h-1', 'household') });
		const named = withParentCase(fields, { parent_external_id: 'HH-1', parent_type: 'village' }, UPLOAD);
		expect(named.parent_case_id).toBe('h-1');
		expect(named.caseLookup.message).toBe(
			`${FOUND_MESSAGE} Its 'parent' index points to a household case (h-1), not a village case.`,
		);
		const byUploadType = withParentCase(fields, { parent_external_id: 'HH-1' }, UPLOAD);
		expect(byUploadType.caseLookup.message).toMatch(/not a member case\.$/);
		// A blank parent_type looks among every type: nothing to compare with.
		expect(withParentCase(fields, { parent_external_id: 'HH-1', parent_type: '' }, UPLOAD).caseLookup.message).toBe(
			FOUND_MESSAGE,
		);
		// The original is left alone (a lookup's caseLookup may be shared).
		expect(fields.caseLookup.message).toBe(FOUND_MESSAGE);
	});
});
