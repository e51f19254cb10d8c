/**
 * CommCare Bulk Import's parameters (description.ts): the defaults saved workflows rely on (those every version
 * shares, and those a version changed), and the options shown.
 */
import { CommCareBulkImport } from '../../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import { DEFAULTS, defaultsAt } from '../../../nodes/CommCareBulkImport/description';
import type { INodeProperties } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { DEFAULT_VERSION, RECORD_OUTPUT, VERSIONS } from '../../../nodes/CommCareBulkImport/versions';

describe('DEFAULTS', () => {
	it('the defaults, written once in the description, are the ones saved workflows rely on', () => {
		// A default is part of what a saved workflow means (an option left out takes it): these never change silently.
		expect(DEFAULTS).toEqual({
			source: 'binary',
			binaryPropertyName: 'data',
			checkParents: false,
			nameColumn: 'name',
			dryRun: false,
			skipChecks: false,
			timeoutSeconds: 300,
			rowsPerUpload: 100_000,
			fileName: 'cases.xlsx',
			missingFields: 'stop',
			outputPerRecord: false,
			parentCheckUnavailable: 'stop',
			nestedAsJson: false,
		});
		// The defaults that differ between versions: "Match Cases By", "Create New Cases" (1, 1.1) that 1.2
		// replaced with "Rows That Match No Case", and "Output One Item per Record" that 1.3 replaced with "Output".
		expect(VERSIONS.map(defaultsAt)).toEqual([
			{ searchField: 'case_id', createUnmatched: false, outputPerRecord: false },
			{ searchField: 'case_id', createUnmatched: false, outputPerRecord: false },
			{ searchField: 'external_id', createUnmatched: true, outputPerRecord: false },
			{ searchField: 'external_id', createUnmatched: true, outputPerRecord: true },
		]);
		const optionsCollection = new CommCareBulkImport().description.properties.find((p) => p.name === 'options');
		expect((optionsCollection?.options ?? []).map((o) => (o as { name: string }).name).sort()).toEqual([
			'checkParents',
			'columns',
			'dryRun',
			'excludeColumns',
			'fileName',
			'missingFields',
			'nestedAsJson',
			'outputPerRecord',
			'parentCheckUnavailable',
			'rowsPerUpload',
			'skipChecks',
			'timeoutSeconds',
		]);
	});
});

describe('"Output" (1.3) and the option it replaced', () => {
	const properties = new CommCareBulkImport().description.properties;
	const description = new CommCareBulkImport().description;
	// n8n's own rule, as the editor applies it to parameters and to the options of a collection ("Add Option").
	const shown = (property: INodeProperties, typeVersion: number, values: Record<string, unknown>, path = '') =>
		NodeHelpers.displayParameterPath(values as never, property, path, { typeVersion }, description);
	const output = properties.find((p) => p.name === 'output') as INodeProperties;
	const optionsCollection = properties.find((p) => p.name === 'options') as INodeProperties;
	const perRecordOption = (optionsCollection.options as INodeProperties[]).find((o) => o.name === 'outputPerRecord');

	it('a new node is 1.3, outputs one item per record for Input Items, and shows Output right after the source', () => {
		expect(DEFAULT_VERSION).toBe(RECORD_OUTPUT);
		expect(output).toMatchObject({ type: 'options', default: 'perRecord' });
		expect((output.options as Array<{ value: string }>).map((o) => o.value)).toEqual(['perRecord', 'perUpload']);
		const names = properties.map((p) => p.name);
		// Source, its file field (Spreadsheet File only), then Output: seen without opening Options.
		expect(names.indexOf('output')).toBe(names.indexOf('binaryPropertyName') + 1);
		expect(names.indexOf('binaryPropertyName')).toBe(names.indexOf('source') + 1);
	});

	it('Output is shown for Input Items from 1.3 on; the option "Output One Item per Record" only before 1.3', () => {
		for (const version of VERSIONS) {
			const newer = version >= RECORD_OUTPUT;
			expect(shown(output, version, { source: 'items' })).toBe(newer);
			expect(shown(output, version, { source: 'binary' })).toBe(false);
			const root = { source: 'items', options: {} };
			expect(shown(perRecordOption as INodeProperties, version, root, 'options')).toBe(!newer);
		}
	});

	it('the ID Column placeholder does not look like a value, and the Input Items notice does not say "leave the field out to keep it"', () => {
		const idColumn = properties.find((p) => p.name === 'searchColumn') as INodeProperties;
		expect(idColumn.placeholder).not.toMatch(/^e\.g\./);
		const notice = properties.find((p) => p.name === 'itemsNotice') as INodeProperties;
		expect(notice.displayName).not.toMatch(/leave the field out/i);
		expect(notice.displayName).toMatch(/When an Item Lacks a Column/);
	});
});
