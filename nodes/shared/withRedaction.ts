import type {
	ICredentialDataDecryptedObject,
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INodeExecutionData,
} from 'n8n-workflow';

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
	const redactor = await redactorOf(ctx);
	try {
		return redactor.outputs(await run());
	} catch (error) {
		throw redactor.error(error);
	}
}

/** The same last step for an editor list: whatever it throws is redacted (its entries are CommCare's names). */
export async function withRedactedErrors<T>(ctx: ILoadOptionsFunctions, run: () => Promise<T>): Promise<T> {
	const redactor = await redactorOf(ctx);
	try {
		return await run();
	} catch (error) {
		throw redactor.error(error);
	}
}

async function redactorOf(ctx: IExecuteFunctions | ILoadOptionsFunctions): Promise<Redactor> {
	try {
		return Redactor.forCredential((await ctx.getCredentials(CREDENTIAL_TYPE)) as ICredentialDataDecryptedObject);
	} catch {
		// No credential: the node itself reports that, if it needs one.
		return SHAPE_REDACTOR;
	}
}
