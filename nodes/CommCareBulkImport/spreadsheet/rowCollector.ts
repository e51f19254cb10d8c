/** Collects what the checks learn from a sheet, row by row, in bounded memory (`SheetInspection`). */
import { MAX_DATA_ROWS, type RowSample, type SheetInspection, detached, storedValue } from './inspection';
import type { HeaderCell, ReadRow, SheetRowReceiver } from '../../shared/spreadsheet/sheetReading';
import { searchIdOfCell, serverText } from '../../shared/cellText';

/** The server's `.xlsx` reader stops after this many consecutive rows without a truthy value. */
const SERVER_EMPTY_ROW_LIMIT = 1000;
/** Rows listed at most in a sample (the count says how many there are). */
const LISTED_ROWS = 5;

interface PendingRows {
	blank: number[];
	withoutSearchCell: number[];
	short: Array<{ row: number; cellCount: number }>;
	nonBlank: number[];
}

/**
 * Accumulates an inspection row by row, whatever the source. Keeps only the requested columns' values (each cut to
 * what the checks need, see `storedValue`); rows after the last one CommCare is sure to read (its last truthy row) are
 * held as pending until a later truthy row shows they are read. Its memory is bounded whatever the file holds: at most
 * MAX_DATA_ROWS rows are kept, and `addRow` says when to stop reading.
 */
export class RowCollector implements SheetRowReceiver {
	private headers: HeaderCell[] = [];
	private headerSeen = false;
	private blankHeaderIndexes: number[] = [];
	/** Each requested column's header columns: with a duplicated header, the last one a row reaches is its value (HQ's row dict). */
	private readonly valueColumnIndexes = new Map<string, number[]>();
	private readonly values: Record<string, (string | null)[]> = {};
	private searchIds: string[] | null = null;
	/** The first column of each non-blank header: a row shorter than it has no key for it. */
	private headerFirstIndexes: Array<{ name: string; index: number }> = [];
	/** The last of those: a row at least this long has every key. */
	private lastFirstIndex = -1;
	private searchIndex = -1;
	/** The last non-blank row, the last truthy row (CommCare reads up to it), and the last non-blank row up to it. */
	private lastDataRow = 1;
	private lastTruthyRow = 1;
	private lastDataRowRead = 1;
	private readonly blankRows: number[] = [];
	private readonly pending: PendingRows = { blank: [], withoutSearchCell: [], short: [], nonBlank: [] };
	private rowsAfterGap: { firstRow: number; count: number } | null = null;
	private readonly blankHeaderData = new Map<number, { rows: number[]; count: number }>();
	private rowLimitExceeded: { firstRow: number } | null = null;
	private readonly unstorable = new Map<string, number[]>();
	private readonly markers = new Map<string, number[]>();
	private withoutSearchCell: RowSample | null = null;
	private short: RowSample | null = null;
	/** The columns short rows end before (at most 20 named). */
	private readonly shortColumns = new Set<string>();
	private outsideDimension: { dimension: string; cells: string[]; count: number } | null = null;
	private outOfOrder: RowSample | null = null;
	/** The length of a row absent from the file: 0, or the dimension's width. */
	private emptyRowLength = 0;
	private lastRowSeen = 1;
	/** Every row is sent (items): trailing blank rows count as sent rows. */
	private sentRows = 0;

	/** `searchColumn`: its search ids are read with the server's rule (`searchIdOfCell`). */
	constructor(
		private readonly format: SheetInspection['format'],
		private readonly valueColumns: string[],
		private readonly searchColumn?: string,
	) {}

	/** An `.xlsx` sheet's `<dimension>` width (its last column, 1-based): absent rows are empty rows that wide. */
	setDimensionWidth(columns: number): void {
		this.emptyRowLength = columns;
	}

	setHeader(cells: HeaderCell[]): void {
		let last = cells.length;
		while (last > 0 && cells[last - 1].kind === 'blank') last--;
		this.headers = cells.slice(0, last).map((cell) => ({ text: detached(cell.text), kind: cell.kind }));
		this.headerSeen = true;
		this.blankHeaderIndexes = this.headers.flatMap((cell, index) => (cell.kind === 'blank' ? [index] : []));
		const firstIndexes = new Map<string, number>();
		this.headers.forEach((cell, index) => {
			if (cell.kind !== 'blank' && cell.text !== null && !firstIndexes.has(cell.text))
				firstIndexes.set(cell.text, index);
		});
		this.headerFirstIndexes = [...firstIndexes].map(([name, index]) => ({ name, index }));
		this.lastFirstIndex = Math.max(-1, ...firstIndexes.values());
		this.searchIndex = this.searchColumn === undefined ? -1 : (firstIndexes.get(this.searchColumn) ?? -1);
		for (const column of new Set(this.valueColumns)) {
			const indexes = this.headers.flatMap((cell, index) =>
				cell.kind !== 'blank' && cell.text === column ? [index] : [],
			);
			if (indexes.length === 0) continue;
			this.valueColumnIndexes.set(column, indexes);
			this.values[column] = [];
		}
		if (this.searchIndex >= 0) this.searchIds = [];
	}

	/**
	 * Takes the next row CommCare's reader gives (`row` may be reused by the caller). Returns false when reading
	 * should stop: the sheet has more rows than CommCare imports, and nothing after that changes what the checks say.
	 */
	addRow(row: ReadRow): boolean {
		if (!this.headerSeen) this.setHeader([]);
		const { rowNumber } = row;
		if (this.rowsAfterGap || (this.format !== 'csv' && rowNumber - this.lastTruthyRow - 1 >= SERVER_EMPTY_ROW_LIMIT)) {
			// CommCare stopped reading after 1000 rows without a truthy value.
			if (row.blank) return true;
			if (this.rowsAfterGap) this.rowsAfterGap.count++;
			else this.rowsAfterGap = { firstRow: rowNumber, count: 1 };
			return true;
		}
		if (!row.blank && rowNumber > MAX_DATA_ROWS + 1) {
			this.rowLimitExceeded = { firstRow: rowNumber };
			return false;
		}
		// Rows absent from the file, between the last one seen and this one: empty rows.
		for (let absent = this.lastRowSeen + 1; absent < rowNumber; absent++) {
			this.notePending(absent, true, this.emptyRowLength);
		}
		this.lastRowSeen = rowNumber;
		this.notePending(rowNumber, row.blank, row.cellCount);
		if (!row.blank) {
			this.noteDataWithoutHeader(row);
			if (row.hasMarker) this.noteMarkers(row);
			this.fillBlankValues(rowNumber);
			for (const [column, indexes] of this.valueColumnIndexes) {
				const index = lastReached(indexes, row.cellCount);
				this.values[column].push(index < 0 ? null : storedValue(serverText(row.valueAt(index))));
			}
			if (this.searchIds) {
				const index = lastReached(this.headerIndexes(this.searchColumn as string), row.cellCount);
				const value = index < 0 ? null : row.valueAt(index);
				this.searchIds.push(storedValue(searchIdOfCell(value, this.format === 'csv')) as string);
			}
			this.lastDataRow = rowNumber;
		}
		if (row.truthy) this.commitPending(rowNumber);
		return true;
	}

	private headerIndexes(column: string): number[] {
		return this.valueColumnIndexes.get(column) ?? (this.searchIndex < 0 ? [] : [this.searchIndex]);
	}

	/** A row that CommCare reads only if a truthy row comes after it (or is itself one). */
	private notePending(rowNumber: number, blank: boolean, cellCount: number): void {
		const { pending } = this;
		if (blank) pending.blank.push(rowNumber);
		else pending.nonBlank.push(rowNumber);
		if (this.format === 'csv' || this.format === 'items') return;
		if (this.searchIndex >= 0 && cellCount <= this.searchIndex) pending.withoutSearchCell.push(rowNumber);
		else if (!blank && this.lastFirstIndex >= cellCount) {
			pending.short.push({ row: rowNumber, cellCount });
		}
	}

	/** A truthy row: every row up to it is read by CommCare. */
	private commitPending(rowNumber: number): void {
		const { pending } = this;
		for (const row of pending.blank) this.blankRows.push(row);
		for (const row of pending.withoutSearchCell) this.withoutSearchCell = sampled(this.withoutSearchCell, row);
		for (const { row, cellCount } of pending.short) {
			this.short = sampled(this.short, row);
			for (const { name, index } of this.headerFirstIndexes) {
				if (index >= cellCount && name !== this.searchColumn && this.shortColumns.size < 20)
					this.shortColumns.add(name);
			}
		}
		for (const list of Object.values(pending)) list.length = 0;
		this.lastTruthyRow = rowNumber;
		this.lastDataRowRead = this.lastDataRow;
	}

	/** Blank rows between the last data row and `rowNumber` hold null values. */
	private fillBlankValues(rowNumber: number): void {
		for (let row = this.lastDataRow + 1; row < rowNumber; row++) {
			for (const column of this.valueColumnIndexes.keys()) this.values[column].push(null);
			this.searchIds?.push('');
		}
	}

	/** Items source: a value of `column` in `row` holds characters the writer drops (they are not stored). */
	noteUnstorable(column: string, row: number): void {
		listed(this.unstorable, column, row);
	}

	/** `.xlsx`: a cell or row the sheet's `<dimension>` (`ref`) leaves out holds data. */
	noteOutsideDimension(ref: string, cell: string): void {
		this.outsideDimension ??= { dimension: ref, cells: [], count: 0 };
		if (this.outsideDimension.cells.length < LISTED_ROWS) this.outsideDimension.cells.push(cell);
		this.outsideDimension.count++;
	}

	/** `.xlsx`: a row holding data whose number does not follow the row before it. */
	noteRowOutOfOrder(rowNumber: number): void {
		this.outOfOrder = sampled(this.outOfOrder, rowNumber);
	}

	private noteMarkers(row: ReadRow): void {
		this.headers.forEach((header, index) => {
			if (header.kind === 'blank' || header.text === null || index >= row.cellCount) return;
			if (row.markerAt(index)) listed(this.markers, header.text, row.rowNumber);
		});
	}

	/** Data in a column whose header is blank, or beyond the last header: CommCare drops such a column. */
	private noteDataWithoutHeader(row: ReadRow): void {
		const note = (index: number) => {
			if (row.isBlankAt(index)) return;
			const seen = this.blankHeaderData.get(index) ?? { rows: [], count: 0 };
			if (seen.rows.length < LISTED_ROWS) seen.rows.push(row.rowNumber);
			seen.count += 1;
			this.blankHeaderData.set(index, seen);
		};
		for (const index of this.blankHeaderIndexes) if (index < row.cellCount) note(index);
		for (let index = this.headers.length; index < row.cellCount; index++) note(index);
	}

	/** Items: every item is sent as a row, so blank items at the end are sent too (CommCare skips them). */
	addTrailingBlankRows(lastRowNumber: number): void {
		this.sentRows = lastRowNumber;
	}

	finish(sheetNames: string[], limitation: string | null): SheetInspection {
		// What CommCare never reads: rows after its last truthy row (only 0, false or blank values).
		const notRead = [...this.pending.nonBlank];
		const lastData = this.lastDataRowRead;
		const keep = Math.max(0, lastData - 1);
		for (const column of Object.keys(this.values))
			this.values[column].length = Math.min(this.values[column].length, keep);
		if (this.searchIds) this.searchIds.length = Math.min(this.searchIds.length, keep);
		let dataRowCount = lastData - 1;
		const blankRows = this.blankRows.filter((row) => row < lastData);
		if (this.sentRows > 0 && !this.rowsAfterGap && !this.rowLimitExceeded && lastData > 1) {
			// Items: every row after the last data row is sent and skipped (blank, or not read).
			const lastSent = Math.min(this.sentRows, MAX_DATA_ROWS + 1);
			const notReadRows = new Set(notRead);
			for (let row = lastData + 1; row <= lastSent; row++) if (!notReadRows.has(row)) blankRows.push(row);
			for (let row = lastData + 1; row <= lastSent; row++) {
				for (const column of Object.keys(this.values)) this.values[column].push(null);
				this.searchIds?.push('');
			}
			dataRowCount = lastSent - 1;
			if (this.sentRows > MAX_DATA_ROWS + 1) this.rowLimitExceeded = { firstRow: MAX_DATA_ROWS + 2 };
		}
		return {
			format: this.format,
			limitation,
			sheetNames,
			headers: this.headers.map((cell) => cell.text),
			headerKinds: this.headers.map((cell) => cell.kind),
			dataRowCount,
			blankRowNumbers: blankRows,
			rowsAfterGap: this.rowsAfterGap,
			values: this.values,
			searchIds: this.searchIds,
			dataWithoutHeader: [...this.blankHeaderData]
				.sort(([a], [b]) => a - b)
				.map(([column, seen]) => ({ column, ...seen })),
			rowLimitExceeded: this.rowLimitExceeded,
			unstorableCharacters: Object.fromEntries(this.unstorable),
			blankMarkers: Object.fromEntries(
				[...this.markers].map(([column, rows]) => [column, rows.filter((row) => row <= this.lastTruthyRow)]),
			),
			rowsWithoutSearchCell: this.withoutSearchCell,
			shortRows: this.short && { ...this.short, columns: [...this.shortColumns] },
			cellsOutsideDimension: this.outsideDimension,
			rowsOutOfOrder: this.outOfOrder,
			rowsNotRead: notRead,
		};
	}
}

/** The last of `indexes` (ascending) below `cellCount`, or -1. */
function lastReached(indexes: number[], cellCount: number): number {
	for (let i = indexes.length - 1; i >= 0; i--) if (indexes[i] < cellCount) return indexes[i];
	return -1;
}

function sampled(sample: RowSample | null, row: number): RowSample {
	const next = sample ?? { rows: [], count: 0 };
	if (next.rows.length < LISTED_ROWS) next.rows.push(row);
	next.count++;
	return next;
}

function listed(map: Map<string, number[]>, column: string, row: number): void {
	const rows = map.get(column);
	if (rows) rows.push(row);
	else map.set(column, [row]);
}
