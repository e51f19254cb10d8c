/**
 * The per-record output of an accepted upload, and of a dry run (results.ts): one item per record, with its row, the
 * values sent, the upload it went in and the findings that concern it.
 */
import type { IDataObject } from 'n8n-workflow';

import { planItemsUpload } from '../../../nodes/CommCareBulkImport/sources/itemsPlan';
import { dryRunRecordResults, recordResults, sentValues } from '../../../nodes/CommCareBulkImport/results';
import type { DryRunResultJson, UploadResultJson } from '../../../nodes/shared/outputContract';
import { issue, options, settings } from '../../support/unitItemsSource';

describe('per-record items', () => {
	it('one per item of the upload: its row, the values sent, the upload without status_url, and its warnings', () => {
		const items: IDataObject[] = [{ name: 'A', extra: 1 }, { name: 'B' }, { name: 'C' }];
		const plan = planItemsUpload(items, settings, { ...options, excludeColumns: ['extra'], rowsPerUpload: 2 });
		const upload = {
			status_url: 'http://x/status',
			rowCount: 2,
			uploadNumber: 1,
			warnings: [],
		} as unknown as UploadResultJson;
		const general = issue('dateOpenedIgnored', 'general');
		const aboutB = issue('nameTooLong', 'about B', { items: [1], rows: [3] });
		const results = recordResults(plan.uploads[0], upload, [general, aboutB]);
		expect(results).toEqual([
			{
				itemIndex: 0,
				json: {
					status_url: 'http://x/status',
					row: 2,
					record: { name: 'A' },
					upload: { rowCount: 2, uploadNumber: 1 },
					warnings: [general],
				},
			},
			{
				itemIndex: 1,
				json: {
					status_url: 'http://x/status',
					row: 3,
					record: { name: 'B' },
					upload: { rowCount: 2, uploadNumber: 1 },
					warnings: [general, aboutB],
				},
			},
		]);
		// One upload object for all its records, frozen: held once, and a later node cannot change it for the others.
		expect(results[0].json.upload).toBe(results[1].json.upload);
		expect(Object.isFrozen(results[0].json.upload)).toBe(true);
		expect(Object.isFrozen(results[0].json.warnings)).toBe(true);
		// The record with no warning of its own shares the upload's list; one with its own has a list of its own.
		expect(results[1].json.warnings).not.toBe(results[0].json.warnings);
		// Every key of item B became a column: its record is the item's JSON itself; item A's `extra` did not: a copy.
		expect(results[1].json.record).toBe(items[1]);
		expect(results[0].json.record).not.toBe(items[0]);
	});

	it("sentValues keeps the item's keys that became columns, values as given", () => {
		expect(sentValues({ a: 1, b: null, c: 'x' }, ['b', 'a', 'z'])).toEqual({ b: null, a: 1 });
		const allSent = { a: 1, b: null };
		expect(sentValues(allSent, ['b', 'a', 'z'])).toBe(allSent);
	});

	it('a dry run per record: the findings that name the record or none, the upload without them, its wouldUpload', () => {
		const items: IDataObject[] = [{ name: 'A' }, { name: '' }, { name: 'C' }];
		const plan = planItemsUpload(items, settings, options);
		const general = issue('dateOpenedIgnored', 'general');
		const aboutB = issue('blankNames', 'about B', { items: [1], rows: [3] });
		const errorAboutC = issue('nameTooLong', 'about C', { items: [2], rows: [4] });
		const dryRun = {
			dryRun: true,
			wouldUpload: false,
			checked: true,
			rowCount: 3,
			errors: [errorAboutC],
			warnings: [general, aboutB],
		} as unknown as DryRunResultJson;
		const results = dryRunRecordResults(plan.uploads[0], dryRun);
		const upload = { dryRun: true, wouldUpload: false, checked: true, rowCount: 3 };
		expect(results).toEqual([
			{
				itemIndex: 0,
				json: {
					dryRun: true,
					wouldUpload: false,
					checked: true,
					row: 2,
					record: items[0],
					upload,
					errors: [],
					warnings: [general],
				},
			},
			{
				itemIndex: 1,
				json: {
					dryRun: true,
					wouldUpload: false,
					checked: true,
					row: 3,
					record: items[1],
					upload,
					errors: [],
					warnings: [general, aboutB],
				},
			},
			{
				itemIndex: 2,
				json: {
					dryRun: true,
					wouldUpload: false,
					checked: true,
					row: 4,
					record: items[2],
					upload,
					errors: [errorAboutC],
					warnings: [general],
				},
			},
		]);
		expect(results[0].json.upload).toBe(results[2].json.upload);
		expect(Object.isFrozen(results[0].json.upload)).toBe(true);
		// A clean upload: every record would be sent.
		const clean = dryRunRecordResults(plan.uploads[0], { ...dryRun, wouldUpload: true, errors: [] });
		expect(clean.map((result) => result.json.wouldUpload)).toEqual([true, true, true]);
	});
});
