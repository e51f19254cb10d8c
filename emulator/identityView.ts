/**
 * The tastypie resources used to test credentials (spec, "Identity endpoint"): `identity` (web users only) and
 * `user_domains`. Tastypie's JSON serializer sorts keys.
 */
import type { KnownUser } from './auth';
import { emptyResponse, type EmulatorResponse } from './djangoPages';
import { pythonJsonDumps } from './pythonFormat';

function tastypieJson(body: unknown): EmulatorResponse {
	return { status: 200, headers: { 'Content-Type': 'application/json' }, body: pythonJsonDumps(body, true) };
}

export function answerIdentity(user: KnownUser | undefined): EmulatorResponse {
	if (!user || !user.webUser) return emptyResponse(401);
	return tastypieJson({
		id: user.id,
		username: user.username,
		first_name: user.firstName,
		last_name: user.lastName,
		email: user.username,
	});
}

export function answerUserDomains(user: KnownUser | undefined, knownDomains: string[]): EmulatorResponse {
	if (!user) return emptyResponse(401);
	const domains = user.domains.filter((domain) => knownDomains.includes(domain));
	return tastypieJson({
		meta: { total_count: domains.length },
		objects: domains.map((domain) => ({ domain_name: domain, project_name: domain })),
	});
}
