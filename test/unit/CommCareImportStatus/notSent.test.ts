/** A record Bulk Import left out of its upload, read by Import Status 1.2 (pure logic: the item in, the outcome out). */
import { isNotSentItem, isNotSentOutcome, notSentRecord } from '../../../nodes/CommCareImportStatus/notSent';
import type { CheckFinding, NotSentRecordJson } from '../../../nodes/shared/outputContract';

const parentNotFound: CheckFinding = {
	code: 'parentNotFound',
	message: "No household case has parent id 'HH-3' in CommCare",
	description: 'Import the household cases first, or fix the parent ids.',
	column: 'parent_external_id',
	items: [2],
};
const warning: CheckFinding = { code: 'blankNames', message: 'Item 3 has no name', items: [2] };
const item: NotSentRecordJson = {
	notSent: true,
	row: null,
	record: { name: '', parent_external_id: 'HH-3', parent_type: 'household' },
	upload: { caseType: 'member', projectSpace: 'demo' },
	errors: [parentNotFound],
	warnings: [warning],
};

describe('notSentRecord', () => {
	test("Error, reason notSent, the finding's message as the summary and its description; findings, warnings and record kept", () => {
		expect(notSentRecord(item)).toEqual({
			outcome: 'error',
			reason: 'notSent',
			summary: "Not sent: no household case has parent id 'HH-3' in CommCare",
			description: 'Import the household cases first, or fix the parent ids.',
			row: null,
			errors: [parentNotFound],
			warnings: [warning],
			record: item.record,
			status_url: null,
		});
	});

	test('the parentNotFound finding is the one summarised; without findings, a plain sentence and no description', () => {
		const other: CheckFinding = { code: 'blankNames', message: 'Something else' };
		expect(notSentRecord({ ...item, errors: [other, parentNotFound] }).summary).toBe(
			"Not sent: no household case has parent id 'HH-3' in CommCare",
		);
		const bare = notSentRecord({ ...item, errors: [], warnings: 'junk' });
		expect(bare.summary).toBe('Not sent: CommCare Bulk Import left this record out');
		expect(bare.description).toBeNull();
		expect(bare.warnings).toEqual([]);
	});

	test("what counts as such an item, and as this node's own outcome of one", () => {
		expect(isNotSentItem(item)).toBe(true);
		expect(isNotSentItem({ ...item, notSent: 'true' })).toBe(false);
		expect(isNotSentItem({ ...item, record: null })).toBe(false);
		expect(isNotSentItem({ status_url: 'x', row: 2, record: {} })).toBe(false);
		expect(isNotSentOutcome(notSentRecord(item))).toBe(true);
		expect(isNotSentOutcome({ outcome: 'error', reason: 'noStatusUrl' })).toBe(false);
	});
});
