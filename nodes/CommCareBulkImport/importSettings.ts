/** What one import asks of CommCare: the Bulk Import node's parameters, read and checked once (settings.ts). */

export type SearchField = 'case_id' | 'external_id';

/** Everything the upload sends besides the file (spec §3). */
export interface ImportSettings {
	projectSpace: string;
	caseType: string;
	searchField: SearchField;
	searchColumn: string;
	createNewCases: boolean;
	nameColumn: string;
	comment: string;
}
