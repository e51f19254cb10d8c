/**
 * The check catalogue says what the checks do: every finding the checks raise by name (`report.error`, `report.warn`,
 * `report.rowIssue`) has the severity the catalogue gives its code, read from the checks' own source.
 */
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';

import { CHECKS, type CheckSeverity } from '../../../../nodes/CommCareBulkImport/checks/catalogue';

const CHECKS_FOLDER = join(__dirname, '..', '..', '..', '..', 'nodes', 'CommCareBulkImport', 'checks');

/** What a call of each report method makes of its finding. */
const SEVERITY_OF_CALL: Record<string, CheckSeverity> = { error: 'error', warn: 'warning', rowIssue: 'byRows' };

function raisedByName(): Array<[code: string, severity: CheckSeverity]> {
	return readdirSync(CHECKS_FOLDER)
		.filter((name) => name.endsWith('.ts'))
		.flatMap((name) =>
			[...readFileSync(join(CHECKS_FOLDER, name), 'utf8').matchAll(/\.(error|warn|rowIssue)\(\s*'(\w+)'/g)].map(
				(match): [string, CheckSeverity] => [match[2], SEVERITY_OF_CALL[match[1]]],
			),
		);
}

describe('the check catalogue', () => {
	it('gives each finding the checks raise the severity they raise it with', () => {
		const raised = raisedByName();
		expect(raised.length).toBeGreaterThan(30);
		expect(raised).toEqual(raised.map(([code]) => [code, CHECKS[code as keyof typeof CHECKS]?.severity]));
	});
});
