/**
 * Files made to inflate far beyond their size ("zip bombs") in the shape of an .xlsx: a real workbook, relationships
 * and content types, and a first worksheet whose XML is `inflatedBytes` of markup that holds no row (so only the
 * read limits, not the row limit, can stop a reader). Deflated at level 9; with sizes only in the data descriptor
 * the worksheet is generated as it is compressed, so the bomb never exists whole in memory. Used by the hardening
 * tests and the bench.
 */
import { createWriteStream, writeFileSync } from 'fs';
import { Readable } from 'stream';
import { finished } from 'stream/promises';

import archiver from 'archiver';
import JSZip from 'jszip';

const WORKBOOK = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="cases" sheetId="1" r:id="rId1"/></sheets></workbook>`;
const RELATIONSHIPS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`;
const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`;

/** The worksheet: a header row, then `<x/>` elements (no rows) up to `inflatedBytes`. */
function* worksheetXml(inflatedBytes: number): Generator<Buffer> {
	const head = Buffer.from(
		'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>case_id</t></is></c></row>',
	);
	const tail = Buffer.from('</sheetData></worksheet>');
	const block = Buffer.from('<x/>'.repeat(16 * 1024));
	yield head;
	let written = head.length + tail.length;
	while (written + block.length <= inflatedBytes) {
		yield block;
		written += block.length;
	}
	yield tail;
}

export interface ZipBombOptions {
	/** Bytes the worksheet inflates to. */
	inflatedBytes: number;
	/**
	 * Whether the local header declares the sizes (a writer that knew them in advance). Default false: sizes only in
	 * the data descriptor after the data, as streaming writers (exceljs included) do, so a reader must count.
	 */
	declareSizes?: boolean;
}

/** Writes the bomb to `path`; returns its size in bytes. */
export async function writeZipBomb(path: string, options: ZipBombOptions): Promise<number> {
	if (options.declareSizes) return await writeDeclaredZipBomb(path, options.inflatedBytes);
	const archive = archiver('zip', { zlib: { level: 9 } });
	const out = createWriteStream(path);
	archive.pipe(out);
	archive.append(CONTENT_TYPES, { name: '[Content_Types].xml' });
	archive.append(WORKBOOK, { name: 'xl/workbook.xml' });
	archive.append(RELATIONSHIPS, { name: 'xl/_rels/workbook.xml.rels' });
	archive.append(Readable.from(worksheetXml(options.inflatedBytes)), { name: 'xl/worksheets/sheet1.xml' });
	await archive.finalize();
	await finished(out);
	return archive.pointer();
}

/** JSZip (exceljs's dependency) puts each entry's sizes in its local header when it knows the content beforehand. */
async function writeDeclaredZipBomb(path: string, inflatedBytes: number): Promise<number> {
	const zip = new JSZip();
	zip.file('[Content_Types].xml', CONTENT_TYPES);
	zip.file('xl/workbook.xml', WORKBOOK);
	zip.file('xl/_rels/workbook.xml.rels', RELATIONSHIPS);
	zip.file('xl/worksheets/sheet1.xml', Buffer.concat([...worksheetXml(inflatedBytes)]));
	const bytes = await zip.generateAsync({
		type: 'nodebuffer',
		compression: 'DEFLATE',
		compressionOptions: { level: 9 },
		streamFiles: false,
	});
	writeFileSync(path, bytes);
	return bytes.length;
}
