/**
 * Small helpers for tests that talk to the emulator over HTTP: build spreadsheets, post uploads, poll statuses.
 * They use node's own fetch/FormData, so each request is a real loopback HTTP exchange.
 */
import ExcelJS from 'exceljs';
import type { Emulator } from './types';

export type SheetRows = unknown[][];

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

export interface UploadParts {
	file?: { name: string; data: Buffer | string };
	fields?: Record<string, string>;
}

export function apiKeyHeader(emulator: Pick<Emulator, 'username' | 'apiKey'>): Record<string, string> {
	return { Authorization: `ApiKey ${emulator.username}:${emulator.apiKey}` };
}

export function uploadUrl(emulator: Emulator, domain = emulator.domain): string {
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
	emulator: Emulator,
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
	emulator: Emulator,
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
export async function pollUntilDone(emulator: Emulator, statusUrl: string, maxPolls = 50): Promise<StatusBody[]> {
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
	emulator: Emulator,
	rows: SheetRows,
	fields: Record<string, string> = {},
): Promise<StatusBody> {
	const answer = await uploadRows(emulator, rows, fields);
	if (answer.status !== 200) throw new Error(`upload answered ${answer.status}: ${answer.text}`);
	const seen = await pollUntilDone(emulator, (JSON.parse(answer.text) as { status_url: string }).status_url);
	return seen[seen.length - 1];
}
