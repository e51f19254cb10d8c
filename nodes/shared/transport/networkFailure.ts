/** A request that got no HTTP answer, classified: was it sent, is it worth retrying, is it a certificate problem. */
import { isAbortError } from '../sleep';

/**
 * - `notSent`: the connection was never made (refused, DNS hiccup, unreachable): safe to resend anything.
 * - `maybeSent`: the connection broke or timed out after the request may have been received.
 * - `hostNotFound`, `certificate`: nothing was sent, and retrying will not help.
 * - `cancelled`: the user stopped the execution.
 */
export type NetworkFailureKind = 'notSent' | 'maybeSent' | 'hostNotFound' | 'certificate' | 'cancelled';

export interface NetworkFailure {
	kind: NetworkFailureKind;
	/** The system / axios error code, e.g. ECONNREFUSED. */
	code: string;
	/** The original error text (may name the address; redact before showing). */
	message: string;
}

const NOT_SENT_CODES = ['ECONNREFUSED', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'];
const MAYBE_SENT_CODES = [
	'ECONNRESET',
	'ETIMEDOUT',
	'ECONNABORTED',
	'ESOCKETTIMEDOUT',
	'EPIPE',
	'ERR_STREAM_PREMATURE_CLOSE',
];
const CERTIFICATE_CODES = [
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'CERT_HAS_EXPIRED',
	'CERT_NOT_YET_VALID',
	'ERR_TLS_CERT_ALTNAME_INVALID',
];
const KNOWN_CODES = ['ENOTFOUND', ...NOT_SENT_CODES, ...MAYBE_SENT_CODES, ...CERTIFICATE_CODES];

/** Collects error codes and texts from an error, its causes and (n8n's NodeApiError) `httpCode` / `messages`. */
function collectClues(error: unknown): { codes: string[]; texts: string[]; aborted: boolean } {
	const codes: string[] = [];
	const texts: string[] = [];
	let aborted = false;
	const seen = new Set<unknown>();
	const visit = (value: unknown, depth: number) => {
		if (!value || typeof value !== 'object' || seen.has(value) || depth > 5) return;
		seen.add(value);
		if (isAbortError(value)) aborted = true;
		const record = value as Record<string, unknown>;
		for (const key of ['code', 'httpCode', 'errno']) {
			if (typeof record[key] === 'string') codes.push((record[key] as string).toUpperCase());
		}
		for (const key of ['message', 'description'])
			if (typeof record[key] === 'string') texts.push(record[key] as string);
		if (Array.isArray(record.messages))
			texts.push(...record.messages.filter((m): m is string => typeof m === 'string'));
		visit(record.cause, depth + 1);
		if (Array.isArray(record.errors)) for (const inner of record.errors) visit(inner, depth + 1);
	};
	visit(error, 0);
	return { codes, texts, aborted };
}

/**
 * Classifies an error thrown by n8n's request helper (usually a NodeApiError wrapping an axios error, whose code
 * survives in `httpCode` and `messages`), or returns undefined when it is not a network failure.
 */
export function classifyNetworkError(error: unknown): NetworkFailure | undefined {
	const { codes, texts, aborted } = collectClues(error);
	const message = texts[texts.length - 1] ?? (error instanceof Error ? error.message : String(error));
	if (aborted || codes.includes('ERR_CANCELED')) return { kind: 'cancelled', code: 'ERR_CANCELED', message };
	let code = codes.find((c) => KNOWN_CODES.includes(c));
	if (!code) {
		const joined = texts.join(' ');
		code = KNOWN_CODES.find((c) => new RegExp(`\\b${c}\\b`).test(joined));
		if (!code && /socket hang up/i.test(joined)) code = 'ECONNRESET';
		if (!code && /timeout of \d+ms exceeded/i.test(joined)) code = 'ECONNABORTED';
		if (!code) code = codes.find((c) => c.startsWith('ERR_TLS_') || c.startsWith('CERT_'));
	}
	if (!code) return undefined;
	if (code === 'ENOTFOUND') return { kind: 'hostNotFound', code, message };
	if (NOT_SENT_CODES.includes(code)) return { kind: 'notSent', code, message };
	if (MAYBE_SENT_CODES.includes(code)) return { kind: 'maybeSent', code, message };
	return { kind: 'certificate', code, message };
}
