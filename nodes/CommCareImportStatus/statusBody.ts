/**
 * Reading a status body: its state, a strict parse that says what is wrong with a body that is not a status, and the
 * reader the shared polling loop waits with (how the case importer's status moves and ends).
 */
import type { RowErrorEntry, StatusResponse } from '../shared/outputContract';
import { type StatusReading, type WaitEnd, type WaitResult, unpolled } from '../shared/polling';

/** `soil.progress.STATES` as the case importer reports them. -1 is what a queued import looks like in practice. */
export const ImportState = {
	Missing: -1,
	NotStarted: 0,
	Started: 1,
	Success: 2,
	Failed: 3,
} as const;

export type StateName = 'queued' | 'running' | 'finished' | 'failed' | 'unknown';

export function stateName(state: number | null | undefined): StateName {
	switch (state) {
		case ImportState.Missing:
		case ImportState.NotStarted:
			return 'queued';
		case ImportState.Started:
			return 'running';
		case ImportState.Success:
			return 'finished';
		case ImportState.Failed:
			return 'failed';
		default:
			return 'unknown';
	}
}

/** 2 and 3 are final; anything else (including states this code does not know) keeps the wait going. */
export function isTerminalState(state: number | null | undefined): boolean {
	return state === ImportState.Success || state === ImportState.Failed;
}

// Parsing a status body

/**
 * A status body read: `problem` says what in an otherwise valid status could not be read (counts that are not
 * numbers, `errors` that is not a list); such a status must not count as a clean success.
 */
export type ParsedStatus =
	{ ok: true; status: StatusResponse; problem: string | null } | { ok: false; problem: string };

/**
 * Validates a status body (object, JSON text or Buffer). Tolerates what real servers vary in: `progress` null or
 * missing, counts null or numeric strings, `column` null or `""` (normalised to null so workflows branch on one
 * value), `rows` as numeric strings (older servers). A body that is not a status object (truncated JSON, a page) is
 * reported as a problem, not thrown: the poller treats it as transient and asks again. Markup is never quoted.
 */
export function parseStatusBody(body: unknown): ParsedStatus {
	let value = body;
	if (Buffer.isBuffer(value)) value = value.toString('utf8');
	if (typeof value === 'string') {
		const text = value.trim();
		if (text === '') return { ok: false, problem: 'the status response was empty' };
		try {
			value = JSON.parse(text);
		} catch {
			return {
				ok: false,
				problem: text.startsWith('<')
					? 'the status response was markup (a web page or XML), not JSON'
					: `the status response was not JSON (it starts "${preview(text)}")`,
			};
		}
	}
	if (!isPlainObject(value)) {
		return { ok: false, problem: 'the status response was not a JSON object' };
	}
	const state = toInteger(value.state);
	if (state === null) {
		return { ok: false, problem: 'the status response has no numeric "state"' };
	}
	const progress = isPlainObject(value.progress) ? { percent: toCount(value.progress.percent).value } : null;
	let result: StatusResponse['result'] = null;
	const unreadable: string[] = [];
	if (isPlainObject(value.result)) {
		const raw = value.result;
		const count = (key: string) => {
			const read = toCount(raw[key]);
			if (!read.readable) unreadable.push(`"${key}" is ${describeJson(raw[key])}`);
			return read.value;
		};
		if (raw.errors !== undefined && raw.errors !== null && !Array.isArray(raw.errors)) {
			unreadable.push(`"errors" is ${describeJson(raw.errors)}, not a list`);
		}
		const errors = Array.isArray(raw.errors) ? raw.errors : [];
		if (errors.some((entry) => !isPlainObject(entry))) unreadable.push('"errors" holds entries that are not objects');
		result = {
			match_count: count('match_count'),
			created_count: count('created_count'),
			num_chunks: count('num_chunks'),
			errors: errors.filter(isPlainObject).map(toErrorEntry),
		};
	} else if (value.result !== undefined && value.result !== null) {
		unreadable.push(`"result" is ${describeJson(value.result)}`);
	}
	return {
		ok: true,
		status: { state, progress, result },
		problem: unreadable.length > 0 ? unreadable.join('; ') : null,
	};
}

function toErrorEntry(raw: Record<string, unknown>): RowErrorEntry {
	const rows = Array.isArray(raw.rows) ? raw.rows.map(toInteger).filter((row): row is number => row !== null) : [];
	return {
		title: toTextOrNull(raw.title),
		description: toTextOrNull(raw.description),
		column: toTextOrNull(raw.column),
		rows,
	};
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toInteger(value: unknown): number | null {
	if (typeof value === 'number' && Number.isInteger(value)) return value;
	if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
	return null;
}

/** A count: a whole number of at least 0, also as numeric text. Null (or absent) is readable as "not reported". */
function toCount(value: unknown): { value: number | null; readable: boolean } {
	if (value === null || value === undefined) return { value: null, readable: true };
	const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
	return typeof number === 'number' && Number.isInteger(number) && number >= 0
		? { value: number, readable: true }
		: { value: null, readable: false };
}

/** A short, safe description of a JSON value for a message: its type, and the value when short. */
function describeJson(value: unknown): string {
	if (Array.isArray(value)) return 'a list';
	if (isPlainObject(value)) return 'an object';
	const text = JSON.stringify(value) ?? String(value);
	return text.length <= 24 ? text : `${typeof value} ${preview(text)}`;
}

/** Empty strings become null: the newest server writes `""` where older ones wrote null. */
function toTextOrNull(value: unknown): string | null {
	return typeof value === 'string' && value !== '' ? value : null;
}

function preview(text: string): string {
	const oneLine = text.replace(/\s+/g, ' ');
	return oneLine.length > 40 ? `${oneLine.slice(0, 40)}…` : oneLine;
}

// How a wait ended (produced by the shared polling loop, or by the node for items never polled)

/** How the wait for one import ended. */
export type ImportWaitEnd = WaitEnd<StatusResponse>;
/** Everything known about the wait for one import; `lastState` is CommCare's number (ImportState). */
export type ImportWait = WaitResult<StatusResponse, number>;

/** A wait that never happened (no URL, or a URL the node refuses to call). */
export const unpolledImport: (end: ImportWaitEnd) => ImportWait = unpolled;

/**
 * The polling loop's reader for the case importer: a change of state or of the reported percent is movement; how
 * far an import got is its running percent, 100 once it succeeded (queued and failed imports leave the last one);
 * states 2 and 3 end the wait.
 */
export function readImportStatus(body: unknown): StatusReading<StatusResponse, number> {
	const parsed = parseStatusBody(body);
	if (!parsed.ok) return parsed;
	const { status, problem } = parsed;
	const percent = status.progress?.percent ?? null;
	const progress = status.state === ImportState.Success ? 100 : status.state === ImportState.Started ? percent : null;
	return { ok: true, status, state: status.state, percent, progress, finished: isTerminalState(status.state), problem };
}
