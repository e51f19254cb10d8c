/** Which parent each row names, as CommCare's importer reads the parent columns, and the findings for those missing. */
import { parentLinks, parentProblems, uploadFinding } from '../../../../nodes/CommCareBulkImport/parents/parentRows';
import { parentKey } from '../../../../nodes/CommCareBulkImport/parents/parentLookup';
import type { ImportSettings } from '../../../../nodes/CommCareBulkImport/parameters';

const settings = { caseType: 'member', searchField: 'external_id', searchColumn: 'external_id' } as ImportSettings;

test('parent_id wins over parent_external_id; blank ids and --- name no parent', () => {
	const links = parentLinks(
		settings,
		{
			parent_id: ['c-1', null, '---', ''],
			parent_external_id: ['HH-1', 'HH-2', null, ''],
			parent_type: ['household', 'household', 'household', 'household'],
		},
		4,
	);
	expect(links).toEqual([
		{ row: 2, by: 'case_ids', id: 'c-1', parentType: 'household', column: 'parent_id' },
		{ row: 3, by: 'external_ids', id: 'HH-2', parentType: 'household', column: 'parent_external_id' },
	]);
});

test('without a parent_type column the imported case type is looked for; a blank parent_type cell is left to its check', () => {
	expect(parentLinks(settings, { parent_external_id: ['HH-1'] }, 1)).toEqual([
		{ row: 2, by: 'external_ids', id: 'HH-1', parentType: 'member', column: 'parent_external_id' },
	]);
	expect(parentLinks(settings, { parent_external_id: ['HH-1'], parent_type: [''] }, 1)).toEqual([]);
});

test('a parent an earlier row creates (same type, its external id) is not looked up; a later row is', () => {
	const texts = { parent_external_id: [null, 'M-1', 'M-4', null], parent_type: [null, 'member', 'member', null] };
	const links = parentLinks(settings, texts, 4, ['M-1', 'M-2', 'M-3', 'M-4']);
	expect(links.map((link) => [link.row, link.id])).toEqual([[4, 'M-4']]);
});

test('one finding per upload names the rows, the items and at most three ids', () => {
	const links = parentLinks(
		settings,
		{ parent_external_id: ['A', 'B', 'C', 'D', 'E'], parent_type: Array(5).fill('household') },
		5,
	);
	const verdicts = new Map(links.map((link) => [parentKey(link), { kind: 'none' as const }]));
	verdicts.set(parentKey(links[1]), { kind: 'found' } as never);
	const problems = parentProblems(links, verdicts);
	const finding = uploadFinding(problems, (row) => row + 8);
	expect(finding).toMatchObject({ code: 'parentNotFound', rows: [2, 4, 5, 6], items: [10, 12, 13, 14] });
	expect(finding.message).toBe(
		"Sheet rows 2, 4, 5 and 6 (items 11, 13, 14 and 15) name parents CommCare does not have: no case has external ID 'A'; no case has external ID 'C'; no case has external ID 'D'; and 1 more",
	);
});
