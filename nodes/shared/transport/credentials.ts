/** The CommCare credential as the nodes use it: its name in n8n, and the two values every request needs. */
import {
	NodeOperationError,
	type ICredentialDataDecryptedObject,
	type IExecuteFunctions,
	type ILoadOptionsFunctions,
} from 'n8n-workflow';
import { InvalidInputError } from '../invalidInputError';
import { Redactor } from '../redaction';
import { CREDENTIAL_TYPE } from './credentialType';
import { normalizeBaseUrl, type BaseUrl } from './addresses';

export interface CommCareCredentials {
	/** Checked and normalised once (see `normalizeBaseUrl`). */
	baseUrl: BaseUrl;
	authType: 'apiKey' | 'basicAuth';
	username: string;
	/** Removes this credential's secrets (and anything shaped like a credential) from text: see redaction.ts. */
	redactor: Redactor;
}

/** Reads the decrypted `commCareApi` data; throws InvalidInputError for a bad Base URL. */
export function commCareCredentialsFrom(data: ICredentialDataDecryptedObject): CommCareCredentials {
	const username = String(data.username ?? '').trim();
	const authType = data.authType === 'basicAuth' ? 'basicAuth' : 'apiKey';
	return { baseUrl: normalizeBaseUrl(data.baseUrl), authType, username, redactor: Redactor.forCredential(data) };
}

export async function getCommCareCredentials(
	ctx: IExecuteFunctions | ILoadOptionsFunctions,
	itemIndex = 0,
): Promise<CommCareCredentials> {
	const data =
		'getInputData' in ctx
			? await ctx.getCredentials(CREDENTIAL_TYPE, itemIndex)
			: await ctx.getCredentials(CREDENTIAL_TYPE);
	try {
		return commCareCredentialsFrom(data);
	} catch (error) {
		const input = error as InvalidInputError;
		throw new NodeOperationError(ctx.getNode(), `CommCare API credential: ${input.message}`, {
			description: input.description,
			itemIndex,
		});
	}
}
