import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
	Icon,
} from 'n8n-workflow';

/**
 * CommCare HQ credential. API key is the recommended scheme (it bypasses two-factor checks); Basic uses the web
 * user's real password. The test request calls the identity endpoint, which answers 401 for a wrong key.
 */
export class CommCareApi implements ICredentialType {
	name = 'commCareApi';

	displayName = 'CommCare API';

	icon: Icon = { light: 'file:commcare.svg', dark: 'file:commcare.dark.svg' };

	documentationUrl = 'https://commcare-hq.readthedocs.io/api/bulk-upload-cases.html';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://www.commcarehq.org',
			placeholder: 'https://www.commcarehq.org',
			description:
				'Your CommCare HQ server. Other environments: https://india.commcarehq.org, https://swiss.commcarehq.org, or your own server. Credentials are only ever sent to this origin.',
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
			placeholder: 'name@example.org',
			description:
				"The web user login (usually an email address) or a mobile worker's full username (name@project.commcarehq.org). CommCare's identity API, which the credential test calls, answers only web users: for a mobile worker the test fails even though imports work.",
			required: true,
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			hint: 'In CommCare HQ open your name (top right) → My Account Settings → API Keys, and generate a key. API access needs a CommCare plan that includes it and the Edit Data permission in the project space.',
			displayOptions: { show: { authType: ['apiKey'] } },
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			hint: 'Your CommCare HQ password. Projects that require two-factor authentication reject it: use an API key instead.',
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
					message:
						'CommCare rejected the username or API key (HTTP 401): check both (with Basic, the password; a project with two-factor authentication needs an API key). A mobile worker always fails this test, which only web users pass, yet its imports work.',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message:
						'No CommCare API at this Base URL (HTTP 404): enter the server address only, such as https://www.commcarehq.org, without /a/<project>.',
				},
			},
		],
	};
}
