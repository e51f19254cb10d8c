/**
 * `load_owner_ids` of a lookup-table upload: usernames completed to `<name>@<domain>.commcarehq.org` (whitespace
 * runs become dots, lowercased, then checked as an e-mail address: a full address such as `a@b.org` is therefore
 * invalid), groups by exact name, locations by lowercased name or by site code (a name shared by two locations is
 * ambiguous, a site code wins over a name).
 */
import type { LookupTableOwners } from '../types';

export interface OwnerNames {
	user: Set<string>;
	group: Set<string>;
	location: Set<string>;
}

/** What names the owner in the store: the full username, the group name, the location's site code. */
export type FoundOwner = { key: string };
export type OwnerLookup = Map<string, FoundOwner | 'INVALID' | 'MULTIPLE'>;

export interface OwnerDirectory {
	users: string[];
	groups: string[];
	locations: Array<{ name: string; site_code: string }>;
}

export function ownerDirectory(owners: LookupTableOwners | undefined): OwnerDirectory {
	return { users: owners?.users ?? [], groups: owners?.groups ?? [], locations: owners?.locations ?? [] };
}

/** Django's `EmailValidator` user part (dot-atom; quoted forms left out). */
const EMAIL_USER = /^[-!#$%&'*+/=?^_`{}|~0-9a-z]+(\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*$/i;

/** `normalize_username(name, domain)`; undefined where it raises ValidationError. */
export function normalizeUsername(name: string, domain: string): string | undefined {
	if (!name) return undefined;
	const local = name.replace(/\s+/gu, '.').toLowerCase();
	const username = `${local}@${domain}.commcarehq.org`.toLowerCase();
	const at = username.lastIndexOf('@');
	return EMAIL_USER.test(username.slice(0, at)) ? username : undefined;
}

export function resolveOwners(
	names: OwnerNames,
	domain: string,
	directory: OwnerDirectory,
): { user: OwnerLookup; group: OwnerLookup; location: OwnerLookup } {
	const user: OwnerLookup = new Map();
	const known = new Set(directory.users.map((username) => username.toLowerCase()));
	for (const raw of names.user) {
		const username = normalizeUsername(raw, domain);
		if (username === undefined) user.set(raw, 'INVALID');
		else if (known.has(username)) user.set(raw, { key: username });
	}
	const group: OwnerLookup = new Map();
	for (const name of names.group) if (directory.groups.includes(name)) group.set(name, { key: name });
	const location: OwnerLookup = new Map();
	const byName = new Map<string, FoundOwner | 'MULTIPLE'>();
	const byCode = new Map<string, FoundOwner>();
	for (const found of directory.locations) {
		const lowered = found.name.toLowerCase();
		if (names.location.has(lowered)) byName.set(lowered, byName.has(lowered) ? 'MULTIPLE' : { key: found.site_code });
		if (names.location.has(found.site_code)) byCode.set(found.site_code, { key: found.site_code });
	}
	for (const [name, found] of byName) location.set(name, found);
	for (const [code, found] of byCode) location.set(code, found);
	return { user, group, location };
}
