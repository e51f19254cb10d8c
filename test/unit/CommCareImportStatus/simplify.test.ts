/**
 * Simplify (simplify.ts): what a person reads first, in reading order for n8n's Table view (the verdict and what the
 * row became first, the long status URL last). Key order is not behaviour, so version 1.1 reads in the same order;
 * what version 1.2 adds (description, warnings, a Not Finished record's upload) only from 1.2 on.
 */
import { simplifyOutcome } from '../../../nodes/CommCareImportStatus/simplify';
import type { ImportOutcomeJson, RecordOutcomeJson } from '../../../nodes/shared/outputContract';

const record: RecordOutcomeJson = {
	outcome: 'notFinished',
	reason: 'notFinished',
	summary: 'Sheet row 2 not finished yet: queued in CommCare (checked once)',
	description: 'It may still finish.',
	case_id: null,
	row: 2,
	errors: [],
	warnings: [],
	record: { name: 'A' },
	upload: { caseType: 'patient' },
	status_url: 'https://www.commcarehq.org/a/demo/importer/history/uploads/x/status',
	import: { state: -1 },
	case: null,
	caseLookup: { result: 'notRun', action: null, message: 'x', indexBehind: false },
};

const upload: ImportOutcomeJson = {
	outcome: 'success',
	reason: 'imported',
	summary: '3 patient cases created, 0 updated',
	description: null,
	status_url: 'https://www.commcarehq.org/a/demo/importer/history/uploads/x/status',
	state: 2,
	percent: 100,
	created_count: 3,
	match_count: 0,
	num_chunks: 1,
	skipped_count: 0,
	errors: [],
	warnings: [],
	timedOut: false,
	polls: 2,
	waitedSeconds: 1,
	upload: { caseType: 'patient' },
};

describe('simplified keys, in reading order', () => {
	it('version 1.2: a record', () => {
		expect(Object.keys(simplifyOutcome(record, true))).toEqual([
			'outcome',
			'reason',
			'summary',
			'description',
			'case_id',
			'row',
			'errors',
			'warnings',
			'record',
			'upload',
			'status_url',
		]);
	});

	it('version 1.2: an upload', () => {
		expect(Object.keys(simplifyOutcome(upload, true))).toEqual([
			'outcome',
			'reason',
			'summary',
			'description',
			'created_count',
			'match_count',
			'skipped_count',
			'errors',
			'warnings',
			'upload',
			'status_url',
		]);
	});

	it('version 1.1: the same order, without what 1.2 added', () => {
		expect(Object.keys(simplifyOutcome(record))).toEqual([
			'outcome',
			'reason',
			'summary',
			'case_id',
			'row',
			'errors',
			'record',
			'status_url',
		]);
		expect(Object.keys(simplifyOutcome(upload))).toEqual([
			'outcome',
			'reason',
			'summary',
			'created_count',
			'match_count',
			'skipped_count',
			'errors',
			'upload',
			'status_url',
		]);
	});

	it('a record that names a parent keeps its parent_case_id right after case_id (both versions)', () => {
		const child: RecordOutcomeJson = { ...record, case_id: 'm-1', parent_case_id: 'h-1' };
		expect(Object.keys(simplifyOutcome(child, true)).slice(3, 6)).toEqual(['description', 'case_id', 'parent_case_id']);
		expect(Object.keys(simplifyOutcome(child)).slice(2, 5)).toEqual(['summary', 'case_id', 'parent_case_id']);
		expect(simplifyOutcome(child).parent_case_id).toBe('h-1');
	});
});
