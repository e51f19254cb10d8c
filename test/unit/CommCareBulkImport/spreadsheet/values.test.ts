/**
 * The value rules (spreadsheet/values.ts): how an item value becomes a cell, as the text CommCare would store where a
 * cell cannot hold it, and the values refused with a message naming the key and the item.
 */
import { MAX_CELL_LENGTH } from '../../../../nodes/shared/spreadsheet/sheetReading';
import { CellValueError, toCell } from '../../../../nodes/CommCareBulkImport/spreadsheet/values';

describe('cell values', () => {
	const typed = { asText: false, nestedAsJson: false };
	const text = { asText: true, nestedAsJson: false };

	it('keeps text as text, numbers as numbers, booleans as booleans; blanks for null, undefined and ""', () => {
		expect(toCell('00123', 'id', 0, typed)).toBe('00123');
		expect(toCell(42.5, 'n', 0, typed)).toBe(42.5);
		expect(toCell(true, 'b', 0, typed)).toBe(true);
		expect(toCell(null, 'x', 0, typed)).toBeNull();
		expect(toCell(undefined, 'x', 0, typed)).toBeNull();
		expect(toCell('', 'x', 0, typed)).toBeNull();
	});

	it('writes a number below 1e-4 as its JavaScript text where CommCare would print it otherwise (`5e-05`)', () => {
		expect(toCell(0.00005, 'n', 0, typed)).toBe('0.00005');
		expect(toCell(-2.5e-7, 'n', 0, typed)).toBe('-2.5e-7');
		expect(toCell(1e-4, 'n', 0, typed)).toBe(0.0001); // Python prints 0.0001 too
		expect(toCell(1.5e-10, 'n', 0, typed)).toBe(1.5e-10); // both print 1.5e-10
		expect(toCell(0, 'n', 0, typed)).toBe(0);
	});

	it('writes anything in a text column as the text CommCare would have stored', () => {
		expect(toCell(123, 'external_id', 0, text)).toBe('123');
		expect(toCell(false, 'external_id', 0, text)).toBe('False');
		expect(toCell('2024-03-05', 'external_id', 0, text)).toBe('2024-03-05');
		expect(toCell(new Date(Date.UTC(2024, 2, 5, 14, 30)), 'external_id', 0, text)).toBe('2024-03-05 14:30:00');
	});

	it('names the key, the item and the option to turn on for nested values; writes JSON when it is on', () => {
		let error: unknown;
		try {
			toCell({ village: 'Kisumu' }, 'address', 7, typed);
		} catch (caught) {
			error = caught;
		}
		expect(error).toBeInstanceOf(CellValueError);
		expect(error).toMatchObject({ column: 'address', itemIndex: 7, problem: 'nested' });
		// The index 7 is the eighth item: messages count items from 1.
		expect(error).toMatchObject({
			message: "Key 'address' of item 8 holds an object, which a spreadsheet cell cannot hold",
			description:
				'Flatten it (e.g. with a Set node), exclude the column, or turn on Options → Write Nested Values as JSON to write it as JSON text.',
		});
		expect(() => toCell([1, 2], 'tags', 3, typed)).toThrow("Key 'tags' of item 4 holds an array");
		expect(toCell({ village: 'Kisumu' }, 'address', 7, { asText: false, nestedAsJson: true })).toBe(
			'{"village":"Kisumu"}',
		);
	});

	it('refuses cells longer than Excel allows, naming the key and item, instead of truncating', () => {
		expect(toCell('x'.repeat(MAX_CELL_LENGTH), 'notes', 0, typed)).toHaveLength(MAX_CELL_LENGTH);
		expect(() => toCell('x'.repeat(MAX_CELL_LENGTH + 1), 'notes', 12, typed)).toThrow(
			expect.objectContaining({
				message: "Key 'notes' of item 13 is 32768 characters long; a spreadsheet cell holds at most 32767",
				description: 'Shorten it, or leave the column out (Options → Columns to Exclude).',
			}),
		);
		expect(() =>
			toCell({ big: 'y'.repeat(MAX_CELL_LENGTH) }, 'blob', 1, { asText: false, nestedAsJson: true }),
		).toThrow("Key 'blob' of item 2 is");
	});

	it('treats a Luxon DateTime like its ISO text: UTC becomes a date-time, another zone stays text', () => {
		// luxon ships no types of its own; n8n hands these objects to Code nodes as `DateTime`.
		const { DateTime } = require('luxon') as { DateTime: { fromISO(text: string, opts: { zone: string }): object } };
		expect(
			(toCell(DateTime.fromISO('2024-03-05T10:20:30', { zone: 'utc' }), 'd', 0, typed) as Date).toISOString(),
		).toBe('2024-03-05T10:20:30.000Z');
		expect(toCell(DateTime.fromISO('2024-03-05T10:20:30', { zone: 'Africa/Nairobi' }), 'd', 0, typed)).toBe(
			'2024-03-05T10:20:30.000+03:00',
		);
	});

	it('writes dates Excel cannot represent as the text the server would store', () => {
		expect(toCell(new Date(Date.UTC(1899, 11, 31, 12)), 'd', 0, typed)).toBe('1899-12-31 12:00:00');
		expect(toCell(new Date(Date.UTC(10000, 0, 1)), 'd', 0, typed)).toBe('10000-01-01');
	});

	it('refuses NaN, Infinity and invalid dates', () => {
		expect(() => toCell(NaN, 'n', 2, typed)).toThrow("Key 'n' of item 3 holds NaN");
		expect(() => toCell(Infinity, 'n', 2, typed)).toThrow('holds Infinity');
		expect(() => toCell(new Date('nope'), 'd', 4, typed)).toThrow(
			expect.objectContaining({
				message: "Key 'd' of item 5 holds an invalid date",
				description: 'Give it a valid date, or leave the column out (Options → Columns to Exclude).',
			}),
		);
	});
});
