/**
 * CommCare Bulk Import's parameters (description.ts): the defaults saved workflows rely on (those every version
 * shares, and those a version changed), and the options shown.
 */
import { CommCareBulkImport } from '../../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { DEFAULTS, defaultsAt } from '../../../nodes/CommCareBulkImport/description';
import { VERSIONS } from '../../../nodes/CommCareBulkImport/versions';

describe('DEFAULTS', () => {
	it('the defaults, written once in the description, are the ones saved workflows rely on', () => {
		// A default is part of what a saved workflow means (an option left out takes it): these never change silently.
		expect(DEFAULTS).toEqual({
			source: 'binary',
			binaryPropertyName: 'data',
			nameColumn: 'name',
			dryRun: false,
			skipChecks: false,
			timeoutSeconds: 300,
			rowsPerUpload: 100_000,
			fileName: 'cases.xlsx',
			missingFields: 'stop',
			outputPerRecord: false,
			nestedAsJson: false,
		});
		// The defaults that differ between versions: "Match Cases By", and "Create New Cases" (1, 1.1) that 1.2
		// replaced with "Rows That Match No Case".
		expect(VERSIONS.map(defaultsAt)).toEqual([
			{ searchField: 'case_id', createUnmatched: false },
			{ searchField: 'case_id', createUnmatched: false },
			{ searchField: 'external_id', createUnmatched: true },
		]);
		const optionsCollection = new CommCareBulkImport().description.properties.find((p) => p.name === 'options');
		expect((optionsCollection?.options ?? []).map((o) => (o as { name: string }).name).sort()).toEqual([
			'columns',
			'dryRun',
			'excludeColumns',
			'fileName',
			'missingFields',
			'nestedAsJson',
			'outputPerRecord',
			'rowsPerUpload',
			'skipChecks',
			'timeoutSeconds',
		]);
	});
});
