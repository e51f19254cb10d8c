/**
 * How Bulk Import says the checks refused an upload (failures.ts): one line naming the first problem (and how many
 * more), a description saying what to do about it, listing the others, and offering Skip Checks only where skipping
 * them would send the data.
 */
import { alreadyAcceptedNote, ChecksFailedError } from '../../../nodes/CommCareBulkImport/failures';
import { issue } from '../../support/unitItemsSource';

const SKIP =
	'Nothing was sent to CommCare. Fix the data and run again, or turn on Options → Skip Checks Before Upload to send it as it is.';

describe('ChecksFailedError', () => {
	it('one problem: its short message after the subject; what to do, then the advice to skip the checks', () => {
		const reserved = issue('reservedHeader', "Column 'type' is reserved", {
			description: 'The whole import would fail. Rename or remove the column.',
			column: 'type',
		});
		const error = new ChecksFailedError("'a.xlsx' (item 1)", [reserved], []);
		expect(error.message).toBe("'a.xlsx' (item 1) not uploaded: Column 'type' is reserved");
		expect(error.message).not.toContain('\n');
		expect(error.description).toBe(`The whole import would fail. Rename or remove the column.\n${SKIP}`);
	});

	it('several problems: counted in the message, listed once in the description, none repeated', () => {
		const errors = [
			issue('invalidHeader', "Header 'a b' contains a space", { description: 'Rename the column.' }),
			issue('nameTooLong', "Sheet row 2 (item 1) has a case name in 'name' longer than 255 characters", {
				description: 'Shorten the names.',
				items: [0],
			}),
			issue('blankExternalIds', "Sheet row 4 (item 3) has no external id in 'external_id'", { items: [2] }),
		];
		const error = new ChecksFailedError('The input items were', errors, []);
		expect(error.message).toBe(
			"The input items were not uploaded: Header 'a b' contains a space (and 2 more problems)",
		);
		expect(error.description).toBe(
			[
				'Rename the column.',
				'Also:',
				"• Sheet row 2 (item 1) has a case name in 'name' longer than 255 characters",
				"• Sheet row 4 (item 3) has no external id in 'external_id'",
				SKIP,
			].join('\n'),
		);
		expect(error.itemIndexes).toEqual([0, 2]);
		expect(new ChecksFailedError('x', errors.slice(0, 2), []).message).toMatch(/\(and 1 more problem\)$/);
	});

	it('no Skip Checks advice where skipping them would not send it: a missing field, a value no cell holds', () => {
		const missing = issue('missingField', "Item 2 has no field 'village', which other items have", {
			description: 'Give the item the field.',
			items: [1],
		});
		const nested = issue('nestedValue', "Key 'a' of item 1 holds an array", { description: 'Flatten it.' });
		const header = issue('reservedHeader', "Column 'type' is reserved", { description: 'Rename it.' });
		expect(new ChecksFailedError('s', [missing], []).description).toBe(
			'Give the item the field.\nNothing was sent to CommCare.',
		);
		expect(new ChecksFailedError('s', [nested], []).description).toBe('Flatten it.\nNothing was sent to CommCare.');
		// One such problem among others: skipping the checks still would not send the data.
		expect(new ChecksFailedError('s', [header, missing], []).description).toMatch(/\nNothing was sent to CommCare\.$/);
	});
});

describe('alreadyAcceptedNote', () => {
	it('lists the uploads CommCare accepted, named as a person counts items', () => {
		expect(alreadyAcceptedNote([])).toBe('');
		expect(alreadyAcceptedNote([{ label: "item 1 ('a.xlsx')", statusUrl: 'https://x/1' }])).toBe(
			" Before this failure CommCare accepted this upload, which will import: item 1 ('a.xlsx'): https://x/1. Do not run the same input again without removing their rows, or they are imported twice.",
		);
	});
});
