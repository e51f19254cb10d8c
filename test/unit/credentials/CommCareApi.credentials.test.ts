/** The `commCareApi` credential (CommCareApi.credentials.ts): the Authorization header it sends, its test request. */
import { CommCareApi } from '../../../credentials/CommCareApi.credentials';
import { CommCareBulkImport } from '../../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { CommCareImportStatus } from '../../../nodes/CommCareImportStatus/CommCareImportStatus.node';
import { CREDENTIAL_TYPE } from '../../../nodes/shared/transport/credentialType';

const credential = new CommCareApi();
const request = {
	url: 'https://www.commcarehq.org/a/demo/',
	method: 'GET' as const,
	headers: { Accept: 'application/json' },
};

describe('CommCareApi credential', () => {
	it('is the public contract: name, properties, default base URL', () => {
		expect(credential.name).toBe('commCareApi');
		// The nodes ask for it (and send requests with it) by the one constant.
		expect(CREDENTIAL_TYPE).toBe(credential.name);
		for (const node of [new CommCareBulkImport(), new CommCareImportStatus()]) {
			expect(node.description.credentials).toEqual([{ name: credential.name, required: true }]);
		}
		expect(credential.properties.map((p) => p.name)).toEqual([
			'baseUrl',
			'authType',
			'username',
			'apiKey',
			'password',
			'allowUnauthorizedCerts',
		]);
		expect(credential.properties.find((p) => p.name === 'baseUrl')?.default).toBe('https://www.commcarehq.org');
		for (const secret of ['apiKey', 'password']) {
			expect(credential.properties.find((p) => p.name === secret)?.typeOptions?.password).toBe(true);
		}
	});

	it('sends ApiKey <username>:<key> (trimmed), keeping the other headers', async () => {
		const out = await credential.authenticate(
			{ authType: 'apiKey', username: ' me@example.org ', apiKey: ' abc123 ', password: 'unused' },
			request,
		);
		expect(out.headers).toEqual({ Accept: 'application/json', Authorization: 'ApiKey me@example.org:abc123' });
		expect(out.url).toBe(request.url);
		expect(out.skipSslCertificateValidation).toBe(false);
	});

	it('sends HTTP Basic with the password untouched', async () => {
		const out = await credential.authenticate(
			{ authType: 'basicAuth', username: 'me@example.org', apiKey: 'unused', password: ' pass:word ' },
			request,
		);
		const [scheme, encoded] = String(out.headers?.Authorization).split(' ');
		expect(scheme).toBe('Basic');
		expect(Buffer.from(encoded, 'base64').toString('utf8')).toBe('me@example.org: pass:word ');
	});

	it('skips certificate checks only when asked to', async () => {
		const out = await credential.authenticate(
			{ authType: 'apiKey', username: 'u', apiKey: 'k', allowUnauthorizedCerts: true },
			request,
		);
		expect(out.skipSslCertificateValidation).toBe(true);
	});

	it('tests against the identity endpoint', () => {
		expect(credential.test.request).toMatchObject({ url: '/api/identity/v1/', method: 'GET' });
		expect(credential.test.request.baseURL).toMatch(/^=\{\{.*\$credentials\.baseUrl.*\}\}$/);
	});
});
