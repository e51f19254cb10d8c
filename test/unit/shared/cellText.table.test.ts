/**
 * The one table between the node and the emulator: both rules of what CommCare stores for a cell (the node's in
 * nodes/shared/cellText.ts, the emulator's own in emulator/cells.ts) give the table's answers, which are CPython's
 * (test/support/cellTable.ts; the conformance suite checks them against CPython with openpyxl).
 */
import {
	boolCell,
	floatCell,
	intCell,
	searchIdOfCell as emulatorSearchId,
	storedValue,
	type Cell,
} from '../../../emulator/cells';
import {
	isBlankMarker,
	pythonNumberOfCellText,
	searchIdOfCell,
	searchIdOfText,
	serverText,
} from '../../../nodes/shared/cellText';
import { CELL_TABLE, type TableCell } from '../../support/cellTable';

/** The cell as the node's reader gives it. */
function nodeCell(cell: TableCell): unknown {
	if ('text' in cell) return cell.text;
	if ('int' in cell) return pythonNumberOfCellText(cell.int);
	if ('float' in cell) return pythonNumberOfCellText(cell.float.toExponential());
	return cell.bool;
}

/** The cell as the emulator's readers give it. */
function emulatorCell(cell: TableCell): Cell | null {
	if ('text' in cell) return cell.text === null ? null : { kind: 'str', text: cell.text };
	if ('int' in cell) return intCell(BigInt(cell.int));
	if ('float' in cell) return floatCell(cell.float);
	return boolCell(cell.bool);
}

const expected = CELL_TABLE.map(({ cell, text, stored, searchId }) => ({ cell, text, stored, searchId }));

describe('what CommCare stores for a cell: one table, two rules', () => {
	it("the node's rule gives the table's text, stored value and search id", () => {
		const answers = CELL_TABLE.map(({ cell }) => {
			const text = serverText(nodeCell(cell));
			return {
				cell,
				text,
				stored: text !== null && isBlankMarker(text) ? '' : text,
				searchId: searchIdOfCell(nodeCell(cell)),
			};
		});
		expect(answers).toEqual(expected);
	});

	it("the node's rule for a text gives the same search id as for a text cell", () => {
		const texts = CELL_TABLE.flatMap(({ cell, searchId }) => ('text' in cell ? [[cell.text, searchId]] : []));
		expect(texts.map(([text]) => [text, searchIdOfText(text)])).toEqual(texts);
	});

	it("the emulator's rule gives the table's text, stored value and search id", () => {
		const answers = CELL_TABLE.map(({ cell }) => {
			const read = emulatorCell(cell);
			return { cell, text: read?.text ?? null, stored: storedValue(read), searchId: emulatorSearchId(read) };
		});
		expect(answers).toEqual(expected);
	});
});
