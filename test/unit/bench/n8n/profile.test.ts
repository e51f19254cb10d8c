/**
 * The benchmark's CPU-profile reader (bench/n8n/profile.ts): only the samples inside the measured window count,
 * idle apart; self time by package; time with our package anywhere on the stack.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

import { packageOf, summarizeProfile } from '../../../../bench/n8n/profile';

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
const OURS = 'file:///u/.n8n/nodes/node_modules/n8n-nodes-commcare/dist/nodes/x.js';
const WORKFLOW = '/usr/lib/node_modules/n8n/node_modules/n8n-workflow/dist/cjs/expression.js';

describe('packageOf', () => {
	it.each([
		[OURS, 'run', 'n8n-nodes-commcare'],
		['/a/node_modules/@n8n/expression-runtime/dist/cjs/bridge.js', 'execute', '@n8n/expression-runtime'],
		['node:internal/streams/readable', 'read', 'Node.js internals'],
		['', '(garbage collector)', '(garbage collector)'],
		['', 'nativeThing', '(native)'],
		['/srv/app.js', 'main', '(other)'],
	])('%s, %s: %s', (url, functionName, expected) => {
		expect(packageOf(url, functionName)).toBe(expected);
	});
});

describe('summarizeProfile', () => {
	let folder: string;
	beforeAll(() => (folder = mkdtempSync(path.join(os.tmpdir(), 'cpu-profile-'))));
	afterAll(() => rmSync(folder, { recursive: true, force: true }));

	it('counts the window only, splits idle off, and finds our package on the stack of what it called', () => {
		// root → ours → n8n-workflow (our code calling n8n), root → n8n-workflow (n8n alone), root → (idle)
		const nodes = [
			{ id: 1, callFrame: frame('(root)', ''), children: [2, 4, 5] },
			{ id: 2, callFrame: frame('run', OURS), children: [3] },
			{ id: 3, callFrame: frame('getNodeParameter', WORKFLOW) },
			{ id: 4, callFrame: frame('stringify', WORKFLOW) },
			{ id: 5, callFrame: frame('(idle)', '') },
		];
		// Samples 1 ms apart from t = 1000 µs; each stands for the time until the next one.
		const samples = [4, 2, 3, 3, 5, 4, 4];
		const profile = { nodes, startTime: 0, samples, timeDeltas: samples.map(() => 1000) };
		const file = path.join(folder, 'a.cpuprofile');
		writeFileSync(file, JSON.stringify(profile));

		// The window holds samples 2..6 (t = 2000..6000): run, getNodeParameter ×2, idle, stringify.
		const summary = summarizeProfile(file, [2000, 6000]);
		expect(summary.idleMs).toBe(1);
		expect(summary.busyMs).toBe(4);
		expect(summary.oursInclusiveMs).toBe(3);
		expect(summary.byPackage).toEqual([
			{ name: 'n8n-workflow', ms: 3 },
			{ name: 'n8n-nodes-commcare', ms: 1 },
		]);
		expect(summary.topFrames[0]).toMatchObject({ frame: 'getNodeParameter', ms: 2 });
	});
});
