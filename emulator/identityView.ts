/**
 * The tastypie resource the credential test calls: `identity` (web users only). Tastypie's JSON serializer sorts
 * keys. (`user_domains`, also under /api/, is in listsView.ts.)
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
