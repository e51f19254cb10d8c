/** A credential with a key and a password to find, for the unit tests of what the credential redacts. */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

/** As a user might type it: a slash after the Base URL, spaces around the username and the key. */
export const SECRET_CREDENTIAL: ICredentialDataDecryptedObject = {
	baseUrl: 'https://www.commcarehq.org/',
	authType: 'apiKey',
	username: ' me@example.org ',
	apiKey: ' 0123456789abcdef0123456789abcdef01234567 ',
	password: 'hunter2-Zq7x!Pw',
};
