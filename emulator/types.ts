/**
 * Public types of the CommCare HQ emulator (see README.md). Other test suites import these through `index.ts`.
 */

export interface EmulatorUser {
	username: string;
	apiKey?: string;
	password?: string;
	domains: string[];
	/** Default true. */
	canEditData?: boolean;
	/** Default true; false = mobile worker (the identity endpoint answers 401). */
	webUser?: boolean;
	/** The role's "Access APIs" permission, needed by the Case API (docs/commcare-api.md §9.2). Default true. */
	canAccessApi?: boolean;
	/** The role's "Edit Apps" permission, needed by the lookup-table `fixture` API. Default true. */
	canEditApps?: boolean;
	/** Stable user id (as returned by the identity endpoint and usable as `owner_id`); generated when absent. */
	id?: string;
	firstName?: string;
	lastName?: string;
}

export interface EmulatorDomain {
	/** Case types the project's applications use. */
	caseTypes: string[];
	/** Case-sharing groups / locations that may own cases (valid `owner_id` and `owner_name` values). */
	owners: string[];
	/** Case types deprecated in the data dictionary (multi-sheet imports skip their sheets). */
	deprecatedCaseTypes?: string[];
	/**
	 * The plan includes API access (else the Case API answers an "Upgrade Required" page and the Application Structure
	 * API a 401). Default true.
	 */
	apiAccess?: boolean;
	/** The project's display name (`hr_name`), as `user_domains` lists it; default the domain name. */
	projectName?: string;
	/**
	 * The plan carries the integration privilege that `user_domains` filters on (CommCare's `ZAPIER_INTEGRATION`):
	 * when false the project is left out of that list though the user is a member. Default true.
	 */
	listedForIntegrations?: boolean;
	/** The applications (working copies) the Application Structure API lists; default one app, a module per case type. */
	applications?: EmulatorApplication[];
	/** The plan has the lookup-tables privilege (else the upload and status answer an "Upgrade Required" page). Default true. */
	lookupTables?: boolean;
	/** Who may own lookup-table rows (the `user N` / `group N` / `location N` columns). Default: none. */
	lookupTableOwners?: LookupTableOwners;
}

/** The project's users, case-sharing groups and locations as a lookup-table upload looks owners up. */
export interface LookupTableOwners {
	/** Full usernames (`worker@demo.commcarehq.org`); a workbook names one by `worker` (completed and lowercased). */
	users?: string[];
	/** Group names, matched case-sensitively. */
	groups?: string[];
	/** Matched by lowercased name or by site code (compared with the lowercased cell). */
	locations?: Array<{ name: string; site_code: string }>;
}

/** A lookup table as the emulator stores it (`emulator.lookupTables`). */
export interface StoredLookupTable {
	/** 32 lowercase hex digits. */
	id: string;
	tag: string;
	is_global: boolean;
	fields: Array<{ name: string; properties: string[]; is_indexed: boolean }>;
	item_attributes: string[];
	description: string;
}

export interface StoredLookupRow {
	/** 32 lowercase hex digits: the `UID` column of CommCare's download. */
	id: string;
	sort_key: number;
	fields: Record<string, Array<{ value: string; properties: Record<string, string> }>>;
	item_attributes: Record<string, unknown>;
	/** Full usernames, group names, location site codes. */
	owners: { users: string[]; groups: string[]; locations: string[] };
}

export interface LookupTableSeed {
	tag: string;
	/** Default true. */
	is_global?: boolean;
	fields: Array<string | { name: string; properties?: string[]; is_indexed?: boolean }>;
	item_attributes?: string[];
	description?: string;
	rows?: Array<{
		/** A value, or the value list of a field with properties. */
		fields: Record<string, string | Array<{ value: string; properties?: Record<string, string> }>>;
		id?: string;
		/** Default: the row's position. */
		sort_key?: number;
		item_attributes?: Record<string, unknown>;
		owners?: Partial<StoredLookupRow['owners']>;
	}>;
}

/** `emulator.lookupTables`: read and seed the lookup tables of a project space. */
export interface LookupTableStoreView {
	tables(domain: string): StoredLookupTable[];
	table(domain: string, tag: string): StoredLookupTable | undefined;
	/** Sorted by sort_key (then id), as CommCare orders them. */
	rows(domain: string, tag: string): StoredLookupRow[];
	/** Creates the table (replacing one with that tag) with its rows, as if it had been uploaded. */
	seed(domain: string, seed: LookupTableSeed): StoredLookupTable;
	clear(): void;
}

/** Every authenticated POST to the lookup-table upload (a refused member/permission shows as status 403). */
export interface RecordedLookupTableUpload {
	fields: Record<string, string>;
	fileName?: string;
	file?: Buffer;
	status: number;
	/** Parsed JSON body, or the raw text (HTML pages). */
	body: unknown;
	/** For an accepted async upload. */
	downloadId?: string;
	fault?: 'dropConnection' | 'malformedJson';
}

/** Status polls of an async lookup-table upload: `queuedPolls` answer "None% complete", `runningPolls` a percent. */
export interface LookupTableTimeline {
	queuedPolls: number;
	runningPolls: number;
}

export interface EmulatorApplication {
	id?: string;
	name: string;
	/** A module whose case properties could not be read is listed as `{ error }`, as CommCare does. */
	modules: Array<{ name: string; caseType: string; caseProperties?: string[] } | { error: string }>;
}

/**
 * How far the case-search index (what bulk fetch and the case-id GET read) lags behind the database: a write is
 * seen only once both `ms` milliseconds and `reads` further read requests have passed. Default: no lag.
 */
export interface IndexLag {
	ms?: number;
	reads?: number;
}

export interface Timeline {
	/** Status GETs answered with state -1 (queued) before the import "starts". */
	queuedPolls: number;
	/** Status GETs answered with state 1 (running, rising percent) before the terminal state. */
	runningPolls: number;
}

export interface EmulatorOptions {
	/** Default 0 (a random free port). */
	port?: number;
	domains?: Record<string, EmulatorDomain>;
	users?: EmulatorUser[];
	timeline?: Timeline;
	/** Origin used to build `status_url` (like CommCare's BASE_ADDRESS); default: the emulator's own baseUrl. */
	publicBaseUrl?: string;
	indexLag?: IndexLag;
	/** Pace of the lookup-table status polls; default `{ queuedPolls: 1, runningPolls: 1 }`. */
	lookupTableTimeline?: LookupTableTimeline;
}

export interface RecordedRequest {
	method: string;
	path: string;
	query: Record<string, string>;
	/** Lower-case keys, including `authorization`. */
	headers: Record<string, string>;
	/** Date.now() when the request arrived. */
	at: number;
}

export interface BulkFetchRecord {
	domain: string;
	caseIds: string[];
	externalIds: string[];
}

export interface RecordedUpload {
	fields: Record<string, string>;
	fileName?: string;
	file?: Buffer;
	/** HTTP status the view produced: 403 for a refused member/permission, 200/500 from the view itself (also when a fault then dropped or mangled the answer: see `fault`). */
	status: number;
	/** Parsed JSON body the view produced, or the raw text for non-JSON answers. */
	body: unknown;
	uploadId?: string;
	/** Set when a fault replaced the answer after the upload was processed. */
	fault?: 'dropConnection' | 'malformedJson';
}

export interface CaseIndex {
	case_id: string;
	case_type: string;
	relationship: 'child' | 'extension';
}

export interface Case {
	case_id: string;
	domain: string;
	case_type: string;
	name: string;
	external_id: string;
	owner_id: string;
	closed: boolean;
	/** CommCare timestamps (`2021-02-18T10:59:00.123000Z`); set when the case is added or touched. */
	date_opened: string;
	last_modified: string;
	server_last_modified: string;
	date_closed: string | null;
	properties: Record<string, string>;
	/** Keyed by index identifier (`parent` by default). */
	indices: Record<string, CaseIndex>;
}

export type PartialCase = Partial<Omit<Case, 'domain'>> & { case_type: string };

export interface CaseStore {
	all(domain?: string): Case[];
	byType(domain: string, caseType: string): Case[];
	get(domain: string, caseId: string): Case | undefined;
	/** Every case of the project with this external id (any type, open or closed). */
	withExternalId(domain: string, externalId: string): Case[];
	add(domain: string, partialCase: PartialCase): Case;
	/** Records a change made to a stored case (new modification times; the search index sees it after its lag). */
	touch(changed: Case): void;
	clear(): void;
}

export interface StatusErrorEntry {
	title: string | null;
	description: string | null;
	column: string | null;
	rows: number[];
}

export interface ImportResult {
	match_count: number | null;
	created_count: number | null;
	num_chunks: number | null;
	errors: StatusErrorEntry[];
}

export interface ImportRecord {
	domain: string;
	uploadId: string;
	/** State last reported to a client: -1 until the first status GET, then -1 / 1 / 2 / 3 along the timeline. */
	state: number;
	/** Percent last reported (null while queued). */
	percent: number | null;
	/** The import's outcome, computed at upload time; reported once the timeline reaches the terminal state. */
	result: ImportResult;
	/** 2 (success) or 3 (whole import failed). */
	finalState: 2 | 3;
	/** Status GETs answered for this upload so far. */
	polls: number;
	timeline: Timeline;
	caseType: string;
	fileName: string;
	comment: string;
	username: string;
}

export type FaultTarget =
	'upload' | 'status' | 'identity' | 'caseApi' | 'lookupTableUpload' | 'lookupTableStatus' | 'lookupTableApi' | 'any';

export interface RespondFault {
	status: number;
	/** Seconds; sets a Retry-After header. */
	retryAfter?: number;
	/** Answer with a Django-like HTML error page. */
	html?: boolean;
	/** Raw body (wins over `html`). */
	body?: string;
	/** Extra response headers, e.g. `{ Location: ... }` with a 3xx status. */
	headers?: Record<string, string>;
}

export interface TrickleRecord {
	kind: string;
	phase: 'headers' | 'body';
	bytesSent: number;
	bytesTotal: number;
	/** The client closed the connection before the whole answer was sent. */
	cutByClient: boolean;
}

export interface FaultKnobs {
	respond(on: FaultTarget, n: number, response: RespondFault): void;
	/** Destroy the socket without answering; with afterBodyReceived the request is processed first (an upload IS queued). */
	dropConnection(on: FaultTarget, n: number, options?: { afterBodyReceived?: boolean }): void;
	/**
	 * Wait `ms` before reading the request; with afterBodyReceived the request is processed first (an upload IS
	 * queued) and only the answer is held back: a server slower than the client's timeout.
	 */
	delay(on: FaultTarget, n: number, ms: number, options?: { afterBodyReceived?: boolean }): void;
	/** The status endpoint answers 404 for this upload from now on. */
	statusGone(uploadId: string): void;
	/** 200 with a truncated JSON body. */
	malformedJson(on: FaultTarget, n: number): void;
	/**
	 * Process the request as usual (an upload IS queued), then send the answer one byte every `intervalMs`: the
	 * status line and headers too (`phase: 'headers'`), or the headers at once and the body slowly (`'body'`). A
	 * client with only an idle timeout waits for as long as it lasts. Each one is recorded in `trickles`.
	 */
	trickle(on: FaultTarget, n: number, options: { intervalMs: number; phase: 'headers' | 'body' }): void;
	/** The trickled answers so far: how many bytes went out before the client closed the connection (or all). */
	readonly trickles: TrickleRecord[];
	clear(): void;
}

export interface Emulator {
	/** e.g. http://127.0.0.1:40123 (no trailing slash). */
	baseUrl: string;
	/** The default working web user, in project space `domain`. */
	domain: string;
	username: string;
	apiKey: string;
	password: string;
	requests: RecordedRequest[];
	uploads: RecordedUpload[];
	cases: CaseStore;
	imports: Map<string, ImportRecord>;
	faults: FaultKnobs;
	setTimeline(t: Timeline): void;
	/** From now on, writes reach the case-search index after this lag. */
	setIndexLag(lag: IndexLag): void;
	/** Case API requests answered so far (bulk fetch and single lookups), after auth. */
	readonly caseApiReads: number;
	/** The ids each answered bulk fetch asked for, in request order (what a test counts requests and ids by). */
	readonly bulkFetches: BulkFetchRecord[];
	/** The lookup tables of every project space. */
	lookupTables: LookupTableStoreView;
	/** Every authenticated POST to `…/fixtures/fixapi/`. */
	lookupTableUploads: RecordedLookupTableUpload[];
	setLookupTableTimeline(t: LookupTableTimeline): void;
	/** Clears requests, uploads, imports, cases, bulk fetches, lookup tables and their uploads, and faults. */
	reset(): void;
	close(): Promise<void>;
}
