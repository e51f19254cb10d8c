/**
 * Keeps a streamed .xlsx writer's memory bounded: exceljs's worksheet stream accepts rows without ever pushing back,
 * so a loop that never pauses would buffer the whole sheet (about 1 KB a row) before compressing it. The writer asks
 * after each row whether compression is behind, and if so waits for it.
 */
import { once } from 'events';
import { setImmediate as nextTurnOfEventLoop } from 'timers/promises';
import type { StreamWithState } from './exceljsInternals';

/** How much sheet XML may wait for compression before the writer pauses. */
const MAX_PENDING_SHEET_BYTES = 1024 * 1024;
/** Below that, a turn of the event loop every 64 KB keeps compression busy alongside row production. */
const YIELD_EVERY_BYTES = 64 * 1024;

export function pendingBytes(stream: StreamWithState): number {
	return stream._writableState?.length ?? 0;
}

export class CompressionPacer {
	private pendingAtLastYield = 0;

	/**
	 * `zipInput`: the stream between the worksheet and the compressor (`sheetZipInput`), undefined when exceljs's
	 * internals look different (the pacer then yields every 1000 rows). `out`: where the file goes.
	 */
	constructor(
		private readonly zipInput: StreamWithState | undefined,
		private readonly out: NodeJS.WritableStream,
	) {}

	/** Checked after every row, awaited only when needed: a promise per row would cost more than the check. */
	isBehind(rowCount: number): boolean {
		if (!this.zipInput) return rowCount % 1000 === 0;
		const pending = pendingBytes(this.zipInput);
		return pending > MAX_PENDING_SHEET_BYTES || pending - this.pendingAtLastYield >= YIELD_EVERY_BYTES;
	}

	async catchUp(): Promise<void> {
		const { zipInput } = this;
		if (zipInput && pendingBytes(zipInput) > MAX_PENDING_SHEET_BYTES) {
			await drained(zipInput, this.out);
		} else {
			// One turn of the event loop hands the next chunk to zlib, which then compresses on another thread
			// while this one goes on producing rows.
			await nextTurnOfEventLoop();
		}
		this.pendingAtLastYield = zipInput ? pendingBytes(zipInput) : 0;
	}
}

/** Resolves when the zip input has drained; rejects if `out` fails or closes first (no hang on a dead upload). */
async function drained(zipInput: StreamWithState, out: NodeJS.WritableStream): Promise<void> {
	const state = out as { destroyed?: boolean; errored?: Error | null };
	if (state.destroyed) throw state.errored ?? new Error('The output stream closed before the sheet was written');
	const outEmitter = out as unknown as NodeJS.EventEmitter;
	let onOutFailure: ((error?: Error) => void) | undefined;
	const outFailed = new Promise<never>((_, reject) => {
		onOutFailure = (error?: Error) =>
			reject(error ?? new Error('The output stream closed before the sheet was written'));
		outEmitter.once('error', onOutFailure);
		outEmitter.once('close', onOutFailure);
	});
	try {
		await Promise.race([once(zipInput, 'drain'), outFailed]);
	} finally {
		outEmitter.removeListener('error', onOutFailure!);
		outEmitter.removeListener('close', onOutFailure!);
	}
}
