/**
 * Keeping the credential out of everything a user, an operator or n8n's stored executions can see.
 *
 * The rule is "redact last": whatever was built from a server answer, a URL or a credential (an error's message,
 * description, cause, context and stack; every string of an output item) passes through a `Redactor` as the very
 * last step, after every cut and rewrite. Redaction that ran earlier is not enough on its own: a message cut to 120
 * characters, or whitespace collapsed, or HTML tags removed, can turn text the earlier pass did not recognise into a
 * secret, or leave a prefix of one.
 *
 * So the final pass finds, for each secret (API key, password, the base64 of `user:password` and of `user:key`):
 * - any piece of 8 or more characters of it: a cut that leaves a prefix, or a piece between two tags, is found too;
 * - whitespace-insensitively: a run of spaces, tabs or line breaks in the text matches any run in the secret;
 * - in the forms a server may echo it in: as written, JSON-escaped, percent-encoded, form-encoded, HTML-escaped.
 * `user:key` (the username is not secret, so its pieces are not searched) is found whole, in the same forms.
 * Whatever the credential, it also removes what has the shape of a credential: `ApiKey user:key` and `Basic …`
 * header values, the `user:password@` of a URL, and the value of query parameters such as `api_key=`.
 */
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData } from 'n8n-workflow';

export const REDACTED = '[redacted]';

/** Pieces of a secret this long or longer are found anywhere; shorter ones may show (they identify nothing). */
export const MIN_FRAGMENT_LENGTH = 8;
/** Secrets shorter than the fragment length are still found whole, down to this length. */
const MIN_WHOLE_SECRET_LENGTH = 4;

/** Header / field names whose values are secrets wherever they appear. */
const SECRET_KEY = /^(authorization|proxy-authorization|cookie|set-cookie|x-commcarehq-otp|otp|api_?key|password)$/i;

/**
 * Shapes of a credential, whoever's it is. `Basic` takes a base64-looking token only when it holds something other
 * than lower-case letters, so "Basic authentication" stays readable.
 */
const CREDENTIAL_SHAPES: Array<[RegExp, string]> = [
	[/(\bApiKey\s+)[^\s:"'<>]+:[^\s"',;<>]+/gi, `$1${REDACTED}`],
	[/(\bBasic\s+)(?=[A-Za-z0-9+/]*[A-Z0-9+/])[A-Za-z0-9+/]{8,}={0,2}/g, `$1${REDACTED}`],
	[/(\bBearer\s+)[A-Za-z0-9\-._~+/]{8,}=*/g, `$1${REDACTED}`],
	// `scheme://user:password@host`: everything up to the last `@` of the address, when it holds a `:`.
	[/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s@"'<>]*:[^\s"'<>]*@/gi, `$1${REDACTED}@`],
	[
		/([?&;](?:api[_-]?key|apikey|key|password|passwd|pwd|token|access_token|secret|otp)=)[^&#\s"'<>]*/gi,
		`$1${REDACTED}`,
	],
];

/** What every one of CREDENTIAL_SHAPES needs somewhere in the text: a text without it is spared the five searches. */
const MAY_HOLD_SHAPE = /apikey|basic|bearer|:\/\/|=/i;

/** The strings that must never be shown, read from a decrypted `commCareApi` credential. */
export function credentialSecrets(data: ICredentialDataDecryptedObject | undefined): {
	fragments: string[];
	whole: string[];
	public: string[];
} {
	if (!data) return { fragments: [], whole: [], public: [] };
	const username = String(data.username ?? '').trim();
	const apiKey = String(data.apiKey ?? '').trim();
	const password = String(data.password ?? '');
	const base64 = (text: string) => Buffer.from(text).toString('base64');
	return {
		// Pieces are searched inside the secret's text: whitespace at its ends is no part of what identifies it.
		fragments: [apiKey, password.trim(), base64(`${username}:${password}`), base64(`${username}:${apiKey}`)].filter(
			(secret) => secret !== '',
		),
		whole: apiKey ? [`${username}:${apiKey}`] : [],
		public: [username],
	};
}

/** The forms a secret may be echoed in. */
function echoForms(secret: string): string[] {
	const html = secret
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&#39;');
	const percent = encodeURIComponent(secret);
	return [
		secret,
		JSON.stringify(secret).slice(1, -1),
		percent,
		percent.replace(/%20/g, '+'),
		html,
		html.replace(/&#39;/g, '&#x27;'),
	];
}

/** Every run of whitespace becomes one space: the form both secrets and texts are compared in. */
function collapseWhitespace(text: string): string {
	return text.replace(/\s+/g, ' ');
}

const PAIR_CODES = 1 << 16;

/** The two characters at `index` as one number below PAIR_CODES (distinct pairs may share one: a filter only). */
function pairCode(text: string, index: number): number {
	return ((text.charCodeAt(index) << 8) ^ text.charCodeAt(index + 1)) & (PAIR_CODES - 1);
}

/** A text with its whitespace runs collapsed, and where each character of it came from. */
interface CollapsedText {
	text: string;
	/** `starts[i]`: index in the original of collapsed character i; one extra entry: the original's length. */
	starts: number[];
}

/** Whitespace that collapsing would change: a run of two or more, or any whitespace but a plain space. */
const COLLAPSIBLE = /\s\s|[^\S ]/;

function collapseWithPositions(text: string): CollapsedText | null {
	// Most texts (ids, dates, one-line messages) have none: they are their own collapsed form.
	if (!COLLAPSIBLE.test(text)) return null;
	let collapsed = '';
	const starts: number[] = [];
	let inWhitespace = false;
	for (let i = 0; i < text.length; i++) {
		const whitespace = /\s/.test(text[i]);
		if (whitespace && inWhitespace) continue;
		inWhitespace = whitespace;
		collapsed += whitespace ? ' ' : text[i];
		starts.push(i);
	}
	starts.push(text.length);
	return { text: collapsed, starts };
}

/** Finds secrets in text and replaces them; see the file comment for what it finds. */
export class Redactor {
	/** Every 8-character piece of every form of every secret, whitespace collapsed. */
	private readonly pieces = new Set<string>();
	/** `pairCode` of the first two characters of every piece: 1 where some piece starts so. */
	private readonly piecePairs = new Uint8Array(PAIR_CODES);
	/** Secrets matched whole (all forms), longest first, as patterns that accept any whitespace run for one. */
	private readonly wholePatterns: RegExp[] = [];
	/** The shortest text that can hold anything this redactor replaces. */
	private readonly shortestMatch: number;
	private readonly memo = new Map<string, string>();

	/**
	 * `public`: text that is no secret even where a secret shares pieces with it (the username, which messages
	 * name): those pieces are not searched for. A secret that shares more than that is still found by its others.
	 */
	constructor(secrets: { fragments?: readonly string[]; whole?: readonly string[]; public?: readonly string[] } = {}) {
		let shortest = MIN_FRAGMENT_LENGTH;
		const whole = new Set<string>();
		const publicTexts = (secrets.public ?? []).filter((text) => text !== '').map(collapseWhitespace);
		const isPublic = (piece: string) => publicTexts.some((text) => text.includes(piece));
		for (const secret of secrets.fragments ?? []) {
			for (const form of echoForms(secret)) {
				const collapsed = collapseWhitespace(form);
				if (collapsed.length >= MIN_FRAGMENT_LENGTH) {
					for (let i = 0; i + MIN_FRAGMENT_LENGTH <= collapsed.length; i++) {
						const piece = collapsed.slice(i, i + MIN_FRAGMENT_LENGTH);
						if (isPublic(piece)) continue;
						this.pieces.add(piece);
						this.piecePairs[pairCode(piece, 0)] = 1;
					}
				} else if (collapsed.trim().length >= MIN_WHOLE_SECRET_LENGTH) {
					whole.add(form);
				}
			}
		}
		for (const secret of secrets.whole ?? []) for (const form of echoForms(secret)) whole.add(form);
		for (const form of [...whole].sort((a, b) => b.length - a.length)) {
			const source = form
				.split(/\s+/)
				.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
				.join('\\s+');
			this.wholePatterns.push(new RegExp(source, 'g'));
			shortest = Math.min(shortest, collapseWhitespace(form).length);
		}
		this.shortestMatch = Math.max(1, shortest);
	}

	/** A redactor for the credential a node runs with (or, without one, for credential shapes only). */
	static forCredential(data: ICredentialDataDecryptedObject | undefined): Redactor {
		return new Redactor(credentialSecrets(data));
	}

	/** The text with every secret, and everything shaped like a credential, replaced by `[redacted]`. */
	text(text: string): string {
		if (text.length < this.shortestMatch) return text;
		const known = this.memo.get(text);
		if (known !== undefined) return known;
		let result = text;
		if (MAY_HOLD_SHAPE.test(result))
			for (const [shape, replacement] of CREDENTIAL_SHAPES) result = result.replace(shape, replacement);
		for (const pattern of this.wholePatterns) result = result.replace(pattern, REDACTED);
		if (this.pieces.size > 0) result = this.replacePieces(result);
		// Memoised: per-record outputs repeat the same server texts (titles, URLs) for thousands of items.
		if (this.memo.size < 10_000) this.memo.set(text, result);
		return result;
	}

	/**
	 * A copy of `value` with every string redacted and every secret-named key's value replaced; the same object when
	 * nothing changed (so input items are never modified, and clean outputs are not copied). Buffers are left alone.
	 * `keep(key, depth)` names keys whose values are not touched (the user's own row data).
	 */
	value<T>(value: T, keep?: (key: string, depth: number) => boolean): T {
		return this.redactValue(value, keep, 0, new Map()) as T;
	}

	/** Redacts an error in place, in every own property a user or n8n's stored execution can see. */
	error<E>(error: E): E {
		if (!error || typeof error !== 'object') return error;
		const target = error as Record<string, unknown>;
		for (const name of Object.getOwnPropertyNames(target)) {
			// The node is n8n's own object (its parameters are the user's, and n8n reads them again): never touched.
			if (name === 'node') continue;
			const descriptor = Object.getOwnPropertyDescriptor(target, name);
			if (!descriptor || !('value' in descriptor) || !descriptor.writable) continue;
			const redacted = this.isSecretKey(name) ? REDACTED : this.value(descriptor.value);
			if (redacted !== descriptor.value) target[name] = redacted;
		}
		return error;
	}

	/** Every output item of a node, redacted; `record` (the user's row, as sent) is kept as it is. */
	outputs(outputs: INodeExecutionData[][]): INodeExecutionData[][] {
		const keepRecord = (key: string, depth: number) => depth === 0 && key === 'record';
		// One memory for the whole output: per-record items share their warnings and repeat their upload's texts.
		const done = new Map<object, unknown>();
		return outputs.map((items) =>
			items.map((item) => {
				const json = this.redactValue(item.json, keepRecord, 0, done) as IDataObject;
				if (item.error) this.error(item.error);
				return json === item.json ? item : { ...item, json };
			}),
		);
	}

	private readonly secretKeys = new Map<string, boolean>();

	private isSecretKey(key: string): boolean {
		let secret = this.secretKeys.get(key);
		if (secret === undefined) {
			secret = SECRET_KEY.test(key);
			if (this.secretKeys.size < 10_000) this.secretKeys.set(key, secret);
		}
		return secret;
	}

	/**
	 * `done` remembers each object's result, so an object met again (shared by several items, or a cycle) is handled
	 * once; objects with a `keep` are not remembered (the same object elsewhere must not keep those keys).
	 */
	private redactValue(
		value: unknown,
		keep: ((key: string, depth: number) => boolean) | undefined,
		depth: number,
		done: Map<object, unknown>,
	): unknown {
		if (typeof value === 'string') return this.text(value);
		if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
		const remember = keep === undefined;
		if (remember) {
			const known = done.get(value);
			if (known !== undefined) return known;
		}
		if (depth > 20) return '[nested too deeply]';
		if (value instanceof Error) return this.error(value);
		// Only arrays and plain objects are rebuilt; anything else (a Date, a class instance) is shown as n8n shows it.
		const prototype = Object.getPrototypeOf(value);
		if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return value;
		// Until it is done, an object met again inside itself stands for itself: a cycle ends there.
		if (remember) done.set(value, value);
		let result: unknown = value;
		if (Array.isArray(value)) {
			let copy: unknown[] | undefined;
			for (let index = 0; index < value.length; index++) {
				const entry = value[index];
				const redacted = this.redactValue(entry, undefined, depth + 1, done);
				if (redacted !== entry) (copy ??= [...value])[index] = redacted;
			}
			result = copy ?? value;
		} else {
			const object = value as Record<string, unknown>;
			let copy: Record<string, unknown> | undefined;
			for (const key in object) {
				if (!Object.prototype.hasOwnProperty.call(object, key) || keep?.(key, depth)) continue;
				const entry = object[key];
				const redacted =
					entry !== null && entry !== undefined && entry !== '' && this.isSecretKey(key)
						? REDACTED
						: this.redactValue(entry, undefined, depth + 1, done);
				if (redacted !== entry) (copy ??= { ...object })[key] = redacted;
			}
			result = copy ?? value;
		}
		// A frozen object shared by many items (a per-record upload) stays frozen in its redacted copy.
		if (result !== value && Object.isFrozen(value)) Object.freeze(result);
		if (remember) done.set(value, result);
		return result;
	}

	/** Replaces every stretch of the text made of 8-character pieces of a secret (whitespace runs collapsed). */
	private replacePieces(text: string): string {
		if (text.length < MIN_FRAGMENT_LENGTH) return text;
		const collapsed = collapseWithPositions(text);
		const view = collapsed?.text ?? text;
		const origin = (index: number) => (collapsed ? collapsed.starts[index] : index);
		const ranges: Array<[number, number]> = [];
		for (let i = 0; i + MIN_FRAGMENT_LENGTH <= view.length; i++) {
			// The pair of characters a piece starts with, looked up before the piece is cut out and hashed.
			if (this.piecePairs[pairCode(view, i)] === 0) continue;
			if (!this.pieces.has(view.slice(i, i + MIN_FRAGMENT_LENGTH))) continue;
			let end = i + MIN_FRAGMENT_LENGTH;
			while (end < view.length && this.pieces.has(view.slice(end - MIN_FRAGMENT_LENGTH + 1, end + 1))) end++;
			const last = ranges[ranges.length - 1];
			if (last && i <= last[1]) last[1] = Math.max(last[1], end);
			else ranges.push([i, end]);
			i = end - MIN_FRAGMENT_LENGTH;
		}
		if (ranges.length === 0) return text;
		let result = '';
		let from = 0;
		for (const [start, end] of ranges) {
			result += text.slice(from, origin(start)) + REDACTED;
			from = origin(end);
		}
		return result + text.slice(from);
	}
}

/** A redactor that knows no secret: it still removes anything shaped like a credential. */
export const SHAPE_REDACTOR = new Redactor();

/**
 * `text` cut to at most `max` characters, secrets removed first so a cut never leaves a piece of one, and never cut
 * inside a `[redacted]` marker. The caller still redacts the final message (the rule: redact last).
 */
export function safeExcerpt(text: string, max: number, redactor: Redactor = SHAPE_REDACTOR): string {
	const redacted = redactor.text(text);
	if (redacted.length <= max) return redacted;
	let cut = max - 1;
	const marker = redacted.lastIndexOf(REDACTED, cut);
	if (marker !== -1 && marker + REDACTED.length > cut) cut = marker;
	return `${redacted.slice(0, cut)}…`;
}
