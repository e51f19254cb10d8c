/**
 * Talking to the emulator the way a client would, without going through the nodes: builds .xlsx files with exceljs,
 * POSTs uploads and polls statuses with node's own fetch/FormData (each request a real loopback HTTP exchange), gives
 * the credential n8n would hold for an emulator user, and builds the input items CommCare Bulk Import would hand to
 * CommCare Import Status (one per upload, or one per record).
 */
import ExcelJS from 'exceljs';
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { SearchField, RecordResultJson, UploadResultJson } from '../../nodes/shared/outputContract';
import { startEmulator, type Emulator, type StartOptions } from '../../emulator';

/** Rows of a worksheet as arrays of cells, the header (if any) included. */
export type SheetRows = unknown[][];

export type CellValue = string | number | boolean | null;
/** One record, keyed by column (null = blank cell). */
export type SheetRow = Record<string, CellValue>;

/** What a client needs to reach the emulator as one user in one project space. */
export type EmulatorAccess = Pick<Emulator, 'baseUrl' | 'domain' | 'username' | 'apiKey'>;

/**
 * The CommCare credential's data as n8n holds it (decrypted) for an emulator user: the API key scheme, or with
 * `authType: 'basicAuth'` in the overrides the user's password instead of the key. Overrides change any field (a
 * wrong key, another user, a Base URL with a path).
 */
/**
 * The emulator of one test file: started before its tests with \`options\` (and handed to \`started\`), emptied after each
 * test and given back the timeline it started with, so that no test sees another's cases, uploads, faults or pace;
 * closed after the last. `start` starts it (the hardening suites' starts one with their own users).
 */
export function useEmulator(
	started: (emulator: Emulator) => void,
	options: StartOptions = {},
	start: (options: StartOptions) => Promise<Emulator> = startEmulator,
): void {
	let emulator: Emulator | undefined;
	beforeAll(async () => {
		emulator = await start(options);
		started(emulator);
	});
	afterEach(() => {
		emulator?.reset();
		if (options.timeline) emulator?.setTimeline(options.timeline);
	});
	afterAll(async () => {
		await emulator?.close();
	});
}

/**
 * Bulk Import's parameters for the suites' usual run: input items into the emulator's \`demo\` project as \`patient\`
 * cases, matched by case ID, and creating a case for each row that matches none (the suites' rows carry a case ID, or
 * a blank one for a new case; a new node would match by External ID, which they do not have).
 */
export const ITEMS_BY_CASE_ID = {
	projectSpace: 'demo',
	caseType: 'patient',
	source: 'items',
	searchField: 'case_id',
	unmatchedRows: 'create',
} as const;

export function emulatorCredential(
	user: Pick<Emulator, 'baseUrl' | 'username' | 'apiKey'> & { password?: string },
	overrides: ICredentialDataDecryptedObject = {},
): ICredentialDataDecryptedObject {
	const basic = overrides.authType === 'basicAuth';
	if (basic && user.password === undefined) throw new Error('A Basic credential needs the user’s password');
	const secret: ICredentialDataDecryptedObject = basic
		? { password: user.password as string }
		: { apiKey: user.apiKey };
	return { baseUrl: user.baseUrl, authType: 'apiKey', username: user.username, ...secret, ...overrides };
}

/** An .xlsx file with one worksheet per entry (default: one sheet named `cases`, a name no project uses). */
export async function xlsxFile(sheets: Record<string, SheetRows> | SheetRows): Promise<Buffer> {
	const workbook = new ExcelJS.Workbook();
	const bySheet = Array.isArray(sheets) ? { cases: sheets } : sheets;
	for (const [title, rows] of Object.entries(bySheet)) {
		const worksheet = workbook.addWorksheet(title);
		rows.forEach((row, index) => {
			worksheet.getRow(index + 1).values = row as ExcelJS.CellValue[];
		});
	}
	return Buffer.from(await workbook.xlsx.writeBuffer());
}

function columnsOf(rows: SheetRow[]): string[] {
	const columns: string[] = [];
	for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
	return columns;
}

export interface UploadParts {
	file?: { name: string; data: Buffer | string };
	fields?: Record<string, string>;
}

export function apiKeyHeader(emulator: Pick<Emulator, 'username' | 'apiKey'>): Record<string, string> {
	return { Authorization: `ApiKey ${emulator.username}:${emulator.apiKey}` };
}

export function uploadUrl(emulator: Pick<Emulator, 'baseUrl' | 'domain'>, domain = emulator.domain): string {
	return `${emulator.baseUrl}/a/${domain}/importer/excel/bulk_upload_api/`;
}

export function uploadForm(parts: UploadParts): FormData {
	const form = new FormData();
	for (const [name, value] of Object.entries(parts.fields ?? {})) form.append(name, value);
	if (parts.file) form.append('file', new Blob([parts.file.data]), parts.file.name);
	return form;
}

export interface RawAnswer {
	status: number;
	headers: Headers;
	text: string;
}

export async function send(url: string, init: RequestInit = {}): Promise<RawAnswer> {
	const response = await fetch(url, { redirect: 'manual', ...init });
	return { status: response.status, headers: response.headers, text: await response.text() };
}

/** POST an upload as the default user (override headers to change that). */
export function postUpload(
	emulator: EmulatorAccess,
	parts: UploadParts,
	options: { domain?: string; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
	return send(uploadUrl(emulator, options.domain), {
		method: 'POST',
		body: uploadForm(parts),
		headers: options.headers ?? apiKeyHeader(emulator),
	});
}

/** The usual single-sheet upload: creation on, matching by case_id unless fields say otherwise. */
export async function uploadRows(
	emulator: EmulatorAccess,
	rows: SheetRows,
	fields: Record<string, string> = {},
): Promise<RawAnswer> {
	return postUpload(emulator, {
		file: { name: 'cases.xlsx', data: await xlsxFile(rows) },
		fields: {
			case_type: 'patient',
			search_field: 'case_id',
			search_column: 'case_id',
			create_new_cases: 'on',
			...fields,
		},
	});
}

export interface StatusBody {
	state: number;
	progress: { percent: number | null } | null;
	result: null | {
		match_count: number | null;
		created_count: number | null;
		num_chunks: number | null;
		errors: Array<{ title: string | null; description: string | null; column: string | null; rows: number[] }>;
	};
}

/** GET the status URL until a terminal state (2 or 3); returns every body seen, in order. */
export async function pollUntilDone(
	emulator: Pick<Emulator, 'username' | 'apiKey'>,
	statusUrl: string,
	maxPolls = 50,
): Promise<StatusBody[]> {
	const seen: StatusBody[] = [];
	for (let poll = 0; poll < maxPolls; poll++) {
		const answer = await send(statusUrl, { headers: apiKeyHeader(emulator) });
		if (answer.status !== 200) throw new Error(`status answered ${answer.status}: ${answer.text}`);
		const body = JSON.parse(answer.text) as StatusBody;
		seen.push(body);
		if (body.state === 2 || body.state === 3) return seen;
	}
	throw new Error(`no terminal state after ${maxPolls} polls`);
}

/** Upload rows and poll to the end: the final status body. */
export async function importRows(
	emulator: EmulatorAccess,
	rows: SheetRows,
	fields: Record<string, string> = {},
): Promise<StatusBody> {
	const answer = await uploadRows(emulator, rows, fields);
	if (answer.status !== 200) throw new Error(`upload answered ${answer.status}: ${answer.text}`);
	const seen = await pollUntilDone(emulator, (JSON.parse(answer.text) as { status_url: string }).status_url);
	return seen[seen.length - 1];
}

export interface UploadOptions {
	rows: SheetRow[];
	/** Header order; default: the union of the rows' keys in first-seen order. */
	columns?: string[];
	caseType?: string;
	searchField?: SearchField;
	searchColumn?: string;
	createNewCases?: boolean;
	nameColumn?: string;
	/** Never a case type (that would switch the server to multi-sheet mode). */
	sheetName?: string;
}

export interface CreatedUpload {
	statusUrl: string;
	uploadId: string;
	settings: Required<Omit<UploadOptions, 'rows' | 'columns' | 'sheetName'>>;
	rowCount: number;
	rows: SheetRow[];
	/** The answer's Date header as ISO 8601 (what Bulk Import puts in `acceptedAt`). */
	acceptedAt: string | null;
}

/**
 * Uploads records (a header, then one row each) to the emulator's bulk upload endpoint, as a client would; throws
 * unless the upload is accepted.
 */
export async function uploadToEmulator(emulator: EmulatorAccess, options: UploadOptions): Promise<CreatedUpload> {
	const settings = {
		caseType: options.caseType ?? 'patient',
		searchField: options.searchField ?? 'case_id',
		searchColumn: options.searchColumn ?? options.searchField ?? 'case_id',
		createNewCases: options.createNewCases ?? true,
		nameColumn: options.nameColumn ?? 'name',
	};
	const columns = options.columns ?? columnsOf(options.rows);
	const rows = [columns, ...options.rows.map((row) => columns.map((column) => row[column] ?? null))];
	const answer = await postUpload(emulator, {
		file: { name: 'cases.xlsx', data: await xlsxFile({ [options.sheetName ?? 'cases']: rows }) },
		fields: {
			case_type: settings.caseType,
			search_field: settings.searchField,
			search_column: settings.searchColumn,
			name_column: settings.nameColumn,
			...(settings.createNewCases ? { create_new_cases: 'on' } : {}),
		},
	});
	const statusUrl = answer.status === 200 ? statusUrlOf(answer.text) : undefined;
	if (statusUrl === undefined) {
		throw new Error(`The emulator refused the test upload: HTTP ${answer.status} ${answer.text}`);
	}
	const uploadId = /uploads\/([\w-]+)/.exec(statusUrl)?.[1] ?? statusUrl;
	const date = Date.parse(answer.headers.get('date') ?? '');
	const acceptedAt = Number.isNaN(date) ? null : new Date(date).toISOString();
	return { statusUrl, uploadId, settings, rowCount: options.rows.length, rows: options.rows, acceptedAt };
}

function statusUrlOf(text: string): string | undefined {
	try {
		const body = JSON.parse(text) as { status_url?: unknown };
		return typeof body.status_url === 'string' ? body.status_url : undefined;
	} catch {
		return undefined;
	}
}

/** The item CommCare Bulk Import outputs for one upload (UploadResultJson). */
export function uploadResultItem(upload: CreatedUpload, extra: Partial<UploadResultJson> = {}): INodeExecutionData {
	const json: UploadResultJson = {
		status_url: upload.statusUrl,
		code: 200,
		message: 'success',
		projectSpace: 'demo',
		caseType: upload.settings.caseType,
		fileName: 'cases.xlsx',
		searchField: upload.settings.searchField,
		searchColumn: upload.settings.searchColumn,
		nameColumn: upload.settings.nameColumn,
		createNewCases: upload.settings.createNewCases,
		comment: '',
		rowCount: upload.rowCount,
		uploadNumber: 1,
		uploadCount: 1,
		acceptedAt: upload.acceptedAt,
		warnings: [],
		...extra,
	};
	return { json };
}

/** The items CommCare Bulk Import outputs in per-record mode: one per row, row 2 being the first record. */
export function recordResultItems(upload: CreatedUpload): INodeExecutionData[] {
	const {
		status_url: _statusUrl,
		warnings: _warnings,
		...uploadInfo
	} = uploadResultItem(upload).json as UploadResultJson;
	return upload.rows.map((record, index) => {
		const json: RecordResultJson = {
			status_url: upload.statusUrl,
			row: index + 2,
			record: record as IDataObject,
			upload: uploadInfo,
		};
		return { json };
	});
}
