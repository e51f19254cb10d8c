/**
 * The case lookup's test bench: an emulator with a `demo` project (patient and household cases), a `free` project
 * without API access and a user without the Access APIs permission; `importAndCheck` makes a real import there and
 * runs CommCare Import Status over its per-record items, giving each record's output and item by row.
 */
import type { ICredentialDataDecryptedObject, INodeExecutionData } from 'n8n-workflow';

import { CommCareImportStatus } from '../../nodes/CommCareImportStatus/CommCareImportStatus.node';
import type { RecordOutcomeJson } from '../../nodes/shared/outputContract';
import { DEFAULT_USERS, startEmulator, type Emulator } from '../../emulator';
import { emulatorCredential, recordResultItems, uploadToEmulator, type CreatedUpload } from './emulator';
import { runNode } from './n8nContext';

const node = new CommCareImportStatus();
/** Simplify off: the case lookup's tests read its details (case, caseLookup), which Simplify leaves out. */
const FAST = { pollInterval: 0.05, timeout: 1, simplify: false };

type Upload = Parameters<typeof uploadToEmulator>[1];

export interface LookupRun {
	parameters?: Record<string, unknown>;
	credentials?: ICredentialDataDecryptedObject;
	domain?: string;
	/** Runs between the import and Import Status (e.g. to change cases behind the import's back). */
	afterImport?: (upload: CreatedUpload) => void;
	/** The records handed to Import Status (default: all of them). */
	records?: (items: INodeExecutionData[]) => INodeExecutionData[];
}

export function useCaseLookupEmulator() {
	let emulator: Emulator;
	beforeAll(async () => {
		emulator = await startEmulator({
			timeline: { queuedPolls: 0, runningPolls: 0 },
			domains: {
				demo: { caseTypes: ['household', 'patient'], owners: [] },
				free: { caseTypes: ['patient'], owners: [], apiAccess: false },
			},
			users: [
				{ ...DEFAULT_USERS[0], domains: ['demo', 'free'] },
				{ username: 'noapi@example.org', apiKey: 'noapi-key', domains: ['demo'], canAccessApi: false },
			],
		});
	});
	afterEach(() => {
		emulator.reset();
		emulator.setIndexLag({});
	});
	afterAll(() => emulator.close());

	const credentials = (username = emulator.username, apiKey = emulator.apiKey) =>
		emulatorCredential(emulator, { username, apiKey });

	async function importAndCheck(options: Upload, run: LookupRun = {}) {
		const upload = await uploadToEmulator(run.domain ? { ...emulator, domain: run.domain } : emulator, options);
		run.afterImport?.(upload);
		const all = recordResultItems(upload).map((item) =>
			run.domain
				? { json: { ...item.json, upload: { ...(item.json.upload as object), projectSpace: run.domain } } }
				: item,
		);
		const result = await runNode({
			node,
			credentials: run.credentials ?? credentials(),
			parameters: { ...FAST, ...(run.parameters ?? {}) },
			items: run.records ? run.records(all) : all,
		});
		const byRow = new Map<number, { output: string; json: RecordOutcomeJson }>();
		result.outputs.forEach((items: INodeExecutionData[], output) =>
			items.forEach((item) =>
				byRow.set(item.json.row as number, {
					output: ['success', 'warning', 'error', 'notFinished'][output],
					json: item.json as RecordOutcomeJson,
				}),
			),
		);
		return { ...result, byRow, upload };
	}

	return {
		emulator: () => emulator,
		credentials,
		importAndCheck,
		bulkFetches: () => emulator.requests.filter((request) => request.path.endsWith('/case/v2/bulk-fetch/')),
	};
}
