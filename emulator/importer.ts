/**
 * The background import (CommCare's `do_import.py`, docs/commcare-api.md §6) applied to the in-memory case store. It runs when
 * the upload is accepted; the status endpoint then reveals the stored outcome along the configured timeline.
 */
import type { KnownUser } from './auth';
import { isTruthy, searchIdOfCell, storedValue, type Cell } from './cells';
import { newCaseId, type InMemoryCaseStore } from './caseStore';
import { pythonStrRepr } from './pythonFormat';
import type { Sheet } from './spreadsheet';
import type { Case, CaseIndex, EmulatorDomain, ImportResult, StatusErrorEntry } from './types';

export interface ImportContext {
	domain: string;
	domainConfig: EmulatorDomain;
	cases: InMemoryCaseStore;
	uploader: KnownUser;
	/** Every configured user (owners are looked up among them). */
	users: KnownUser[];
}

export interface SheetImportConfig {
	caseType: string;
	searchField: 'case_id' | 'external_id';
	searchColumn: string;
	createNewCases: boolean;
	nameColumn: string;
}

export interface ImportOutcome {
	finalState: 2 | 3;
	result: ImportResult;
}

/** Changes are submitted in forms of up to this many case blocks (docs/commcare-api.md §6.8). */
const CHUNK_SIZE = 100;
const MAX_NAME_LENGTH = 255;

/** Headers that fail a single-sheet import as a whole (and are dropped in multi-sheet mode). */
const RESERVED_HEADERS = new Set(['type', 'closed', 'parent_ref']);

/** Headers that collide with CaseBlock's own fields when a case is created (docs/commcare-api.md §6.5). */
const CASE_BLOCK_FIELDS = ['case_name', 'case_type'];

export const ERROR_TEXT = {
	invalidOwnerName: {
		title: 'Invalid Owner Name',
		description: 'Owner name was used in the mapping but there were errors when uploading because of these values.',
	},
	invalidOwner: {
		title: 'Invalid Owner',
		description:
			'Owners were provided in the mapping but there were errors when uploading because of these values. Make sure the owners in this column are users, case sharing groups, or locations.',
	},
	invalidParent: {
		title: 'Invalid Parent ID',
		description: 'An invalid or unknown parent case was specified for the uploaded case.',
	},
	blankExternalId: {
		title: 'Blank External ID',
		description: 'Blank external ids were found in these rows causing as error when importing cases.',
	},
	tooManyMatches: {
		title: 'Too Many Matches',
		description:
			'These rows matched more than one case at the same time - this means that there are cases in your system with the same external ID.',
	},
	nameTooLong: { title: 'Name Too Long', description: 'The case name cannot be longer than 255 characters' },
	externalIdTooLong: {
		title: 'External ID Too Long',
		description: 'The external id cannot be longer than 255 characters',
	},
	caseGeneration: { title: 'Case Generation Error' },
	deprecatedCaseType: { title: 'Deprecated case type' },
} as const;

/** An error that fails the whole import (state 3); `description` is what the status endpoint reports. */
export class WholeImportFailure extends Error {
	constructor(readonly description: string) {
		super(description);
	}
}

/**
 * `_ImportResults` errors: grouped by title, then by column, rows listed once each in processing order; the status
 * endpoint lists them title by title (docs/commcare-api.md §5).
 */
class ErrorCollector {
	private readonly byTitle = new Map<string, Map<string | null, StatusErrorEntry>>();

	add(title: string, description: string, column: string | null, row: number): void {
		let byColumn = this.byTitle.get(title);
		if (!byColumn) {
			byColumn = new Map();
			this.byTitle.set(title, byColumn);
		}
		let entry = byColumn.get(column);
		if (!entry) {
			entry = { title, description, column, rows: [] };
			byColumn.set(column, entry);
		}
		entry.description = description; // the server keeps the latest row's description
		if (!entry.rows.includes(row)) entry.rows.push(row);
	}

	list(): StatusErrorEntry[] {
		return [...this.byTitle.values()].flatMap((byColumn) => [...byColumn.values()]);
	}
}

/** A failed row: the first problem found stops the row (`do_import.py` raises per row). */
class RowError extends Error {
	constructor(
		readonly title: string,
		readonly description: string,
		readonly column: string | null,
	) {
		super(title);
	}
}

export interface HeaderColumn {
	index: number;
	name: string;
	cell: Cell;
}

/** The header row minus falsy cells (`if header`: blank headers are dropped with their column, docs/commcare-api.md §3). */
export function headerColumns(sheet: Sheet): HeaderColumn[] {
	const headerRow = sheet.rows[0] ?? [];
	const columns: HeaderColumn[] = [];
	headerRow.forEach((cell, index) => {
		if (cell !== null && isTruthy(cell)) columns.push({ index, name: cell.text, cell });
	});
	return columns;
}

/**
 * HQ's row dicts (`WorksheetWrapper.iter_row_dicts`): `{header: value}` over the cells a row has, so a short `.xlsx`
 * row has no key for the columns it does not reach; with a duplicated header, the last column the row reaches wins.
 */
export class RowDicts {
	readonly headers: string[];
	private readonly columnsOf = new Map<string, number[]>();

	constructor(sheet: Sheet) {
		for (const column of headerColumns(sheet)) {
			this.columnsOf.set(column.name, [...(this.columnsOf.get(column.name) ?? []), column.index]);
		}
		this.headers = [...this.columnsOf.keys()];
	}

	/** The row's value for `header`; `undefined` when the row has no such key. */
	cellAt(row: Array<Cell | null>, header: string): Cell | null | undefined {
		const indexes = this.columnsOf.get(header) ?? [];
		for (let i = indexes.length - 1; i >= 0; i--) if (indexes[i] < row.length) return row[indexes[i]];
		return undefined;
	}
}

/** What HQ makes of one data row: its stored values by header (present keys only), and its search id or KeyError. */
export interface RowRecord {
	row: number;
	values: Record<string, string | null>;
	searchId?: string;
	keyError?: string;
}

/** Every data row of a sheet as HQ reads it before importing (the conformance tests compare it with openpyxl's). */
export function rowRecords(sheet: Sheet, searchColumn: string): RowRecord[] {
	const dicts = new RowDicts(sheet);
	return sheet.rows.slice(1).map((row, index) => {
		const record: RowRecord = { row: index + 2, values: {} };
		for (const header of dicts.headers) {
			const cell = dicts.cellAt(row, header);
			if (cell !== undefined) record.values[header] = storedValue(cell);
		}
		const searchCell = dicts.cellAt(row, searchColumn);
		if (searchCell === undefined) record.keyError = pythonStrRepr(searchColumn);
		else record.searchId = searchIdOfCell(searchCell);
		return record;
	});
}

/** Which spreadsheet column feeds which case field (`_create_field_map`). */
interface FieldMapping {
	header: string;
	field: string;
}

function isBlank(value: string | null | undefined): boolean {
	return value === null || value === undefined || value === '';
}

interface SheetOutcome {
	matchCount: number;
	createdCount: number;
	numChunks: number;
	errors: StatusErrorEntry[];
}

interface ParentIndex {
	identifier: string;
	index: CaseIndex;
}

class SheetImporter {
	private readonly errors = new ErrorCollector();
	private readonly rowOutcome = new Map<number, 'created' | 'updated' | 'failed'>();
	private readonly mappings: FieldMapping[];
	private readonly dicts: RowDicts;
	/** Case changes waiting for the next form submission (applied only when it is submitted), and the external ids they create. */
	private pendingBlocks: Array<() => void> = [];
	private uncreatedExternalIds = new Set<string>();
	private numChunks = 0;

	constructor(
		private readonly ctx: ImportContext,
		private readonly config: SheetImportConfig,
		private readonly sheet: Sheet,
		/** Multi-sheet mode builds its field list differently (`_create_bulk_configs`). */
		private readonly multiSheet = false,
	) {
		this.dicts = new RowDicts(sheet);
		this.mappings = this.fieldMap(headerColumns(sheet).map((column) => column.name));
	}

	private fieldMap(headers: string[]): FieldMapping[] {
		const { searchField, searchColumn, nameColumn } = this.config;
		const excelFields = [...headers];
		// The search column (multi-sheet: the column named like search_field) is not a property; only its first
		// occurrence is removed (`list.remove`).
		const hidden = excelFields.indexOf(this.multiSheet ? searchField : searchColumn);
		if (hidden >= 0) excelFields.splice(hidden, 1);
		const mappings: FieldMapping[] = [];
		for (const header of excelFields) {
			if (mappings.some((m) => m.header === header)) continue; // dict keys
			if (this.multiSheet) {
				if (RESERVED_HEADERS.has(header)) continue; // dropped silently in multi-sheet mode
				mappings.push({ header, field: header });
			} else if (header === nameColumn) {
				mappings.push({ header, field: 'name' });
			} else if (searchField === 'external_id' && header === searchColumn) {
				mappings.push({ header, field: 'external_id' });
			} else {
				mappings.push({ header, field: header });
			}
		}
		if (searchField === 'external_id' && !mappings.some((m) => m.header === searchColumn)) {
			mappings.push({ header: searchColumn, field: 'external_id' });
		}
		return mappings;
	}

	run(): SheetOutcome {
		for (let i = 1; i < this.sheet.rows.length; i++) {
			const rowNumber = i + 1;
			try {
				this.importRow(rowNumber, this.sheet.rows[i]);
			} catch (error) {
				if (!(error instanceof RowError)) throw error;
				this.rowOutcome.set(rowNumber, 'failed');
				this.errors.add(error.title, error.description, error.column, rowNumber);
			}
		}
		this.submitPending();
		const outcomes = [...this.rowOutcome.values()];
		return {
			matchCount: outcomes.filter((o) => o === 'updated').length,
			createdCount: outcomes.filter((o) => o === 'created').length,
			numChunks: this.numChunks,
			errors: this.errors.list(),
		};
	}

	/**
	 * A form submission: every pending case block goes in one chunk (docs/commcare-api.md §5 num_chunks), and only
	 * now reaches the case store. A whole-import failure later leaves submitted chunks applied and the pending one not.
	 */
	private submitPending(): void {
		if (this.pendingBlocks.length === 0) return;
		for (const apply of this.pendingBlocks) apply();
		this.numChunks += 1;
		this.pendingBlocks = [];
		this.uncreatedExternalIds = new Set();
	}

	private importRow(rowNumber: number, row: Array<Cell | null>): void {
		const { searchField, searchColumn } = this.config;
		// `row[search_column]`, unguarded: a sheet without the column, or a row without its cell, is a KeyError that
		// nothing catches: the whole import fails.
		const searchCell = this.dicts.cellAt(row, searchColumn);
		if (searchCell === undefined) throw new WholeImportFailure(pythonStrRepr(searchColumn));
		const searchId = searchIdOfCell(searchCell);

		const fields = new Map<string, string | null>();
		for (const { header, field } of this.mappings) {
			const cell = this.dicts.cellAt(row, header);
			if (cell === undefined) continue; // no key: the property is left as it is
			if (RESERVED_HEADERS.has(field)) {
				// For parent_ref the server really sends the unfilled "{}" placeholder.
				throw new WholeImportFailure(
					field === 'parent_ref'
						? 'Error: Field name "{}" is deprecated. Please use "parent_identifier" instead.'
						: `Error: Field name "${field}" is reserved`,
				);
			}
			fields.set(field, storedValue(cell));
		}
		if ([...fields.values()].every(isBlank)) return; // blank row: skipped silently (docs/commcare-api.md §6.2)

		const take = (field: string): string | null | undefined => {
			const value = fields.get(field);
			fields.delete(field);
			return value;
		};
		const name = take('name');
		if (name && name.length > MAX_NAME_LENGTH) throw rowError('nameTooLong', 'name');
		const externalId = take('external_id');
		if (externalId && externalId.length > MAX_NAME_LENGTH) throw rowError('externalIdTooLong', 'external_id');
		if (searchField === 'external_id' && !searchId) throw rowError('blankExternalId', null);
		const parent: ParentColumns = {
			parentId: take('parent_id'),
			parentExternalId: take('parent_external_id'),
			parentType: fields.has('parent_type') ? take('parent_type') : this.config.caseType,
			relationship: fields.has('parent_relationship_type') ? take('parent_relationship_type') : 'child',
			identifier: take('parent_identifier'),
		};
		const close = take('close');
		const ownerName = take('owner_name');
		const ownerId = take('owner_id');
		take('date_opened'); // only applied with a feature flag the emulator does not have

		// A row that refers to a case created in the pending chunk makes the server submit that chunk first.
		if ([searchId, parent.parentId, parent.parentExternalId].some((id) => id && this.uncreatedExternalIds.has(id))) {
			this.submitPending();
		}
		const existing = this.findCase(searchId);
		if (!existing && !this.config.createNewCases) return;

		const properties: Record<string, string> = {};
		for (const [field, value] of fields) properties[field] = value ?? '';

		if (existing) {
			// Keyword order of the update case block: the parent index is resolved before the owner.
			const index = this.resolveParent(parent);
			const newOwner = ownerId || ownerName ? this.resolveOwner(ownerName, ownerId) : undefined;
			this.pendingBlocks.push(() => {
				Object.assign(existing.properties, properties);
				if (name !== null && name !== undefined) existing.name = name;
				if (newOwner !== undefined) existing.owner_id = newOwner;
				if (externalId) existing.external_id = externalId;
				if (index) existing.indices[index.identifier] = index.index;
				if (close === 'yes') existing.closed = true;
				this.ctx.cases.touch(existing);
			});
			this.rowOutcome.set(rowNumber, 'updated');
		} else {
			if (externalId) this.uncreatedExternalIds.add(externalId);
			const owner = this.resolveOwner(ownerName, ownerId);
			const index = this.resolveParent(parent);
			const collision = CASE_BLOCK_FIELDS.find((field) => fields.has(field));
			if (collision) {
				throw new RowError(ERROR_TEXT.caseGeneration.title, `Key ${pythonStrRepr(collision)} specified twice`, null);
			}
			const created = {
				case_id: newCaseId(), // never the sheet's id (docs/commcare-api.md §6.3)
				case_type: this.config.caseType,
				name: name ?? '',
				// The cell's own text, not the search id it was matched by: a case made from '00123' is searched for as
				// '123' next time, and not found (docs/commcare-api.md §6.1).
				external_id: (searchField === 'external_id' ? externalId || searchId : externalId) ?? '',
				owner_id: owner,
				closed: false,
				properties,
				indices: index ? { [index.identifier]: index.index } : {},
			};
			this.pendingBlocks.push(() => this.ctx.cases.add(this.ctx.domain, created));
			this.rowOutcome.set(rowNumber, 'created');
		}
		if (this.pendingBlocks.length >= CHUNK_SIZE) this.submitPending();
	}

	private findCase(searchId: string): Case | undefined {
		const { domain, cases } = this.ctx;
		const { caseType } = this.config;
		if (this.config.searchField === 'case_id') {
			const found = cases.get(domain, searchId);
			return found && found.case_type === caseType ? found : undefined; // other type = not found
		}
		const matches = cases.withExternalId(domain, searchId).filter((c) => c.case_type === caseType);
		if (matches.length > 1) throw rowError('tooManyMatches', null);
		return matches[0];
	}

	/**
	 * Owner (docs/commcare-api.md §6.6): `owner_name` wins; it is looked up as a username (completed with the project's mobile
	 * domain), then as one of the project's groups. Owners must be project members or the project's groups.
	 * No owner given: the uploading user.
	 */
	private resolveOwner(ownerName: string | null | undefined, ownerId: string | null | undefined): string {
		const { domain, domainConfig, users } = this.ctx;
		if (ownerName) {
			const username = ownerName.includes('@') ? ownerName : `${ownerName}@${domain}.commcarehq.org`;
			const user = users.find((u) => u.username === username);
			if (user) {
				if (user.domains.includes(domain)) return user.id;
				throw rowError('invalidOwner', 'owner_name');
			}
			if (domainConfig.owners.includes(ownerName)) return ownerName;
			throw rowError('invalidOwnerName', 'owner_name');
		}
		if (ownerId) {
			const user = users.find((u) => u.id === ownerId);
			if ((user && user.domains.includes(domain)) || domainConfig.owners.includes(ownerId)) return ownerId;
			throw rowError('invalidOwner', 'owner_id');
		}
		return this.ctx.uploader.id;
	}

	/**
	 * Parent index (docs/commcare-api.md §6.7): the first non-blank of `parent_id` (by case id) and `parent_external_id`
	 * (by external id) names the parent, of type `parent_type`; when it names none (not found, another type, several),
	 * the row fails with that column, and the other one is not tried. The relationship is validated only once the
	 * parent is found, and its explanatory sentences really go into the `column` slot. A blank `parent_type` cell (the
	 * column present) is no type: by case id nothing matches it, by external id every type does.
	 */
	private resolveParent(parent: ParentColumns): ParentIndex | undefined {
		const { domain, cases } = this.ctx;
		const lookups: Array<[string, 'case_id' | 'external_id', string | null | undefined]> = [
			['parent_id', 'case_id', parent.parentId],
			['parent_external_id', 'external_id', parent.parentExternalId],
		];
		for (const [column, searchField, searchId] of lookups) {
			if (!searchId) continue;
			let found: Case | undefined;
			if (searchField === 'case_id') {
				const candidate = cases.get(domain, searchId);
				found = candidate && candidate.case_type === parent.parentType ? candidate : undefined;
			} else {
				// `get_case_by_external_id` filters by type only when one is given: a blank parent_type looks among every
				// case type of the project (several cases with the id, of any types, are no parent).
				const matches = cases
					.withExternalId(domain, searchId)
					.filter((c) => !parent.parentType || c.case_type === parent.parentType);
				found = matches.length === 1 ? matches[0] : undefined;
			}
			if (!found) throw rowError('invalidParent', column);
			if (parent.relationship === 'child') {
				const index: CaseIndex = { case_id: found.case_id, case_type: found.case_type, relationship: 'child' };
				return { identifier: parent.identifier || 'parent', index };
			}
			if (parent.relationship === 'extension') {
				if (!parent.identifier) {
					throw rowError(
						'invalidParent',
						"'parent_identifier' column must be provided when 'parent_relationship_type' column is set to 'extension'",
					);
				}
				const index: CaseIndex = { case_id: found.case_id, case_type: found.case_type, relationship: 'extension' };
				return { identifier: parent.identifier, index };
			}
			throw rowError('invalidParent', "Invalid value for 'parent_relationship_type' column");
		}
		return undefined;
	}
}

interface ParentColumns {
	parentId: string | null | undefined;
	parentExternalId: string | null | undefined;
	parentType: string | null | undefined;
	relationship: string | null | undefined;
	identifier: string | null | undefined;
}

type RowErrorKind = Exclude<keyof typeof ERROR_TEXT, 'caseGeneration' | 'deprecatedCaseType'>;

function rowError(kind: RowErrorKind, column: string | null): RowError {
	const { title, description } = ERROR_TEXT[kind];
	return new RowError(title, description, column);
}

function failed(description: string): ImportOutcome {
	return {
		finalState: 3,
		result: {
			match_count: null,
			created_count: null,
			num_chunks: null,
			errors: [{ title: null, description, column: null, rows: [] }],
		},
	};
}

/** A single-sheet import: the first sheet with the posted configuration. */
export function importSingleSheet(ctx: ImportContext, config: SheetImportConfig, sheet: Sheet): ImportOutcome {
	try {
		const outcome = new SheetImporter(ctx, config, sheet).run();
		return {
			finalState: 2,
			result: {
				match_count: outcome.matchCount,
				created_count: outcome.createdCount,
				num_chunks: outcome.numChunks,
				errors: outcome.errors,
			},
		};
	} catch (error) {
		if (error instanceof WholeImportFailure) return failed(error.description);
		throw error;
	}
}

/**
 * Multi-sheet mode (docs/commcare-api.md §3.3): each sheet imported as the case type named by its title; counts summed; for error
 * titles seen on several sheets only the first sheet's entries are kept; deprecated types contribute an error only.
 */
export function importEverySheet(
	ctx: ImportContext,
	config: Omit<SheetImportConfig, 'caseType' | 'nameColumn'>,
	sheets: Sheet[],
): ImportOutcome {
	const deprecated = new Set(ctx.domainConfig.deprecatedCaseTypes ?? []);
	const errors: StatusErrorEntry[] = [];
	const addErrors = (entries: StatusErrorEntry[]): void => {
		const titlesBefore = new Set(errors.map((e) => e.title));
		for (const entry of entries) if (!titlesBefore.has(entry.title)) errors.push(entry);
	};
	let totals: { match: number; created: number; chunks: number } | undefined;
	try {
		for (const sheet of sheets) {
			if (deprecated.has(sheet.title)) {
				addErrors([
					{
						title: ERROR_TEXT.deprecatedCaseType.title,
						description: `Cannot import rows for deprecated "${sheet.title}" case type`,
						column: 'case_type',
						rows: [],
					},
				]);
				continue;
			}
			const sheetConfig = { ...config, caseType: sheet.title, nameColumn: 'name' };
			const outcome = new SheetImporter(ctx, sheetConfig, sheet, true).run();
			totals = {
				match: (totals?.match ?? 0) + outcome.matchCount,
				created: (totals?.created ?? 0) + outcome.createdCount,
				chunks: (totals?.chunks ?? 0) + outcome.numChunks,
			};
			addErrors(outcome.errors);
		}
	} catch (error) {
		if (error instanceof WholeImportFailure) return failed(error.description);
		throw error;
	}
	// Only deprecated sheets: the merged result has no counts and the task fails on the missing key.
	if (!totals) return failed(pythonStrRepr('created_count'));
	return {
		finalState: 2,
		result: { match_count: totals.match, created_count: totals.created, num_chunks: totals.chunks, errors },
	};
}
