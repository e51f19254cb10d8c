/**
 * Fault injection: each knob applies to the next N requests of a kind, then stops. A request can meet one delay
 * and then one "answer" fault (respond, drop, malformed JSON); the first registered matching fault of each wins.
 */
import type { FaultKnobs, FaultTarget, RespondFault, TrickleRecord } from './types';

/** Which endpoint a request hit, for matching fault targets. */
export type RequestKind =
	| 'upload'
	| 'status'
	| 'identity'
	| 'caseApi'
	| 'lists'
	| 'lookupTableUpload'
	| 'lookupTableStatus'
	| 'lookupTableApi'
	| 'other';

export type AnswerFault =
	| { kind: 'respond'; response: RespondFault }
	| { kind: 'drop'; afterBodyReceived: boolean }
	| { kind: 'malformedJson' }
	| { kind: 'trickle'; intervalMs: number; phase: 'headers' | 'body' };

/** Wait `ms` before reading the request, or (afterBodyReceived) after processing it, before answering. */
export interface DelayFault {
	ms: number;
	afterBodyReceived: boolean;
}

interface Armed<T> {
	on: FaultTarget;
	remaining: number;
	fault: T;
}

function matches(on: FaultTarget, kind: RequestKind): boolean {
	return on === 'any' || on === kind;
}

function take<T>(list: Array<Armed<T>>, kind: RequestKind): T | undefined {
	const armed = list.find((entry) => entry.remaining > 0 && matches(entry.on, kind));
	if (!armed) return undefined;
	armed.remaining -= 1;
	return armed.fault;
}

function checkCount(n: number): void {
	if (!Number.isInteger(n) || n < 1) throw new RangeError(`fault count must be a positive integer, got ${n}`);
}

export class FaultController implements FaultKnobs {
	private answers: Array<Armed<AnswerFault>> = [];
	private delays: Array<Armed<DelayFault>> = [];
	private goneUploads = new Set<string>();

	respond(on: FaultTarget, n: number, response: RespondFault): void {
		checkCount(n);
		this.answers.push({ on, remaining: n, fault: { kind: 'respond', response } });
	}

	dropConnection(on: FaultTarget, n: number, options: { afterBodyReceived?: boolean } = {}): void {
		checkCount(n);
		this.answers.push({
			on,
			remaining: n,
			fault: { kind: 'drop', afterBodyReceived: options.afterBodyReceived ?? false },
		});
	}

	delay(on: FaultTarget, n: number, ms: number, options: { afterBodyReceived?: boolean } = {}): void {
		checkCount(n);
		this.delays.push({ on, remaining: n, fault: { ms, afterBodyReceived: options.afterBodyReceived ?? false } });
	}

	statusGone(uploadId: string): void {
		this.goneUploads.add(uploadId);
	}

	malformedJson(on: FaultTarget, n: number): void {
		checkCount(n);
		this.answers.push({ on, remaining: n, fault: { kind: 'malformedJson' } });
	}

	readonly trickles: TrickleRecord[] = [];

	trickle(on: FaultTarget, n: number, options: { intervalMs: number; phase: 'headers' | 'body' }): void {
		checkCount(n);
		this.answers.push({ on, remaining: n, fault: { kind: 'trickle', ...options } });
	}

	clear(): void {
		this.answers = [];
		this.delays = [];
		this.goneUploads.clear();
		this.trickles.length = 0;
	}

	/** Consumes the delay due for this request, if any (0 ms: none). */
	takeDelay(kind: RequestKind): DelayFault {
		return take(this.delays, kind) ?? { ms: 0, afterBodyReceived: false };
	}

	/** Consumes the answer fault due for this request, if any. */
	takeAnswer(kind: RequestKind): AnswerFault | undefined {
		return take(this.answers, kind);
	}

	isGone(uploadId: string): boolean {
		return this.goneUploads.has(uploadId);
	}
}
