/**
 * The credential as the nodes use it (shared/transport/credentials.ts): the Base URL and the username tidied, the
 * secrets known.
 */
import { REDACTED } from '../../../../nodes/shared/redaction';
import { commCareCredentialsFrom } from '../../../../nodes/shared/transport/credentials';
import { SECRET_CREDENTIAL } from '../../../support/unitCredentials';

describe('secrets', () => {
	const credentials = commCareCredentialsFrom(SECRET_CREDENTIAL);

	it('tidies the Base URL and username, and knows the key and password to redact', () => {
		expect(credentials.baseUrl).toBe('https://www.commcarehq.org');
		expect(credentials.username).toBe('me@example.org');
		const text = credentials.redactor.text(
			`key 0123456789abcdef0123456789abcdef01234567, password hunter2-Zq7x!Pw, basic ${Buffer.from('me@example.org:hunter2-Zq7x!Pw').toString('base64')}`,
		);
		expect(text).toBe(`key ${REDACTED}, password ${REDACTED}, basic ${REDACTED}`);
	});
});
