/**
 * Credential checks of the upload and status views (CommCare's `api_auth()` decorator, docs/commcare-api.md §2) and of the
 * tastypie identity resources. Each check returns either the user or the exact failure answer.
 */
import { createHash, randomBytes } from 'node:crypto';
import { badRequestText, emptyResponse, noPermissionResponse, type EmulatorResponse } from './djangoPages';
import type { EmulatorUser } from './types';

/** A configured user with every default filled in. */
export interface KnownUser {
	id: string;
	username: string;
	apiKey?: string;
	password?: string;
	domains: string[];
	canEditData: boolean;
	canAccessApi: boolean;
	canEditApps: boolean;
	webUser: boolean;
	firstName: string;
	lastName: string;
}

export function toKnownUser(user: EmulatorUser): KnownUser {
	return {
		// Deterministic so tests can predict a user's id (identity endpoint, owner_id cells).
		id: user.id ?? createHash('md5').update(user.username).digest('hex'),
		username: user.username,
		apiKey: user.apiKey,
		password: user.password,
		domains: [...user.domains],
		canEditData: user.canEditData ?? true,
		canAccessApi: user.canAccessApi ?? true,
		canEditApps: user.canEditApps ?? true,
		webUser: user.webUser ?? true,
		firstName: user.firstName ?? '',
		lastName: user.lastName ?? '',
	};
}

export type AuthOutcome = { ok: true; user: KnownUser } | { ok: false; response: EmulatorResponse };

export interface CredentialSources {
	authorization: string | undefined;
	/** Query-string parameters, then form fields: `api_auth()` accepts `username` + `api_key` from either. */
	query: Record<string, string>;
	form: Record<string, string>;
}

function digestChallenge(): EmulatorResponse {
	const nonce = randomBytes(16).toString('hex');
	const opaque = randomBytes(16).toString('hex');
	return {
		status: 401,
		headers: {
			'Content-Type': 'text/html; charset=utf-8',
			'WWW-Authenticate': `Digest nonce="${nonce}", realm="DJANGO", algorithm="MD5", opaque="${opaque}", qop="auth", stale="false"`,
		},
		body: 'Authorization Required',
	};
}

const unauthorized = (): EmulatorResponse => emptyResponse(401);
const basicUnauthorized = (): EmulatorResponse => emptyResponse(401, { 'WWW-Authenticate': 'Basic realm=""' });

function parseApiKeyHeader(header: string): { username: string; key: string } | undefined {
	// tastypie: `auth_type, data = header.split()` then `data.split(':', 1)`
	const parts = header.trim().split(/\s+/);
	if (parts.length !== 2) return undefined;
	const separator = parts[1].indexOf(':');
	if (separator < 0) return undefined;
	return { username: parts[1].slice(0, separator), key: parts[1].slice(separator + 1) };
}

function parseBasicHeader(header: string): { username: string; password: string } | undefined {
	const encoded = header.trim().split(/\s+/)[1] ?? '';
	const decoded = Buffer.from(encoded, 'base64').toString('utf8');
	const separator = decoded.indexOf(':');
	if (separator < 0) return undefined;
	return { username: decoded.slice(0, separator), password: decoded.slice(separator + 1) };
}

export class Authenticator {
	constructor(private readonly users: KnownUser[]) {}

	findByUsername(username: string): KnownUser | undefined {
		return this.users.find((u) => u.username === username);
	}

	findById(id: string): KnownUser | undefined {
		return this.users.find((u) => u.id === id);
	}

	membersOf(domain: string): KnownUser[] {
		return this.users.filter((u) => u.domains.includes(domain));
	}

	private checkApiKey(username: string, key: string): KnownUser | undefined {
		const user = this.findByUsername(username);
		return user && user.apiKey !== undefined && user.apiKey === key ? user : undefined;
	}

	/** `api_auth()`: who is calling (no membership check yet). */
	authenticate(sources: CredentialSources): AuthOutcome {
		const header = sources.authorization;
		if (header) {
			const scheme = header.toLowerCase();
			if (scheme.startsWith('apikey ')) {
				const creds = parseApiKeyHeader(header);
				if (!creds) return { ok: false, response: badRequestText('Bad HTTP_AUTHORIZATION header') };
				const user = this.checkApiKey(creds.username, creds.key);
				return user ? { ok: true, user } : { ok: false, response: unauthorized() };
			}
			if (scheme.startsWith('basic ')) {
				const creds = parseBasicHeader(header);
				const user = creds && this.findByUsername(creds.username);
				// Real password only: an API key as the Basic password is refused on these views.
				if (user && user.password !== undefined && creds && user.password === creds.password) return { ok: true, user };
				return { ok: false, response: basicUnauthorized() };
			}
			if (scheme.startsWith('bearer ')) return { ok: false, response: unauthorized() };
			// `Digest …` (not implemented: never accepted) and unknown schemes fall back to the Digest default.
			return { ok: false, response: digestChallenge() };
		}
		const username = sources.query.username ?? sources.form.username;
		const apiKey = sources.query.api_key ?? sources.form.api_key;
		if (username !== undefined && apiKey !== undefined) {
			const user = this.checkApiKey(username, apiKey);
			return user ? { ok: true, user } : { ok: false, response: unauthorized() };
		}
		return { ok: false, response: digestChallenge() };
	}

	/** Tastypie resources (identity, user_domains): any failure is an empty 401. */
	authenticateApiResource(sources: CredentialSources): KnownUser | undefined {
		const outcome = this.authenticate(sources);
		return outcome.ok ? outcome.user : undefined;
	}
}

/** The membership half of `api_auth()`: unknown project spaces look the same as foreign ones. */
export function checkMembership(user: KnownUser, domain: string, domainExists: boolean): EmulatorResponse | undefined {
	return domainExists && user.domains.includes(domain) ? undefined : emptyResponse(403);
}

/** `require_permission(edit_data)`. */
export function checkEditData(user: KnownUser, isXhr: boolean): EmulatorResponse | undefined {
	return user.canEditData ? undefined : noPermissionResponse(isXhr);
}

/** `require_permission(access_api)`: the role's "Access APIs" permission, same answer as edit_data's. */
export function checkAccessApi(user: KnownUser, isXhr: boolean): EmulatorResponse | undefined {
	return user.canAccessApi ? undefined : noPermissionResponse(isXhr);
}
