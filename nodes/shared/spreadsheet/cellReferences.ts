/** Spreadsheet cell references: column names (for cells and messages) and a sheet's size (`<dimension ref>`). */

/** 0 → A, 25 → Z, 26 → AA: spreadsheet column names. */
export function columnLetter(index: number): string {
	let letters = '';
	for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26))
		letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
	return letters;
}

/** `A1:C101`: a header and `rowCount` rows of `columnCount` columns. */
export function dimensionRef(columnCount: number, rowCount: number): string {
	return `A1:${columnLetter(Math.max(columnCount, 1) - 1)}${rowCount + 1}`;
}
