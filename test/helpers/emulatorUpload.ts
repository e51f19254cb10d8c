/**
 * Creates real imports at the emulator without going through the Bulk Import node: builds an .xlsx with exceljs,
 * POSTs it as multipart (form-data + axios) like a client would, and returns the server's `status_url`. Also builds
 * the input items CommCare Bulk Import would hand to CommCare Import Status (one per upload, or one per record).
 */
import axios from 'axios';
import ExcelJS from 'exceljs';
import FormData from 'form-data';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { SearchField, RecordResultJson, UploadResultJson } from '../../nodes/shared/outputContract';

export type CellValue = string | number | boolean | null;
export type SheetRow = Record<string, CellValue>;

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

export interface EmulatorAccess {
	baseUrl: string;
	domain: string;
	username: string;
	apiKey: string;
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

export function columnsOf(rows: SheetRow[]): string[] {
	const columns: string[] = [];
	for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
	return columns;
}

/** An .xlsx whose first sheet holds the header and the rows (null = blank cell). */
export async function buildXlsx(rows: SheetRow[], columns = columnsOf(rows), sheetName = 'cases'): Promise<Buffer> {
	const workbook = new ExcelJS.Workbook();
	const sheet = workbook.addWorksheet(sheetName);
	sheet.addRow(columns);
	for (const row of rows) sheet.addRow(columns.map((column) => row[column] ?? null));
	return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** Uploads the rows to the emulator's bulk upload endpoint; throws unless the upload is accepted. */
export async function uploadToEmulator(emulator: EmulatorAccess, options: UploadOptions): Promise<CreatedUpload> {
	const settings = {
		caseType: options.caseType ?? 'patient',
		searchField: options.searchField ?? 'case_id',
		searchColumn: options.searchColumn ?? options.searchField ?? 'case_id',
		createNewCases: options.createNewCases ?? true,
		nameColumn: options.nameColumn ?? 'name',
	};
	const form = new FormData();
	form.append('file', await buildXlsx(options.rows, options.columns, options.sheetName), { filename: 'cases.xlsx' });
	form.append('case_type', settings.caseType);
	form.append('search_field', settings.searchField);
	form.append('search_column', settings.searchColumn);
	form.append('name_column', settings.nameColumn);
	if (settings.createNewCases) form.append('create_new_cases', 'on');
	const response = await axios.post(`${emulator.baseUrl}/a/${emulator.domain}/importer/excel/bulk_upload_api/`, form, {
		headers: { ...form.getHeaders(), Authorization: `ApiKey ${emulator.username}:${emulator.apiKey}` },
		validateStatus: () => true,
	});
	if (response.status !== 200 || typeof response.data?.status_url !== 'string') {
		throw new Error(`The emulator refused the test upload: HTTP ${response.status} ${JSON.stringify(response.data)}`);
	}
	const statusUrl: string = response.data.status_url;
	const uploadId = /uploads\/([\w-]+)/.exec(statusUrl)?.[1] ?? statusUrl;
	const date = Date.parse(String(response.headers.date ?? ''));
	const acceptedAt = Number.isNaN(date) ? null : new Date(date).toISOString();
	return { statusUrl, uploadId, settings, rowCount: options.rows.length, rows: options.rows, acceptedAt };
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
