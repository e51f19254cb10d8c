/**
 * Input from outside is read within fixed bounds (a file made to inflate without end, a
 * giant text, too many rows, an endless status body), and answers are read strictly (addresses that are not
 * addresses, a web page instead of a status, counts that are text or unreadable, row numbers outside the upload).
 * Each case failed on the landed code: it read without limit, retried until the timeout, or called the result
 * a Success.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { Emulator } from '../../../emulator';
import {
	recordResultItems,
	uploadResultItem,
	uploadToEmulator,
	xlsxFile,
	type CreatedUpload,
} from '../../support/emulator';
import { binaryItem } from '../../support/n8nContext';
import { writeZipBomb } from '../../support/zipBomb';
import {
	apiKeyCredential,
	bulkImport,
	FAST_POLLING,
	importStatus,
	onlyItem,
	received,
	runScenario,
	sendFile as sharedSendFile,
	SECRET_USER,
	startSecretEmulator,
	thrown,
} from './harness';
import { outcomeTable, plural } from './outcomeTable';

const table = outcomeTable('answers');
const BOUNDS = 'Bounded input';
const STRICT = 'Answers read strictly';

let emulator: Emulator;
let dir: string;
beforeAll(async () => {
	emulator = await startSecretEmulator({ timeline: { queuedPolls: 0, runningPolls: 0 } });
	dir = mkdtempSync(join(tmpdir(), 'commcare-bounds-'));
});
afterEach(() => emulator.reset());
afterAll(async () => {
	table.finish();
	await emulator.close();
	rmSync(dir, { recursive: true, force: true });
});

const sendFile = async (file: Buffer, name?: string) =>
	await sharedSendFile(emulator, file, { name, mode: 'filesystem' });

async function queueImport(rows: IDataObject[] = [{ case_id: '', name: 'Asha' }]): Promise<CreatedUpload> {
	return await uploadToEmulator(
		{ baseUrl: emulator.baseUrl, domain: 'demo', username: SECRET_USER.username, apiKey: SECRET_USER.apiKey },
		{ rows: rows as never },
	);
}

async function checkStatus(items: INodeExecutionData[], parameters: IDataObject = FAST_POLLING) {
	return await runScenario({ node: importStatus, credentials: apiKeyCredential(emulator) as never, items, parameters });
}

function serverLine(): string {
	const seen = received(emulator);
	if (seen.all === 0) return 'no request';
	return `${plural(seen.uploadPosts, 'upload request')}, ${plural(seen.statusGets, 'status request')}`;
}

describe('files read within fixed bounds', () => {
	// Writing and reading these files takes seconds on a 2-core machine; the bounds are checked by what was read.
	jest.setTimeout(60_000);
	it.each([
		['its sizes only after the data (as streaming writers do)', false, 256 * 1024 * 1024],
		['its sizes declared before the data', true, 48 * 1024 * 1024],
	])('a .xlsx that inflates without end, %s: refused before upload', async (label, declareSizes, inflatedBytes) => {
		const path = join(dir, `bomb-${declareSizes}.xlsx`);
		const bytes = await writeZipBomb(path, { inflatedBytes, declareSizes });
		const error = thrown(await sendFile(readFileSync(path)));
		expect(error.message).toMatch(
			declareSizes
				? /^'patients\.xlsx' \(item 1\) not uploaded: The \.xlsx file was not read to the end: its part 'xl\/worksheets\/sheet1\.xml' says it inflates \d+ times \(\d+(\.\d)? MB from \d+ KB\), which no real spreadsheet does$/
				: /^'patients\.xlsx' \(item 1\) not uploaded: The \.xlsx file was not read to the end: it inflates more than 200 times \(\d+(\.\d)? MB from \d+ KB read so far\), which no real spreadsheet does$/,
		);
		expect(error.description).toMatch(/^It is possibly not a real spreadsheet: check that the right file was given\./);
		expect(received(emulator).all).toBe(0);
		table.record({
			id: `bounds.zipBomb.${declareSizes ? 'declared' : 'streamed'}`,
			area: BOUNDS,
			case: `A ${Math.round(bytes / 1024)} KB .xlsx whose worksheet inflates to ${inflatedBytes / 1024 / 1024} MB, ${label}`,
			userSees: error.message
				.replace(/\d+ times \(/, '… times (')
				.replace(/\(\d+(\.\d)? MB from \d+ KB/, '(… MB from … KB'),
			advice: error.description,
			server: serverLine(),
			lost: 'nothing: refused after reading at most 32 MB of it (the bench: npm run bench -- zipBombChecked)',
		});
	});

	it('a worksheet text of more than 1 MB in one piece is refused; a cell text is never held past 32,767 characters', async () => {
		const giant = await xlsxFile([
			['case_id', 'name', 'notes'],
			['', 'Asha', 'x'.repeat(1_200_000)],
		]);
		const error = thrown(await sendFile(giant));
		expect(error.message).toBe(
			"'patients.xlsx' (item 1) not uploaded: The .xlsx file holds a text of more than 1 MB in one piece, which no spreadsheet cell can",
		);
		expect(error.description).toMatch(/^It is possibly not a real spreadsheet: check that the right file was given\./);
		// 100,000 characters (past Excel's limit, under the 1 MB guard): read, capped, and checked like any long value.
		const long = await xlsxFile([
			['case_id', 'name'],
			['', 'N'.repeat(100_000)],
			['', 'Bola'],
		]);
		const result = await sendFile(long);
		expect((result.outputs![0][0].json.warnings as IDataObject[]).map((w) => w.code)).toEqual(['nameTooLong']);
		table.record({
			id: 'bounds.giantText',
			area: BOUNDS,
			case: 'A .xlsx whose inline cell text is 1.2 million characters; another whose name cell is 100,000 characters',
			userSees: `${error.message} / the second: uploaded, with the warning nameTooLong`,
			advice: error.description,
			server: '1 upload (the second file)',
			lost: 'nothing: the first refused before upload; no cell text is held past 32,767 characters while reading',
		});
	});

	it('more than 100,000 data rows: refused (CommCare imports at most 100,000), reading stopped there', async () => {
		const rows: unknown[][] = [['case_id', 'name']];
		for (let i = 0; i < 100_001; i++) rows.push(['', `P${i}`]);
		const file = await xlsxFile(rows);
		const error = thrown(await sendFile(file));
		expect(error.message).toBe(
			"'patients.xlsx' (item 1) not uploaded: The sheet has more than 100,000 data rows (sheet row 100,002 holds data)",
		);
		expect(error.description).toMatch(
			/^CommCare's importer takes at most 100,000, and the checks stopped reading there\. Split the rows over several files, or use Source "Input Items", which splits them by Rows per Upload\./,
		);
		expect(received(emulator).all).toBe(0);
		table.record({
			id: 'bounds.tooManyRows',
			area: BOUNDS,
			case: 'A .xlsx with 100,001 data rows',
			userSees: error.message,
			advice: error.description,
			server: serverLine(),
			lost: 'nothing: refused before upload (with Skip Checks it is sent as it is)',
		});
	});

	it('a .csv line longer than 8 MB is refused; one of 7 MB is read in time linear in its length', async () => {
		const csv = Buffer.concat([
			Buffer.from('case_id,name,notes\n,Asha,'),
			Buffer.alloc(9 * 1024 * 1024, 'x'),
			Buffer.from('\n'),
		]);
		const error = thrown(await sendFile(csv, 'patients.csv'));
		expect(error.message).toBe("'patients.csv' (item 1) not uploaded: The .csv file has a line longer than 8 MB");
		expect(error.description).toMatch(/^It is possibly not a real spreadsheet: check that the right file was given\./);
		expect(received(emulator).all).toBe(0);
		// Before, a 7 MB line took fast-csv half a minute (it re-read the unfinished row with every 64 KB piece).
		const long = Buffer.concat([
			Buffer.from('case_id,name,notes\n,Asha,'),
			Buffer.alloc(7 * 1024 * 1024, 'x'),
			Buffer.from('\n,Bola,y\n'),
		]);
		const result = await sendFile(long, 'patients.csv');
		expect(result.outputs![0][0].json).toMatchObject({ rowCount: 2 });
		table.record({
			id: 'bounds.csvLongLine',
			area: BOUNDS,
			case: 'A .csv with a 9 MB line; another with a 7 MB line',
			userSees: `${error.message} / the second: uploaded (read in well under a second)`,
			advice: error.description,
			server: '1 upload (the second file)',
			lost: 'nothing: the first refused before upload',
		});
	}, 30_000);

	it('a status body longer than 32 MB ends the wait at once; its start is never quoted', async () => {
		const upload = await queueImport();
		emulator.faults.respond('status', 5, {
			status: 200,
			body: `{"state": 1, "padding": "${'x'.repeat(33 * 1024 * 1024)}"}`,
			headers: { 'Content-Type': 'application/json' },
		});
		const json = onlyItem(await checkStatus([uploadResultItem(upload)], { ...FAST_POLLING, timeout: 0.1 }), 2);
		expect(json).toMatchObject({ reason: 'statusCheckFailed', polls: 1, timedOut: false });
		expect(json.summary).toBe(
			"Status check failed (HTTP 200): CommCare's answer to the status request was larger than 32 MB, which no import status is",
		);
		expect(json.description).toMatch(
			/^The Base URL \(http:\/\/127\.0\.0\.1:\d+\) may point at something other than CommCare HQ\. /,
		);
		table.record({
			id: 'bounds.statusBodyTooLarge',
			area: BOUNDS,
			case: 'A status poll answered 200 with a 33 MB body',
			userSees: `Error output: ${json.summary}`,
			advice: json.description as string,
			server: serverLine(),
			lost: 'nothing: read up to 32 MB, then the wait ends with the reason (before, the whole body was read into memory)',
		});
	});
});

describe('status answers read strictly', () => {
	it('a status URL that is not a valid address fails at once, never as a network error, and is not a poll', async () => {
		const upload = await queueImport();
		const broken = [upload.statusUrl.replace('/status', '/%zz/status'), 'http://[::1', `${upload.statusUrl}%`];
		const result = await checkStatus(
			broken.map((status_url) => ({ json: { ...uploadResultItem(upload).json, status_url } })),
			{ ...FAST_POLLING, timeout: 0.05 },
		);
		const errors = result.outputs![2].map((item) => item.json);
		expect(errors.map((e) => [e.reason, e.polls, e.timedOut])).toEqual([
			['refused', 0, false],
			['refused', 0, false],
			['refused', 0, false],
		]);
		expect(errors[0].summary).toMatch(
			/^Status URL not requested: The status URL 'http:\/\/127\.0\.0\.1:\d+\/a\/demo\/importer\/history\/uploads\/[\w-]+\/%zz\/status' is not a valid address: it has a '%' that is not followed by two hex digits$/,
		);
		expect(errors[1].summary).toBe("Status URL not requested: The status URL 'http://[::1' is not a valid web address");
		expect(received(emulator).statusGets).toBe(0);
		table.record({
			id: 'strict.invalidStatusUrl',
			area: STRICT,
			case: "Status URLs with a bad %-escape, 'http://[::1', a trailing '%'",
			userSees: `3 Error items, 0 polls each: ${String(errors[0].summary)} / ${String(errors[1].summary)}`,
			server: serverLine(),
			lost: 'nothing: each item on Error at once (before, "network error" was retried until the timeout and counted as polls)',
		});
	});

	it('a redirect to an address that cannot be followed ends the wait at once', async () => {
		const upload = await queueImport();
		emulator.faults.respond('status', 5, { status: 302, headers: { Location: 'http://[::1/a/demo/x' } });
		const json = onlyItem(await checkStatus([uploadResultItem(upload)], { ...FAST_POLLING, timeout: 0.1 }), 2);
		expect(json).toMatchObject({ reason: 'statusCheckFailed', polls: 1, timedOut: false });
		expect(json.summary).toBe(
			'Status check failed: CommCare answered with a redirect (HTTP 302) to an address that cannot be followed',
		);
		expect(json.description).toMatch(/^It is not a valid web address\./);
		table.record({
			id: 'strict.invalidLocation',
			area: STRICT,
			case: "A status poll answered 302 with Location 'http://[::1/a/demo/x'",
			userSees: `Error output: ${json.summary}`,
			advice: json.description as string,
			server: serverLine(),
			lost: 'nothing: Error after 1 poll (before: retried as a network error until the timeout)',
		});
	});

	it("a web page (a login or proxy page) answered with 200 ends the wait at once, with the upload's guidance and no markup", async () => {
		const upload = await queueImport();
		emulator.faults.respond('status', 5, {
			status: 200,
			html: true,
			body: '<!DOCTYPE html><html><head><title>Sign In</title></head><body><form>…</form></body></html>',
		});
		const json = onlyItem(await checkStatus([uploadResultItem(upload)], { ...FAST_POLLING, timeout: 0.1 }), 2);
		expect(json).toMatchObject({ reason: 'statusCheckFailed', polls: 1, timedOut: false });
		expect(json.summary).toBe(
			'Status check failed (HTTP 200): CommCare answered with a web page (an HTML page titled "Sign In") instead of JSON',
		);
		expect(json.description).toMatch(
			/^The credential's Base URL \(http:\/\/127\.0\.0\.1:\d+\) probably points at a login page or a proxy, not at CommCare HQ's API\. /,
		);
		expect(`${String(json.summary)} ${String(json.description)}`).not.toMatch(/<form|<html/);
		table.record({
			id: 'strict.html200',
			area: STRICT,
			case: 'Every status poll answered 200 with a sign-in page',
			userSees: `Error output: ${json.summary}`,
			advice: json.description as string,
			server: serverLine(),
			lost: 'nothing: Error after 1 poll, saying what to check (before: retried until the timeout, quoting the markup)',
		});
	});

	it('a relative status_url is resolved against the Base URL, at the upload and at the status check', async () => {
		const upload = await queueImport();
		const relative = new URL(upload.statusUrl).pathname;
		const json = onlyItem(await checkStatus([{ json: { ...uploadResultItem(upload).json, status_url: relative } }]), 0);
		expect(json).toMatchObject({ outcome: 'success', status_url: relative, polls: 1 });
		emulator.faults.respond('upload', 1, {
			status: 200,
			body: JSON.stringify({ code: 200, message: 'success', status_url: relative }),
			headers: { 'Content-Type': 'application/json' },
		});
		const uploaded = await runScenario({
			node: bulkImport,
			credentials: apiKeyCredential(emulator) as never,
			items: [
				binaryItem(
					await xlsxFile([
						['case_id', 'name'],
						['', 'A'],
					]),
					'a.xlsx',
				),
			],
			parameters: { projectSpace: 'demo', caseType: 'patient', searchField: 'case_id', unmatchedRows: 'create' },
		});
		expect(uploaded.outputs![0][0].json).toMatchObject({ status_url: `${emulator.baseUrl}${relative}`, warnings: [] });
		table.record({
			id: 'strict.relativeStatusUrl',
			area: STRICT,
			case: "A status_url given as a path ('/a/demo/importer/…/status'), to Import Status and in the upload's answer",
			userSees: `Success output: ${json.summary} / the upload item carries the absolute address`,
			server: 'the status requested on the Base URL',
			lost: 'nothing (before: refused as "not an absolute web address", and called "on another server" at the upload)',
		});
	});

	it('counts given as numeric text are read; unreadable counts or errors are noCounts, never Success', async () => {
		const upload = await queueImport();
		const answers = [
			{ match_count: '0', created_count: '1', num_chunks: '1', errors: [] },
			{ match_count: 0, created_count: 'one', num_chunks: 1, errors: [] },
			{ match_count: 0, created_count: 1, num_chunks: 1, errors: 'Invalid Owner' },
		];
		const seen: string[] = [];
		for (const result of answers) {
			emulator.faults.respond('status', 1, {
				status: 200,
				body: JSON.stringify({ state: 2, progress: { percent: 0 }, result }),
				headers: { 'Content-Type': 'application/json' },
			});
			const outputs = (await checkStatus([uploadResultItem(upload)])).outputs!;
			const [item] = outputs.flat();
			const what = item.json.description ? ` — ${String(item.json.description)}` : '';
			seen.push(`${item.json.outcome}/${item.json.reason}: ${item.json.summary}${what}`);
		}
		expect(seen[0]).toBe('success/imported: 1 patient case created, 0 updated');
		expect(seen[1]).toBe(
			'warning/noCounts: Import of patient cases finished, but its counts cannot be read — "created_count" is "one". Check the import history in CommCare HQ (Data → Import Cases from Excel) to see what it did.',
		);
		expect(seen[2]).toBe(
			'warning/noCounts: Import of patient cases finished, but its counts cannot be read — "errors" is "Invalid Owner", not a list. Check the import history in CommCare HQ (Data → Import Cases from Excel) to see what it did.',
		);
		table.record({
			id: 'strict.counts',
			area: STRICT,
			case: "Finished statuses with counts as numeric text ('1'); created_count 'one'; errors given as text",
			userSees: seen.join(' / '),
			server: '1 status request each',
			lost: 'nothing: unreadable counts are a Warning to check (before: Success)',
		});
	});

	it('rows skipped in multi-sheet mode are explained by multi-sheet mode, not by blank rows', async () => {
		// Two sheets named like case types of the project: CommCare imports each as its type and, reading "on" as
		// "off", creates nothing. The checks warned (possibleMultiSheetMode), and the skip reason says why.
		const file = await xlsxFile({
			patient: [
				['case_id', 'name'],
				['', 'Asha'],
				['', 'Bola'],
			],
			household: [['case_id', 'name']],
		});
		const uploaded = await runScenario({
			node: bulkImport,
			credentials: apiKeyCredential(emulator) as never,
			items: [binaryItem(file, 'two-sheets.xlsx')],
			parameters: { projectSpace: 'demo', caseType: 'patient', searchField: 'case_id', unmatchedRows: 'create' },
		});
		expect((uploaded.outputs![0][0].json.warnings as IDataObject[]).map((w) => w.code)).toContain(
			'possibleMultiSheetMode',
		);
		const json = onlyItem(await checkStatus(uploaded.outputs![0]), 1);
		expect(json).toMatchObject({ reason: 'skippedRows', created_count: 0, skipped_count: 2 });
		expect(json.summary).toBe('0 patient cases created, 0 updated; 2 sheet rows skipped silently');
		expect(json.description).toBe(
			'The file was probably imported in multi-sheet mode (every sheet named like a case type of the project), where CommCare creates cases only when sent "True": rows that matched no case were skipped. Rename the sheet (for example to "cases") and send them again.',
		);
		expect(emulator.cases.all('demo')).toHaveLength(0);
		table.record({
			id: 'strict.multiSheetSkipReason',
			area: STRICT,
			case: "A file with sheets 'patient' and 'household' (both case types of the project), Rows That Match No Case: Create a New Case",
			userSees: `Warning output: ${json.summary}`,
			advice: json.description as string,
			server: '1 upload, imported in multi-sheet mode: no case created',
			lost: 'nothing silently: the reason names multi-sheet mode (before: "CommCare skips blank rows")',
		});
	});

	it('row numbers outside the upload never balance the counts: unlisted records are "imported or skipped", never Success', async () => {
		const upload = await queueImport([
			{ case_id: '', name: 'Asha' },
			{ case_id: '', name: 'Bola' },
			{ case_id: '', name: 'Chipo' },
		]);
		// 3 rows sent: 1 created, and rows 1 (the header) and 9 (past the last) "failed": 1 + 2 = 3 would balance.
		const errors = [{ title: 'Invalid Owner', description: 'x', column: 'owner_id', rows: [1, 9] }];
		emulator.faults.respond('status', 1, {
			status: 200,
			body: JSON.stringify({
				state: 2,
				progress: { percent: 0 },
				result: { match_count: 0, created_count: 1, num_chunks: 1, errors },
			}),
			headers: { 'Content-Type': 'application/json' },
		});
		const outputs = (await checkStatus(recordResultItems(upload))).outputs!;
		expect(outputs.map((output) => output.length)).toEqual([0, 3, 0, 0]);
		expect(outputs[1].map((item) => item.json.reason)).toEqual([
			'importedOrSkipped',
			'importedOrSkipped',
			'importedOrSkipped',
		]);
		expect(outputs[1][0].json.summary).toBe(
			"Sheet row 2 imported or skipped: CommCare's counts cannot be matched to the rows sent",
		);
		table.record({
			id: 'strict.rowsOutsideUpload',
			area: STRICT,
			case: 'Per-record, 3 rows sent; the status says 1 created and lists rows 1 and 9 (outside the upload) as failed',
			userSees: `3 Warning items: ${String(outputs[1][0].json.summary).slice(0, 160)}`,
			server: '1 status request',
			lost: 'nothing: no record is called imported on counts that do not add up (before: all three Success)',
		});
	});
});
