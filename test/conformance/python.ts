/**
 * The conformance suites need Python 3 with openpyxl (Debian's `python3-openpyxl`, which `.ci/run` installs). Where
 * it is missing they are skipped with a message saying so, so that `npm test` passes on any machine; with
 * `COMMCARE_CONFORMANCE=required` (CI) a missing openpyxl fails instead.
 */
import { findOpenpyxlPython } from './openpyxl';

const python = findOpenpyxlPython();

export function conformanceSuite(name: string, suite: (python: string) => void): void {
	if (python) {
		describe(name, () => suite(python));
		return;
	}
	if (process.env.COMMCARE_CONFORMANCE === 'required') {
		describe(name, () => {
			it('needs Python 3 with openpyxl', () => {
				throw new Error(
					'COMMCARE_CONFORMANCE=required, but no python3 here can import openpyxl. Install it (apt-get install python3-openpyxl) or point OPENPYXL_PYTHON at a Python that has it.',
				);
			});
		});
		return;
	}
	console.warn(
		`Skipped "${name}": no python3 here can import openpyxl, the reader CommCare HQ uses. Install it (apt-get install python3-openpyxl) to run the conformance tests; CI always runs them.`,
	);
	describe.skip(name, () => suite(''));
}
