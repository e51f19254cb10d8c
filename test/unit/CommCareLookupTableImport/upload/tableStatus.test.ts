/** The bodies of CommCare's lookup-table status URL, read into a state (tableStatus.ts). */
import { readTableStatus } from '../../../../nodes/CommCareLookupTableImport/upload/tableStatus';

describe('readTableStatus', () => {
	it('reads a task not started yet (progress null) as running with no percent', () => {
		const reading = readTableStatus({ message: 'Task in progress. None% complete', progress: null });
		expect(reading).toMatchObject({ ok: true, state: 'running', percent: null, finished: false });
	});

	it('reads a running task with its percent', () => {
		const reading = readTableStatus({ message: 'Task in progress. 40% complete', progress: 40 });
		expect(reading).toMatchObject({ ok: true, state: 'running', percent: 40, finished: false });
	});

	it('reads complete as finished at 100%', () => {
		const reading = readTableStatus({ complete: true, message: 'Upload complete.' });
		expect(reading).toMatchObject({ ok: true, state: 'complete', percent: 100, finished: true });
	});

	it("reads error as failed, keeping CommCare's message", () => {
		const reading = readTableStatus({ message: "Upload did not complete. Reason: ''", error: true });
		expect(reading).toMatchObject({ ok: true, state: 'failed', finished: true });
		expect(reading.ok && reading.status.message).toBe("Upload did not complete. Reason: ''");
	});

	it('reads the JSON text or bytes of an answer as well as the object', () => {
		const body = JSON.stringify({ message: 'Task in progress. 40% complete', progress: 40 });
		expect(readTableStatus(body)).toMatchObject({ ok: true, state: 'running', percent: 40, progress: 40 });
		expect(readTableStatus(Buffer.from(body))).toMatchObject({ ok: true, state: 'running', percent: 40 });
	});

	it('keeps no percent for a failure (the wait keeps the last one seen)', () => {
		expect(readTableStatus({ error: true, message: 'x' })).toMatchObject({ progress: null, finished: true });
	});

	it('says when a body is not a status at all', () => {
		expect(readTableStatus('<html>')).toMatchObject({ ok: false });
		expect(readTableStatus({ detail: 'x' })).toMatchObject({ ok: false });
		expect(readTableStatus([1])).toMatchObject({ ok: false });
		expect(readTableStatus('<html><title>Login</title></html>')).toMatchObject({ ok: false });
	});
});
