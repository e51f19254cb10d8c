/**
 * Queue-mode (scale) tests: real PostgreSQL, Redis, an n8n main and workers. Slow; run on their own:
 *   npx jest -c test/scale/jest.config.js
 */
const path = require('path');

module.exports = {
	rootDir: path.resolve(__dirname, '..', '..'),
	displayName: 'scale',
	preset: 'ts-jest',
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
	testMatch: ['<rootDir>/test/scale/**/*.test.ts'],
	// A built dist/package.json would collide with the root one in jest's module map.
	modulePathIgnorePatterns: ['<rootDir>/dist/'],
};
