import { pythonNumberOfCellText } from '../../../../nodes/shared/cellText';
import {
	headerPath,
	rowDict,
	storedCellText,
	yesNo,
} from '../../../../nodes/CommCareLookupTableImport/workbook/rowDict';

describe('header grammar', () => {
	it('nests at one colon, lists at two words, reads ? as yes/no, keeps the rest plain', () => {
		expect(headerPath('field: name').key).toBe('field:name');
		expect(headerPath('field: name 1').key).toBe('field:name[]');
		expect(headerPath('user 2')).toEqual({ kind: 'list', key: 'user[]', name: 'user' });
		expect(headerPath('is_global?')).toEqual({ kind: 'plain', key: 'is_global', name: 'is_global', boolean: true });
		// Two colons are not split; three words are not a list.
		expect(headerPath('a: b: c').kind).toBe('plain');
		expect(headerPath('a b c').kind).toBe('plain');
	});

	it('builds the row dictionary, lists leaving blanks out', () => {
		const paths = [
			'UID',
			'field: id',
			'field: name 1',
			'field: name 2',
			'name: lang 1',
			'name: lang 2',
			'user 1',
			'x?',
		].map(headerPath);
		const bad: string[] = [];
		const dict = rowDict(paths, ['', 'a', 'Maize', '', 'en', 'fr', 'ana', 'maybe'], (_, text) => bad.push(text));
		expect(dict).toEqual({
			UID: '',
			field: { id: 'a', name: ['Maize'] },
			name: { lang: ['en', 'fr'] },
			user: ['ana'],
			x: 'no',
		});
		expect(bad).toEqual(['maybe']);
		expect(['YES', 'true', '', 'No', 'y'].map(yesNo)).toEqual([true, true, false, false, null]);
	});
});

describe('storedCellText', () => {
	it('is Python’s str() after the reader’s conversions', () => {
		const number = (text: string) => storedCellText(pythonNumberOfCellText(text));
		expect([number('5'), number('5.0'), number('5.5'), number('0.00005'), number('1E+20')]).toEqual([
			'5',
			'5',
			'5.5',
			'5e-05',
			'100000000000000000000',
		]);
		expect(storedCellText(' a ')).toBe('a');
		expect(storedCellText(null)).toBe('');
		expect(storedCellText(true)).toBe('True');
		expect(storedCellText({ pythonType: 'date', text: '2024-03-05' })).toBe('2024-03-05 00:00:00');
		expect(storedCellText({ pythonType: 'time', text: '14:30:00' })).toBe('14:30:00');
		expect(storedCellText({ error: '#N/A' })).toBe('#N/A');
	});
});
