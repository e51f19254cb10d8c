/**
 * The checks on a planned upload, whatever its source (input items or a workbook file): everything CommCare would
 * refuse, crash on, or do differently from what the data seems to say, that can be seen in the data before sending.
 * Each finding names the table, the column, and the sheet rows or input items.
 */
import { describeUnstorable, hasUnstorableCharacters } from '../../shared/cellText';
import { itemList, plural, sheetRowList } from '../../shared/wording';
import {
	type LookupTablePlan,
	MAX_TABLE_ID_LENGTH,
	MAX_WORKBOOK_ROWS,
	type PlannedTable,
	type TableRow,
} from '../model';
import { type TableCheckResult, type TableFinding, bySeverity, tableFinding } from './findings';
import { identifierProblem, looksNumeric } from './names';

export interface PlanCheckContext {
	source: 'items' | 'binary';
	/** The upload replaces each table's rows: rows it does not reproduce are deleted. */
	replace: boolean;
}

const UID_PATTERN = /^[0-9a-f]{32}$/;

/** `items 1 and 3` (items source) or `sheet rows 2 and 4 of 'district'`, with the lists for the finding. */
function rowsNamed(table: PlannedTable, rows: TableRow[]): { text: string; rows: number[]; items?: number[] } {
	const sheetRows = rows.map((row) => row.sheetRow);
	if (rows.length > 0 && rows.every((row) => row.item !== undefined)) {
		const items = rows.map((row) => row.item as number);
		return { text: itemList(items), rows: sheetRows, items };
	}
	return { text: `${sheetRowList(sheetRows)} of '${table.definition.tag}'`, rows: sheetRows };
}

/** The checks of one whole plan; merge them with the source's or reader's findings (`mergeFindings`). */
export function checkPlan(plan: LookupTablePlan, context: PlanCheckContext): TableCheckResult {
	const findings: TableFinding[] = [];
	checkTableIds(plan, findings);
	for (const table of plan.tables) {
		checkFieldNames(table, findings);
		checkUids(table, findings);
		checkOwners(table, findings);
		checkUnstorable(table, findings);
		if (context.replace && !table.definition.delete && table.rows.length === 0) {
			findings.push(
				tableFinding(
					'replaceWithNoRows',
					`'${table.definition.tag}' has no rows, and "Replace" is on: CommCare deletes every row of the table`,
					'Turn "Replace" off, or give the table its rows.',
					{ table: table.definition.tag },
				),
			);
		}
	}
	checkRowCount(plan, findings);
	return bySeverity(findings);
}

function checkTableIds(plan: LookupTablePlan, findings: TableFinding[]): void {
	const seen = new Map<string, string>();
	for (const { definition } of plan.tables) {
		const { tag } = definition;
		const problem = identifierProblem(tag);
		if (problem !== null) {
			findings.push(
				tableFinding(
					'invalidTableId',
					`The table_id '${tag}' ${problem}`,
					`CommCare refuses it ("table_id '${tag}' should not contain spaces or special characters, or start with a number."). Use letters, digits, _, - and . only, starting with a letter or _ (and not with 'xml').`,
					{ table: tag },
				),
			);
		} else if (tag.toLowerCase() === 'types') {
			findings.push(
				tableFinding(
					'invalidTableId',
					`The table_id '${tag}' is the name of the sheet that lists the tables`,
					'Each table is written to a sheet named after it, and the workbook already has a sheet called types. Choose another table_id.',
					{ table: tag },
				),
			);
		}
		if (tag.length > MAX_TABLE_ID_LENGTH) {
			findings.push(
				tableFinding(
					'tableIdTooLong',
					`The table_id '${tag}' has ${tag.length} characters, more than ${MAX_TABLE_ID_LENGTH}`,
					`A sheet's name (and CommCare's table_id) holds at most ${MAX_TABLE_ID_LENGTH} characters. Choose a shorter table_id.`,
					{ table: tag },
				),
			);
		}
		// Sheet names are unique regardless of case.
		const other = seen.get(tag.toLowerCase());
		if (other !== undefined) {
			findings.push(
				tableFinding(
					'duplicateTableId',
					other === tag
						? `The table_id '${tag}' is listed twice`
						: `The table_ids '${other}' and '${tag}' differ only in case`,
					other === tag
						? `CommCare refuses it ("Lookup-tables should have unique 'table_id'."). List each table once.`
						: 'Their sheets would have the same name (sheet names ignore case). Rename one of the tables.',
					{ table: tag },
				),
			);
		} else seen.set(tag.toLowerCase(), tag);
	}
}

function checkFieldNames(table: PlannedTable, findings: TableFinding[]): void {
	const { tag, fields, itemAttributes } = table.definition;
	if (fields.length === 0 && itemAttributes.length === 0) {
		findings.push(
			tableFinding(
				'tableWithoutFields',
				`'${tag}' has no fields`,
				`CommCare refuses a table without fields and without properties ("table_id '${tag}' has no fields and no properties"). Give it at least one field.`,
				{ table: tag },
			),
		);
	}
	const seen = new Set<string>();
	for (const field of fields) {
		if (seen.has(field)) {
			findings.push(
				tableFinding(
					'duplicateFieldName',
					`'${tag}' has the field '${field}' twice`,
					`CommCare refuses the workbook ("You have a repeat field: ${field}"). Give each field a different name.`,
					{ table: tag, column: `field: ${field}` },
				),
			);
			continue;
		}
		seen.add(field);
		const problem = looksNumeric(field) ? 'is a number' : identifierProblem(field);
		if (problem === null) continue;
		findings.push(
			tableFinding(
				'invalidFieldName',
				`The field name '${field}' of '${tag}' ${problem}`,
				"Phones read each field as an XML element, and CommCare's editor refuses such names (as its upload refuses numbers). Use letters, digits, _, - and . only, starting with a letter or _ (and not with 'xml'): rename the field at the source, e.g. with an Edit Fields node.",
				{ table: tag, column: field },
			),
		);
	}
}

function checkUids(table: PlannedTable, findings: TableFinding[]): void {
	const { tag } = table.definition;
	const byUid = new Map<string, TableRow[]>();
	const unrecognised: TableRow[] = [];
	const deleteWithout: TableRow[] = [];
	for (const row of table.rows) {
		if (row.uid === '') {
			if (row.delete) deleteWithout.push(row);
			continue;
		}
		const list = byUid.get(row.uid);
		if (list) list.push(row);
		else byUid.set(row.uid, [row]);
		if (!UID_PATTERN.test(row.uid)) unrecognised.push(row);
	}
	const repeated = [...byUid.values()].filter((rows) => rows.length > 1);
	if (repeated.length > 0) {
		const rows = repeated.flat().sort((a, b) => a.sheetRow - b.sheetRow);
		const named = rowsNamed(table, rows);
		findings.push(
			tableFinding(
				'duplicateUids',
				`${plural(repeated.length, 'UID')} of '${tag}' ${repeated.length === 1 ? 'is' : 'are'} given more than once: ${named.text}`,
				'CommCare would create both rows and may then delete the first. Give each UID to one row only (a row without a UID is a new row).',
				{ table: tag, column: 'UID', rows: named.rows, items: named.items },
			),
		);
	}
	if (unrecognised.length > 0) {
		const named = rowsNamed(table, unrecognised);
		findings.push(
			tableFinding(
				'uidNotRecognised',
				`The UID in ${named.text} is not 32 lower-case hexadecimal characters`,
				"CommCare matches rows by their UID as it writes them (32 characters 0-9 and a-f, no hyphens): it treats these rows as new rows and changes (or, with Delete, deletes) nothing. Copy the UIDs from CommCare's download or its API.",
				{ table: tag, column: 'UID', rows: named.rows, items: named.items },
			),
		);
	}
	if (deleteWithout.length > 0) {
		const named = rowsNamed(table, deleteWithout);
		findings.push(
			tableFinding(
				'deleteWithoutUid',
				`${named.text} ${deleteWithout.length === 1 ? 'says' : 'say'} Delete but ${deleteWithout.length === 1 ? 'has' : 'have'} no UID: CommCare skips ${deleteWithout.length === 1 ? 'it' : 'them'}`,
				'CommCare deletes a row by its UID only. Give the UID of the row to delete (from its download or its API), or remove the row.',
				{ table: tag, column: 'Delete(Y/N)', rows: named.rows, items: named.items },
			),
		);
	}
}

function ownerCount(row: TableRow): number {
	return row.owners.users.length + row.owners.groups.length + row.owners.locations.length;
}

function checkOwners(table: PlannedTable, findings: TableFinding[]): void {
	const { tag, isGlobal, delete: deleted } = table.definition;
	if (isGlobal || deleted) return;
	const kept = table.rows.filter((row) => !row.delete);
	const without = kept.filter((row) => ownerCount(row) === 0);
	if (without.length === 0) return;
	if (without.length === kept.length) {
		findings.push(
			tableFinding(
				'noOwnerColumns',
				`'${tag}' is not global and no row names an owner: no user will see its rows`,
				'A table that is not global reaches only the users, groups and locations each row names. Make the table global, or name owners (user, group or location) on its rows.',
				{ table: tag },
			),
		);
		return;
	}
	const named = rowsNamed(table, without);
	findings.push(
		tableFinding(
			'rowsWithoutOwners',
			`${named.text} of a table that is not global name${without.length === 1 ? 's' : ''} no owner: no user will see ${without.length === 1 ? 'it' : 'them'}`,
			'Name a user, group or location on these rows, or make the table global.',
			{ table: tag, rows: named.rows, items: named.items },
		),
	);
}

function checkUnstorable(table: PlannedTable, findings: TableFinding[]): void {
	const { tag } = table.definition;
	const byColumn = new Map<string, { rows: TableRow[]; example: string }>();
	const note = (column: string, row: TableRow, text: string) => {
		if (!hasUnstorableCharacters(text)) return;
		const seen = byColumn.get(column) ?? { rows: [], example: text };
		seen.rows.push(row);
		byColumn.set(column, seen);
	};
	for (const row of table.rows) {
		for (const [field, values] of Object.entries(row.fields)) {
			for (const value of values) {
				note(field, row, value.value);
				for (const [property, text] of Object.entries(value.properties)) note(`${field}: ${property}`, row, text);
			}
		}
		for (const [attribute, text] of Object.entries(row.attributes)) note(`property: ${attribute}`, row, text);
		for (const owner of [...row.owners.users, ...row.owners.groups, ...row.owners.locations])
			note('owners', row, owner);
	}
	for (const [column, { rows, example }] of byColumn) {
		const named = rowsNamed(table, rows);
		findings.push(
			tableFinding(
				'unstorableCharacters',
				`'${column}' of '${tag}' holds characters a workbook cannot store (${describeUnstorable(example)}) in ${named.text}`,
				'Control characters and broken surrogate pairs cannot be written to an .xlsx, so CommCare would store other text. Remove them at the source (e.g. with an Edit Fields expression).',
				{ table: tag, column, rows: named.rows, items: named.items },
			),
		);
	}
	const names = [tag, ...table.definition.fields, ...table.definition.itemAttributes];
	if (names.some(hasUnstorableCharacters)) {
		findings.push(
			tableFinding(
				'unstorableCharacters',
				`A name in '${tag}' holds characters a workbook cannot store`,
				'Rename the table or field without control characters.',
				{ table: tag },
			),
		);
	}
}

function checkRowCount(plan: LookupTablePlan, findings: TableFinding[]): void {
	// The types sheet (header + a row per table) and each data sheet (header + rows).
	const total = 1 + plan.tables.length + plan.tables.reduce((sum, table) => sum + 1 + table.rows.length, 0);
	if (total <= MAX_WORKBOOK_ROWS) return;
	findings.push(
		tableFinding(
			'tooManyRows',
			`The workbook would have ${total.toLocaleString('en-US')} rows, more than CommCare's ${MAX_WORKBOOK_ROWS.toLocaleString('en-US')}`,
			`CommCare refuses a lookup-table workbook with more than ${MAX_WORKBOOK_ROWS.toLocaleString('en-US')} rows, counting every sheet and its header. Split the upload (fewer tables or rows per run).`,
		),
	);
}
