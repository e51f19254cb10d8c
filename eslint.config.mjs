import tseslint from 'typescript-eslint';
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';

export default [
	{ ignores: ['dist/**', 'node_modules/**', 'test/fixtures/**', '**/*.js', '**/*.mjs'] },
	{
		files: ['**/*.ts'],
		languageOptions: { parser: tseslint.parser, parserOptions: { sourceType: 'module' } },
	},
	n8nCommunityNodesPlugin.configs.recommended,
	{
		rules: {
			// n8n Cloud's "verified" programme bans run-time dependencies; self-hosted n8n installs them, and the
			// brief requires exceljs (streaming .xlsx) and form-data (multipart bodies n8n's helper understands).
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
			// Same reason: n8n Cloud's import allow-list; self-hosted n8n loads form-data, exceljs and Node built-ins.
			'@n8n/community-nodes/no-restricted-imports': 'off',
		},
	},
	{
		// Tests, the emulator, scripts, benchmarks and examples get the same rules as the nodes, but for those that
		// guard code n8n runs inside a workflow: this code runs in Node itself, as a test or a tool.
		files: ['test/**/*.ts', 'emulator/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts'],
		rules: {
			// They start servers, time out, read the environment: setTimeout, process and friends are their job.
			'@n8n/community-nodes/no-restricted-globals': 'off',
			// The tests' credentials are made up, and some are made to look like secrets so leaks can be searched for.
			'@n8n/community-nodes/no-hardcoded-secrets': 'off',
			// The harness starts n8n, PostgreSQL and Redis as child processes.
			'@n8n/community-nodes/no-dangerous-functions': 'off',
			// A test or a tool that fails throws a plain Error: no node shows it to a user.
			'@n8n/community-nodes/require-node-api-error': 'off',
		},
	},
	{
		files: ['package.json'],
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		languageOptions: { parser: tseslint.parser },
		rules: { ...n8nNodesBase.configs.community.rules },
	},
	{
		files: ['credentials/**/*.ts'],
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			// Wants a docs slug for n8n's own repository; a community credential links a full URL (checked by
			// @n8n/community-nodes/credential-documentation-url).
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			// These two want the string 'main'; n8n's current rule (@n8n/community-nodes/node-connection-type-literal)
			// wants NodeConnectionTypes.Main instead. The newer rule wins.
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
		},
	},
];
