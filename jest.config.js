/**
 * Test kinds live in their own folders. `npm test` runs unit + integration + emulator (the emulator's own tests), then
 * conformance (which reads, with the real openpyxl, every .xlsx the integration and emulator suites uploaded:
 * test/conformance/capture.ts); e2e and browser have their own scripts.
 */
const base = {
	preset: 'ts-jest',
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
};
module.exports = {
	projects: [
		{ ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
		{
			...base,
			displayName: 'integration',
			testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
			globalSetup: '<rootDir>/test/conformance/capture.ts',
		},
		{
			...base,
			displayName: 'emulator',
			testMatch: ['<rootDir>/test/emulator/**/*.test.ts'],
			globalSetup: '<rootDir>/test/conformance/capture.ts',
		},
		{ ...base, displayName: 'conformance', testMatch: ['<rootDir>/test/conformance/**/*.test.ts'] },
		{ ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
		{ ...base, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] },
	],
};
