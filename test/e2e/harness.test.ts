/**
 * Proves the real-n8n harness on both supported n8n lines: a plain workflow runs, a community package installed the
 * way n8n installs one is loaded (with its own dependencies) and a failed run comes back with its error.
 * Installs are cached (test/harness/n8n/install.ts); the first run on a machine takes several minutes per version.
 */
import { promises as fs } from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';

import { ensureN8n, SUPPORTED_N8N_VERSIONS } from '../harness/n8n/install';
import { createInstance, type N8nInstance } from '../harness/n8n/instance';
import { packPackage, REPO_ROOT } from '../harness/n8n/pack';

const INSTALL_TIMEOUT_MS = 20 * 60_000;
const RUN_TIMEOUT_MS = 4 * 60_000;

const TINY_PACKAGE_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'tiny-community-node');
const TINY_PACKAGE_NAME = 'n8n-nodes-harness-hello';

const manualTrigger = {
	id: 'trigger',
	name: 'Start',
	type: 'n8n-nodes-base.manualTrigger',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

/** Manual Trigger -> one more node, which is all these checks need. */
function twoNodeWorkflow(name: string, second: Record<string, unknown>) {
	return {
		name,
		nodes: [manualTrigger, { id: 'second', position: [220, 0], ...second }],
		connections: { Start: { main: [[{ node: second.name, type: 'main', index: 0 }]] } },
	};
}

let packDir: string;
let tinyTarball: string;

beforeAll(async () => {
	packDir = await fs.mkdtemp(path.join(os.tmpdir(), 'harness-test-pack-'));
	tinyTarball = await packPackage({ packageDir: TINY_PACKAGE_DIR, skipBuild: true, destination: packDir });
}, RUN_TIMEOUT_MS);

afterAll(async () => {
	await fs.rm(packDir, { recursive: true, force: true });
});

describe.each(SUPPORTED_N8N_VERSIONS)('real n8n %s', (version) => {
	let instance: N8nInstance;

	beforeAll(async () => {
		instance = await createInstance(await ensureN8n(version));
	}, INSTALL_TIMEOUT_MS);

	afterAll(async () => {
		await instance?.cleanup();
	});

	test(
		'runs Manual Trigger -> Set and returns the items the Set node produced, expressions included',
		async () => {
			const workflowId = await instance.importWorkflow(
				twoNodeWorkflow('harness set', {
					name: 'Set Fields',
					type: 'n8n-nodes-base.set',
					typeVersion: 3.4,
					parameters: {
						mode: 'manual',
						assignments: {
							assignments: [
								{ id: 'a', name: 'greeting', value: 'hello from n8n', type: 'string' },
								// An expression: proves the expression engine works on this line (1.x needs the legacy one).
								{ id: 'b', name: 'answer', value: '={{ 6 * 7 }}', type: 'number' },
							],
						},
						options: {},
					},
				}),
			);

			const run = await instance.execute(workflowId);

			expect(run.error).toBeUndefined();
			expect(run.exitCode).toBe(0);
			expect(run.outputs('Set Fields')).toHaveLength(1);
			expect(run.outputs('Set Fields')[0].map((item) => item.json)).toEqual([
				{ greeting: 'hello from n8n', answer: 42 },
			]);
		},
		RUN_TIMEOUT_MS,
	);

	test(
		'loads a community package installed into <userFolder>/.n8n/nodes/node_modules, with its dependencies',
		async () => {
			const installed = await instance.installPackage(tinyTarball);

			expect(installed).toEqual({
				name: TINY_PACKAGE_NAME,
				version: '0.0.1',
				dir: path.join(instance.userFolder, '.n8n', 'nodes', 'node_modules', TINY_PACKAGE_NAME),
			});
			const nodesManifest = JSON.parse(
				await fs.readFile(path.join(instance.userFolder, '.n8n', 'nodes', 'package.json'), 'utf8'),
			);
			expect(nodesManifest.dependencies).toEqual({ [TINY_PACKAGE_NAME]: '0.0.1' });
			// Like n8n, peer dependencies are dropped before `npm install`: the node must use the host's n8n-workflow.
			const packageDeps = await fs.readdir(path.join(installed.dir, 'node_modules'));
			expect(packageDeps).toContain('form-data');
			expect(packageDeps).not.toContain('n8n-workflow');

			const workflowId = await instance.importWorkflow(
				twoNodeWorkflow('harness community node', {
					name: 'Hello',
					type: `${TINY_PACKAGE_NAME}.harnessHello`,
					typeVersion: 1,
					parameters: {},
				}),
			);
			const run = await instance.execute(workflowId);

			expect(run.error).toBeUndefined();
			expect(run.outputs('Hello')[0].map((item) => item.json)).toEqual([{ hello: 'world', formDataVersion: '4.0.6' }]);
		},
		RUN_TIMEOUT_MS,
	);

	test(
		'imports a credential with plain data and applies it to a request to a loopback server',
		async () => {
			const seenTokens: Array<string | undefined> = [];
			const server = http.createServer((request, response) => {
				seenTokens.push(request.headers['x-harness-token'] as string | undefined);
				response.setHeader('content-type', 'application/json');
				response.end(JSON.stringify({ pong: true }));
			});
			await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
			const { port } = server.address() as AddressInfo;
			try {
				await instance.importCredentials([
					{
						id: 'harnessHeaderCred',
						name: 'Harness header',
						type: 'httpHeaderAuth',
						data: { name: 'X-Harness-Token', value: `secret-for-${version}` },
					},
				]);
				const workflowId = await instance.importWorkflow(
					twoNodeWorkflow('harness credential', {
						name: 'Ping',
						type: 'n8n-nodes-base.httpRequest',
						typeVersion: 4.2,
						parameters: {
							method: 'GET',
							url: `http://127.0.0.1:${port}/ping`,
							authentication: 'genericCredentialType',
							genericAuthType: 'httpHeaderAuth',
							options: {},
						},
						credentials: { httpHeaderAuth: { id: 'harnessHeaderCred', name: 'Harness header' } },
					}),
				);

				const run = await instance.execute(workflowId);

				expect(run.error).toBeUndefined();
				expect(seenTokens).toEqual([`secret-for-${version}`]);
				expect(run.outputs('Ping')[0].map((item) => item.json)).toEqual([{ pong: true }]);
			} finally {
				await new Promise((resolve) => server.close(resolve));
			}
		},
		RUN_TIMEOUT_MS,
	);

	test(
		'returns a failed run with its execution error and the failing node error',
		async () => {
			const workflowId = await instance.importWorkflow(
				twoNodeWorkflow('harness failure', {
					name: 'Fail',
					type: 'n8n-nodes-base.stopAndError',
					typeVersion: 1,
					// Braces in the message also end up in n8n's log lines around the JSON.
					parameters: { errorMessage: 'planned {failure}' },
				}),
			);

			const run = await instance.execute(workflowId);

			expect(run.exitCode).not.toBe(0);
			expect(run.error?.message).toBe('planned {failure}');
			expect(run.error?.node?.name).toBe('Fail');
			expect(run.nodeError('Fail')?.message).toBe('planned {failure}');
			expect(() => run.outputs('Never There')).toThrow(/Node "Never There" has no run #0; nodes that ran: Start, Fail/);
		},
		RUN_TIMEOUT_MS,
	);
});

/** What a binary property looks like in a run's output, per binary data mode (`database` exists in 2.x only). */
const binaryModeCases = SUPPORTED_N8N_VERSIONS.flatMap((version) => [
	{
		version,
		mode: 'default' as const,
		expectedId: undefined,
		expectedData: Buffer.from('hello file').toString('base64'),
	},
	{ version, mode: 'filesystem' as const, expectedId: /^filesystem-v2:/, expectedData: 'filesystem-v2' },
	...(version.startsWith('2.')
		? [{ version, mode: 'database' as const, expectedId: /^database:/, expectedData: 'database' }]
		: []),
]);

describe.each(binaryModeCases)(
	'real n8n $version, binary data mode $mode',
	({ version, mode, expectedId, expectedData }) => {
		let instance: N8nInstance;

		beforeAll(async () => {
			instance = await createInstance(await ensureN8n(version), { binaryDataMode: mode });
		}, INSTALL_TIMEOUT_MS);

		afterAll(async () => {
			await instance?.cleanup();
		});

		test(
			'stores a file made by Convert to File the way the mode says',
			async () => {
				const workflowId = await instance.importWorkflow({
					name: `harness binary ${mode}`,
					nodes: [
						manualTrigger,
						{
							id: 'set',
							name: 'Set Text',
							type: 'n8n-nodes-base.set',
							typeVersion: 3.4,
							position: [220, 0],
							parameters: {
								mode: 'manual',
								assignments: { assignments: [{ id: 'a', name: 'text', value: 'hello file', type: 'string' }] },
								options: {},
							},
						},
						{
							id: 'file',
							name: 'To File',
							type: 'n8n-nodes-base.convertToFile',
							typeVersion: 1.1,
							position: [440, 0],
							parameters: { operation: 'toText', sourceProperty: 'text', options: {} },
						},
					],
					connections: {
						Start: { main: [[{ node: 'Set Text', type: 'main', index: 0 }]] },
						'Set Text': { main: [[{ node: 'To File', type: 'main', index: 0 }]] },
					},
				});

				const run = await instance.execute(workflowId);

				expect(run.error).toBeUndefined();
				const binary = run.outputs('To File')[0][0].binary?.data;
				expect(binary?.data).toBe(expectedData);
				if (expectedId) expect(binary?.id).toMatch(expectedId);
				else expect(binary?.id).toBeUndefined();
			},
			RUN_TIMEOUT_MS,
		);
	},
);
