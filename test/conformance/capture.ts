/**
 * Every `.xlsx` the emulator receives while the unit, integration and emulator suites run is kept
 * (emulator/uploadView.ts, `XLSX_CORPUS_ENV`), so that the conformance suite, which `npm test` runs right after them,
 * reads them all with the real openpyxl: the files the writer produced in the value-rule and hardening tests, and the
 * files those tests built. This is the integration and emulator projects' global set-up (jest runs it once, before any
 * test of the selected projects): it empties the folder and tells the emulator where it is.
 */
import { createHash } from 'crypto';
import { mkdirSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

import { XLSX_CORPUS_ENV } from '../../emulator/uploadView';

/** One folder per checkout, so two checkouts on one machine do not mix their files. */
export const CAPTURED_CORPUS_FOLDER = path.join(
	os.tmpdir(),
	`n8n-nodes-commcare-xlsx-corpus-${createHash('sha1').update(path.resolve(__dirname, '../..')).digest('hex').slice(0, 12)}`,
);

export default function startCapturing(): void {
	rmSync(CAPTURED_CORPUS_FOLDER, { recursive: true, force: true });
	mkdirSync(CAPTURED_CORPUS_FOLDER, { recursive: true });
	process.env[XLSX_CORPUS_ENV] = CAPTURED_CORPUS_FOLDER;
}
