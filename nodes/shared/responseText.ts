/** What a server's answer says, fit for a message: an HTML page summarised, a body described, an address shown. */
import { safeExcerpt, type Redactor } from './redaction';
import type { CommCareResponse } from './transport/response';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
	return text.replace(/&(amp|lt|gt|quot|#39|apos|nbsp);/g, (_m, name: string) => ENTITIES[name]);
}

/** The `<title>` of an HTML page, whitespace collapsed, or undefined. Not cut: cut it after redaction. */
export function htmlTitle(html: string): string | undefined {
	const match = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html.slice(0, MAX_SCANNED_HTML));
	const title = match ? decodeEntities(match[1]).replace(/\s+/g, ' ').trim() : '';
	return title || undefined;
}

/** Only the start of a page is searched for its title: a page is never read whole into a message. */
const MAX_SCANNED_HTML = 64 * 1024;

/** Plain text of a short HTML fragment; a link keeps its address: `<a href="u">text</a>` → `text (u)`. */
export function htmlToPlainText(html: string): string {
	return decodeEntities(
		html
			.replace(
				/<a\s[^>]*href\s*=\s*["']([^"']*)["'][^>]*>([\s\S]*?)<\/a>/gi,
				(_m, href: string, text: string) => `${text.replace(/<[^>]*>/g, '')} (${href})`,
			)
			.replace(/<[^>]*>/g, ''),
	)
		.replace(/\s+/g, ' ')
		.trim();
}

/**
 * One line saying what a response body was, safe to show: never raw HTML, never secrets. Secrets are removed before
 * anything is cut (a cut must not leave a piece of one); the caller's final redaction runs again on the message.
 */
export function describeBody(response: Pick<CommCareResponse, 'text' | 'json' | 'isHtml'>, redactor: Redactor): string {
	if (response.isHtml) {
		const title = htmlTitle(response.text);
		return title ? `an HTML page titled "${safeExcerpt(title, 120, redactor)}"` : 'an HTML page';
	}
	if (response.json !== undefined) return safeExcerpt(JSON.stringify(redactor.value(response.json)), 300, redactor);
	const text = response.text.slice(0, MAX_SCANNED_HTML).replace(/\s+/g, ' ').trim();
	return text ? `"${safeExcerpt(text, 300, redactor)}"` : 'an empty body';
}

/** A URL fit for a message: no query string or fragment (they may carry tokens). */
export function displayUrl(url: string): string {
	try {
		const parsed = new URL(url);
		return `${parsed.origin}${parsed.pathname}`;
	} catch {
		return '(an invalid URL)';
	}
}
