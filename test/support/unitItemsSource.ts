/**
 * What the unit tests of source "Input Items" start from: import settings matching by case id with creation on, the
 * options of one upload, findings, and items of people.
 */
import type { IDataObject } from 'n8n-workflow';

import type { ImportSettings } from '../../nodes/CommCareBulkImport/parameters';
import { validateProjectSpace } from '../../nodes/shared/projectSpace';
import type { ItemsPlanOptions } from '../../nodes/CommCareBulkImport/sources/itemsPlan';
import type { CheckCode, CheckFinding } from '../../nodes/shared/outputContract';

/** Project space `demo`, case type `patient`, matched by case id, creating cases. */
export const settings: ImportSettings = {
	projectSpace: validateProjectSpace('demo'),
	caseType: 'patient',
	searchField: 'case_id',
	searchColumn: 'case_id',
	createNewCases: true,
	nameColumn: 'name',
	comment: '',
};

/** Every key a column, one upload of up to 100,000 rows, named `cases.xlsx`. */
export const options: ItemsPlanOptions = {
	columns: [],
	excludeColumns: [],
	nestedAsJson: false,
	rowsPerUpload: 100_000,
	fileName: 'cases.xlsx',
};

/** A finding with this code and message. */
export const issue = (code: CheckCode, message: string, extra: Partial<CheckFinding> = {}): CheckFinding => ({
	code,
	message,
	...extra,
});

/** `count` items, each with a name and an age. */
export const people = (count: number): IDataObject[] =>
	Array.from({ length: count }, (_, i) => ({ name: `P${i}`, age: i }));
