/**
 * The Project Space list: `GET /api/user_domains/v1/` (docs/commcare-api.md §10), the project spaces the
 * credential's web user belongs to. CommCare leaves out projects whose plan lacks its integration privilege and
 * answers every authentication failure, a mobile worker's included, with the same 401.
 */
import type { ILoadOptionsFunctions, INodeListSearchResult, INodeProperties } from 'n8n-workflow';

import { PROJECT_SPACE_PATTERN } from '../projectSpace';

import { getCommCareCredentials } from '../transport/credentials';
import { allPages, answered, filtered, listError } from './listRequest';

interface UserDomain {
	domain_name?: unknown;
	project_name?: unknown;
}

/** The Project Space parameter as the editor shows it: from this list, or typed by name (checked as typed). */
export const PROJECT_SPACE_LOCATOR: INodeProperties = {
	displayName: 'Project Space',
	name: 'projectSpace',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	required: true,
	description:
		'The CommCare project space (domain), as in the address https://www.commcarehq.org/a/&lt;project-space&gt;/',
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			placeholder: 'Select a project space...',
			typeOptions: { searchListMethod: 'searchProjectSpaces', searchable: true },
		},
		{
			displayName: 'By Name',
			name: 'name',
			type: 'string',
			placeholder: 'e.g. my-project',
			validation: [
				{
					type: 'regex',
					properties: {
						regex: PROJECT_SPACE_PATTERN,
						errorMessage:
							'Project space names use lower-case letters, digits and hyphens, as in https://www.commcarehq.org/a/my-project/',
					},
				},
			],
		},
	],
};

const TYPED_NAME = 'as in the address https://www.commcarehq.org/a/<project-space>/';

export async function searchProjectSpaces(ctx: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const credentials = await getCommCareCredentials(ctx);
	const listed = await allPages<UserDomain>(
		ctx,
		credentials,
		`${credentials.baseUrl}/api/user_domains/v1/`,
		'project spaces',
	);
	if ('refused' in listed) {
		const response = listed.refused;
		if (response.statusCode === 401) {
			throw listError(
				ctx,
				`CommCare would not list project spaces for user '${credentials.username}' (HTTP 401)`,
				"CommCare lists project spaces only for a web user's valid API key or password: a wrong or expired key, or a mobile worker's login, gets this answer. The credential's test says which.",
			);
		}
		throw listError(
			ctx,
			`CommCare did not answer with a list of project spaces (${answered(response, credentials)})`,
			"Check the credential's Base URL.",
		);
	}
	const results = listed.objects
		.filter((entry): entry is { domain_name: string; project_name?: unknown } => typeof entry.domain_name === 'string')
		.map((entry) => {
			const domain = entry.domain_name;
			const title = typeof entry.project_name === 'string' ? entry.project_name.trim() : '';
			return {
				name: title && title !== domain ? `${title} (${domain})` : domain,
				value: domain,
				url: `${credentials.baseUrl}/a/${encodeURIComponent(domain)}/`,
			};
		});
	if (results.length === 0) {
		throw listError(
			ctx,
			`CommCare lists no project space for user '${credentials.username}'`,
			`CommCare lists only the project spaces whose plan includes API integrations, so a project on another plan is left out even when you are a member. Type its name ${TYPED_NAME}.`,
		);
	}
	return { results: filtered(results, filter) };
}
