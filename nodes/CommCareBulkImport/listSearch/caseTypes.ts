/**
 * The Case Type list of the chosen project space (docs/commcare-api.md §10): the case types of its applications'
 * modules (Application Structure API; needs the plan's API access and "Access APIs") merged with the types that have
 * cases (`domain_cases`; needs "Access APIs"). Either source alone fills the list; a failure is shown only when
 * neither gives a type.
 */
import type { ILoadOptionsFunctions, INodeListSearchItems, INodeListSearchResult } from 'n8n-workflow';

import { caseApiBase } from '../../shared/transport/addresses';
import { getCommCareCredentials, type CommCareCredentials } from '../../shared/transport/credentials';
import type { CommCareResponse } from '../../shared/transport/response';
import {
	allPages,
	answered,
	chosenProjectSpace,
	filtered,
	getForList,
	listError,
	tastypiePage,
} from '../../shared/listSearch/listRequest';

interface Application {
	modules?: Array<{ case_type?: unknown }>;
}

/** Why a source gave no types, in words, or the types it gave. */
type SourceAnswer = { types: string[] } | { problem: string };

function refusalText(response: CommCareResponse, credentials: CommCareCredentials, space: string): string {
	const error = (response.json as { error?: unknown } | undefined)?.error;
	if (response.statusCode === 401 && typeof error === 'string' && /subscription/i.test(error)) {
		return `${space}'s CommCare plan does not include API access ("${error}")`;
	}
	if (response.statusCode === 401) {
		return `CommCare refused the credential (HTTP 401): check the username and API key or password`;
	}
	if (response.statusCode === 403) {
		return `user '${credentials.username}' is not a web user of ${space} with the "Access APIs" permission (HTTP 403; a project administrator grants it in Users → Roles & Permissions)`;
	}
	return `CommCare answered ${answered(response, credentials)}`;
}

async function applicationCaseTypes(
	ctx: ILoadOptionsFunctions,
	credentials: CommCareCredentials,
	apiBase: string,
	space: string,
): Promise<SourceAnswer> {
	// Not paginated: every application in one answer.
	const response = await getForList(ctx, credentials, `${apiBase}/application/v1/`, 'case types');
	const page = tastypiePage<Application>(response);
	if (!page) return { problem: refusalText(response, credentials, space) };
	const types = page.objects.flatMap((app) => (Array.isArray(app.modules) ? app.modules : []));
	// A module CommCare could not describe is `{ error }`, without a case type.
	return { types: types.map((module) => module.case_type).filter((type): type is string => typeof type === 'string') };
}

async function typesWithCases(
	ctx: ILoadOptionsFunctions,
	credentials: CommCareCredentials,
	apiBase: string,
	space: string,
): Promise<SourceAnswer> {
	const listed = await allPages<{ case_type?: unknown }>(ctx, credentials, `${apiBase}/domain_cases/v1/`, 'case types');
	if ('refused' in listed) return { problem: refusalText(listed.refused, credentials, space) };
	return {
		types: listed.objects.map((entry) => entry.case_type).filter((type): type is string => typeof type === 'string'),
	};
}

export async function searchCaseTypes(ctx: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const projectSpace = chosenProjectSpace(ctx);
	const credentials = await getCommCareCredentials(ctx);
	const space = `project space '${projectSpace}'`;
	const apiBase = caseApiBase(null, credentials.baseUrl, projectSpace);
	const [fromApps, fromCases] = await Promise.all([
		applicationCaseTypes(ctx, credentials, apiBase, space),
		typesWithCases(ctx, credentials, apiBase, space),
	]);
	const names = new Set<string>();
	for (const answer of [fromApps, fromCases]) {
		if ('types' in answer) answer.types.filter((type) => type.trim() !== '').forEach((type) => names.add(type));
	}
	if (names.size === 0) {
		const problems = [fromApps, fromCases].flatMap((answer) => ('problem' in answer ? [answer.problem] : []));
		if (problems.length > 0) {
			throw listError(
				ctx,
				`Could not list the case types of ${space}: ${problems[0]}`,
				problems.length > 1 ? `Listing the types that have cases also failed: ${problems[1]}.` : '',
			);
		}
		throw listError(
			ctx,
			`${space[0].toUpperCase()}${space.slice(1)} has no case types yet`,
			'Its applications define none and it holds no cases. Importing with a new case type creates cases of that type.',
		);
	}
	const results: INodeListSearchItems[] = [...names]
		.sort((a, b) => a.localeCompare(b))
		.map((type) => ({ name: type, value: type }));
	return { results: filtered(results, filter) };
}
