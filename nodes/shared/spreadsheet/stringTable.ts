import { closeSync, openSync, readSync, writeSync } from 'fs';
import { ScratchFolder } from '../temporaryFolder';
import { isBlankMarker } from '../cellText';

/** Shared strings kept in memory up to this many bytes (UTF-8); the rest go to a temporary file. */
const SHARED_STRINGS_IN_MEMORY_BYTES = 4 * 1024 * 1024;
/** Bytes of shared strings collected before each write to the temporary file. */
const SHARED_STRINGS_WRITE_BYTES = 256 * 1024;

/**
 * The workbook's shared strings (`xl/sharedStrings.xml`), where Excel, LibreOffice and Google Sheets put every text
 * cell. Kept as JavaScript strings (as exceljs does), a 100 MB workbook of long notes takes half a gigabyte. The checks
 * need, for every cell, only whether it is empty or `---`, and the text of a few columns; so this keeps two bits per
 * string and the texts as UTF-8 bytes: in memory up to SHARED_STRINGS_IN_MEMORY_BYTES, after that in a
 * temporary file, read back only for the cells whose text the checks use. Call `close()` when done.
 */
export class SharedStringTable {
	private count = 0;
	/** End of string i in the table's bytes; string i starts where string i - 1 ends. 64-bit only past 4 GB. */
	private ends: Uint32Array | Float64Array = new Uint32Array(1024);
	/** One bit per string: empty; and one: `---` once stripped (stored as an empty value). */
	private empties = new Uint8Array(128);
	private markers = new Uint8Array(128);
	private memory = Buffer.alloc(0);
	private memoryUsed = 0;
	/** Set once the memory is full: the bytes after `spilledFrom` are in the file. */
	private spill: { fd: number; spilledFrom: number; pending: Buffer; pendingUsed: number } | null = null;

	constructor(private readonly scratch: ScratchFolder) {}

	get size(): number {
		return this.count;
	}

	/** Appends the next string (its text as the server reads it; null when empty). */
	add(text: string | null): void {
		const index = this.count++;
		if (index === this.ends.length) this.ends = grown(this.ends);
		if (index >> 3 === this.empties.length) {
			this.empties = grown(this.empties);
			this.markers = grown(this.markers);
		}
		if (text === null || text === '') this.empties[index >> 3] |= 1 << (index & 7);
		else if (isBlankMarker(text)) this.markers[index >> 3] |= 1 << (index & 7);
		const start = index === 0 ? 0 : this.ends[index - 1];
		const byteLength = text ? Buffer.byteLength(text, 'utf8') : 0;
		if (byteLength > 0) this.store(text as string, byteLength);
		if (start + byteLength > 0xffff_ffff && this.ends instanceof Uint32Array) this.ends = Float64Array.from(this.ends);
		this.ends[index] = start + byteLength;
	}

	/** Blank for the importer: empty, or `---`. */
	isBlank(index: number): boolean {
		return this.isEmpty(index) || this.isMarker(index);
	}

	/** Empty: a falsy value for Python. */
	isEmpty(index: number): boolean {
		return (this.empties[index >> 3] & (1 << (index & 7))) !== 0;
	}

	isMarker(index: number): boolean {
		return (this.markers[index >> 3] & (1 << (index & 7))) !== 0;
	}

	/** The text of string `index`; null for an empty one or an index the table does not have (as the server reads it). */
	text(index: number): string | null {
		if (!(index >= 0 && index < this.count)) return null;
		const start = index === 0 ? 0 : this.ends[index - 1];
		const end = this.ends[index];
		if (end === start) return null;
		if (!this.spill || end <= this.spill.spilledFrom) return this.memory.toString('utf8', start, end);
		this.flush();
		const bytes = Buffer.allocUnsafe(end - start);
		readSync(this.spill.fd, bytes, 0, bytes.length, start - this.spill.spilledFrom);
		return bytes.toString('utf8');
	}

	/** Closes the temporary file, if there is one (the scratch folder's owner removes it). */
	close(): void {
		if (!this.spill) return;
		closeSync(this.spill.fd);
		this.spill = null;
	}

	private store(text: string, byteLength: number): void {
		if (!this.spill && this.memoryUsed + byteLength <= SHARED_STRINGS_IN_MEMORY_BYTES) {
			if (this.memoryUsed + byteLength > this.memory.length) {
				const size = Math.min(SHARED_STRINGS_IN_MEMORY_BYTES, Math.max(64 * 1024, 2 * (this.memoryUsed + byteLength)));
				const larger = Buffer.allocUnsafe(size);
				this.memory.copy(larger, 0, 0, this.memoryUsed);
				this.memory = larger;
			}
			this.memoryUsed += this.memory.write(text, this.memoryUsed, 'utf8');
			return;
		}
		if (!this.spill) {
			const fd = openSync(this.scratch.path('shared-strings.bin'), 'w+');
			this.spill = {
				fd,
				spilledFrom: this.memoryUsed,
				pending: Buffer.allocUnsafe(SHARED_STRINGS_WRITE_BYTES),
				pendingUsed: 0,
			};
		}
		const spill = this.spill;
		if (spill.pendingUsed + byteLength > spill.pending.length) this.flush();
		if (byteLength > spill.pending.length) {
			writeSync(spill.fd, Buffer.from(text, 'utf8'));
			return;
		}
		spill.pendingUsed += spill.pending.write(text, spill.pendingUsed, 'utf8');
	}

	private flush(): void {
		const spill = this.spill;
		if (!spill || spill.pendingUsed === 0) return;
		writeSync(spill.fd, spill.pending, 0, spill.pendingUsed);
		spill.pendingUsed = 0;
	}
}

function grown<T extends Uint8Array | Uint32Array | Float64Array>(array: T): T {
	const larger = new (array.constructor as new (length: number) => T)(array.length * 2);
	larger.set(array);
	return larger;
}
