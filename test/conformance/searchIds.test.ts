/**
 * The id CommCare looks a row up by (`_parse_search_id`: `row[column] or ''`, then `int(float(x))`), computed by real
 * CPython for a corpus of cells, against the node's rule (its checks and Import Status's case lookup) and the
 * emulator's own (written apart from the node's, so that one cannot hide a mistake of the other).
 */
import { boolCell, floatCell, intCell, searchIdOfCell as emulatorSearchId, type Cell } from '../../emulator/cells';
import { pythonNumberOfCellText, searchIdOfCell, searchIdOfText } from '../../nodes/shared/cellText';
import { CELL_TABLE } from '../support/cellTable';
import { conformanceSuite } from './python';
import { readWithOpenpyxl, type PythonCellAnswer, type SearchIdCell } from './openpyxl';

const TEXTS = [
	'',
	'abc',
	'00123',
	'123',
	'0',
	'-0',
	'+7',
	' 12 ',
	'\t12\n',
	'12 ',
	'1_000',
	'1__000',
	'_1',
	'1_',
	'1_.5',
	'12.9',
	'-12.9',
	'-0.5',
	'.5',
	'5.',
	'1e3',
	'1E3',
	'1e-3',
	'1e400',
	'-1e400',
	'1e308',
	'1.5e16',
	'inf',
	'-Infinity',
	'nan',
	'NaN',
	'0x1A',
	'0b1',
	'0o7',
	'1/2',
	'½',
	'١٢٣',
	'١٢٣.٤',
	'１２３',
	'𝟏𝟐',
	'߁߂',
	'\u00a012\u3000',
	'\u200b12',
	'\ufeff12',
	'\u001c12',
	'\u008512',
	'12\u2028',
	'٠٠٧',
	'True',
	'False',
	'true',
	'None',
	'2024-03-05',
	'2024-03-05 10:00:00',
	'12345678901234567890',
	'9007199254740993',
	'-9007199254740993',
	'00000000000000000000001',
	'1' + '0'.repeat(30),
	'---',
	' --- ',
	'HH-00123',
	'12a',
	'a12',
	'1 2',
	'1,000',
	'1.000.000',
	'٫٥',
	'+.5e+2',
	'-.e1',
	'.',
	'e5',
	'1e',
	'1e+',
];

const TYPED: Array<{ python: SearchIdCell; emulator: Cell; node: unknown }> = [
	...['0', '7', '-7', '123', '9007199254740993', '12345678901234567890', '1' + '0'.repeat(400)].map((digits) => ({
		python: { int: digits },
		emulator: intCell(BigInt(digits)),
		node: pythonNumberOfCellText(digits),
	})),
	...[0, -0, 0.5, -0.5, 12.9, 1e20, 1.5e300, 5e-5].map((value) => ({
		python: { float: value },
		emulator: floatCell(value),
		node: pythonNumberOfCellText(value.toExponential()),
	})),
	...[true, false].map((value) => ({ python: { bool: value }, emulator: boolCell(value), node: value })),
];

conformanceSuite('search ids, as CPython computes them', (python) => {
	let answers: string[];
	let tableAnswers: PythonCellAnswer[];

	beforeAll(() => {
		// One Python run for both: the corpus of search ids, and the cells of the table between node and emulator.
		const cells = CELL_TABLE.map(({ cell }) => ('text' in cell ? cell.text : cell));
		const answer = readWithOpenpyxl(python, { searchIds: [...TEXTS, ...TYPED.map((cell) => cell.python)], cells });
		answers = answer.searchIds;
		tableAnswers = answer.cells;
	});

	it("the node's rule gives CPython's id for every text cell", () => {
		expect(TEXTS.map((text) => [text, searchIdOfText(text)])).toEqual(TEXTS.map((text, i) => [text, answers[i]]));
	});

	it("the emulator's rule gives CPython's id for every text cell", () => {
		const ids = TEXTS.map((text) => [text, emulatorSearchId(text === '' ? null : { kind: 'str', text })]);
		expect(ids).toEqual(TEXTS.map((text, i) => [text, answers[i]]));
	});

	it('both give CPython’s id for int (any size), float and boolean cells', () => {
		const expected = TYPED.map((_cell, i) => answers[TEXTS.length + i]);
		expect(TYPED.map((cell) => emulatorSearchId(cell.emulator))).toEqual(expected);
		expect(TYPED.map((cell) => searchIdOfCell(cell.node))).toEqual(expected);
	});

	it("the cell table's answers (text, stored value, search id) are CPython's for every cell of the table", () => {
		expect(CELL_TABLE.map(({ cell, text, stored, searchId }) => ({ cell, text, stored, searchId }))).toEqual(
			CELL_TABLE.map(({ cell }, i) => ({
				cell,
				text: tableAnswers[i].typed?.[1] ?? null,
				stored: tableAnswers[i].stored,
				searchId: tableAnswers[i].searchId,
			})),
		);
	});
});
