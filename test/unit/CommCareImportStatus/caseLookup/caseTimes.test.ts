/**
 * What a found case's times prove (caseLookup/caseTimes.ts): CommCare's times are UTC, never on the machine's clock,
 * and a date_opened that cannot be when the case was opened proves nothing.
 */
import { commCareTime, trustedOpening } from '../../../../nodes/CommCareImportStatus/caseLookup/caseTimes';
import { ACCEPTED, patient } from '../../../support/unitCaseLookup';

describe('what a case time proves', () => {
	test('a time without an offset is UTC; one with an offset is read with it; anything else is no time', () => {
		expect(commCareTime('2026-12-02T10:00:05.123456')).toBe(Date.parse('2026-12-02T10:00:05.123Z'));
		expect(commCareTime('2026-12-02T10:00:05.123456Z')).toBe(Date.parse('2026-12-02T10:00:05.123Z'));
		expect(commCareTime('2026-12-02T12:00:05+02:00')).toBe(Date.parse('2026-12-02T10:00:05Z'));
		expect(commCareTime('2026-12-02')).toBe(Date.parse('2026-12-02T00:00:00Z'));
		expect(commCareTime(null)).toBeNaN();
		expect(commCareTime('yesterday')).toBeNaN();
	});

	test('a date_opened later than the last modification (a device clock ahead) proves nothing', () => {
		const ahead = patient('a', 'e-a', 3_600_000, 1000);
		expect(trustedOpening(ahead, {}, ACCEPTED)).toBeNaN();
		const fine = patient('b', 'e-b', 1000, 1000);
		expect(trustedOpening(fine, {}, ACCEPTED)).toBe(ACCEPTED + 1000);
	});
});
