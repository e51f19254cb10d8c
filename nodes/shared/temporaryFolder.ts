/** Temporary folders (uploads written from items, spilled shared strings), named so an operator can tell whose they are. */
import { mkdtempSync, rmSync } from 'fs';
import { mkdtemp, rm } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { pid } from 'process';

/** Temporary folders are named `n8n-commcare-<process id>-<random>`: an operator can tell whose one is. */
export function temporaryFolderPrefix(): string {
	return `n8n-commcare-${pid}-`;
}

/** A temporary folder made when first needed. */
export class ScratchFolder {
	private folder: string | null = null;

	path(fileName: string): string {
		this.folder ??= mkdtempSync(join(tmpdir(), temporaryFolderPrefix()));
		return join(this.folder, fileName);
	}

	remove(): void {
		if (this.folder) rmSync(this.folder, { recursive: true, force: true });
		this.folder = null;
	}
}

/** A folder of its own in the system's temporary directory, removed after `use`, whatever happens. */
export async function withTemporaryFolder<T>(use: (folder: string) => Promise<T>): Promise<T> {
	const folder = await mkdtemp(join(tmpdir(), temporaryFolderPrefix()));
	try {
		return await use(folder);
	} finally {
		await rm(folder, { recursive: true, force: true });
	}
}
