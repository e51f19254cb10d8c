/**
 * The HTTP front of the emulator: routing like CommCare's URL patterns, request recording, fault injection, and
 * the decorator order of each view (docs/commcare-api.md §2).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Authenticator, checkAccessApi, checkEditData, checkMembership, toKnownUser, type KnownUser } from './auth';
import { answerBulkFetch, answerCaseByExternalId, answerCaseById, type CaseApiRequest } from './caseApiView';
import { InMemoryCaseStore } from './caseStore';
import {
	appendSlashErrorPage,
	appendSlashRedirect,
	corsPreflight,
	emptyResponse,
	notFoundPage,
	serverErrorPage,
	upgradeRequiredPage,
	type EmulatorResponse,
} from './djangoPages';
import { FaultController, type RequestKind } from './faults';
import { answerIdentity } from './identityView';
import { answerApplications, answerDomainCases, answerUserDomains } from './listsView';
import { parseForm } from './multipart';
import { CaseSearchIndex } from './searchIndex';
import { answerStatus } from './statusView';
import type {
	BulkFetchRecord,
	Emulator,
	EmulatorDomain,
	EmulatorOptions,
	EmulatorUser,
	IndexLag,
	ImportRecord,
	RecordedRequest,
	RecordedLookupTableUpload,
	RecordedUpload,
	LookupTableTimeline,
	Timeline,
} from './types';
import { handleUpload } from './uploadView';
import { LookupTableEndpoints, lookupTableRequestKind } from './lookupTables/endpoints';
import type { LookupTableStore } from './lookupTables/store';

export const DEFAULT_DOMAINS: Record<string, EmulatorDomain> = {
	demo: {
		caseTypes: ['household', 'patient'],
		owners: ['owner-chw-1', 'owner-chw-2', 'group-district-a'],
		lookupTableOwners: {
			users: ['demo@example.org', 'viewer@example.org', 'worker@demo.commcarehq.org', 'dataonly@example.org'],
			groups: ['District A'],
			locations: [
				{ name: 'Kisumu', site_code: 'kisumu' },
				{ name: 'Nairobi', site_code: 'nbo' },
				{ name: 'Central', site_code: 'central_1' },
				{ name: 'Central', site_code: 'central_2' },
			],
		},
	},
	nocases: { caseTypes: [], owners: [] },
};

export const DEFAULT_USERS: EmulatorUser[] = [
	{
		username: 'demo@example.org',
		apiKey: 'demo-api-key-0001',
		password: 'demo-password',
		domains: ['demo', 'nocases'],
		firstName: 'Demo',
		lastName: 'User',
	},
	{ username: 'viewer@example.org', apiKey: 'viewer-key', domains: ['demo'], canEditData: false },
	{ username: 'outsider@example.org', apiKey: 'outsider-key', domains: [] },
	{ username: 'worker@demo.commcarehq.org', apiKey: 'worker-key', domains: ['demo'], webUser: false },
	{ username: 'dataonly@example.org', apiKey: 'dataonly-key', domains: ['demo'], canEditApps: false },
];

export const DEFAULT_TIMELINE: Timeline = { queuedPolls: 1, runningPolls: 1 };

/** Django's domain pattern is `[\w\.:-]+`; upload ids `[\w-]+`. */
const DOMAIN = String.raw`([\w.:-]+)`;
const ROUTES = {
	upload: new RegExp(String.raw`^/a/${DOMAIN}/importer/excel/bulk_upload_api/$`),
	uploadWithoutSlash: new RegExp(String.raw`^/a/${DOMAIN}/importer/excel/bulk_upload_api$`),
	status: new RegExp(String.raw`^/a/${DOMAIN}/importer/history/uploads/([\w-]+)/status$`),
	identity: /^\/api\/(?:identity\/v1|v0\.5\/identity)\/$/,
	userDomains: /^\/api\/(?:user_domains\/v1|v0\.5\/user_domains)\/$/,
	apiWithoutSlash: /^\/api\/(?:identity\/v1|v0\.5\/identity|user_domains\/v1|v0\.5\/user_domains)$/,
	// Case API v2, tried in Django's order (docs/commcare-api.md §9.1): bulk fetch (slash required), a case id (slash
	// optional, so "bulk-fetch" without its slash lands here), then an external id (any characters, slash required).
	bulkFetch: new RegExp(String.raw`^/a/${DOMAIN}/api/(?:case/v2|v0\.6/case)/bulk-fetch/$`),
	caseById: new RegExp(String.raw`^/a/${DOMAIN}/api/case/v2/([\w\-,]+)/?$`),
	caseByExternalId: new RegExp(String.raw`^/a/${DOMAIN}/api/case/v2/ext/(.+)/$`),
	caseByExternalIdWithoutSlash: new RegExp(String.raw`^/a/${DOMAIN}/api/case/v2/ext/(.+[^/])$`),
	applications: new RegExp(String.raw`^/a/${DOMAIN}/api/(?:application/v1|v0\.5/application|v0\.4/application)/$`),
	domainCases: new RegExp(String.raw`^/a/${DOMAIN}/api/(?:domain_cases/v1|v0\.5/domain_cases)/$`),
	listsWithoutSlash: new RegExp(
		String.raw`^/a/${DOMAIN}/api/(?:application/v1|v0\.5/application|v0\.4/application|domain_cases/v1|v0\.5/domain_cases)$`,
	),
};

function isCaseApi(path: string): boolean {
	return [ROUTES.bulkFetch, ROUTES.caseById, ROUTES.caseByExternalId, ROUTES.caseByExternalIdWithoutSlash].some(
		(route) => route.test(path),
	);
}

function requestKind(path: string): RequestKind {
	const lookupTableKind = lookupTableRequestKind(path);
	if (lookupTableKind) return lookupTableKind;
	if (ROUTES.upload.test(path) || ROUTES.uploadWithoutSlash.test(path)) return 'upload';
	if (ROUTES.status.test(path)) return 'status';
	if (isCaseApi(path)) return 'caseApi';
	if (ROUTES.userDomains.test(path) || ROUTES.applications.test(path) || ROUTES.domainCases.test(path)) return 'lists';
	if (ROUTES.identity.test(path) || ROUTES.apiWithoutSlash.test(path)) return 'identity';
	return 'other';
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

function lowerCaseHeaders(req: http.IncomingMessage): Record<string, string> {
	const headers: Record<string, string> = {};
	for (const [key, value] of Object.entries(req.headers)) {
		if (value !== undefined) headers[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
	}
	return headers;
}

function queryObject(url: URL): Record<string, string> {
	const query: Record<string, string> = {};
	for (const [key, value] of url.searchParams) query[key] = value; // last value wins, like Django's QueryDict.get
	return query;
}

/** A Django-like error page for `faults.respond(..., { html: true })`. */
function faultHtml(status: number): string {
	return `<!DOCTYPE html>\n<html><head><title>${status} Error</title></head><body><h1>Server Error (${status})</h1></body></html>\n`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface HandlerContext {
	req: http.IncomingMessage;
	url: URL;
	path: string;
	query: Record<string, string>;
	headers: Record<string, string>;
	body: Buffer;
}

export class EmulatorServer implements Emulator {
	baseUrl = '';
	domain: string;
	username: string;
	apiKey: string;
	password: string;
	readonly requests: RecordedRequest[] = [];
	readonly uploads: RecordedUpload[] = [];
	readonly searchIndex = new CaseSearchIndex();
	readonly cases = new InMemoryCaseStore((written) => this.searchIndex.write(written));
	readonly imports = new Map<string, ImportRecord>();
	readonly faults = new FaultController();
	readonly bulkFetches: BulkFetchRecord[] = [];

	private readonly server: http.Server;
	private readonly domains: Record<string, EmulatorDomain>;
	private readonly users: KnownUser[];
	private readonly auth: Authenticator;
	private timeline: Timeline;
	private publicBaseUrl = '';
	private readonly lookupTableEndpoints: LookupTableEndpoints;

	constructor(private readonly options: EmulatorOptions & { log?: (line: string) => void } = {}) {
		this.domains = options.domains ?? DEFAULT_DOMAINS;
		this.users = (options.users ?? DEFAULT_USERS).map(toKnownUser);
		this.auth = new Authenticator(this.users);
		this.timeline = { ...(options.timeline ?? DEFAULT_TIMELINE) };
		this.searchIndex.setLag(options.indexLag ?? {});
		this.lookupTableEndpoints = new LookupTableEndpoints(
			this.auth,
			this.domains,
			() => this.publicBaseUrl,
			options.lookupTableTimeline,
		);
		const main =
			this.users.find((u) => u.webUser && u.canEditData && u.apiKey && u.domains.some((d) => d in this.domains)) ??
			this.users[0];
		this.domain = main?.domains.find((d) => d in this.domains) ?? Object.keys(this.domains)[0] ?? '';
		this.username = main?.username ?? '';
		this.apiKey = main?.apiKey ?? '';
		this.password = main?.password ?? '';
		this.server = http.createServer((req, res) => {
			this.handle(req, res).catch((error: unknown) => {
				this.log(`internal error: ${(error as Error).stack ?? String(error)}`);
				if (!res.headersSent) this.send(res, serverErrorPage());
			});
		});
	}

	async listen(): Promise<void> {
		await new Promise<void>((resolve, reject) => {
			this.server.once('error', reject);
			this.server.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
		});
		const { port } = this.server.address() as AddressInfo;
		this.baseUrl = `http://127.0.0.1:${port}`;
		this.publicBaseUrl = (this.options.publicBaseUrl ?? this.baseUrl).replace(/\/+$/, '');
	}

	setTimeline(t: Timeline): void {
		this.timeline = { queuedPolls: t.queuedPolls, runningPolls: t.runningPolls };
	}

	setIndexLag(lag: IndexLag): void {
		this.searchIndex.setLag(lag);
	}

	get lookupTables(): LookupTableStore {
		return this.lookupTableEndpoints.store;
	}

	get lookupTableUploads(): RecordedLookupTableUpload[] {
		return this.lookupTableEndpoints.uploads;
	}

	setLookupTableTimeline(t: LookupTableTimeline): void {
		this.lookupTableEndpoints.timeline = { queuedPolls: t.queuedPolls, runningPolls: t.runningPolls };
	}

	get caseApiReads(): number {
		return this.searchIndex.readCount;
	}

	reset(): void {
		this.requests.length = 0;
		this.uploads.length = 0;
		this.imports.clear();
		this.cases.clear();
		this.searchIndex.clear();
		this.bulkFetches.length = 0;
		this.faults.clear();
		this.lookupTableEndpoints.reset();
	}

	close(): Promise<void> {
		return new Promise((resolve) => {
			this.server.close(() => resolve());
			this.server.closeAllConnections();
		});
	}

	private log(line: string): void {
		this.options.log?.(line);
	}

	private send(res: http.ServerResponse, response: EmulatorResponse): void {
		const body = Buffer.from(response.body, 'utf8');
		res.writeHead(response.status, { ...response.headers, 'Content-Length': String(body.length) });
		res.end(body);
	}

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		req.on('error', () => undefined); // a client that goes away mid-request must not crash the emulator
		const url = new URL(req.url ?? '/', 'http://emulator.invalid');
		const headers = lowerCaseHeaders(req);
		const query = queryObject(url);
		this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query, headers, at: Date.now() });
		const kind = requestKind(url.pathname);

		// Both faults are claimed on arrival, so a delayed request never takes a fault armed for a later one.
		const delay = this.faults.takeDelay(kind);
		const fault = this.faults.takeAnswer(kind);
		if (delay.ms > 0 && !delay.afterBodyReceived) await sleep(delay.ms);
		if (fault?.kind === 'drop' && !fault.afterBodyReceived) {
			this.log(`${req.method} ${url.pathname} -> connection dropped (fault)`);
			req.socket.destroy();
			return;
		}
		const body = await readBody(req);
		if (fault?.kind === 'respond') {
			const { status, retryAfter, html, body: rawBody } = fault.response;
			const faultHeaders: Record<string, string> = {
				'Content-Type': html ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
			};
			if (retryAfter !== undefined) faultHeaders['Retry-After'] = String(retryAfter);
			Object.assign(faultHeaders, fault.response.headers ?? {});
			this.log(`${req.method} ${url.pathname} -> ${status} (fault)`);
			this.send(res, { status, headers: faultHeaders, body: rawBody ?? (html ? faultHtml(status) : '') });
			return;
		}

		const upload: { record?: RecordedUpload | RecordedLookupTableUpload } = {};
		const arrivedAt = Date.now();
		const response = await this.route({ req, url, path: url.pathname, query, headers, body }, upload);
		// CommCare answers an upload before its import runs (in the background), so the answer's Date is never later
		// than the import's case times. The emulator imports while answering: its Date is the request's arrival.
		if (kind === 'upload') response.headers.Date ??= new Date(arrivedAt).toUTCString();
		if (delay.ms > 0 && delay.afterBodyReceived) {
			this.log(`${req.method} ${url.pathname} -> processed, answer held back ${delay.ms} ms (fault)`);
			await sleep(delay.ms);
		}
		if (fault?.kind === 'drop') {
			if (upload.record) upload.record.fault = 'dropConnection';
			this.log(`${req.method} ${url.pathname} -> processed, connection dropped (fault)`);
			req.socket.destroy();
			return;
		}
		if (fault?.kind === 'trickle') {
			await this.trickle(req, res, response, kind, fault);
			return;
		}
		if (fault?.kind === 'malformedJson') {
			if (upload.record) upload.record.fault = 'malformedJson';
			const text = response.body || '{"code": 200, "message": "success"}';
			this.send(res, {
				status: 200,
				headers: { 'Content-Type': 'application/json' },
				body: text.slice(0, Math.max(1, Math.floor(text.length / 2))),
			});
			return;
		}
		this.send(res, response);
	}

	/** Sends `response` one byte at a time (see FaultKnobs.trickle), until done or the client hangs up. */
	private async trickle(
		req: http.IncomingMessage,
		res: http.ServerResponse,
		response: EmulatorResponse,
		kind: RequestKind,
		fault: { intervalMs: number; phase: 'headers' | 'body' },
	): Promise<void> {
		const body = Buffer.from(response.body, 'utf8');
		const head = Buffer.from(
			`HTTP/1.1 ${response.status} ${http.STATUS_CODES[response.status] ?? ''}\r\n` +
				Object.entries({ ...response.headers, 'Content-Length': String(body.length), Connection: 'close' })
					.map(([name, value]) => `${name}: ${value}\r\n`)
					.join('') +
				'\r\n',
		);
		const socket = req.socket;
		// Headers at once in the 'body' phase; everything byte by byte in the 'headers' phase.
		const slow = fault.phase === 'headers' ? Buffer.concat([head, body]) : body;
		const record = { kind, phase: fault.phase, bytesSent: 0, bytesTotal: slow.length, cutByClient: false };
		this.faults.trickles.push(record);
		res.detachSocket(socket);
		if (fault.phase === 'body') socket.write(head);
		this.log(`${req.method} ${req.url} -> answer trickled, one byte every ${fault.intervalMs} ms (fault)`);
		for (const byte of slow) {
			if (socket.destroyed || socket.writableEnded) {
				record.cutByClient = true;
				return;
			}
			socket.write(Buffer.from([byte]));
			record.bytesSent += 1;
			await sleep(fault.intervalMs);
		}
		socket.end();
	}

	private async route(
		ctx: HandlerContext,
		upload: { record?: RecordedUpload | RecordedLookupTableUpload },
	): Promise<EmulatorResponse> {
		const method = ctx.req.method ?? 'GET';
		let match = ROUTES.upload.exec(ctx.path);
		if (match) return this.uploadView(ctx, match[1], upload);
		match =
			ROUTES.uploadWithoutSlash.exec(ctx.path) ??
			ROUTES.apiWithoutSlash.exec(ctx.path) ??
			ROUTES.listsWithoutSlash.exec(ctx.path);
		if (match) {
			// Django's APPEND_SLASH cannot redirect a POST and keep its data: it raises instead.
			if (['POST', 'PUT', 'PATCH'].includes(method)) return appendSlashErrorPage(ctx.headers.host ?? '', ctx.path);
			return appendSlashRedirect(`${ctx.path}/`, ctx.url.search);
		}
		match = ROUTES.status.exec(ctx.path);
		if (match) return this.statusView(ctx, match[1], match[2]);
		if (isCaseApi(ctx.path)) return this.caseApiView(ctx);
		if (ROUTES.identity.test(ctx.path) || ROUTES.userDomains.test(ctx.path)) {
			if (method !== 'GET') return emptyResponse(405, { Allow: 'GET' });
			const user = this.auth.authenticateApiResource({
				authorization: ctx.headers.authorization,
				query: ctx.query,
				form: {},
			});
			if (ROUTES.identity.test(ctx.path)) return answerIdentity(user);
			return this.logged(ctx, answerUserDomains(user, this.domains, ctx.query, ctx.path));
		}
		match = ROUTES.applications.exec(ctx.path) ?? ROUTES.domainCases.exec(ctx.path);
		if (match) {
			const user = this.auth.authenticateApiResource({
				authorization: ctx.headers.authorization,
				query: ctx.query,
				form: {},
			});
			const domain = match[1];
			if (ROUTES.applications.test(ctx.path)) {
				return this.logged(ctx, answerApplications(user, method, domain, this.domains[domain]));
			}
			if (method !== 'GET') return emptyResponse(405, { Allow: 'GET' });
			return this.logged(ctx, answerDomainCases(user, domain, this.domains[domain], this.cases, ctx.query, ctx.path));
		}
		const lookupTableAnswer = await this.lookupTableEndpoints.answer(
			{ method, path: ctx.path, search: ctx.url.search, query: ctx.query, headers: ctx.headers, body: ctx.body },
			(record) => (upload.record = record),
		);
		if (lookupTableAnswer) return this.logged(ctx, lookupTableAnswer);
		return notFoundPage(ctx.path);
	}

	/** Decorators: require POST, then api_auth (authentication + membership), then edit_data. */
	private async uploadView(
		ctx: HandlerContext,
		domain: string,
		upload: { record?: RecordedUpload | RecordedLookupTableUpload },
	): Promise<EmulatorResponse> {
		if (ctx.req.method !== 'POST') return emptyResponse(405, { Allow: 'POST' });
		const form = await parseForm(ctx.headers['content-type'], ctx.body);
		const outcome = this.auth.authenticate({
			authorization: ctx.headers.authorization,
			query: ctx.query,
			form: form.fields,
		});
		if (!outcome.ok) return this.logged(ctx, outcome.response);
		const user = outcome.user;
		const record: RecordedUpload = {
			fields: form.fields,
			fileName: form.file?.fileName,
			file: form.file?.data,
			status: 0,
			body: '',
		};
		this.uploads.push(record);
		upload.record = record;
		const denied =
			checkMembership(user, domain, domain in this.domains) ??
			checkEditData(user, ctx.headers['x-requested-with'] === 'XMLHttpRequest');
		if (denied) {
			record.status = denied.status;
			record.body = denied.body;
			return this.logged(ctx, denied);
		}

		const answer = await handleUpload({
			domain,
			domainConfig: this.domains[domain],
			user,
			users: this.users,
			cases: this.cases,
			fields: form.fields,
			file: form.file,
			publicBaseUrl: this.publicBaseUrl,
		});
		record.status = answer.response.status;
		record.body = parseBodyForRecord(answer.response);
		if (answer.accepted) {
			const { uploadId, outcome: imported, caseType, fileName, comment } = answer.accepted;
			record.uploadId = uploadId;
			this.imports.set(uploadId, {
				domain,
				uploadId,
				state: -1,
				percent: null,
				result: imported.result,
				finalState: imported.finalState,
				polls: 0,
				timeline: { ...this.timeline },
				caseType,
				fileName,
				comment,
				username: user.username,
			});
			const r = imported.result;
			this.log(
				`upload ${uploadId} ${domain}/${caseType} "${fileName}" by ${user.username}: ` +
					(imported.finalState === 2
						? `created ${r.created_count}, updated ${r.match_count}, ${r.errors.length} error group(s)`
						: `import failed: ${r.errors[0]?.description}`),
			);
		} else {
			const fileName = form.file?.fileName ?? '';
			this.log(
				`upload refused (${answer.response.status}) ${domain} "${fileName}": ${answer.response.body.slice(0, 160)}`,
			);
		}
		return answer.response;
	}

	/** Decorators: api_auth (authentication + membership), then the GET check, then edit_data. */
	private statusView(ctx: HandlerContext, domain: string, uploadId: string): EmulatorResponse {
		const form = {}; // status GETs carry no form; query credentials still work
		const outcome = this.auth.authenticate({ authorization: ctx.headers.authorization, query: ctx.query, form });
		if (!outcome.ok) return outcome.response;
		const membership = checkMembership(outcome.user, domain, domain in this.domains);
		if (membership) return membership;
		if (ctx.req.method !== 'GET') return emptyResponse(405, { Allow: 'GET' });
		const denied = checkEditData(outcome.user, ctx.headers['x-requested-with'] === 'XMLHttpRequest');
		if (denied) return denied;
		const record = this.imports.get(uploadId);
		const response = answerStatus(
			record && record.domain === domain ? record : undefined,
			uploadId,
			this.faults.isGone(uploadId),
		);
		if (record && response.status === 200)
			this.log(`status ${uploadId}: poll ${record.polls} -> state ${record.state}`);
		return response;
	}

	/**
	 * The Case API's decorators, outermost first (docs/commcare-api.md §9.2): CORS (OPTIONS answered at once), api_auth
	 * without credentials in the query or form (mobile workers allowed), edit_data, access_api, then the plan's
	 * API access ("Upgrade Required" page). The throttle's 429 is a fault (`faults.respond('caseApi', …)`).
	 */
	private caseApiView(ctx: HandlerContext): EmulatorResponse {
		const method = ctx.req.method ?? 'GET';
		if (method === 'OPTIONS') return corsPreflight();
		const withoutSlash = ROUTES.caseByExternalIdWithoutSlash.exec(ctx.path);
		if (withoutSlash && !ROUTES.caseByExternalId.test(ctx.path) && !ROUTES.caseById.test(ctx.path)) {
			if (['POST', 'PUT', 'PATCH'].includes(method)) return appendSlashErrorPage(ctx.headers.host ?? '', ctx.path);
			return appendSlashRedirect(`${ctx.path}/`, ctx.url.search);
		}
		const outcome = this.auth.authenticate({ authorization: ctx.headers.authorization, query: {}, form: {} });
		if (!outcome.ok) return this.logged(ctx, outcome.response);
		const domain = (ROUTES.bulkFetch.exec(ctx.path) ??
			ROUTES.caseById.exec(ctx.path) ??
			ROUTES.caseByExternalId.exec(ctx.path)) as RegExpExecArray;
		const denied =
			checkMembership(outcome.user, domain[1], domain[1] in this.domains) ??
			checkEditData(outcome.user, ctx.headers['x-requested-with'] === 'XMLHttpRequest') ??
			checkAccessApi(outcome.user, ctx.headers['x-requested-with'] === 'XMLHttpRequest');
		if (denied) return this.logged(ctx, denied);
		if (this.domains[domain[1]].apiAccess === false) return this.logged(ctx, upgradeRequiredPage());
		this.searchIndex.beginRead();
		const request: CaseApiRequest = {
			domain: domain[1],
			method,
			params: ctx.url.searchParams,
			body: ctx.body,
			store: this.cases,
			index: this.searchIndex,
			onBulkFetch: (caseIds, externalIds) => this.bulkFetches.push({ domain: domain[1], caseIds, externalIds }),
		};
		let match = ROUTES.bulkFetch.exec(ctx.path);
		if (match) return this.logged(ctx, answerBulkFetch(request));
		match = ROUTES.caseById.exec(ctx.path);
		if (match) return this.logged(ctx, answerCaseById(request, match[2]));
		match = ROUTES.caseByExternalId.exec(ctx.path) as RegExpExecArray;
		return this.logged(ctx, answerCaseByExternalId(request, decodeURIComponent(match[2])));
	}

	private logged(ctx: HandlerContext, response: EmulatorResponse): EmulatorResponse {
		this.log(`${ctx.req.method} ${ctx.path} -> ${response.status}`);
		return response;
	}
}

function parseBodyForRecord(response: EmulatorResponse): unknown {
	if (response.headers['Content-Type'] !== 'application/json') return response.body;
	try {
		return JSON.parse(response.body);
	} catch {
		return response.body;
	}
}
