/** The parts of an `.xlsx` that reading its first sheet needs: workbook, relationships, styles, shared strings. */
import { ScratchFolder } from '../temporaryFolder';
import { type StylesReader, excelJsUtils, requireFromExcelJs } from './exceljsInternals';
import { XLSX_READ_LIMITS, megabytes } from './inflateBudget';
import { SpreadsheetReadError } from './inspection';
import { SharedStringTable } from './stringTable';
import { MAX_CELL_LENGTH } from './values';
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
	private styles: StylesReader | null = null;
	private stringsRead = false;
	private readonly dateStyles = new Map<number, boolean>();
	readonly strings: SharedStringTable;

	constructor(scratch: ScratchFolder) {
		this.strings = new SharedStringTable(scratch);
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

	async readStyles(xml: AsyncIterable<Buffer>): Promise<void> {
		// Read whole first: exceljs stops reading at the closing root tag, and an entry left unread stalls the zip.
		const chunks: Buffer[] = [];
		let size = 0;
		for await (const chunk of xml) {
			size += chunk.length;
			if (size > XLSX_READ_LIMITS.stylesBytes) {
				throw new SpreadsheetReadError(
					`The .xlsx file's styles part is larger than ${megabytes(XLSX_READ_LIMITS.stylesBytes)}: possibly not a real spreadsheet. Nothing was uploaded.`,
				);
			}
			chunks.push(chunk);
		}
		const StylesXform = requireFromExcelJs('./lib/xlsx/xform/style/styles-xform') as new () => StylesReader;
		const styles = new StylesXform();
		await styles.parseStream(chunks);
		this.styles = styles;
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
				else if (name === 'si') this.strings.add(text === '' ? null : text);
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

	/** Whether every part a sheet's cells refer to (shared strings, styles) has been read, or the workbook has none. */
	readyForSheets(): boolean {
		if (!this.relationships) return false;
		const types = [...this.relationships.values()].map((relationship) => relationship.type);
		const has = (suffix: string) => types.some((type) => type.endsWith(suffix));
		return (
			(this.stringsRead || !has(RELATIONSHIP_TYPES.sharedStrings)) &&
			(this.styles !== null || !has(RELATIONSHIP_TYPES.styles))
		);
	}

	isDateStyle(styleId: number): boolean {
		let isDate = this.dateStyles.get(styleId);
		if (isDate === undefined) {
			isDate = excelJsUtils.isDateFmt(this.styles?.getStyleModel(styleId)?.numFmt);
			this.dateStyles.set(styleId, isDate);
		}
		return isDate;
	}
}

/** `text + more`, stopped at Excel's cell limit: a cell's text is never held longer than MAX_CELL_LENGTH. */
export function appendCapped(text: string, more: string): string {
	if (text.length >= MAX_CELL_LENGTH) return text;
	return text.length + more.length <= MAX_CELL_LENGTH
		? text + more
		: text + more.slice(0, MAX_CELL_LENGTH - text.length);
}
