/**
 * The tastypie resources an editor lists from (docs/commcare-api.md §10): the user's project spaces
 * (`user_domains`), a project's applications with their modules' case types (Application Structure API) and the case
 * types that have cases (`domain_cases`). Each answers its failures the way its own decorators do, which differ.
 */
import type { KnownUser } from './auth';
import type { InMemoryCaseStore } from './caseStore';
import { emptyResponse, escapeHtml, type EmulatorResponse } from './djangoPages';
import { pythonJsonDumps } from './pythonFormat';
import type { EmulatorApplication, EmulatorDomain } from './types';

export const LIST_MESSAGES = {
	/** `UserDomainsResource.dispatch_list` turns every authentication failure into this (text/plain). */
	userDomainsUnauthorized: 'Username or API Key is incorrect, expired or deactivated',
	noApiAccess: 'Your current subscription does not have access to this feature',
	invalidLimit: (value: string) => `Invalid limit '${value}' provided. Please provide a positive integer.`,
	invalidOffset: (value: string) => `Invalid offset '${value}' provided. Please provide a positive integer.`,
	unknownFeatureFlag: (slug: string) => `'${slug}' is not a valid feature flag`,
} as const;

/** Tastypie's JSON serializer sorts keys. */
function tastypieJson(status: number, body: unknown): EmulatorResponse {
	return { status, headers: { 'Content-Type': 'application/json' }, body: pythonJsonDumps(body, true) };
}

const tastypieError = (status: number, error: string) => tastypieJson(status, { error: escapeHtml(error) });

/**
 * Tastypie's `Paginator`: `limit` (default per resource; 0 or over `maxLimit` means `maxLimit`), `offset`, and
 * `next`/`previous` as the resource's path with both in the query.
 */
function paginate<T>(
	objects: T[],
	query: Record<string, string>,
	path: string,
	defaultLimit: number,
	maxLimit = 1000,
): EmulatorResponse {
	const parse = (name: 'limit' | 'offset', fallback: number): number | EmulatorResponse => {
		const raw = query[name];
		if (raw === undefined) return fallback;
		if (!/^\d+$/.test(raw.trim())) {
			return tastypieError(400, name === 'limit' ? LIST_MESSAGES.invalidLimit(raw) : LIST_MESSAGES.invalidOffset(raw));
		}
		return Number(raw.trim());
	};
	const askedLimit = parse('limit', defaultLimit);
	if (typeof askedLimit !== 'number') return askedLimit;
	const offset = parse('offset', 0);
	if (typeof offset !== 'number') return offset;
	const limit = askedLimit === 0 || askedLimit > maxLimit ? maxLimit : askedLimit;
	const page = (at: number) => `${path}?limit=${limit}&offset=${at}`;
	return tastypieJson(200, {
		meta: {
			limit,
			next: offset + limit < objects.length ? page(offset + limit) : null,
			offset,
			previous: offset > 0 ? page(Math.max(0, offset - limit)) : null,
			total_count: objects.length,
		},
		objects: objects.slice(offset, offset + limit),
	});
}

/**
 * `GET /api/user_domains/v1/`: web users only, every failure a plain-text 401. Lists the user's project spaces in
 * membership order, leaving out those whose plan lacks the integration privilege.
 */
export function answerUserDomains(
	user: KnownUser | undefined,
	domains: Record<string, EmulatorDomain>,
	query: Record<string, string>,
	path: string,
): EmulatorResponse {
	if (!user || !user.webUser) {
		return { status: 401, headers: { 'Content-Type': 'text/plain' }, body: LIST_MESSAGES.userDomainsUnauthorized };
	}
	// The emulator knows no feature flags: any slug is unknown.
	if (query.feature_flag) return tastypieError(400, LIST_MESSAGES.unknownFeatureFlag(query.feature_flag));
	const listed = user.domains.filter((name) => name in domains && domains[name].listedForIntegrations !== false);
	const objects = listed.map((name) => ({ domain_name: name, project_name: domains[name].projectName || name }));
	return paginate(objects, query, path, 20);
}

/** The applications of a project: its own, or one app with a module per case type it declares. */
export function applicationsOf(domain: string, config: EmulatorDomain): EmulatorApplication[] {
	if (config.applications) return config.applications;
	if (config.caseTypes.length === 0) return [];
	return [
		{
			id: `app-${domain}`,
			name: `${domain} app`,
			modules: config.caseTypes.map((caseType) => ({ name: `${caseType}s`, caseType })),
		},
	];
}

/**
 * `GET /a/<domain>/api/application/v1/`: the plan's API access is checked before authentication (401 JSON), then
 * GET only, then credentials (401, empty), membership of a web user (403, empty) and "Access APIs" (403, empty).
 * Every working copy, unpaginated.
 */
export function answerApplications(
	user: KnownUser | undefined,
	method: string,
	domain: string,
	config: EmulatorDomain | undefined,
): EmulatorResponse {
	if (!config || config.apiAccess === false) return tastypieError(401, LIST_MESSAGES.noApiAccess);
	if (method !== 'GET') return { status: 405, headers: { 'Content-Type': 'text/html', Allow: 'GET' }, body: 'GET' };
	if (!user) return emptyResponse(401);
	if (!user.webUser || !user.domains.includes(domain) || !user.canAccessApi) return emptyResponse(403);
	const apps = applicationsOf(domain, config);
	return tastypieJson(200, {
		meta: { limit: null, next: null, offset: 0, previous: null, total_count: apps.length },
		objects: apps.map((app, appIndex) => ({
			build_comment: null,
			built_from_app_id: null,
			built_on: null,
			id: app.id ?? `app-${domain}-${appIndex}`,
			is_released: false,
			modules: app.modules.map((module, moduleIndex) =>
				'error' in module
					? { error: module.error }
					: {
							case_properties: [...new Set(['name', ...(module.caseProperties ?? [])])].sort(),
							case_type: module.caseType,
							forms: [],
							name: { en: module.name },
							unique_id: `module-${appIndex}-${moduleIndex}`,
						},
			),
			name: app.name,
			resource_uri: `/a/${domain}/api/application/v1/${app.id ?? `app-${domain}-${appIndex}`}/`,
			version: 1,
			versions: [],
		})),
	});
}

/**
 * `GET /a/<domain>/api/domain_cases/v1/`: "Access APIs" required (401 or 403, empty), no plan check. The case types
 * that have at least one case, closed ones included, in no particular order (CommCare answers a Python set).
 */
export function answerDomainCases(
	user: KnownUser | undefined,
	domain: string,
	config: EmulatorDomain | undefined,
	cases: InMemoryCaseStore,
	query: Record<string, string>,
	path: string,
): EmulatorResponse {
	if (!user) return emptyResponse(401);
	if (!config || !user.webUser || !user.domains.includes(domain) || !user.canAccessApi) return emptyResponse(403);
	const types = [...new Set(cases.all(domain).map((found) => found.case_type))].reverse();
	return paginate(
		types.map((caseType) => ({ case_type: caseType, placeholder: '' })),
		query,
		path,
		100,
	);
}
