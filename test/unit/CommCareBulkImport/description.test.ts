/** CommCare Bulk Import's parameters (description.ts): the defaults saved workflows rely on, and the options shown. */
import { CommCareBulkImport } from '../../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { DEFAULTS } from '../../../nodes/CommCareBulkImport/description';

describe('DEFAULTS', () => {
	it('the defaults, written once in the description, are the ones saved workflows rely on', () => {
		// A default is part of what a saved workflow means (an option left out takes it): these never change silently.
		expect(DEFAULTS).toEqual({
			source: 'binary',
			binaryPropertyName: 'data',
			// Versions 1 and 1.1; version 1.2 shows external_id (test/integration/nodeVersions.test.ts).
			searchField: 'case_id',
			createNewCases: false,
			unmatchedRows: 'create',
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
