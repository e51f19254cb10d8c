/** Credential type name, stored in users' workflows. */
export const CREDENTIAL_TYPE = 'commCareApi';
