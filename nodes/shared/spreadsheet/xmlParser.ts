/** A streaming XML reader over exceljs's saxes, with a guard on markup size. */
import { requireFromExcelJs } from './exceljsInternals';
import { XLSX_READ_LIMITS, megabytes } from './inflateBudget';
import { SpreadsheetReadError } from './sheetReading';

/** Handlers for `parseXml`; tag names without their namespace prefix (`x:row` → `row`). */
interface XmlHandlers {
	open?(name: string, attributes: Record<string, string>): void;
	close?(name: string): void;
	text?(text: string): void;
}

/** saxes, the XML parser inside exceljs. */
interface XmlParser {
	on(event: 'opentag', handler: (tag: { name: string; attributes: Record<string, string> }) => void): void;
	on(event: 'closetag', handler: (tag: { name: string }) => void): void;
	on(event: 'text', handler: (text: string) => void): void;
	on(event: 'error', handler: (error: Error) => void): void;
	write(chunk: string): unknown;
	close(): unknown;
}

/**
 * Parses XML bytes as they stream in. UTF-8 is decoded across chunk boundaries (exceljs's own parsing decodes each
 * chunk alone, which garbles a character split between two chunks). saxes reports a self-closing tag as an opening
 * and a closing one.
 */
export async function parseXml(xml: AsyncIterable<Buffer | string>, handlers: XmlHandlers): Promise<void> {
	const saxes = requireFromExcelJs('saxes') as { SaxesParser: new () => XmlParser };
	const parser = new saxes.SaxesParser();
	let failure: Error | undefined;
	parser.on('error', (error) => (failure ??= error));
	const { open, close, text } = handlers;
	if (open) parser.on('opentag', (tag) => open(localName(tag.name), tag.attributes));
	if (close) parser.on('closetag', (tag) => close(localName(tag.name)));
	if (text) parser.on('text', text);
	const decoder = new TextDecoder('utf-8');
	const markup = new MarkupGuard(XLSX_READ_LIMITS.markuplessRun);
	for await (const chunk of xml) {
		const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
		markup.check(text);
		parser.write(text);
		if (failure) throw failure;
	}
	parser.write(decoder.decode());
	parser.close();
	if (failure) throw failure;
}

/**
 * Fails once a stretch of XML without `<` or `>` grows past `max` characters: the XML parser holds a whole text (or
 * attribute) until it ends, so without this one endless text would fill the memory.
 */
class MarkupGuard {
	private run = 0;

	constructor(private readonly max: number) {}

	check(text: string): void {
		const first = firstMarkup(text);
		if (first === -1) {
			this.run += text.length;
		} else {
			if (this.run + first > this.max) throw this.refusal();
			// Inside one chunk a run cannot be longer than the chunk.
			if (text.length > this.max && new RegExp(`[^<>]{${this.max + 1}}`).test(text)) throw this.refusal();
			this.run = text.length - 1 - Math.max(text.lastIndexOf('<'), text.lastIndexOf('>'));
		}
		if (this.run > this.max) throw this.refusal();
	}

	private refusal(): SpreadsheetReadError {
		return new SpreadsheetReadError(
			`The .xlsx file holds a text of more than ${megabytes(this.max)} in one piece, which no spreadsheet cell can`,
			'It is possibly not a real spreadsheet: check that the right file was given.',
		);
	}
}

function firstMarkup(text: string): number {
	const open = text.indexOf('<');
	const close = text.indexOf('>');
	return open === -1 ? close : close === -1 ? open : Math.min(open, close);
}

/** `x:row` → `row`: some writers prefix the spreadsheet namespace. */
function localName(name: string): string {
	const colon = name.indexOf(':');
	return colon === -1 ? name : name.slice(colon + 1);
}
