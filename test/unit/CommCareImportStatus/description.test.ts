/** Import Status's defaults: those every version shares, and those a version changed (versions.ts). */
import { DEFAULTS, defaultsAt } from '../../../nodes/CommCareImportStatus/description';
import { VERSIONS } from '../../../nodes/CommCareImportStatus/versions';

describe('Import Status defaults', () => {
	it('are the ones saved workflows rely on (a parameter left out takes its default)', () => {
		expect(DEFAULTS).toEqual({
			pollInterval: 5,
			timeout: 30,
			maxPollInterval: 60,
			concurrency: 4,
			lookUpCaseIds: true,
			caseLookupWait: 60,
		});
	});

	it('give the full outcome in version 1, which has no Simplify, and the simplified one from 1.1 on', () => {
		expect(VERSIONS.map((version) => [version, defaultsAt(version).simplify])).toEqual([
			[1, false],
			[1.1, true],
		]);
	});
});
