import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
	Icon,
} from 'n8n-workflow';

/** What the credential test says for each refusal: what is wrong, and where to fix it. */
export const TEST_MESSAGES = {
	401: 'The username and API key do not match (HTTP 401). Check the username (your CommCare HQ login) and the key: in CommCare HQ, your name (top right) → My Account Settings → API Keys shows your keys and makes a new one. With Username and Password, check the password; a project with two-factor authentication needs an API key. Mobile workers always fail this test, yet their imports work.',
	403: 'CommCare HQ refused this user (HTTP 403). Use an active web user. Importing then needs membership of the project space with a role that has Edit Data (and Access APIs to look up case IDs): a project administrator grants both in Users → Roles & Permissions.',
	404: 'No CommCare HQ API at this Base URL (HTTP 404). Enter only the server address, e.g. https://www.commcarehq.org: the project space goes in the node, not here (an address copied from a project page ends in /a/<project>/…).',
} as const;

/**
 * CommCare HQ credential. API key is the recommended scheme (it bypasses two-factor checks); Basic uses the web
 * user's real password. The test request calls the identity endpoint, which answers 401 for a wrong key; n8n shows
 * the matching rule's message, so each refusal says what to fix.
 */
export class CommCareApi implements ICredentialType {
	name = 'commCareApi';

	displayName = 'CommCare API';

	icon: Icon = { light: 'file:commcare.svg', dark: 'file:commcare.dark.svg' };

	/** The README's credential section: what to enter, which permissions, and why a mobile worker fails the test. */
	// A page, never a README anchor: n8n appends ?utm_… to the address, after any #fragment, which breaks it.
	documentationUrl = 'https://github.com/n8n-nodes-commcare/n8n-nodes-commcare/blob/main/docs/credential.md';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://www.commcarehq.org',
			placeholder: 'e.g. https://www.commcarehq.org',
			description:
				'The address of your CommCare HQ server only, e.g. https://www.commcarehq.org, https://india.commcarehq.org or your own server. The project space goes in the node. The key is only ever sent to this server.',
			required: true,
		},
		{
			displayName: 'Authentication',
			name: 'authType',
			type: 'options',
			options: [
				{
					name: 'API Key',
					value: 'apiKey',
					description: 'Recommended: works with two-factor authentication',
				},
				{
					name: 'Username and Password (Basic)',
					value: 'basicAuth',
					description: 'Your web user password; fails when the project requires two-factor authentication',
				},
			],
			default: 'apiKey',
		},
		{
			displayName: 'Username',
			name: 'username',
			type: 'string',
			default: '',
			placeholder: 'e.g. name@example.org',
			description: 'Your CommCare HQ login, usually an email address',
			required: true,
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			hint: 'In CommCare HQ: your name (top right) → My Account Settings → API Keys → generate a key',
			displayOptions: { show: { authType: ['apiKey'] } },
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			hint: 'Your CommCare HQ password. Projects that require two-factor authentication refuse it: use an API key there.',
			displayOptions: { show: { authType: ['basicAuth'] } },
		},
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field -- a yes/no switch; the rule reads "Unauthorized" as "auth"
		{
			displayName: 'Ignore SSL Issues (Insecure)',
			name: 'allowUnauthorizedCerts',
			type: 'boolean',
			default: false,
			description:
				"Whether to connect even if the server's TLS certificate cannot be verified, for self-hosted servers with a private certificate",
		},
	];

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		const username = String(credentials.username ?? '').trim();
		const authorization =
			credentials.authType === 'basicAuth'
				? `Basic ${Buffer.from(`${username}:${String(credentials.password ?? '')}`).toString('base64')}`
				: `ApiKey ${username}:${String(credentials.apiKey ?? '').trim()}`;
		return {
			...requestOptions,
			headers: { ...(requestOptions.headers ?? {}), Authorization: authorization },
			skipSslCertificateValidation:
				requestOptions.skipSslCertificateValidation ?? credentials.allowUnauthorizedCerts === true,
		};
	}

	test: ICredentialTestRequest = {
		request: {
			// The same tidying as transport.ts's normalizeBaseUrl: surrounding spaces and trailing slashes go.
			baseURL: '={{ $credentials.baseUrl.trim().replace(/\\/+$/, "") }}',
			url: '/api/identity/v1/',
			method: 'GET',
			headers: { Accept: 'application/json' },
		},
		// n8n shows a matching rule's message in place of the bare status text ("Unauthorized").
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: TEST_MESSAGES[401],
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: TEST_MESSAGES[404],
				},
			},
			{ type: 'responseCode', properties: { value: 403, message: TEST_MESSAGES[403] } },
		],
	};
}
