/** The parts of an `.xlsx` that reading its sheets needs: workbook, relationships, styles, shared strings. */
import { ScratchFolder } from '../temporaryFolder';
import { XLSX_READ_LIMITS, megabytes } from './inflateBudget';
import { SharedStringTable } from './stringTable';
import { MAX_CELL_LENGTH, SpreadsheetReadError } from './sheetReading';
import { parseXml } from './xmlParser';

const RELATIONSHIP_TYPES = {
	worksheet: '/relationships/worksheet',
	sharedStrings: '/relationships/sharedStrings',
	styles: '/relationships/styles',
};

/** A `<sheet>`'s `r:id`, whatever prefix the writer bound to the relationships namespace. */
function relationshipIdOf(attributes: Record<string, string>): string {
	return attributes['r:id'] ?? Object.entries(attributes).find(([key]) => key.endsWith(':id'))?.[1] ?? '';
}

/** The parts of an .xlsx that reading its first sheet needs, filled in as the zip's entries arrive (in any order). */
export class WorkbookParts {
	/** `xl/workbook.xml`: every sheet, in workbook order. */
	sheets: Array<{ name: string; relationshipId: string }> | null = null;
	date1904 = false;
	/** `xl/_rels/workbook.xml.rels`: relationship id → part name and type. */
	private relationships: Map<string, { part: string; type: string }> | null = null;
	/** The cell styles (`s`) whose number format is a date or time, as CommCare's reader (openpyxl) tells them. */
	private dateStyles: Set<number> | null = null;
	private stringsRead = false;
	readonly strings: SharedStringTable;

	constructor(scratch: ScratchFolder) {
		this.strings = new SharedStringTable(scratch);
	}

	/**
	 * Reads a zip entry if it is one of the workbook's own parts (its sheet list, their relationships, the shared
	 * strings, the styles) and says whether it was; sheets and anything else are the caller's.
	 */
	async readPart(part: string, xml: AsyncIterable<Buffer>): Promise<boolean> {
		if (part === 'xl/workbook.xml') await this.readWorkbook(xml);
		else if (part === 'xl/_rels/workbook.xml.rels') await this.readRelationships(xml);
		else if (part === 'xl/sharedStrings.xml') await this.readSharedStrings(xml);
		else if (part === 'xl/styles.xml') await this.readStyles(xml);
		else return false;
		return true;
	}

	async readWorkbook(xml: AsyncIterable<Buffer>): Promise<void> {
		const sheets: Array<{ name: string; relationshipId: string }> = [];
		await parseXml(xml, {
			open: (name, attributes) => {
				if (name === 'sheet')
					sheets.push({ name: attributes.name ?? '', relationshipId: relationshipIdOf(attributes) });
				if (name === 'workbookPr') this.date1904 = attributes.date1904 === '1' || attributes.date1904 === 'true';
			},
		});
		this.sheets = sheets;
	}

	async readRelationships(xml: AsyncIterable<Buffer>): Promise<void> {
		const relationships = new Map<string, { part: string; type: string }>();
		await parseXml(xml, {
			open: (name, attributes) => {
				if (name !== 'Relationship' || !attributes.Id || !attributes.Target) return;
				// Targets are relative to xl/, or absolute from the package root.
				const target = attributes.Target;
				relationships.set(attributes.Id, {
					part: target.startsWith('/') ? target.slice(1) : `xl/${target}`,
					type: attributes.Type ?? '',
				});
			},
		});
		this.relationships = relationships;
	}

	/** `xl/styles.xml` (openpyxl reads this path): which cell styles make a number a date. */
	async readStyles(xml: AsyncIterable<Buffer>): Promise<void> {
		const custom = new Map<number, string>();
		const cellFormats: number[] = [];
		let inCellXfs = false;
		let size = 0;
		await parseXml(
			meteredStyles(xml, (bytes) => (size += bytes)),
			{
				open: (name, attributes) => {
					if (name === 'numFmt') custom.set(Number(attributes.numFmtId), attributes.formatCode ?? '');
					else if (name === 'cellXfs') inCellXfs = true;
					else if (inCellXfs && name === 'xf') cellFormats.push(Number(attributes.numFmtId ?? 0));
				},
				close: (name) => {
					if (name === 'cellXfs') inCellXfs = false;
				},
			},
		);
		this.dateStyles = new Set();
		cellFormats.forEach((id, index) => {
			if (isDateFormat(custom.get(id) ?? BUILT_IN_DATE_FORMATS[id])) this.dateStyles?.add(index);
		});
	}

	/** `xl/sharedStrings.xml`: each `<si>`'s text (all its runs, not its phonetic guides) into `strings`. */
	async readSharedStrings(xml: AsyncIterable<Buffer>): Promise<void> {
		let text = '';
		let collecting = false;
		let inPhonetic = false;
		await parseXml(xml, {
			open: (name) => {
				if (name === 'si') text = '';
				else if (name === 'rPh') inPhonetic = true;
				else if (name === 't' && !inPhonetic) collecting = true;
			},
			text: (value) => {
				if (collecting) text = appendCapped(text, value);
			},
			close: (name) => {
				if (name === 't') collecting = false;
				else if (name === 'rPh') inPhonetic = false;
				// openpyxl drops `x005F_` from shared strings (a leftover of Excel's `_x005F_` escape).
				else if (name === 'si') this.strings.add(text === '' ? null : text.replace(/x005F_/g, ''));
			},
		});
		this.stringsRead = true;
	}

	/** The part of the first worksheet in workbook order (the one the server imports); undefined while not known. */
	firstSheetPart(): string | null | undefined {
		if (!this.sheets || !this.relationships) return undefined;
		for (const sheet of this.sheets) {
			const relationship = this.relationships.get(sheet.relationshipId);
			if (relationship?.type.endsWith(RELATIONSHIP_TYPES.worksheet)) return relationship.part;
		}
		return null;
	}

	/** Every worksheet in workbook order, with its part; null while the sheet list or the relationships are not read. */
	worksheetParts(): Array<{ name: string; part: string }> | null {
		if (!this.sheets || !this.relationships) return null;
		return this.sheets.flatMap((sheet) => {
			const relationship = this.relationships?.get(sheet.relationshipId);
			return relationship?.type.endsWith(RELATIONSHIP_TYPES.worksheet)
				? [{ name: sheet.name, part: relationship.part }]
				: [];
		});
	}

	/** Whether every part a sheet's cells refer to (shared strings, styles) has been read, or the workbook has none. */
	readyForSheets(): boolean {
		if (!this.relationships) return false;
		const types = [...this.relationships.values()].map((relationship) => relationship.type);
		const has = (suffix: string) => types.some((type) => type.endsWith(suffix));
		return (
			(this.stringsRead || !has(RELATIONSHIP_TYPES.sharedStrings)) &&
			(this.dateStyles !== null || !has(RELATIONSHIP_TYPES.styles))
		);
	}

	isDateStyle(styleId: number): boolean {
		return this.dateStyles?.has(styleId) ?? false;
	}
}

/** The built-in number formats openpyxl knows that are dates or times (the rest are numbers, or unknown to it). */
const BUILT_IN_DATE_FORMATS: Record<number, string> = {
	14: 'mm-dd-yy',
	15: 'd-mmm-yy',
	16: 'd-mmm',
	17: 'mmm-yy',
	18: 'h:mm AM/PM',
	19: 'h:mm:ss AM/PM',
	20: 'h:mm',
	21: 'h:mm:ss',
	22: 'm/d/yy h:mm',
	45: 'mm:ss',
	46: '[h]:mm:ss',
	47: 'mmss.0',
};

/** openpyxl's `is_date_format`: the first section, without literals and bracketed codes, holds a date or time letter. */
function isDateFormat(format: string | undefined): boolean {
	if (format === undefined) return false;
	const first = format.split(';')[0].replace(/".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]/g, '');
	return /[^\\][dmhysDMHYS]/.test(first);
}

/** The styles part, refused past XLSX_READ_LIMITS.stylesBytes. */
async function* meteredStyles(xml: AsyncIterable<Buffer>, count: (bytes: number) => number): AsyncGenerator<Buffer> {
	for await (const chunk of xml) {
		if (count(chunk.length) > XLSX_READ_LIMITS.stylesBytes) {
			throw new SpreadsheetReadError(
				`The .xlsx file's styles part is larger than ${megabytes(XLSX_READ_LIMITS.stylesBytes)}`,
				'It is possibly not a real spreadsheet: check that the right file was given.',
			);
		}
		yield chunk;
	}
}

/** `text + more`, stopped at Excel's cell limit: a cell's text is never held longer than MAX_CELL_LENGTH. */
export function appendCapped(text: string, more: string): string {
	if (text.length >= MAX_CELL_LENGTH) return text;
	return text.length + more.length <= MAX_CELL_LENGTH
		? text + more
		: text + more.slice(0, MAX_CELL_LENGTH - text.length);
}
