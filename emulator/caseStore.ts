import { randomBytes } from 'node:crypto';
import type { Case, CaseStore, PartialCase } from './types';

/** CommCare case ids minted by the importer: 32 lower-case hex characters (a uuid4 without hyphens). */
export function newCaseId(): string {
	return randomBytes(16).toString('hex');
}

/** The emulator's cases, in insertion order. Tests read and seed it directly; the importer writes to it. */
export class InMemoryCaseStore implements CaseStore {
	private readonly cases: Case[] = [];

	all(domain?: string): Case[] {
		return domain === undefined ? [...this.cases] : this.cases.filter((c) => c.domain === domain);
	}

	byType(domain: string, caseType: string): Case[] {
		return this.cases.filter((c) => c.domain === domain && c.case_type === caseType);
	}

	get(domain: string, caseId: string): Case | undefined {
		return this.cases.find((c) => c.domain === domain && c.case_id === caseId);
	}

	add(domain: string, partialCase: PartialCase): Case {
		const created: Case = {
			case_id: partialCase.case_id ?? newCaseId(),
			domain,
			case_type: partialCase.case_type,
			name: partialCase.name ?? '',
			external_id: partialCase.external_id ?? '',
			owner_id: partialCase.owner_id ?? '',
			closed: partialCase.closed ?? false,
			properties: { ...(partialCase.properties ?? {}) },
			indices: { ...(partialCase.indices ?? {}) },
		};
		if (this.get(domain, created.case_id)) throw new Error(`case ${created.case_id} already exists in ${domain}`);
		this.cases.push(created);
		return created;
	}

	/** Case types of the project's existing cases (they count as "known" case types, docs/commcare-api.md §3 step 5 and §3.3). */
	caseTypesIn(domain: string): Set<string> {
		return new Set(this.all(domain).map((c) => c.case_type));
	}

	clear(): void {
		this.cases.length = 0;
	}
}
