/**
 * What CommCare stores for a cell, as one table of literal answers: the text Python's `str()` gives (what its reader
 * hands the importer), the value the importer stores (`---` is stored empty) and the id it searches a row by
 * (`_parse_search_id`). The answers are CPython's own, and the conformance suite checks them against CPython with
 * openpyxl on every run; the unit table test holds the node's rules (nodes/shared/cellText.ts) and the emulator's
 * (emulator/cells.ts) to them.
 */

/** A cell as the reader gives it: text (null: an empty cell), a Python int (its digits), a float or a boolean. */
export type TableCell = { text: string | null } | { int: string } | { float: number } | { bool: boolean };

export interface CellAnswer {
	cell: TableCell;
	/** Python's `str()` of the value (null for None). */
	text: string | null;
	/** What the importer stores (`_populate_updated_fields`): null for None, '' for `---`. */
	stored: string | null;
	searchId: string;
}

export const CELL_TABLE: readonly CellAnswer[] = [
	{ cell: { text: null }, text: null, stored: null, searchId: '' },
	{ cell: { text: 'abc' }, text: 'abc', stored: 'abc', searchId: 'abc' },
	{ cell: { text: '00123' }, text: '00123', stored: '00123', searchId: '123' },
	{ cell: { text: '123' }, text: '123', stored: '123', searchId: '123' },
	{ cell: { text: '0' }, text: '0', stored: '0', searchId: '0' },
	{ cell: { text: '-0' }, text: '-0', stored: '-0', searchId: '0' },
	{ cell: { text: '+7' }, text: '+7', stored: '+7', searchId: '7' },
	{ cell: { text: ' 12 ' }, text: ' 12 ', stored: ' 12 ', searchId: '12' },
	{ cell: { text: '1_000' }, text: '1_000', stored: '1_000', searchId: '1000' },
	{ cell: { text: '12.9' }, text: '12.9', stored: '12.9', searchId: '12' },
	{ cell: { text: '-12.9' }, text: '-12.9', stored: '-12.9', searchId: '-12' },
	{ cell: { text: '.5' }, text: '.5', stored: '.5', searchId: '0' },
	{ cell: { text: '1e3' }, text: '1e3', stored: '1e3', searchId: '1000' },
	{ cell: { text: '1e400' }, text: '1e400', stored: '1e400', searchId: '1e400' },
	{ cell: { text: 'inf' }, text: 'inf', stored: 'inf', searchId: 'inf' },
	{ cell: { text: 'nan' }, text: 'nan', stored: 'nan', searchId: 'nan' },
	{ cell: { text: '0x1A' }, text: '0x1A', stored: '0x1A', searchId: '0x1A' },
	{ cell: { text: '\u0661\u0662\u0663' }, text: '\u0661\u0662\u0663', stored: '\u0661\u0662\u0663', searchId: '123' },
	{ cell: { text: '\uff11\uff12\uff13' }, text: '\uff11\uff12\uff13', stored: '\uff11\uff12\uff13', searchId: '123' },
	{ cell: { text: '\u00a012\u3000' }, text: '\u00a012\u3000', stored: '\u00a012\u3000', searchId: '12' },
	{ cell: { text: '\ufeff12' }, text: '\ufeff12', stored: '\ufeff12', searchId: '\ufeff12' },
	{ cell: { text: 'True' }, text: 'True', stored: 'True', searchId: 'True' },
	{ cell: { text: '2024-03-05' }, text: '2024-03-05', stored: '2024-03-05', searchId: '2024-03-05' },
	{
		cell: { text: '12345678901234567890' },
		text: '12345678901234567890',
		stored: '12345678901234567890',
		searchId: '12345678901234567168',
	},
	{ cell: { text: '---' }, text: '---', stored: '', searchId: '---' },
	{ cell: { text: ' --- ' }, text: ' --- ', stored: '', searchId: ' --- ' },
	{ cell: { text: '-- -' }, text: '-- -', stored: '-- -', searchId: '-- -' },
	{ cell: { text: 'HH-00123' }, text: 'HH-00123', stored: 'HH-00123', searchId: 'HH-00123' },
	{ cell: { text: '1,000' }, text: '1,000', stored: '1,000', searchId: '1,000' },
	{ cell: { int: '0' }, text: '0', stored: '0', searchId: '' },
	{ cell: { int: '7' }, text: '7', stored: '7', searchId: '7' },
	{ cell: { int: '-7' }, text: '-7', stored: '-7', searchId: '-7' },
	{
		cell: { int: '9007199254740993' },
		text: '9007199254740993',
		stored: '9007199254740993',
		searchId: '9007199254740992',
	},
	{
		cell: { int: '12345678901234567890' },
		text: '12345678901234567890',
		stored: '12345678901234567890',
		searchId: '12345678901234567168',
	},
	{ cell: { float: 0 }, text: '0.0', stored: '0.0', searchId: '' },
	{ cell: { float: 0.5 }, text: '0.5', stored: '0.5', searchId: '0' },
	{ cell: { float: 12.9 }, text: '12.9', stored: '12.9', searchId: '12' },
	{ cell: { float: -12.9 }, text: '-12.9', stored: '-12.9', searchId: '-12' },
	{ cell: { float: 1e20 }, text: '1e+20', stored: '1e+20', searchId: '100000000000000000000' },
	{ cell: { float: 5e-5 }, text: '5e-05', stored: '5e-05', searchId: '0' },
	{ cell: { bool: true }, text: 'True', stored: 'True', searchId: '1' },
	{ cell: { bool: false }, text: 'False', stored: 'False', searchId: '' },
];
