/**
 * The lookup-table endpoints behind server.ts's routing: the upload (`require_POST`, `api_auth()`, Edit Data, the
 * plan's lookup-tables privilege; the throttle's 429 is a fault), the async status (no method check, no throttle)
 * and the read APIs, with the store, the recorded uploads and the async tasks they share.
 */
import type { Authenticator } from '../auth';
import { checkEditData, checkMembership } from '../auth';
import {
	appendSlashErrorPage,
	appendSlashRedirect,
	emptyResponse,
	upgradeRequiredPage,
	type EmulatorResponse,
} from '../djangoPages';
import { parseForm } from '../multipart';
import type { EmulatorDomain, LookupTableTimeline, RecordedLookupTableUpload } from '../types';
import { ownerDirectory } from './owners';
import { answerLookupTableRead, type ReadResource } from './readViews';
import { LookupTableStore } from './store';
import { answerLookupTableStatus, handleLookupTableUpload, type LookupTableTask } from './uploadView';

const DOMAIN = String.raw`([\w.:-]+)`;
export const LOOKUP_TABLE_ROUTES = {
	// Django tries the status pattern first; any other path under fixapi/ reaches the upload view.
	status: new RegExp(String.raw`^/a/${DOMAIN}/fixtures/fixapi/status/((?:dl-)?[0-9a-fA-Z]{25,32})/$`),
	upload: new RegExp(String.raw`^/a/${DOMAIN}/fixtures/fixapi/`),
	uploadWithoutSlash: new RegExp(String.raw`^/a/${DOMAIN}/fixtures/fixapi$`),
	lookupTable: new RegExp(String.raw`^/a/${DOMAIN}/api/(?:lookup_table/v1|v0\.5/lookup_table)/$`),
	lookupTableItem: new RegExp(String.raw`^/a/${DOMAIN}/api/(?:lookup_table_item/v[12]|v0\.[56]/lookup_table_item)/$`),
	fixture: new RegExp(String.raw`^/a/${DOMAIN}/api/(?:fixture/v1|v0\.[45]/fixture)/$`),
	readWithoutSlash: new RegExp(
		String.raw`^/a/${DOMAIN}/api/(?:lookup_table/v1|v0\.5/lookup_table|lookup_table_item/v[12]|v0\.[56]/lookup_table_item|fixture/v1|v0\.[45]/fixture)$`,
	),
};

export type LookupTableRequestKind = 'lookupTableUpload' | 'lookupTableStatus' | 'lookupTableApi';

export function lookupTableRequestKind(path: string): LookupTableRequestKind | undefined {
	const r = LOOKUP_TABLE_ROUTES;
	if (r.status.test(path)) return 'lookupTableStatus';
	if (r.upload.test(path) || r.uploadWithoutSlash.test(path)) return 'lookupTableUpload';
	if ([r.lookupTable, r.lookupTableItem, r.fixture, r.readWithoutSlash].some((route) => route.test(path))) {
		return 'lookupTableApi';
	}
	return undefined;
}

export interface LookupTableHttpRequest {
	method: string;
	path: string;
	search: string;
	query: Record<string, string>;
	headers: Record<string, string>;
	body: Buffer;
}

export const DEFAULT_LOOKUP_TABLE_TIMELINE: LookupTableTimeline = { queuedPolls: 1, runningPolls: 1 };

export class LookupTableEndpoints {
	readonly store = new LookupTableStore();
	readonly uploads: RecordedLookupTableUpload[] = [];
	readonly tasks = new Map<string, LookupTableTask>();
	timeline: LookupTableTimeline;

	constructor(
		private readonly auth: Authenticator,
		private readonly domains: Record<string, EmulatorDomain>,
		private readonly publicBaseUrl: () => string,
		timeline: LookupTableTimeline = DEFAULT_LOOKUP_TABLE_TIMELINE,
		private readonly onFile?: (data: Buffer) => void,
	) {
		this.timeline = { ...timeline };
	}

	reset(): void {
		this.store.clear();
		this.uploads.length = 0;
		this.tasks.clear();
	}

	/** Answers a request of one of the routes above, or undefined when the path is none of them. */
	async answer(
		request: LookupTableHttpRequest,
		onRecord: (record: RecordedLookupTableUpload) => void,
	): Promise<EmulatorResponse | undefined> {
		const r = LOOKUP_TABLE_ROUTES;
		let match = r.status.exec(request.path);
		if (match) return this.status(request, match[1], match[2]);
		match = r.uploadWithoutSlash.exec(request.path) ?? r.readWithoutSlash.exec(request.path);
		if (match) {
			// Django's APPEND_SLASH cannot redirect a POST and keep its data: it raises instead.
			if (['POST', 'PUT', 'PATCH'].includes(request.method)) {
				return appendSlashErrorPage(request.headers.host ?? '', request.path);
			}
			return appendSlashRedirect(`${request.path}/`, request.search);
		}
		match = r.upload.exec(request.path);
		if (match) return this.upload(request, match[1], onRecord);
		for (const resource of ['lookupTable', 'lookupTableItem', 'fixture'] as const) {
			match = r[resource].exec(request.path);
			if (match) return this.read(request, match[1], resource);
		}
		return undefined;
	}

	/** `require_can_edit_fixtures`: Edit Data, then the plan's privilege ("Upgrade Required" page, status 200). */
	private refusal(request: LookupTableHttpRequest, user: Parameters<typeof checkEditData>[0], domain: string) {
		return (
			checkMembership(user, domain, domain in this.domains) ??
			checkEditData(user, request.headers['x-requested-with'] === 'XMLHttpRequest') ??
			(this.domains[domain].lookupTables === false ? upgradeRequiredPage() : undefined)
		);
	}

	private async upload(
		request: LookupTableHttpRequest,
		domain: string,
		onRecord: (record: RecordedLookupTableUpload) => void,
	): Promise<EmulatorResponse> {
		if (request.method !== 'POST') return emptyResponse(405, { Allow: 'POST' });
		const form = await parseForm(request.headers['content-type'], request.body, 'file-to-upload');
		const outcome = this.auth.authenticate({
			authorization: request.headers.authorization,
			query: request.query,
			form: form.fields,
		});
		if (!outcome.ok) return outcome.response;
		const record: RecordedLookupTableUpload = {
			fields: form.fields,
			fileName: form.file?.fileName,
			file: form.file?.data,
			status: 0,
			body: '',
		};
		this.uploads.push(record);
		onRecord(record);
		const refused = this.refusal(request, outcome.user, domain);
		const answer = refused
			? { response: refused }
			: await handleLookupTableUpload({
					domain,
					fields: form.fields,
					file: form.file,
					store: this.store,
					owners: ownerDirectory(this.domains[domain].lookupTableOwners),
					publicBaseUrl: this.publicBaseUrl(),
					timeline: this.timeline,
					onFile: this.onFile,
				});
		record.status = answer.response.status;
		record.body = parsed(answer.response);
		if ('task' in answer && answer.task) {
			record.downloadId = answer.task.downloadId;
			this.tasks.set(answer.task.downloadId, answer.task);
		}
		return answer.response;
	}

	private async status(request: LookupTableHttpRequest, domain: string, downloadId: string): Promise<EmulatorResponse> {
		const outcome = this.auth.authenticate({
			authorization: request.headers.authorization,
			query: request.query,
			form: {},
		});
		if (!outcome.ok) return outcome.response;
		const refused = this.refusal(request, outcome.user, domain);
		if (refused) return refused;
		// soil's download ids are not tied to a project space: any member's poll sees the task.
		return answerLookupTableStatus(
			this.tasks.get(downloadId),
			downloadId,
			this.store,
			ownerDirectory(this.domains[this.tasks.get(downloadId)?.domain ?? domain]?.lookupTableOwners),
		);
	}

	private read(request: LookupTableHttpRequest, domain: string, resource: ReadResource): EmulatorResponse {
		return answerLookupTableRead({
			resource,
			method: request.method,
			domain,
			config: this.domains[domain],
			user: this.auth.authenticateApiResource({
				authorization: request.headers.authorization,
				query: request.query,
				form: {},
			}),
			path: request.path,
			query: request.query,
			store: this.store,
		});
	}
}

function parsed(response: EmulatorResponse): unknown {
	if (response.headers['Content-Type'] !== 'application/json') return response.body;
	try {
		return JSON.parse(response.body);
	} catch {
		return response.body;
	}
}
