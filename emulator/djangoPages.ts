/**
 * The non-JSON answers the real server gives (Django pages, challenges). Their exact bytes are unconfirmed
 * (docs/commcare-api.md §8 point 4); what matters to clients is the status, the headers and that the body is not JSON.
 */

export interface EmulatorResponse {
	status: number;
	headers: Record<string, string>;
	body: string;
}

const HTML = 'text/html; charset=utf-8';

function htmlPage(title: string, heading: string, text: string): string {
	return (
		'<!DOCTYPE html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n' +
		`  <title>${title}</title>\n</head>\n<body>\n  <h1>${heading}</h1>\n  <p>${text}</p>\n</body>\n</html>\n`
	);
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): EmulatorResponse {
	return { status, headers: { 'Content-Type': HTML, ...headers }, body: '' };
}

export function serverErrorPage(): EmulatorResponse {
	return {
		status: 500,
		headers: { 'Content-Type': HTML },
		body: htmlPage(
			'500 Error | CommCare HQ',
			'Server Error (500)',
			"We're sorry, something went wrong on our end. Our team has been notified.",
		),
	};
}

export function notFoundPage(path: string): EmulatorResponse {
	return {
		status: 404,
		headers: { 'Content-Type': HTML },
		body: htmlPage('404 Not Found | CommCare HQ', 'Page Not Found', `The page ${escapeHtml(path)} could not be found.`),
	};
}

/** What Django's CommonMiddleware raises (DEBUG page text) when a POST hits a URL that lacks its trailing slash. */
export function appendSlashErrorPage(host: string, path: string): EmulatorResponse {
	const message =
		"You called this URL via POST, but the URL doesn't end in a slash and you have APPEND_SLASH set. " +
		"Django can't redirect to the slash URL while maintaining POST data. " +
		`Change your form to point to ${host}${path}/ (note the trailing slash), or set APPEND_SLASH=False in your Django settings.`;
	return {
		status: 500,
		headers: { 'Content-Type': HTML },
		body: htmlPage(`RuntimeError at ${escapeHtml(path)}`, `RuntimeError at ${escapeHtml(path)}`, escapeHtml(message)),
	};
}

/** Django's APPEND_SLASH answer to a GET (or HEAD) on a slash-less URL. */
export function appendSlashRedirect(pathWithSlash: string, search: string): EmulatorResponse {
	return { status: 301, headers: { 'Content-Type': HTML, Location: pathWithSlash + search }, body: '' };
}

/** CommCare's "no permissions" answer: an HTML page, or plain text for XHR requests (docs/commcare-api.md §2). */
export function noPermissionResponse(isXhr: boolean): EmulatorResponse {
	if (isXhr) {
		return {
			status: 403,
			headers: { 'Content-Type': HTML },
			body: "Sorry, you don't have permission to do this action!",
		};
	}
	return {
		status: 403,
		headers: { 'Content-Type': HTML },
		body: htmlPage(
			"You don't have permission to access this page | CommCare HQ",
			"You don't have permission to access this page",
			'Please contact your project administrator if you believe you should have access.',
		),
	};
}

export function badRequestText(text: string): EmulatorResponse {
	return { status: 400, headers: { 'Content-Type': HTML }, body: text };
}

export function escapeHtml(text: string): string {
	return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * What `requires_privilege_with_fallback(API_ACCESS)` shows when the plan lacks API access: the "Upgrade Required"
 * page, HTML, status 200 as far as the code shows (docs/commcare-api.md §9.2 row 6).
 */
export function upgradeRequiredPage(): EmulatorResponse {
	return {
		status: 200,
		headers: { 'Content-Type': HTML },
		body: htmlPage(
			'Upgrade Required | CommCare HQ',
			'Upgrade Required',
			'This feature is not available on your current CommCare plan. Please upgrade your subscription to use it.',
		),
	};
}

/** `allow_cors`: an OPTIONS request is answered at once, before any authentication. */
export function corsPreflight(): EmulatorResponse {
	return {
		status: 200,
		headers: {
			'Content-Type': HTML,
			'Access-Control-Allow-Origin': '*',
			'Access-Control-Allow-Methods': 'GET, POST, PUT, OPTIONS',
			'Access-Control-Allow-Headers': 'Content-Type, Authorization',
		},
		body: '',
	};
}
