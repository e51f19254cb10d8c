/**
 * ISO date text as the value rules read it (spreadsheet/dates.ts): a date or date-time from its digits, never on the
 * machine's clock; a time with another offset stays text.
 */
import { parseIsoDateText } from '../../../../nodes/shared/spreadsheet/dates';
import { toCell } from '../../../../nodes/CommCareBulkImport/spreadsheet/values';

describe('cell values', () => {
	const typed = { asText: false, nestedAsJson: false };

	it('turns ISO dates, UTC and offset-less date-times into dates from their digits; keeps other offsets as text', () => {
		expect(parseIsoDateText('2024-03-05')?.toISOString()).toBe('2024-03-05T00:00:00.000Z');
		expect(parseIsoDateText('2024-03-05T14:30:15.678Z')?.toISOString()).toBe('2024-03-05T14:30:15.000Z');
		expect(parseIsoDateText('2024-03-05 14:30')?.toISOString()).toBe('2024-03-05T14:30:00.000Z');
		expect(parseIsoDateText('2024-03-05T14:30:00+00:00')?.toISOString()).toBe('2024-03-05T14:30:00.000Z');
		expect(parseIsoDateText('2024-03-05T14:30:00+02:00')).toBeNull();
		expect(parseIsoDateText('2023-02-29')).toBeNull();
		expect(parseIsoDateText('1899-12-31')).toBeNull();
		expect(parseIsoDateText('2024-03-05T24:00:00')).toBeNull();
		expect(toCell('2024-03-05T14:30:00+02:00', 'visit', 0, typed)).toBe('2024-03-05T14:30:00+02:00');
	});
});
