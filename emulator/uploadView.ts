/**
 * `bulk_case_upload_api` after authentication (docs/commcare-api.md §3, §4): the validation steps in the server's order, each
 * caught failure a 500 with `{"code": 500, "message": ...}`; success queues the import and returns `status_url`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { KnownUser } from './auth';
import type { InMemoryCaseStore } from './caseStore';
import { serverErrorPage, type EmulatorResponse } from './djangoPages';
import { headerColumns, importEverySheet, importSingleSheet, type ImportOutcome } from './importer';
import { pythonJsonDumps } from './pythonFormat';
import {
	fileExtension,
	readWorkbook,
	SpreadsheetError,
	SUPPORTED_EXTENSIONS,
	type Extension,
	type Sheet,
	type Workbook,
} from './spreadsheet';
import type { EmulatorDomain } from './types';

export const UPLOAD_MESSAGES = {
	missingFileOrCaseType: "Error: Invalid POST request. Both 'file' and 'case_type' are required",
	illegalSearchField: (value: string) => `Error: Illegal value for search_field: ${value}`,
	badExtension: 'Please upload file with one of the following extensions: csv, xls, xlsx',
	passwordProtected:
		'The file you want to import is password protected. Please choose a file that is not password protected.',
	fileError: (detail: string) => `The file uploaded has the following error: ${detail}`,
	noSheets: 'It seems as though your spreadsheet contains no sheets. Please resave it and try again.',
	noCaseTypes:
		'Error: Your project does not use cases yet. To import cases from Excel, you must first create an application with a case list.',
	invalidColumnNames: (names: string[]) =>
		'Column names correspond to <a target="_blank" href="https://confluence.dimagi.com/display/commcarepublic/Case+Configuration">case property names</a>. ' +
		`They must start with a letter, and can only contain letters, numbers and underscores. Please update the following: ${names.join(', ')}.`,
	emptySpreadsheet: 'Error: Your spreadsheet is empty. Please try again with a different spreadsheet.',
	tooManyColumns: 'Error: Your spreadsheet has too many columns. A maximum of 300 is supported.',
} as const;

const MAX_COLUMNS = 300;
/** Python's `\w` is Unicode-aware, hence the `u` flag and \p classes. */
const VALID_PROPERTY_NAME = /^[\p{L}][\p{L}\p{N}_-]*$/u;
const ASCII_LETTER_START = /^[a-zA-Z]/;

export interface UploadRequest {
	domain: string;
	domainConfig: EmulatorDomain;
	user: KnownUser;
	users: KnownUser[];
	cases: InMemoryCaseStore;
	/** Form fields, last value wins. */
	fields: Record<string, string>;
	/** The part named `file` with a non-empty filename, if any. */
	file?: { fileName: string; data: Buffer };
	/** Origin used to build status_url. */
	publicBaseUrl: string;
}

export interface AcceptedUpload {
	uploadId: string;
	outcome: ImportOutcome;
	caseType: string;
	fileName: string;
	comment: string;
}

export interface UploadAnswer {
	response: EmulatorResponse;
	accepted?: AcceptedUpload;
}

export function jsonResponse(status: number, body: unknown): EmulatorResponse {
	return { status, headers: { 'Content-Type': 'application/json' }, body: pythonJsonDumps(body) };
}

function importerError(message: string): UploadAnswer {
	return { response: jsonResponse(500, { code: 500, message }) };
}

/** `^[a-zA-Z][\w_-]*$` on text headers; non-text headers (numbers, dates…) always fail. */
export function invalidColumnNames(sheet: Sheet): string[] {
	const invalid: string[] = [];
	for (const column of headerColumns(sheet)) {
		const valid =
			column.cell.kind === 'str' && ASCII_LETTER_START.test(column.name) && VALID_PROPERTY_NAME.test(column.name);
		if (!valid && !invalid.includes(column.name)) invalid.push(column.name);
	}
	return invalid;
}

/** Case types the project "knows": applications, existing cases and the data dictionary (docs/commcare-api.md §3.3). */
function knownCaseTypes(request: UploadRequest): Set<string> {
	const known = new Set(request.domainConfig.caseTypes);
	for (const type of request.domainConfig.deprecatedCaseTypes ?? []) known.add(type);
	for (const type of request.cases.caseTypesIn(request.domain)) known.add(type);
	return known;
}

function checkSheetHeaders(sheet: Sheet): UploadAnswer | undefined {
	const invalid = invalidColumnNames(sheet);
	if (invalid.length > 0) return importerError(UPLOAD_MESSAGES.invalidColumnNames(invalid));
	if (sheet.maxRow === 0) return importerError(UPLOAD_MESSAGES.emptySpreadsheet);
	if (headerColumns(sheet).length > MAX_COLUMNS) return importerError(UPLOAD_MESSAGES.tooManyColumns);
	return undefined;
}

/**
 * When set, every `.xlsx` the emulator receives is also saved in this folder (named `<search column>--<sha1>.xlsx`),
 * for the conformance tests to read with the real openpyxl: every file the other suites upload joins their corpus.
 */
export const XLSX_CORPUS_ENV = 'COMMCARE_EMULATOR_XLSX_CORPUS';

function saveForConformance(fields: Record<string, string>, file: { fileName: string; data: Buffer }): void {
	const folder = process.env[XLSX_CORPUS_ENV];
	if (!folder || fileExtension(file.fileName) !== 'xlsx') return;
	const searchColumn = (fields.search_column ?? fields.search_field ?? 'case_id').replace(/[^\w-]/g, '_');
	const name = `${searchColumn}--${createHash('sha1').update(file.data).digest('hex')}.xlsx`;
	mkdirSync(folder, { recursive: true });
	writeFileSync(path.join(folder, name), file.data);
}

export async function handleUpload(request: UploadRequest): Promise<UploadAnswer> {
	const { fields, file } = request;
	if (file) saveForConformance(fields, file);
	// 1. both required
	const caseType = fields.case_type;
	if (!file || !caseType) return importerError(UPLOAD_MESSAGES.missingFileOrCaseType);
	// 2. search_field
	const searchField = fields.search_field ?? 'case_id';
	if (searchField !== 'case_id' && searchField !== 'external_id') {
		return importerError(UPLOAD_MESSAGES.illegalSearchField(searchField));
	}
	// 3. extension
	const extension = fileExtension(file.fileName);
	if (!(SUPPORTED_EXTENSIONS as readonly string[]).includes(extension))
		return importerError(UPLOAD_MESSAGES.badExtension);
	// 4. open the file
	let workbook: Workbook;
	try {
		workbook = await readWorkbook(extension as Extension, file.data);
	} catch (error) {
		if (!(error instanceof SpreadsheetError)) throw error;
		if (error.kind === 'encrypted') return importerError(UPLOAD_MESSAGES.passwordProtected);
		if (error.kind === 'uncaught') return { response: serverErrorPage() };
		return importerError(UPLOAD_MESSAGES.fileError(error.detail));
	}
	if (workbook.sheets.length === 0) return importerError(UPLOAD_MESSAGES.fileError(UPLOAD_MESSAGES.noSheets));
	// 5. the project must use cases
	const known = knownCaseTypes(request);
	if (known.size === 0) return importerError(UPLOAD_MESSAGES.noCaseTypes);
	// 6. multi-sheet detection, then header checks
	const multiSheet = workbook.sheets.every((sheet) => known.has(sheet.title));
	for (const sheet of multiSheet ? workbook.sheets : workbook.sheets.slice(0, 1)) {
		const failure = checkSheetHeaders(sheet);
		if (failure) return failure;
	}
	// 8. build the configuration and queue the import
	let outcome: ImportOutcome;
	const context = {
		domain: request.domain,
		domainConfig: request.domainConfig,
		cases: request.cases,
		uploader: request.user,
		users: request.users,
	};
	if (multiSheet) {
		// `_create_bulk_configs` reads these with request.POST[...]: a missing one is an uncaught KeyError (HTML 500).
		const strictFields = ['search_field', 'search_column', 'create_new_cases'];
		if (strictFields.some((name) => fields[name] === undefined)) return { response: serverErrorPage() };
		outcome = importEverySheet(
			context,
			{
				searchField: fields.search_field as 'case_id' | 'external_id',
				searchColumn: fields.search_column,
				createNewCases: fields.create_new_cases === 'True',
			},
			workbook.sheets,
		);
	} else {
		outcome = importSingleSheet(
			context,
			{
				caseType,
				searchField,
				searchColumn: fields.search_column ?? searchField,
				createNewCases: fields.create_new_cases === 'on',
				nameColumn: fields.name_column ?? 'name',
			},
			workbook.sheets[0],
		);
	}
	const uploadId = randomUUID();
	const statusUrl = `${request.publicBaseUrl}/a/${request.domain}/importer/history/uploads/${uploadId}/status`;
	return {
		response: jsonResponse(200, { code: 200, message: 'success', status_url: statusUrl }),
		accepted: { uploadId, outcome, caseType, fileName: file.fileName, comment: fields.comment ?? '' },
	};
}
