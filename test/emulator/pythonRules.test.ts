/**
 * The pure Python-compatibility rules inside the emulator: formatting (json.dumps, repr), CSV re-typing, search-id
 * normalisation and UTF-8 error texts. Expected values are what CPython 3 prints for the same input.
 */
import { numberCell, searchIdOfCell } from '../../emulator/cells';
import { csvCellValue } from '../../emulator/csvRetyping';
import { pythonBytesRepr, pythonFloatRepr, pythonJsonDumps, pythonStrRepr } from '../../emulator/pythonFormat';
import { utf8ErrorDetail } from '../../emulator/spreadsheet';

describe('pythonFloatRepr', () => {
	test.each([
		[5.5, '5.5'],
		[2, '2.0'],
		[-0, '-0.0'],
		[0.1 + 0.2, '0.30000000000000004'],
		[1e16, '1e+16'],
		[123456789012345.6, '123456789012345.6'],
		[0.0001, '0.0001'],
		[0.00001, '1e-05'],
		[1.5e300, '1.5e+300'],
		[-2.5e-7, '-2.5e-07'],
	])('%p → %s', (value, expected) => {
		expect(pythonFloatRepr(value)).toBe(expected);
	});
});

describe('pythonStrRepr / pythonBytesRepr', () => {
	test.each([
		['case_id', "'case_id'"],
		["it's", '"it\'s"'],
		['say "hi"', '\'say "hi"\''],
		['it\'s "x"', "'it\\'s \"x\"'"],
		['tab\there', "'tab\\there'"],
	])('%p → %s', (text, expected) => {
		expect(pythonStrRepr(text)).toBe(expected);
	});

	test('bytes prefix as xlrd prints it', () => {
		expect(pythonBytesRepr(Buffer.from('PK\x03\x04ab', 'latin1'))).toBe("b'PK\\x03\\x04ab'");
	});
});

describe('pythonJsonDumps', () => {
	test('default separators and ASCII escapes', () => {
		expect(pythonJsonDumps({ a: [1, 2.5, null, true], é: 'ü\n', s: '<a href="x">' })).toBe(
			'{"a": [1, 2.5, null, true], "\\u00e9": "\\u00fc\\n", "s": "<a href=\\"x\\">"}',
		);
	});

	test('astral characters become surrogate pairs; keys can be sorted like tastypie', () => {
		expect(pythonJsonDumps({ b: '😀', a: {} }, true)).toBe('{"a": {}, "b": "\\ud83d\\ude00"}');
	});
});

describe('csvCellValue (format_str_to_its_type)', () => {
	test.each([
		['5', 'int', '5'],
		['2.0', 'int', '2'],
		['1e3', 'int', '1000'],
		['0x1A', 'int', '26'],
		['1_000', 'int', '1000'],
		['-7', 'int', '-7'],
		['2.5', 'float', '2.5'],
		['True', 'int', '1'],
		['true', 'bool', 'True'],
		['N', 'bool', 'False'],
		['50%', 'float', '0.5'],
		['12.5%', 'float', '0.125'],
		['100%', 'float', '1.0'],
		['2021-03-04', 'date', '2021-03-04'],
		['03/04/2021', 'date', '2021-03-04'],
		['13/04/2021', 'date', '2021-04-13'],
		['March 4, 2021', 'date', '2021-03-04'],
		['4 Mar 2021', 'date', '2021-03-04'],
		['2021-03-04 10:30', 'datetime', '2021-03-04 10:30:00'],
		['2021-03-04T10:30:15', 'datetime', '2021-03-04 10:30:15'],
		['2021-03-04 00:00', 'datetime', '2021-03-04 00:00:00'],
		['10:30', 'time', '10:30:00'],
		['hello', 'str', 'hello'],
		['2021-02-30', 'str', '2021-02-30'],
	])('%p → %s %p', (text, kind, rendered) => {
		expect(csvCellValue(text)).toMatchObject({ kind, text: rendered });
	});

	test('digits with leading zeros are not Python literals: dateutil reads them as a year or a day', () => {
		expect(csvCellValue('0123')).toMatchObject({ kind: 'date', text: expect.stringMatching(/^0123-\d{2}-\d{2}$/) });
		expect(csvCellValue('091299')).toMatchObject({ kind: 'date', text: '1999-09-12' });
		expect(csvCellValue('0123456')).toMatchObject({ kind: 'str', text: '0123456' });
	});

	test('an empty cell is blank', () => {
		expect(csvCellValue('')).toBeNull();
	});
});

describe('searchIdOfCell (_parse_search_id)', () => {
	test.each([
		['00123', '123'],
		['12.7', '12'],
		['1e3', '1000'],
		[' 42 ', '42'],
		['-3.9', '-3'],
		['abc-123', 'abc-123'],
		['---', '---'],
		['', ''],
	])('text %p → %p', (text, expected) => {
		expect(searchIdOfCell({ kind: 'str', text })).toBe(expected);
	});

	test('numbers are truncated; 0 is falsy and becomes empty; blank is empty', () => {
		expect(searchIdOfCell(numberCell(12.7))).toBe('12');
		expect(searchIdOfCell(numberCell(0))).toBe('');
		expect(searchIdOfCell(null)).toBe('');
	});
});

describe('utf8ErrorDetail (UnicodeDecodeError text)', () => {
	test.each([
		[[0x61, 0xff], "'utf-8' codec can't decode byte 0xff in position 1: invalid start byte"],
		[[0xc3, 0x28], "'utf-8' codec can't decode byte 0xc3 in position 0: invalid continuation byte"],
		[[0x61, 0xe2, 0x82], "'utf-8' codec can't decode bytes in position 1-2: unexpected end of data"],
		[[0xc3], "'utf-8' codec can't decode byte 0xc3 in position 0: unexpected end of data"],
	])('%p', (bytes, expected) => {
		expect(utf8ErrorDetail(Uint8Array.from(bytes))).toBe(expected);
	});

	test('valid UTF-8 has no error', () => {
		expect(utf8ErrorDetail(Buffer.from('héllo, wörld ✓'))).toBeUndefined();
	});
});
