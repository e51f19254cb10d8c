/**
 * CommCare's case-search index (Elasticsearch), which the Case API's bulk fetch and case-id GET read: a copy of the
 * cases that lags behind the database (docs/commcare-api.md §9.4, "ES lag"). Each write becomes visible once its
 * lag has passed; until then readers see the case's previous version, or nothing for a new case.
 */
import { commCareTimestamp } from './caseStore';
import type { Case, IndexLag } from './types';

/** A case as the Case API serializes it (docs/commcare-api.md §9.7): exactly these 14 keys. */
export interface SerializedCase {
	domain: string;
	case_id: string;
	case_type: string;
	case_name: string;
	external_id: string | null;
	owner_id: string;
	date_opened: string;
	last_modified: string;
	server_last_modified: string;
	indexed_on: string;
	closed: boolean;
	date_closed: string | null;
	properties: Record<string, string>;
	indices: Record<string, { case_id: string; case_type: string; relationship: string }>;
}

export function serializeCase(stored: Case, indexedOn: string): SerializedCase {
	return {
		domain: stored.domain,
		case_id: stored.case_id,
		case_type: stored.case_type,
		case_name: stored.name,
		external_id: stored.external_id === '' ? null : stored.external_id,
		owner_id: stored.owner_id,
		date_opened: stored.date_opened,
		last_modified: stored.last_modified,
		server_last_modified: stored.server_last_modified,
		indexed_on: indexedOn,
		closed: stored.closed,
		date_closed: stored.date_closed,
		properties: { ...stored.properties },
		indices: structuredClone(stored.indices),
	};
}

interface PendingWrite {
	doc: Case;
	dueAt: number;
	dueAfterReads: number;
}

export class CaseSearchIndex {
	private lag: Required<IndexLag> = { ms: 0, reads: 0 };
	/** Writes not yet visible, oldest first (one lag for all, so they become visible in order). */
	private pending: PendingWrite[] = [];
	private readonly visible = new Map<string, SerializedCase>();
	/** `${domain}\n${external_id}` → visible case ids, in the order they were indexed. */
	private readonly caseIdsByExternalId = new Map<string, string[]>();
	private reads = 0;

	setLag(lag: IndexLag): void {
		this.lag = { ms: Math.max(0, lag.ms ?? 0), reads: Math.max(0, Math.floor(lag.reads ?? 0)) };
	}

	/** Read requests answered so far. */
	get readCount(): number {
		return this.reads;
	}

	/** Called by the case store on every write: a snapshot, seen after the lag. */
	write(changed: Case): void {
		const doc = structuredClone(changed);
		if (this.lag.ms === 0 && this.lag.reads === 0 && this.pending.length === 0) {
			this.show(doc);
			return;
		}
		this.pending.push({ doc, dueAt: Date.now() + this.lag.ms, dueAfterReads: this.reads + this.lag.reads });
	}

	/** One read request begins: counts it, and makes every write whose lag has passed visible. */
	beginRead(): void {
		this.reads += 1;
		const now = Date.now();
		let due = 0;
		while (due < this.pending.length && this.isDue(this.pending[due], now)) due += 1;
		for (const write of this.pending.slice(0, due)) this.show(write.doc);
		this.pending = this.pending.slice(due);
	}

	byCaseId(domain: string, caseId: string): SerializedCase | undefined {
		const found = this.visible.get(caseId);
		return found && found.domain === domain ? found : undefined;
	}

	/**
	 * The one case bulk fetch returns for an external id: its results are keyed by external id, so when several
	 * cases share one, the last hit wins and the others are left out silently (docs/commcare-api.md §9.4).
	 */
	byExternalId(domain: string, externalId: string): SerializedCase | undefined {
		const ids = this.caseIdsByExternalId.get(`${domain}\n${externalId}`);
		return ids && ids.length > 0 ? this.visible.get(ids[ids.length - 1]) : undefined;
	}

	clear(): void {
		this.pending = [];
		this.visible.clear();
		this.caseIdsByExternalId.clear();
		this.reads = 0;
	}

	private isDue(write: PendingWrite, now: number): boolean {
		return write.dueAt <= now && this.reads > write.dueAfterReads;
	}

	private show(doc: Case): void {
		const before = this.visible.get(doc.case_id);
		if (before?.external_id) this.removeExternalId(doc.domain, before.external_id, doc.case_id);
		this.visible.set(doc.case_id, serializeCase(doc, commCareTimestamp()));
		if (doc.external_id !== '') {
			const key = `${doc.domain}\n${doc.external_id}`;
			const ids = this.caseIdsByExternalId.get(key);
			if (ids) ids.push(doc.case_id);
			else this.caseIdsByExternalId.set(key, [doc.case_id]);
		}
	}

	private removeExternalId(domain: string, externalId: string, caseId: string): void {
		const key = `${domain}\n${externalId}`;
		const rest = (this.caseIdsByExternalId.get(key) ?? []).filter((id) => id !== caseId);
		if (rest.length > 0) this.caseIdsByExternalId.set(key, rest);
		else this.caseIdsByExternalId.delete(key);
	}
}
