import type { ICredentialDataDecryptedObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { Redactor, SHAPE_REDACTOR } from './redaction';
import { CREDENTIAL_TYPE } from './transport/credentialType';

/**
 * Runs a node's work and redacts, as the very last step, every output item and whatever it throws: the one place
 * both nodes pass through on the way out, so no path can skip it. Without a usable credential (a dry run, a node
 * without one) there is no secret to know, and credential shapes are still removed.
 */
export async function withRedaction(
	ctx: IExecuteFunctions,
	run: () => Promise<INodeExecutionData[][]>,
): Promise<INodeExecutionData[][]> {
	let redactor = SHAPE_REDACTOR;
	try {
		redactor = Redactor.forCredential((await ctx.getCredentials(CREDENTIAL_TYPE)) as ICredentialDataDecryptedObject);
	} catch {
		// No credential: the node itself reports that, if it needs one.
	}
	try {
		return redactor.outputs(await run());
	} catch (error) {
		throw redactor.error(error);
	}
}
