/**
 * TESTING.md is generated from the outcomes the hardening suites record (test/harness/testingTable.ts). This keeps the
 * committed table and the committed outcomes in step, and checks the promises the table makes about itself.
 */
import { readFileSync } from 'fs';

import { loadOutcomeRows, renderTestingMd, TESTING_MD } from '../../harness/testingTable';
import { secretNeedles } from '../../support/secrets';
import { SECRET_NEEDLES, SWEEP_USER } from './harness';

const rows = loadOutcomeRows();

describe('TESTING.md', () => {
	it('is exactly what the recorded outcomes render to (regenerate it, never edit it by hand)', () => {
		expect(readFileSync(TESTING_MD, 'utf8')).toBe(renderTestingMd(rows));
	});

	it('lists every kind of case the issue asks for, each with a test', () => {
		const areas = new Set(rows.map((row) => row.area));
		expect([...areas].sort()).toEqual([
			'Accounting',
			'Answers read strictly',
			'Bad input',
			'Bounded input',
			'Credential safety',
			'Faults on status polls',
			'Faults on the upload',
			'No silent data loss',
			'Secrets on every failure path',
		]);
		const ids = new Set(rows.map((row) => row.id));
		expect(ids.size).toBe(rows.length);
		for (const id of [
			'upload.connectionRefused',
			'upload.resetAfterBody',
			'upload.slowAfterQueueing',
			'upload.429.always',
			'upload.502.noRetryAfter',
			'upload.504.retryAfter',
			'upload.html500',
			'upload.malformedJson',
			'status.429.once.retryAfter',
			'status.staysQueued',
			'status.turns404',
			'input.passwordProtected',
			'input.301columns',
			'input.unicode',
			'input.formulaText.xlsx',
			'baseUrl.plainHttp',
			'tls.selfSigned.upload',
			'credential.statusRedirectElsewhere',
			'accounting.binary.property',
			'secrets.json500.everyShape',
			'secrets.htmlTitleCut',
			'secrets.status200.notAStatus',
			'secrets.redirectLocation',
			'secrets.baseUrlWithLogin',
			'upload.trickle.body',
			'status.trickle.body',
			'dataLoss.missingKey.refused',
			'dataLoss.missingKey.keep',
			'dataLoss.dataUnderBlankHeader',
			'dataLoss.headersNotInRow1',
			'dataLoss.controlCharacters',
			'dataLoss.prototypeKeys',
			'settings.caseTypePerItem',
			'defects.zeroInIdColumn',
			'bounds.zipBomb.streamed',
			'bounds.zipBomb.declared',
			'bounds.tooManyRows',
			'bounds.csvLongLine',
			'bounds.statusBodyTooLarge',
			'strict.invalidStatusUrl',
			'strict.html200',
			'strict.counts',
			'strict.rowsOutsideUpload',
			'strict.multiSheetSkipReason',
			'secrets.sweep',
		]) {
			expect(ids).toContain(id);
		}
		for (const row of rows) expect(row.test).toMatch(/^test\/integration\/hardening\/\w+\.test\.ts › /);
	});

	it('loses nothing, leaks nothing and dumps no HTML page in any row', () => {
		for (const row of rows) {
			expect(row.lost).toMatch(/^nothing\b/);
			expect(`${row.userSees} ${row.advice ?? ''}`).not.toMatch(/<\s*(!doctype|html|head|body|title|h1)\b/i);
		}
		const text = `${readFileSync(TESTING_MD, 'utf8')}${JSON.stringify(rows)}`;
		for (const needle of [...SECRET_NEEDLES, ...secretNeedles(SWEEP_USER)]) expect(text).not.toContain(needle);
	});
});
