/**
 * CommCare Bulk Import's `execute()` against the CommCare HQ emulator over real HTTP, through the stand-in for
 * n8n's execution context (credential applied by the request helper as n8n does, binary data in both modes).
 */
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData } from 'n8n-workflow';

import { CommCareBulkImport } from '../../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import type { UploadResultJson } from '../../../nodes/shared/outputContract';
import { UPLOAD_MESSAGES, type Emulator } from '../../../emulator';
import { emulatorCredential, xlsxFile, useEmulator } from '../../support/emulator';
import { binaryItem, runNode, type BinaryMode } from '../../support/n8nContext';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const node = new CommCareBulkImport();

function apiKeyCredential(overrides: ICredentialDataDecryptedObject = {}): IDataObject {
	return emulatorCredential(emulator, overrides);
}

const patients = [
	['case_id', 'name', 'age', 'village'],
	['', 'Asha', 31, 'Kisumu'],
	['', 'Baraka', 45, 'Siaya'],
];

async function run(options: {
	parameters?: IDataObject;
	items?: INodeExecutionData[];
	credentials?: IDataObject;
	continueOnFail?: boolean;
}) {
	return await runNode({
		node,
		parameters: {
			projectSpace: emulator.domain,
			caseType: 'patient',
			// Matched by case ID, blank for a new case (1.2 defaults to External ID, which these rows do not carry).
			searchField: 'case_id',
			unmatchedRows: 'create',
			...options.parameters,
		},
		credentials: (options.credentials ?? apiKeyCredential()) as never,
		items: options.items ?? [binaryItem(await xlsxFile(patients), 'patients.xlsx')],
		continueOnFail: options.continueOnFail,
	});
}

async function failure(
	options: Parameters<typeof run>[0],
): Promise<{ message: string; description?: string; httpCode?: string | null }> {
	const error = await run(options).then(
		() => undefined,
		(e: unknown) => e,
	);
	if (!error) throw new Error('expected the node to fail');
	return error as { message: string; description?: string; httpCode?: string | null };
}

function uploadRequests() {
	return emulator.requests.filter((r) => r.method === 'POST' && r.path.includes('/bulk_upload_api'));
}

describe('CommCare Bulk Import (binary source) against the emulator', () => {
	it('uploads an .xlsx with every importer field and creates the cases', async () => {
		const { outputs } = await run({
			parameters: { comment: 'weekly sync', nameColumn: 'name', searchColumn: '' },
			items: [binaryItem(await xlsxFile(patients), 'Patients.XLSX')],
		});

		expect(emulator.uploads).toHaveLength(1);
		const upload = emulator.uploads[0];
		expect(upload.fields).toEqual({
			case_type: 'patient',
			search_field: 'case_id',
			search_column: 'case_id',
			name_column: 'name',
			create_new_cases: 'on',
			comment: 'weekly sync',
		});
		expect(upload.fileName).toBe('Patients.xlsx');
		expect(upload.status).toBe(200);

		const created = emulator.cases.byType(emulator.domain, 'patient');
		expect(created.map((c) => [c.name, c.properties.age, c.properties.village]).sort()).toEqual([
			['Asha', '31', 'Kisumu'],
			['Baraka', '45', 'Siaya'],
		]);

		expect(outputs).toHaveLength(1);
		expect(outputs[0]).toHaveLength(1);
		const json = outputs[0][0].json as UploadResultJson;
		expect(json).toEqual({
			status_url: (upload.body as { status_url: string }).status_url,
			code: 200,
			message: 'success',
			projectSpace: 'demo',
			caseType: 'patient',
			fileName: 'Patients.xlsx',
			searchField: 'case_id',
			searchColumn: 'case_id',
			nameColumn: 'name',
			createNewCases: true,
			comment: 'weekly sync',
			// Read by the checks before upload, so CommCare Import Status can count rows skipped silently.
			rowCount: 2,
			uploadNumber: 1,
			uploadCount: 1,
			// The server's Date header: Import Status compares case times with it.
			acceptedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
			warnings: [],
		});
		expect(json.status_url.startsWith(`${emulator.baseUrl}/a/demo/`)).toBe(true);
		expect(emulator.imports.has(upload.uploadId as string)).toBe(true);
		expect(outputs[0][0].pairedItem).toEqual({ item: 0 });
	});

	it('sends create_new_cases only when creation is on, so unmatched rows create nothing', async () => {
		// Blank case ids with creation off skip every row: the checks would stop this upload, so they are skipped.
		await run({ parameters: { unmatchedRows: 'skip', options: { skipChecks: true } } });
		expect(emulator.uploads).toHaveLength(1);
		expect(emulator.uploads[0].fields).not.toHaveProperty('create_new_cases');
		expect(emulator.uploads[0].fields).not.toHaveProperty('comment');
		expect(emulator.cases.byType(emulator.domain, 'patient')).toHaveLength(0);
	});

	it('matches by external_id with its own column and updates existing cases', async () => {
		emulator.cases.add(emulator.domain, { case_type: 'patient', name: 'Old name', external_id: 'P-001' });
		const sheet = await xlsxFile([
			['patient_ref', 'name', 'age'],
			['P-001', 'New name', 50],
		]);
		const { outputs } = await run({
			parameters: { searchField: 'external_id', searchColumn: 'patient_ref', unmatchedRows: 'skip' },
			items: [binaryItem(sheet, 'update.xlsx')],
		});
		expect(emulator.uploads[0].fields).toMatchObject({ search_field: 'external_id', search_column: 'patient_ref' });
		const [updated] = emulator.cases.byType(emulator.domain, 'patient');
		expect(updated).toMatchObject({ name: 'New name', external_id: 'P-001', properties: { age: '50' } });
		expect(outputs[0][0].json).toMatchObject({
			searchField: 'external_id',
			searchColumn: 'patient_ref',
			createNewCases: false,
		});
	});

	it('uploads a .csv', async () => {
		const csv = Buffer.from('case_id,name\n,Chege\n');
		await run({ items: [binaryItem(csv, 'rows.CSV')] });
		expect(emulator.uploads[0].fileName).toBe('rows.csv');
		expect(emulator.cases.byType(emulator.domain, 'patient').map((c) => c.name)).toEqual(['Chege']);
	});

	it.each<BinaryMode>(['default', 'filesystem'])(
		'reads the file in %s binary-data mode, byte for byte',
		async (mode) => {
			const sheet = await xlsxFile(patients);
			await run({
				items: [binaryItem(sheet, 'patients.xlsx', { mode, property: 'spreadsheet' })],
				parameters: { binaryPropertyName: 'spreadsheet' },
			});
			expect(emulator.uploads).toHaveLength(1);
			expect(Buffer.compare(emulator.uploads[0].file as Buffer, sheet)).toBe(0);
			expect(emulator.cases.byType(emulator.domain, 'patient')).toHaveLength(2);
		},
	);

	it('authenticates with Basic (username and password) too', async () => {
		await run({
			credentials: emulatorCredential(emulator, { baseUrl: `${emulator.baseUrl}/`, authType: 'basicAuth' }),
		});
		expect(emulator.uploads).toHaveLength(1);
		expect(uploadRequests()[0].headers.authorization).toMatch(/^Basic /);
		expect(emulator.cases.byType(emulator.domain, 'patient')).toHaveLength(2);
	});

	it('uploads one file per input item, each output paired with its item', async () => {
		const items = [binaryItem(await xlsxFile(patients), 'a.xlsx'), binaryItem(await xlsxFile(patients), 'b.xlsx')];
		const { outputs } = await run({ items });
		expect(emulator.uploads.map((u) => u.fileName)).toEqual(['a.xlsx', 'b.xlsx']);
		expect(outputs[0].map((o) => [o.json.fileName, o.pairedItem])).toEqual([
			['a.xlsx', { item: 0 }],
			['b.xlsx', { item: 1 }],
		]);
	});

	describe('server errors', () => {
		it('shows a 500 JSON message verbatim', async () => {
			const error = await failure({ parameters: { projectSpace: 'nocases' } });
			expect(error.message).toBe(UPLOAD_MESSAGES.noCaseTypes);
			expect(error.httpCode).toBe('500');
		});

		it('keeps the HTML-bearing column-name message verbatim, with a plain-text description', async () => {
			const sheet = await xlsxFile([
				['case_id', 'name', 'first name'],
				['', 'Asha', 'A'],
			]);
			// The checks before upload would refuse the header first (checksFile.test.ts).
			const error = await failure({
				items: [binaryItem(sheet, 'bad.xlsx')],
				parameters: { options: { skipChecks: true } },
			});
			expect(error.message).toBe(UPLOAD_MESSAGES.invalidColumnNames(['first name']));
			expect(error.description).toContain(
				'case property names (https://confluence.dimagi.com/display/commcarepublic/Case+Configuration)',
			);
			expect(error.description).not.toContain('<a');
		});

		it('says the credential was rejected on 401, never showing the key', async () => {
			const wrongKey = 'wrong-key-0123456789abcdef';
			const error = await failure({ credentials: apiKeyCredential({ apiKey: wrongKey }) });
			expect(error.message).toBe('CommCare rejected the credential (HTTP 401)');
			expect(error.description).toMatch(
				new RegExp(
					`^Check the username and API key in the CommCare API credential \\(user '${emulator.username}'\\)\\. `,
				),
			);
			expect(JSON.stringify({ ...error, message: error.message })).not.toContain(wrongKey);
			expect(emulator.uploads).toHaveLength(0);
		});

		it('says which project space is out of reach on 403 (not a member)', async () => {
			const error = await failure({
				credentials: apiKeyCredential({ username: 'outsider@example.org', apiKey: 'outsider-key' }),
			});
			expect(error.message).toBe("No access to project space 'demo' (HTTP 403)");
			expect(error.description).toMatch(
				/^CommCare user 'outsider@example.org' must be a member of project space 'demo' with a role that has "Edit Data"\. /,
			);
		});

		it('gives the same 403 message for an HTML 403 (no Edit Data) without dumping the page', async () => {
			const error = await failure({
				credentials: apiKeyCredential({ username: 'viewer@example.org', apiKey: 'viewer-key' }),
			});
			expect(error.message).toBe("No access to project space 'demo' (HTTP 403)");
			expect(error.description).toContain('"Edit Data"');
			expect(`${error.message} ${error.description}`).not.toMatch(/<[a-z!]/i);
		});

		it('summarises an HTML 500 page instead of dumping it', async () => {
			emulator.faults.respond('upload', 1, { status: 500, html: true });
			const error = await failure({});
			expect(error.message).toMatch(/^CommCare failed with an internal error \(HTTP 500\) and sent an HTML page/);
			expect(`${error.message} ${error.description}`).not.toMatch(/<[a-z!]/i);
			expect(uploadRequests()).toHaveLength(1);
		});
	});

	describe('retries and the no-double-import rule', () => {
		it('resends the file after a 503 that refused it, and succeeds', async () => {
			emulator.faults.respond('upload', 1, { status: 503, retryAfter: 0 });
			const { outputs } = await run({});
			expect(uploadRequests()).toHaveLength(2);
			expect(emulator.uploads.filter((u) => u.status === 200)).toHaveLength(1);
			expect(outputs[0][0].json.status_url).toEqual(expect.stringContaining('/a/demo/'));
			expect(emulator.cases.byType(emulator.domain, 'patient')).toHaveLength(2);
		});

		it('resends a streamed (filesystem-mode) file after a 429 with a fresh stream', async () => {
			emulator.faults.respond('upload', 1, { status: 429, retryAfter: 0 });
			const sheet = await xlsxFile(patients);
			await run({ items: [binaryItem(sheet, 'patients.xlsx', { mode: 'filesystem' })] });
			const accepted = emulator.uploads.filter((u) => u.status === 200);
			expect(accepted).toHaveLength(1);
			expect(Buffer.compare(accepted[0].file as Buffer, sheet)).toBe(0);
		});

		it('does not resend when the connection dropped after the server read the upload', async () => {
			emulator.faults.dropConnection('upload', 1, { afterBodyReceived: true });
			const error = await failure({});
			expect(error.message).toMatch(/the import may or may not have been queued/);
			expect(error.description).toMatch(/Data → Import Cases from Excel/);
			expect(uploadRequests()).toHaveLength(1);
			expect(emulator.imports.size).toBe(1);
		});
	});

	describe('refused before any request', () => {
		it('refuses an unsupported file type, naming it', async () => {
			const error = await failure({ items: [binaryItem(Buffer.from('%PDF-1.4'), 'report.pdf')] });
			expect(error.message).toBe(
				"The file 'report.pdf' is of type '.pdf', which CommCare cannot import (supported: .xlsx, .xls, .csv)",
			);
			expect(emulator.requests).toHaveLength(0);
		});

		it('lists the binary fields the item has when the named one is missing', async () => {
			const item = binaryItem(await xlsxFile(patients), 'patients.xlsx', { property: 'attachment' });
			const error = await failure({ items: [item] });
			expect(error.message).toBe("Item 1 has no binary field 'data'; its binary fields are: 'attachment'");
			expect(emulator.requests).toHaveLength(0);
		});

		it('says so when the item has no binary data at all', async () => {
			const error = await failure({ items: [{ json: { name: 'x' } }] });
			expect(error.message).toBe("Item 1 has no binary data, so there is no file in 'data' to upload");
			expect(emulator.requests).toHaveLength(0);
		});

		it('refuses an invalid project space with a suggestion', async () => {
			const error = await failure({ parameters: { projectSpace: 'Demo Project' } });
			expect(error.message).toBe(
				"The project space 'Demo Project' is not a CommCare project space name (found a space). Did you mean 'demo-project'?",
			);
			expect(emulator.requests).toHaveLength(0);
		});

		it('refuses a credential whose Base URL is not a web address', async () => {
			const error = await failure({ credentials: apiKeyCredential({ baseUrl: 'commcare.example.org' }) });
			expect(error.message).toBe(
				"CommCare API credential: The Base URL 'commcare.example.org' does not start with https://",
			);
			expect(emulator.requests).toHaveLength(0);
		});
	});

	describe('continue on fail', () => {
		it('turns a failed item into an error item with its context, and carries on', async () => {
			const good = binaryItem(await xlsxFile(patients), 'good.xlsx', { json: { batch: 1 } });
			const bad = binaryItem(Buffer.from('x'), 'notes.txt', { json: { batch: 2 } });
			const { outputs } = await run({ items: [bad, good], continueOnFail: true });
			expect(outputs[0]).toHaveLength(2);

			const [errorItem, okItem] = outputs[0];
			expect(errorItem.pairedItem).toEqual({ item: 0 });
			expect(errorItem.json).toEqual({
				error: "The file 'notes.txt' is of type '.txt', which CommCare cannot import (supported: .xlsx, .xls, .csv)",
				message: "The file 'notes.txt' is of type '.txt', which CommCare cannot import (supported: .xlsx, .xls, .csv)",
				description: expect.stringContaining('.xlsx'),
				httpCode: null,
				itemIndex: 0,
				projectSpace: 'demo',
				caseType: 'patient',
				source: 'binary',
				binaryPropertyName: 'data',
				fileName: 'notes.txt',
			});
			// n8n's error output recognises an error item by `item.error` once it carries more than error/message keys.
			expect(errorItem.error).toBeDefined();
			expect(errorItem.error?.message).toBe(errorItem.json.error);

			expect(okItem.pairedItem).toEqual({ item: 1 });
			expect(okItem.json.status_url).toEqual(expect.any(String));
			expect(okItem.error).toBeUndefined();
		});

		it('carries the HTTP status of a server error and no secret', async () => {
			const wrongKey = 'wrong-key-0123456789abcdef';
			const { outputs } = await run({ credentials: apiKeyCredential({ apiKey: wrongKey }), continueOnFail: true });
			const [item] = outputs[0];
			expect(item.json).toMatchObject({ httpCode: '401', fileName: 'patients.xlsx', projectSpace: 'demo' });
			expect(JSON.stringify(item.json)).not.toContain(wrongKey);
			expect(JSON.stringify(item.error)).not.toContain(wrongKey);
		});
	});
});

describe('errors name the item only when one item is at fault', () => {
	it('a setting read once for all input items (an empty Case Type) names no item, so n8n adds no "[item 0]"', async () => {
		const error = (await failure({
			parameters: { source: 'items', caseType: '' },
			items: [{ json: { name: 'Asha' } }, { json: { name: 'Baraka' } }],
		})) as { message: string; context?: { itemIndex?: number } };
		expect(error.message).toBe('The case type is empty');
		expect(error.context?.itemIndex).toBeUndefined();
		expect(uploadRequests()).toEqual([]);
	});

	it("a file's own setting still names its item", async () => {
		const error = (await failure({ parameters: { caseType: '' } })) as { context?: { itemIndex?: number } };
		expect(error.context?.itemIndex).toBe(0);
	});
});
