/** The upload (upload.ts) over real loopback sockets: a retried upload sends the file afresh, from a new stream. */
import http from 'http';
import { Readable } from 'stream';

import { validateProjectSpace } from '../../../nodes/shared/projectSpace';
import { uploadFileName } from '../../../nodes/CommCareBulkImport/spreadsheet/formats';
import { uploadSpreadsheet } from '../../../nodes/CommCareBulkImport/upload';
import { fastRetry, json, setup, startServer } from '../../support/unitLoopbackCommCare';

describe('uploadSpreadsheet', () => {
	it('opens a fresh stream for each attempt when the first connection was refused', async () => {
		const probe = await startServer(() => undefined);
		const port = Number(new URL(probe.url).port);
		await probe.close();

		const fileBytes = Buffer.from('case_id,name\n,Asha\n');
		const received: Buffer[] = [];
		const commcare = http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (chunk: Buffer) => chunks.push(chunk));
			req.on('end', () => {
				received.push(Buffer.concat(chunks));
				json(res, 200, {
					code: 200,
					message: 'success',
					status_url: `${probe.url}/a/demo/importer/history/uploads/u1/status`,
				});
			});
		});
		let opens = 0;
		const streams: Readable[] = [];
		const file = {
			fileName: uploadFileName('Rows.CSV'),
			knownLength: fileBytes.length,
			open: async () => {
				opens += 1;
				// The server comes up only after the first (refused) attempt.
				if (opens === 2) await new Promise<void>((resolve) => commcare.listen(port, '127.0.0.1', resolve));
				const stream = Readable.from([fileBytes]);
				streams.push(stream);
				return stream;
			},
		};
		try {
			const { context, credentials } = setup(probe.url);
			const settings = {
				projectSpace: validateProjectSpace('demo'),
				caseType: 'patient',
				searchField: 'case_id' as const,
				searchColumn: 'case_id',
				createNewCases: true,
				nameColumn: 'name',
				comment: '',
			};
			const receipt = await uploadSpreadsheet(context, credentials, settings, file, { retry: fastRetry });
			expect(opens).toBe(2);
			expect(streams[0].destroyed).toBe(true);
			expect(received).toHaveLength(1);
			expect(received[0].includes(fileBytes)).toBe(true);
			expect(received[0].toString()).toContain('filename="Rows.csv"');
			expect(receipt).toMatchObject({ code: 200, message: 'success', fileName: 'Rows.csv', warnings: [] });
		} finally {
			commcare.closeAllConnections();
			await new Promise((resolve) => commcare.close(resolve));
		}
	});
});
