import { randomBytes } from 'node:crypto';
import type { Case, CaseStore, PartialCase } from './types';

/** CommCare case ids minted by the importer: 32 lower-case hex characters (a uuid4 without hyphens). */
export function newCaseId(): string {
	return randomBytes(16).toString('hex');
}

/** CommCare's `json_format_datetime`: UTC with six fraction digits, e.g. `2021-02-18T10:59:00.123000Z`. */
export function commCareTimestamp(at: number = Date.now()): string {
	return new Date(at).toISOString().replace(/Z$/, '000Z');
}

/**
 * The emulator's cases (CommCare's SQL database), in insertion order, indexed by id and external id so that
 * 100,000-row imports and lookups stay linear. Tests read and seed it directly; the importer writes to it.
 * Every write is handed to `onWrite` (the search index), which decides when the case-search API sees it.
 */
export class InMemoryCaseStore implements CaseStore {
	private readonly cases: Case[] = [];
	private readonly byId = new Map<string, Case>();
	/** `${domain}\n${external_id}` → cases with that external id, in insertion order. */
	private readonly byExternalId = new Map<string, Case[]>();
	private readonly indexedExternalId = new Map<Case, string>();

	constructor(private readonly onWrite: (written: Case) => void = () => undefined) {}

	all(domain?: string): Case[] {
		return domain === undefined ? [...this.cases] : this.cases.filter((c) => c.domain === domain);
	}

	byType(domain: string, caseType: string): Case[] {
		return this.cases.filter((c) => c.domain === domain && c.case_type === caseType);
	}

	get(domain: string, caseId: string): Case | undefined {
		const found = this.byId.get(caseId);
		return found && found.domain === domain ? found : undefined;
	}

	/** Every case of the project with this external id, any type, open or closed (CommCare's SQL lookup). */
	withExternalId(domain: string, externalId: string): Case[] {
		return [...(this.byExternalId.get(`${domain}\n${externalId}`) ?? [])];
	}

	add(domain: string, partialCase: PartialCase): Case {
		const now = commCareTimestamp();
		const created: Case = {
			case_id: partialCase.case_id ?? newCaseId(),
			domain,
			case_type: partialCase.case_type,
			name: partialCase.name ?? '',
			external_id: partialCase.external_id ?? '',
			owner_id: partialCase.owner_id ?? '',
			closed: partialCase.closed ?? false,
			date_opened: partialCase.date_opened ?? now,
			last_modified: partialCase.last_modified ?? now,
			server_last_modified: partialCase.server_last_modified ?? now,
			date_closed: partialCase.date_closed ?? (partialCase.closed ? now : null),
			properties: { ...(partialCase.properties ?? {}) },
			indices: { ...(partialCase.indices ?? {}) },
		};
		if (this.byId.has(created.case_id)) throw new Error(`case ${created.case_id} already exists`);
		this.cases.push(created);
		this.byId.set(created.case_id, created);
		this.reindexExternalId(created);
		this.onWrite(created);
		return created;
	}

	/** Records a change the caller made to `changed` (a form touched it): new modification times, indexes kept. */
	touch(changed: Case): void {
		const now = commCareTimestamp();
		changed.last_modified = now;
		changed.server_last_modified = now;
		if (changed.closed && changed.date_closed === null) changed.date_closed = now;
		this.reindexExternalId(changed);
		this.onWrite(changed);
	}

	/** Case types of the project's existing cases (they count as "known" case types, docs/commcare-api.md §3 step 5 and §3.3). */
	caseTypesIn(domain: string): Set<string> {
		return new Set(this.all(domain).map((c) => c.case_type));
	}

	clear(): void {
		this.cases.length = 0;
		this.byId.clear();
		this.byExternalId.clear();
		this.indexedExternalId.clear();
	}

	private reindexExternalId(changed: Case): void {
		const before = this.indexedExternalId.get(changed);
		if (before === changed.external_id) return;
		if (before !== undefined && before !== '') {
			const key = `${changed.domain}\n${before}`;
			const rest = (this.byExternalId.get(key) ?? []).filter((c) => c !== changed);
			if (rest.length > 0) this.byExternalId.set(key, rest);
			else this.byExternalId.delete(key);
		}
		if (changed.external_id !== '') {
			const key = `${changed.domain}\n${changed.external_id}`;
			const list = this.byExternalId.get(key);
			if (list) list.push(changed);
			else this.byExternalId.set(key, [changed]);
		}
		this.indexedExternalId.set(changed, changed.external_id);
	}
}
