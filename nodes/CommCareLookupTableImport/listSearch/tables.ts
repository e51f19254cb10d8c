/**
 * The Table list of the editor: the lookup tables of the chosen project space (`lookup_table` API; needs the plan's
 * API access and "Access APIs"), each named by its table id, owned tables marked, with its number of fields. A table
 * that does not exist yet is typed by its id: the upload creates it.
 */
import type { ILoadOptionsFunctions, INodeListSearchItems, INodeListSearchResult } from 'n8n-workflow';

import { allPages, answered, chosenProjectSpace, filtered, listError } from '../../shared/listSearch/listRequest';
import { getCommCareCredentials, type CommCareCredentials } from '../../shared/transport/credentials';
import type { CommCareResponse } from '../../shared/transport/response';
import { plural } from '../../shared/wording';
import { tableDefinition } from '../current/apiShapes';

const TYPE_THE_ID = 'Type the table id instead: the upload creates a table that does not exist yet.';

function refusalText(response: CommCareResponse, credentials: CommCareCredentials, space: string): string {
	const error = (response.json as { error?: unknown } | undefined)?.error;
	if (response.statusCode === 401 && typeof error === 'string' && /subscription/i.test(error)) {
		return `${space}'s CommCare plan does not include API access ("${error}")`;
	}
	if (response.statusCode === 401) {
		return 'CommCare refused the credential (HTTP 401): check the username and API key or password';
	}
	if (response.statusCode === 403) {
		return `user '${credentials.username}' is not a web user of ${space} with the "Access APIs" permission (HTTP 403; a project administrator grants it in Users → Roles & Permissions)`;
	}
	if (response.isHtml && response.statusCode >= 200 && response.statusCode < 300) {
		return `CommCare answered with a web page (${answered(response, credentials)}): ${space}'s plan probably does not include API access`;
	}
	return `CommCare answered ${answered(response, credentials)}`;
}

export async function searchLookupTables(ctx: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const projectSpace = chosenProjectSpace(ctx, 'By ID');
	const credentials = await getCommCareCredentials(ctx);
	const space = `project space '${projectSpace}'`;
	const listUrl = `${credentials.baseUrl}/a/${encodeURIComponent(projectSpace)}/api/lookup_table/v1/`;
	const listed = await allPages<unknown>(ctx, credentials, listUrl, 'lookup tables');
	if ('refused' in listed) {
		throw listError(
			ctx,
			`Could not list the lookup tables of ${space}: ${refusalText(listed.refused, credentials, space)}`,
			TYPE_THE_ID,
			'By ID',
		);
	}
	const tables = listed.objects.flatMap((entry) => {
		const table = tableDefinition(entry);
		return table && table.definition.tag.trim() !== '' ? [table.definition] : [];
	});
	if (tables.length === 0) {
		throw listError(ctx, `${space[0].toUpperCase()}${space.slice(1)} has no lookup tables yet`, TYPE_THE_ID, 'By ID');
	}
	const results: INodeListSearchItems[] = tables
		.sort((a, b) => a.tag.localeCompare(b.tag))
		.map((table) => ({
			name: `${table.tag} (${table.isGlobal ? '' : 'owned, '}${plural(table.fields.length, 'field')})`,
			value: table.tag,
		}));
	return { results: filtered(results, filter) };
}
