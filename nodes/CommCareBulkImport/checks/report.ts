/** Where the checks put what they find: one severity rule, row and item numbers, lists that stay short. */
import { capitalised, itemList, sheetRowList } from '../../shared/wording';
import type { SheetInspection } from '../spreadsheet/inspection';
import type { HeaderKind } from '../../shared/spreadsheet/sheetReading';
import { columnLetter } from '../../shared/spreadsheet/cellReferences';
import { isBlankText } from '../../shared/cellText';
import type { CheckCode, CheckFinding } from '../../shared/outputContract';
import type { ImportSettings } from '../parameters';

export interface CheckInput {
	settings: ImportSettings;
	headers: (string | null)[];
	/** Kinds of the header cells (`SheetInspection.headerKinds`); all text when absent. */
	headerKinds?: HeaderKind[];
	sheetNames: string[];
	dataRowCount: number;
	/** Texts of the columns `checkedValueColumns` names, per data row (index 0 = row 2), as CommCare stores them. */
	values: Record<string, (string | null)[]>;
	/** The search column's search ids, per data row; computed from `values` when absent (text cells). */
	searchIds?: string[] | null;
	blankRowNumbers?: number[];
	rowsAfterGap?: SheetInspection['rowsAfterGap'];
	format?: SheetInspection['format'];
	/** When set, the file could not be read and no check runs (`checksUnavailable`). */
	limitation?: string | null;
	dataWithoutHeader?: SheetInspection['dataWithoutHeader'];
	rowLimitExceeded?: SheetInspection['rowLimitExceeded'];
	unstorableCharacters?: SheetInspection['unstorableCharacters'];
	blankMarkers?: SheetInspection['blankMarkers'];
	rowsWithoutSearchCell?: SheetInspection['rowsWithoutSearchCell'];
	shortRows?: SheetInspection['shortRows'];
	cellsOutsideDimension?: SheetInspection['cellsOutsideDimension'];
	rowsOutOfOrder?: SheetInspection['rowsOutOfOrder'];
	rowsNotRead?: SheetInspection['rowsNotRead'];
	/** Items source: the input item index of a spreadsheet row. */
	rowToItem?: (row: number) => number;
}

/** What the checks found: errors stop the upload, warnings ride along (the severity rule is in runChecks.ts). */
export type CheckResult = Pick<CheckFindings, 'errors' | 'warnings'>;

export class CheckReport {
	readonly errors: CheckFinding[] = [];
	readonly warnings: CheckFinding[] = [];
	readonly settings: ImportSettings;
	/** Rows CommCare skips without a word: blank rows, and rows it never reads (reported once, elsewhere). */
	readonly blankRows: Set<number>;
	readonly isItems: boolean;

	constructor(readonly input: CheckInput) {
		this.settings = input.settings;
		this.blankRows = new Set([...(input.blankRowNumbers ?? []), ...(input.rowsNotRead ?? [])]);
		this.isItems = input.format === 'items';
	}

	/** Calls back for each data row CommCare imports (blank rows and rows it never reads are skipped). */
	eachValue(texts: (string | null)[], callback: (text: string | null, row: number) => void): void {
		texts.forEach((text, index) => {
			const row = index + 2;
			if (!this.blankRows.has(row)) callback(text, row);
		});
	}

	rowsWhere(texts: (string | null)[], test: (text: string) => boolean): number[] {
		const rows: number[] = [];
		this.eachValue(texts, (text, row) => {
			if (!isBlankText(text) && test(text as string)) rows.push(row);
		});
		return rows;
	}

	/**
	 * A row-level finding: an error when it hits every non-blank data row (nothing would import; the message says
	 * so), else a warning.
	 */
	rowIssue(code: CheckCode, rows: number[], message: string, description: string, column: string): void {
		const nonBlankRows =
			this.input.dataRowCount - [...this.blankRows].filter((row) => row <= this.input.dataRowCount + 1).length;
		const everyRow = rows.length >= nonBlankRows;
		const full = everyRow ? `${message}: no row would import` : message;
		const issue = this.withRows({ code, message: full, description, column }, rows);
		(everyRow ? this.errors : this.warnings).push(issue);
	}

	withRows<T extends Partial<CheckFinding>>(issue: T, rows: number[]): T {
		const result: T & Partial<CheckFinding> = { ...issue, rows };
		if (this.input.rowToItem) result.items = rows.map(this.input.rowToItem);
		return result;
	}

	/**
	 * `sheet rows 2, 5, 9 and 14 more`, plus the input items for items (`(items 1, 4 and 8)`, counted from 1).
	 * Capitalised at the start of a sentence.
	 */
	describeRows(rows: number[], sentenceStart = false): string {
		let text = sheetRowList(rows);
		if (this.input.rowToItem) text += ` (${itemList(rows.map(this.input.rowToItem))})`;
		return sentenceStart ? capitalised(text) : text;
	}

	/** `'age ' (column C)` for a file; just `'age '` for items, whose columns the user never sees as letters. */
	columnLabel(header: string, index: number): string {
		return this.isItems ? `'${header}'` : `'${header}' (column ${columnLetter(index)})`;
	}

	/** A finding that stops the upload: `message` one line saying what was found, `description` what to do. */
	error(code: CheckCode, message: string, description: string, extra: Partial<CheckFinding> = {}): void {
		this.errors.push({ code, message, description, ...extra });
	}

	/** A finding that rides along in the output, in the same shape as `error`. */
	warn(code: CheckCode, message: string, description: string, extra: Partial<CheckFinding> = {}): void {
		this.warnings.push({ code, message, description, ...extra });
	}

	result(): CheckResult {
		return { errors: this.errors, warnings: this.warnings };
	}
}

export interface CheckFindings {
	checked: boolean;
	/**
	 * Data rows sent: for items one per item, blank ones included (the server skips those, Import Status counts them);
	 * for a file up to its last non-blank row, or null when it could not be read.
	 */
	rowCount: number | null;
	errors: CheckFinding[];
	warnings: CheckFinding[];
}
