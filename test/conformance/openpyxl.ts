/**
 * The real reader CommCare HQ uses (openpyxl, from Debian's `python3-openpyxl`), driven through `hq_read.py`: the
 * model of HQ's row read that the conformance tests hold the emulator and the node's checks to.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as path from 'path';

const SCRIPT = path.join(__dirname, 'hq_read.py');

/** A cell as Python holds it: [type name, str(value)] (repr for floats), or null for None. */
export type PythonCell = [string, string] | null;

export interface PythonRecord {
	row: number;
	/** HQ's row dict, each value as `_populate_updated_fields` stores it (null: None, a blank that clears). */
	values: Record<string, string | null>;
	/** `_parse_search_id` of the row, when no KeyError. */
	searchId?: string;
	/** The KeyError text that fails the whole import (`'external_id'`). */
	keyError?: string;
}

export interface PythonFile {
	sheetNames: string[];
	/** HQ's `_max_row`. */
	maxRow: number;
	/** The rows HQ iterates (up to `_max_row`), as long as openpyxl makes them, after HQ's `_make_cell_value`. */
	rows: PythonCell[][];
	records: PythonRecord[];
}

/** One cell of a `cells` request: its Python value as read, what the importer stores, and its search id. */
export interface PythonCellAnswer {
	typed: PythonCell;
	stored: string | null;
	searchId: string;
}

export interface PythonAnswer {
	files: PythonFile[];
	searchIds: string[];
	cells: PythonCellAnswer[];
	openpyxl: string;
}

/** A search-id corpus entry: a text cell, or a typed one. */
export type SearchIdCell = string | null | { int: string } | { float: number } | { bool: boolean };

export interface PythonRequest {
	files?: Array<{ path: string; searchColumn?: string }>;
	searchIds?: SearchIdCell[];
	cells?: SearchIdCell[];
}

/**
 * The first Python 3 that can import openpyxl: `OPENPYXL_PYTHON` if set, else `python3`, else Debian's
 * `/usr/bin/python3` (where `apt-get install python3-openpyxl` puts it, whatever python3 comes first on PATH). Null
 * when none can.
 */
export function findOpenpyxlPython(): string | null {
	const candidates = process.env.OPENPYXL_PYTHON ? [process.env.OPENPYXL_PYTHON] : ['python3', '/usr/bin/python3'];
	for (const python of candidates) {
		const probe = spawnSync(python, ['-c', 'import openpyxl'], { stdio: 'ignore', timeout: 30_000 });
		if (probe.status === 0) return python;
	}
	return null;
}

export function readWithOpenpyxl(python: string, request: PythonRequest): PythonAnswer {
	const output = execFileSync(python, [SCRIPT], {
		input: JSON.stringify(request),
		maxBuffer: 512 * 1024 * 1024,
		timeout: 600_000,
	});
	return JSON.parse(output.toString('utf8')) as PythonAnswer;
}
