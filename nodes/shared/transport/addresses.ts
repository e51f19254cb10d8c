/**
 * Where requests may go: the credential's Base URL (checked once), the project space, the URLs built from them, and
 * the same-origin rule every request and every server-given address passes.
 */
import { InvalidInputError } from '../invalidInputError';

/** A Base URL as `normalizeBaseUrl` returns it: checked once, trusted after that (only that function makes one). */
export type BaseUrl = string & { readonly __checked: 'BaseUrl' };

/** A project space name checked once (Bulk Import's settings): put in URLs as it is. */
export type ProjectSpace = string & { readonly __checked: 'ProjectSpace' };

export const DEFAULT_BASE_URL = 'https://www.commcarehq.org';

/**
 * A user-typed or server-given address, fit for a message: without its query or fragment (they may carry tokens)
 * and without anything before an `@` (a `user:password@`, even one whose password holds `/` or `?`).
 */
export function addressForMessage(text: string): string {
	let shown = text.trim();
	const query = shown.search(/[?#]/);
	if (query !== -1) shown = `${shown.slice(0, query)}${shown[query]}…`;
	const at = shown.lastIndexOf('@');
	if (at !== -1) {
		const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(shown)?.[0] ?? '';
		shown = `${scheme}…${shown.slice(at)}`;
	}
	return shown.length > 120 ? `${shown.slice(0, 119)}…` : shown;
}

/** `decodeURIComponent` that gives the text back as it is when its %-escapes are malformed. */
export function decodeSafely(text: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}

/** A `%` not followed by two hex digits: an address no server reads as intended. */
export const MALFORMED_ESCAPE = /%(?![0-9a-f]{2})/i;

/**
 * Checks and tidies the credential's Base URL: trims it and strips trailing slashes. http and https only; no
 * user:password, query or fragment. A path prefix is kept (a self-hosted server may live under one, e.g.
 * `https://example.org/commcare`), but a path into a project space (`/a/<name>/…`) is refused, since the project
 * space is a node parameter. Plain http is allowed (test servers); see `insecureBaseUrlWarning`. Messages never
 * repeat a password or a query the user typed.
 */
export function normalizeBaseUrl(raw: unknown): BaseUrl {
	const text = String(raw ?? '').trim();
	if (!text) {
		throw new InvalidInputError(
			'The CommCare API credential has no Base URL',
			`Type the address of your CommCare HQ server, e.g. ${DEFAULT_BASE_URL}`,
		);
	}
	const shown = addressForMessage(text);
	const beforeQuery = text.split(/[?#]/)[0];
	if (beforeQuery.includes('@')) {
		throw new InvalidInputError(
			'The Base URL must not contain a user name or password',
			"Put the server address only in Base URL (e.g. https://www.commcarehq.org) and the login in the credential's own fields.",
		);
	}
	if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
		throw new InvalidInputError(
			`The Base URL '${shown}' does not start with https://`,
			`Type the full address, e.g. https://${shown.replace(/^\/+/, '')}`,
		);
	}
	if (text.includes('?') || text.includes('#')) {
		throw new InvalidInputError(
			`The Base URL '${shown}' contains a query or fragment (? or #)`,
			`Use the server address only, e.g. ${addressForMessage(beforeQuery).replace(/\/+$/, '')}`,
		);
	}
	if (MALFORMED_ESCAPE.test(text)) {
		throw new InvalidInputError(
			`The Base URL '${shown}' has a '%' that is not followed by two hex digits`,
			`Type the server address as it appears in your browser, e.g. ${DEFAULT_BASE_URL}`,
		);
	}
	const url = parseUrl(text);
	if (!url)
		throw new InvalidInputError(`The Base URL '${shown}' is not a valid web address`, `e.g. ${DEFAULT_BASE_URL}`);
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		throw new InvalidInputError(
			`The Base URL must start with https:// (found '${url.protocol}//')`,
			`CommCare HQ is reached over https, e.g. ${DEFAULT_BASE_URL}`,
		);
	}
	const path = url.pathname.replace(/\/+$/, '');
	const project = /^(.*?)\/a\/([^/]+)/.exec(path);
	if (project) {
		throw new InvalidInputError(
			`The Base URL '${shown}' points into project space '${decodeSafely(project[2])}'`,
			`Use the server address only (${url.origin}${project[1]}) and type the project space in the node.`,
		);
	}
	return `${url.origin}${path}` as BaseUrl;
}

const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * A warning to surface when the Base URL uses plain http to a non-loopback host (the API key and the data travel
 * unencrypted), or undefined.
 */
export function insecureBaseUrlWarning(baseUrl: string): string | undefined {
	const url = new URL(baseUrl);
	if (url.protocol !== 'http:' || LOOPBACK_HOSTS.test(url.hostname)) return undefined;
	return `The credential's Base URL uses plain http (${url.origin}): the API key and the case data travel unencrypted. Use https unless this is a test server.`;
}

/** `POST` target of the Bulk Upload Case Data API. The trailing slash matters (docs/commcare-api.md §1). */
export function bulkUploadUrl(baseUrl: BaseUrl, projectSpace: ProjectSpace): string {
	return `${baseUrl}/a/${encodeURIComponent(projectSpace)}/importer/excel/bulk_upload_api/`;
}

/** `POST` target of CommCare's lookup-table upload API. The trailing slash matters: without it the POST is redirected and lost. */
export function lookupTableUploadUrl(baseUrl: BaseUrl, projectSpace: ProjectSpace): string {
	return `${baseUrl}/a/${encodeURIComponent(projectSpace)}/fixtures/fixapi/`;
}

/**
 * Where the Case API of an import's project space is (`…/a/<project>/api`, no trailing slash): beside its status URL,
 * which names the project space the import ran in and keeps any path prefix of a self-hosted server; from the Base
 * URL and the upload's project space when the status URL has another shape.
 */
export function caseApiBase(statusUrl: string | null, baseUrl: BaseUrl, projectSpace: string): string {
	const url = statusUrl ? parseUrl(statusUrl) : undefined;
	const match = url ? /^(.*?\/a\/[^/]+)\/importer\//.exec(url.pathname) : null;
	if (url && match) return `${url.origin}${match[1]}/api`;
	return `${baseUrl}/a/${encodeURIComponent(projectSpace)}/api`;
}

/** Why an address is never requested: it is not a usable address, or it is on another server. */
export class RefusedAddressError extends InvalidInputError {
	constructor(
		readonly reason: 'invalid' | 'otherOrigin',
		message: string,
		description?: string,
	) {
		super(message, description);
		this.name = 'RefusedAddressError';
	}
}

/**
 * The absolute address a request may go to, or an InvalidInputError saying why not (nothing is sent then):
 * - a path on the server (`/a/demo/…`, as a proxy may rewrite it) is resolved against the Base URL's origin;
 * - it must be a valid http(s) address with well-formed %-escapes and no `user:password@`;
 * - it must be on the Base URL's origin: the credential only goes there.
 * Messages never repeat a query string (it may carry a token). `what` names the address in messages.
 */
export function checkedRequestUrl(raw: unknown, baseUrl: BaseUrl, what = 'The status URL'): string {
	const base = new URL(baseUrl);
	const text = String(raw ?? '').trim();
	const shown = addressForMessage(text);
	if (text === '') throw new RefusedAddressError('invalid', `${what} is empty`);
	if (MALFORMED_ESCAPE.test(text)) {
		throw new RefusedAddressError(
			'invalid',
			`${what} '${shown}' is not a valid address: it has a '%' that is not followed by two hex digits`,
		);
	}
	const absolute = /^[a-z][a-z0-9+.-]*:/i.test(text);
	if (!absolute && !text.startsWith('/')) {
		throw new RefusedAddressError(
			'invalid',
			`${what} '${shown}' is not a web address: it must be absolute (https://…) or a path on the CommCare server (/a/…)`,
		);
	}
	// A path (`/a/…`, as a proxy may rewrite it) is resolved against the Base URL's server.
	const target = parseUrl(text, absolute ? undefined : base.origin);
	if (!target) throw new RefusedAddressError('invalid', `${what} '${shown}' is not a valid web address`);
	if (target.protocol !== 'http:' && target.protocol !== 'https:') {
		throw new RefusedAddressError('invalid', `${what} '${shown}' is not an http(s) address`);
	}
	if (target.username || target.password) {
		throw new RefusedAddressError(
			'invalid',
			`${what} '${shown}' contains a user name or password`,
			'The credential is sent in a header, never in the address: an address with a login in it is never requested.',
		);
	}
	if (target.origin !== base.origin) {
		throw new RefusedAddressError(
			'otherOrigin',
			`Refusing to send the CommCare credential to ${target.origin}: it is only sent to ${base.origin}, the origin of the credential's Base URL`,
			'A status URL on another server is never followed. If your CommCare server is reached under another address, set the Base URL to that address.',
		);
	}
	return target.href;
}

/** The project space named in a CommCare URL (`…/a/<name>/…`), if any. */
export function projectSpaceFromUrl(url: string): string | undefined {
	const match = /\/a\/([^/]+)/.exec(parseUrl(url)?.pathname ?? '');
	return match ? decodeSafely(match[1]) : undefined;
}

export function parseUrl(text: string, base?: string): URL | undefined {
	try {
		return new URL(text, base);
	} catch {
		return undefined;
	}
}
