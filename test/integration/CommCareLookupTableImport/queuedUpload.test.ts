/**
 * Queued (async) uploads against the emulator: the node polls CommCare's status URL with the shared loop until the
 * upload completes, and routes a failure (CommCare gives no reason) or an unfinished wait to Error with what is known.
 * Uploads of one run go one at a time: the next is sent only after the previous one finished.
 */
import type { Emulator } from '../../../emulator';
import { useEmulator, xlsxFile } from '../../support/emulator';
import { runNode } from '../../support/n8nContext';
import { lookupTableImportOutputs } from '../../support/nodeRuns';
import { emulatorCredential } from '../../support/emulator';
import { byName } from '../../../examples/workflows';
import { CommCareLookupTableImport } from '../../../nodes/CommCareLookupTableImport/CommCareLookupTableImport.node';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const ROWS = [
	{ code: 'amx', name: 'Amoxicillin' },
	{ code: 'ors', name: 'Oral rehydration salts' },
];
const QUEUED = { options: { processing: 'async' } };
const statusPolls = () => emulator.requests.filter((request) => request.path.includes('/fixtures/fixapi/status/'));

test('a queued upload is polled until complete: Success, the rows read back, how long it waited', async () => {
	emulator.setLookupTableTimeline({ queuedPolls: 0, runningPolls: 0 });

	const [success, warning, error] = await lookupTableImportOutputs(emulator, ROWS, {
		...QUEUED,
		table: byName('drug'),
	});

	expect([warning, error]).toEqual([[], []]);
	expect(success[0].json).toMatchObject({
		outcome: 'success',
		reason: 'uploaded',
		tables: ['drug'],
		rowsAfter: { drug: 2 },
		commcare: {
			processing: 'async',
			code: null,
			message: 'Upload complete.',
			statusUrl: expect.stringMatching(/\/a\/demo\/fixtures\/fixapi\/status\/dl-[0-9a-f]{32}\/$/),
			downloadId: expect.stringMatching(/^dl-[0-9a-f]{32}$/),
			percent: 100,
		},
	});
	expect(emulator.lookupTableUploads.map((upload) => upload.fields.async)).toEqual(['true']);
	expect(statusPolls().length).toBeGreaterThanOrEqual(1);
	expect(emulator.lookupTables.rows(emulator.domain, 'drug')).toHaveLength(2);
});

test('a queued upload CommCare reports failed ends on Error with what is known: the status URL, the rows the table holds', async () => {
	emulator.lookupTables.seed(emulator.domain, { tag: 'drug', fields: ['code', 'name'], rows: [{ fields: ROWS[0] }] });
	emulator.setLookupTableTimeline({ queuedPolls: 0, runningPolls: 0 });
	emulator.faults.respond('lookupTableStatus', 5, {
		status: 200,
		body: JSON.stringify({ message: "Upload did not complete. Reason: ''", error: true }),
		headers: { 'Content-Type': 'application/json' },
	});

	const [success, warning, error] = await lookupTableImportOutputs(emulator, ROWS, {
		...QUEUED,
		table: byName('drug'),
	});

	expect([success, warning]).toEqual([[], []]);
	expect(error[0].json).toMatchObject({
		outcome: 'error',
		reason: 'failed',
		message: expect.stringContaining('failed, and gives no reason'),
		commcare: { processing: 'async', statusUrl: expect.stringContaining('/fixtures/fixapi/status/dl-') },
		errors: [expect.objectContaining({ code: 'uploadFailed' })],
		// Read back after the failure: the table as CommCare holds it now.
		rowsAfter: { drug: 1 },
	});
});

test('a wait that ends before CommCare starts the upload goes to Error as notFinished, with its status URL', async () => {
	emulator.setLookupTableTimeline({ queuedPolls: 1000, runningPolls: 0 });

	const [, , error] = await lookupTableImportOutputs(emulator, ROWS, {
		table: byName('drug'),
		options: { processing: 'async', timeoutMinutes: 0.1 },
	});

	expect(error[0].json).toMatchObject({
		outcome: 'error',
		reason: 'notFinished',
		message: expect.stringContaining('had not started the upload of drug'),
		commcare: { processing: 'async', percent: null, statusUrl: expect.stringContaining('/status/dl-') },
	});
}, 20_000);

test('two workbooks of one run are uploaded one at a time: the second is sent after the first finished', async () => {
	emulator.setLookupTableTimeline({ queuedPolls: 1, runningPolls: 0 });
	const workbook = async (tag: string) =>
		xlsxFile({
			types: [
				['Delete(Y/N)', 'table_id', 'is_global?', 'field 1'],
				['N', tag, 'yes', 'code'],
			],
			[tag]: [
				['UID', 'Delete(Y/N)', 'field: code'],
				['', 'N', 'a'],
			],
		});
	const items = await Promise.all(
		['first', 'second'].map(async (tag) => ({
			json: {},
			binary: {
				data: {
					data: (await workbook(tag)).toString('base64'),
					mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
					fileName: `${tag}.xlsx`,
				},
			},
		})),
	);

	const { outputs } = await runNode({
		node: new CommCareLookupTableImport(),
		credentials: emulatorCredential(emulator),
		items,
		parameters: { projectSpace: byName(emulator.domain), source: 'binary', options: { processing: 'async' } },
	});

	expect(outputs[0].map((item) => item.json.tables)).toEqual([['first'], ['second']]);
	const calls = emulator.requests.filter((request) => request.path.includes('/fixtures/fixapi/'));
	const posts = calls.flatMap((request, index) => (request.method === 'POST' ? [index] : []));
	const firstId = emulator.lookupTableUploads[0].downloadId as string;
	const firstPolls = calls.flatMap((request, index) => (request.path.includes(firstId) ? [index] : []));
	// The first upload was polled to its end before the second was sent.
	expect(posts).toHaveLength(2);
	expect(firstPolls.length).toBeGreaterThanOrEqual(2);
	expect(Math.max(...firstPolls)).toBeLessThan(posts[1]);
	expect(outputs[0].map((item) => item.pairedItem)).toEqual([[{ item: 0 }], [{ item: 1 }]]);
}, 30_000);
