/**
 * Version 1.2's words for one upload (plainImport.ts): one short summary naming the case type, what to do in
 * `description`, nothing said twice, the multi-sheet clause only when the checks warned of it, and an import not
 * finished by the deadline on Not Finished.
 */
import type { IDataObject } from 'n8n-workflow';

import { classifyImport } from '../../../nodes/CommCareImportStatus/importOutcome';
import {
	notFinishedWords,
	plainImport,
	splitMessage,
	silentSkipAdvice,
} from '../../../nodes/CommCareImportStatus/plainImport';
import { type ImportWait, unpolledImport } from '../../../nodes/CommCareImportStatus/statusBody';
import { finished, ownerError, STATUS_URL as URL, success } from '../../support/unitImportOutcomes';

const UPLOAD: IDataObject = {
	caseType: 'patient',
	rowCount: 4,
	searchField: 'external_id',
	searchColumn: 'external_id',
	createNewCases: true,
	warnings: [],
};

const read = (wait: ImportWait, upload: IDataObject = UPLOAD) => plainImport(classifyImport(URL, upload, wait), wait);

function notFinished(lastState: number | null, extra: Partial<ImportWait> = {}, lastProblem: string | null = null) {
	return {
		end: { kind: 'timedOut' as const, lastProblem },
		lastState,
		lastPercent: null,
		polls: 1,
		waitedSeconds: 0,
		...extra,
	};
}

describe('an import that finished', () => {
	it('Success names the case type, in one line, with nothing to do', () => {
		const json = read(finished(success(3, 1)));
		expect(json).toMatchObject({ outcome: 'success', reason: 'imported', description: null, errors: [] });
		expect(json.summary).toBe('3 patient cases created, 1 updated');
		expect(read(finished(success(1, 3)), { ...UPLOAD, caseType: undefined }).summary).toBe('1 case created, 3 updated');
	});

	it("row errors: the summary counts the sheet rows and names the titles; CommCare's entries stay in errors", () => {
		const json = read(finished(success(2, 0, [ownerError([3, 5])])));
		expect(json).toMatchObject({ outcome: 'warning', reason: 'rowErrors', errors: [ownerError([3, 5])] });
		expect(json.summary).toBe('2 patient cases created, 0 updated; 2 sheet rows not imported (Invalid Owner)');
		expect(json.summary).not.toContain(ownerError([]).description as string);
		expect(json.description).toBe('Fix the sheet rows errors lists and send them again; the other rows were imported.');
	});

	it('silent skips: the multi-sheet clause only when the checks warned that the file is likely read so', () => {
		const plain = read(finished(success(3, 0)));
		expect(plain).toMatchObject({
			reason: 'skippedRows',
			summary: '3 patient cases created, 0 updated; 1 sheet row skipped silently',
		});
		expect(plain.description).not.toMatch(/multi-sheet/);
		const warned = { ...UPLOAD, warnings: [{ code: 'possibleMultiSheetMode', message: 'two sheets' }] };
		expect(read(finished(success(3, 0)), warned).description).toMatch(
			/^The file was probably imported in multi-sheet mode/,
		);
	});

	it('counts that cannot be read or do not add up: Warning noCounts, saying so, and where to look', () => {
		const unreadable = read({
			...finished(success(1, 0)),
			end: { kind: 'finished', status: success(1, 0), problem: '"created_count" is "one"' },
		});
		expect(unreadable).toMatchObject({
			reason: 'noCounts',
			summary: 'Import of patient cases finished, but its counts cannot be read',
		});
		expect(unreadable.description).toBe(
			'"created_count" is "one". Check the import history in CommCare HQ (Data → Import Cases from Excel) to see what it did.',
		);
		const outside = read(finished(success(1, 0, [ownerError([1, 9])])), { ...UPLOAD, rowCount: 3 });
		expect(outside.description).toMatch(
			/^Fix the sheet rows errors lists and send them again\. CommCare's counts do not add up: sheet rows 1, 9 listed in errors are not among the 3 data rows sent \(sheet rows 2 to 4\)/,
		);
		const tooMany = read(finished(success(9, 0)));
		expect(tooMany).toMatchObject({
			reason: 'noCounts',
			summary: 'Import of patient cases finished, but its counts do not add up',
		});
	});

	it("a failed import: the summary says it failed; CommCare's reason is in errors, what to do in description", () => {
		const status = {
			state: 3,
			progress: null,
			result: {
				created_count: null,
				match_count: null,
				num_chunks: null,
				errors: [{ title: null, description: 'Error: Field name "type" is reserved', column: null, rows: [] }],
			},
		};
		const json = read(finished(status));
		expect(json).toMatchObject({ outcome: 'error', reason: 'failed', summary: 'Import of patient cases failed' });
		expect(json.errors).toEqual(status.result.errors);
		expect(json.description).toBe(
			'CommCare may have applied some rows before it failed: check the patient cases in CommCare (or Data → Import Cases from Excel in CommCare HQ) before sending the rows again.',
		);
	});
});

describe('an import not finished by the deadline', () => {
	it('goes to Not Finished, with nothing in errors: the summary says where it stood', () => {
		const json = read(notFinished(-1));
		expect(json).toMatchObject({ outcome: 'notFinished', reason: 'notFinished', timedOut: true, errors: [] });
		expect(json.summary).toBe('Not finished yet: queued in CommCare (checked once)');
	});

	it.each([
		[notFinished(0), 'Not finished yet: queued in CommCare (checked once)'],
		[notFinished(-1, { polls: 12, waitedSeconds: 1800 }), 'Not finished yet: still queued after 30 min'],
		[notFinished(1, { lastPercent: 40 }), 'Not finished yet: running, 40% done (checked once)'],
		[notFinished(1, { lastPercent: 40, polls: 9, waitedSeconds: 1800 }), 'Not finished yet: 40% done after 30 min'],
		[notFinished(1, { polls: 3, waitedSeconds: 12 }), 'Not finished yet: running after 12 s'],
		[notFinished(null, { polls: 4, waitedSeconds: 30 }), 'Not finished yet: no status from CommCare after 30 s'],
	])('%#: %s', (wait, summary) => {
		expect(notFinishedWords(wait, null).summary).toBe(summary);
	});

	it('what to do: check again later; why a queue can be long only when queued; the last failure first', () => {
		const check =
			'It may still finish: do not send these rows again yet. Check again later: connect Not Finished to a Wait node and back into CommCare Import Status, or raise Timeout.';
		expect(notFinishedWords(notFinished(1), null).description).toBe(check);
		expect(notFinishedWords(notFinished(-1), null).description).toBe(
			`${check} CommCare runs one import at a time per project space and retries a waiting one every 5 minutes, for up to about 5 hours.`,
		);
		expect(notFinishedWords(notFinished(null), 'HTTP 503, Retry-After 0 s').description).toBe(
			`The last check failed: HTTP 503, Retry-After 0 s. ${check}`,
		);
	});
});

describe('a status that could not be read stays on Error', () => {
	it('the transport\'s "what happened: what to do" is split between summary and description', () => {
		const wait = {
			...unpolledImport({
				kind: 'httpError',
				httpStatus: 200,
				message:
					'CommCare answered with a web page (an HTML page titled "Sign In") instead of JSON: the credential\'s Base URL probably points at a login page.',
			}),
			polls: 1,
		};
		const json = read(wait);
		expect(json).toMatchObject({ outcome: 'error', reason: 'statusCheckFailed' });
		expect(json.summary).toBe(
			'Status check failed (HTTP 200): CommCare answered with a web page (an HTML page titled "Sign In") instead of JSON',
		);
		expect(json.description).toMatch(
			/^The credential's Base URL probably points at a login page\. The import itself may have finished/,
		);
	});

	it('401 and 403 are refusals; 404 says the import was not found; a refused URL says why and what to do', () => {
		const denied = read(unpolledImport({ kind: 'denied', httpStatus: 403, message: null }));
		expect(denied).toMatchObject({
			reason: 'denied',
			summary: 'Status check refused: CommCare denied access (HTTP 403)',
		});
		expect(denied.description).toMatch(/^The user must be a member of the project space/);
		expect(read(unpolledImport({ kind: 'notFound' })).summary).toBe(
			'Import not found: CommCare answered 404 for its status URL',
		);
		const refused = read(
			unpolledImport({
				kind: 'refused',
				reason: 'x. y',
				message: 'Refusing to send the credential to http://b',
				advice: 'Set the Base URL.',
			}),
		);
		expect(refused).toMatchObject({
			reason: 'refused',
			summary: 'Status URL not requested: Refusing to send the credential to http://b',
			description: 'Set the Base URL.',
		});
	});

	it("an item without a status URL: the upstream failure's message is what to read, its findings the errors", () => {
		const finding = { code: 'missingField', message: 'Item 2 has no field "name"' };
		const upstream = {
			error: 'The input items were not uploaded: Item 2 has no field "name"',
			errors: [finding],
			warnings: [],
		};
		const json = read(unpolledImport({ kind: 'missingStatusUrl' }), upstream);
		expect(json).toMatchObject({
			outcome: 'error',
			reason: 'noStatusUrl',
			summary: 'No import to check: the upload failed upstream',
			errors: [finding],
		});
		expect(json.description).toBe(
			'CommCare Bulk Import said: The input items were not uploaded: Item 2 has no field "name". Fix that, then run the upload again.',
		);
		expect(read(unpolledImport({ kind: 'missingStatusUrl' }), {}).summary).toBe(
			'No import to check: the item has no status URL',
		);
	});
});

describe('reading order and what travels', () => {
	it("the keys come in reading order, and the upload's warnings travel under warnings", () => {
		const warning = { code: 'dateOpenedIgnored', message: "Column 'date_opened' is dropped", column: 'date_opened' };
		const json = read(finished(success(4, 0)), { ...UPLOAD, warnings: [warning] });
		expect(Object.keys(json)).toEqual([
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
			'state',
			'percent',
			'num_chunks',
			'timedOut',
			'polls',
			'waitedSeconds',
		]);
		expect(json.warnings).toEqual([warning]);
	});
});

describe('splitMessage', () => {
	it.each([
		['What happened: what to do.', { head: 'What happened', tail: 'What to do.' }],
		['What happened. What to do.', { head: 'What happened', tail: 'What to do.' }],
		[
			'Went elsewhere (http://x:1); the key stays home.',
			{ head: 'Went elsewhere (http://x:1)', tail: 'The key stays home.' },
		],
		['A short line.', { head: 'A short line', tail: '' }],
		[`${'long '.repeat(40)}end`, { head: '', tail: `${'long '.repeat(40)}end` }],
	])('%s', (message, parts) => {
		expect(splitMessage(message)).toEqual(parts);
	});
});

describe('silentSkipAdvice', () => {
	it('names rows that matched no case when creation is off', () => {
		expect(silentSkipAdvice({ ...UPLOAD, createNewCases: false })).toMatch(/and rows whose ID matches no case while/);
	});
});
