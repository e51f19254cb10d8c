/** Wording helpers both nodes' messages use, so a list of rows reads the same everywhere. */

const SHOWN_IN_LISTS = 5;

/** `rows 2, 5, 9, 11, 12 and 14 more`; `row 2`; `rows 2 and 5`. */
export function listWithMore(numbers: number[], noun: string): string {
	if (numbers.length === 0) return `no ${noun}`;
	if (numbers.length <= SHOWN_IN_LISTS) {
		if (numbers.length === 1) return `${noun} ${numbers[0]}`;
		return `${noun} ${numbers.slice(0, -1).join(', ')} and ${numbers[numbers.length - 1]}`;
	}
	return `${noun} ${numbers.slice(0, SHOWN_IN_LISTS).join(', ')} and ${numbers.length - SHOWN_IN_LISTS} more`;
}

/**
 * Input items as a person counts them: `item 1` is the first input item. Takes 0-based indexes (as `pairedItem`,
 * `$itemIndex` and the findings' `items` keep them): `[0]` → `item 1`, `[0, 1, 3]` → `items 1, 2 and 4`.
 */
export function itemList(indexes: number[]): string {
	return listWithMore(
		indexes.map((index) => index + 1),
		indexes.length === 1 ? 'item' : 'items',
	);
}

/** Spreadsheet rows, named as such (the header is sheet row 1): `sheet row 2`, `sheet rows 2, 5 and 9`. */
export function sheetRowList(rows: number[]): string {
	return listWithMore(rows, rows.length === 1 ? 'sheet row' : 'sheet rows');
}

/** The text with its first letter in upper case, to start a sentence with. */
export function capitalised(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `1 row`, `3 rows`. */
export function plural(count: number, noun: string): string {
	return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * "Do not create cases" in the words of every Bulk Import version: 1.2 has "Rows That Match No Case", 1 and 1.1 the
 * "Create New Cases" switch. A message names both so that it reads right whichever node the user has open.
 */
export const CREATION_OFF = '"Rows That Match No Case" is set to Skip ("Create New Cases" off in older nodes)';

/** What to do instead of skipping: see `CREATION_OFF`. */
export const TURN_CREATION_ON =
	'choose "Rows That Match No Case: Create a New Case" (turn on "Create New Cases" in older nodes)';
