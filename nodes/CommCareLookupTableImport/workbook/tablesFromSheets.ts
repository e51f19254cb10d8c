/**
 * Turns the sheets of a lookup-table workbook, as read (reader.ts), into the plan, the way CommCare's upload reads
 * them: the `types` sheet lists the tables, each table's rows come from the sheet titled with its `table_id`. What
 * CommCare would refuse, or crash on, becomes a finding naming the sheet, the column and the rows, quoting CommCare's
 * own message where it has one.
 */
import { plural, sheetRowList } from '../../shared/wording';
import { type TableFinding, tableFinding } from '../checks/findings';
import { looksNumeric } from '../checks/names';
import type { FieldValue, LookupTablePlan, PlannedTable, TableDefinition, TableRow } from '../model';
import { type HeaderPath, type RowDict, headerPath, rowDict } from './rowDict';
import { TYPES_SHEET } from './layout';
import type { ReadSheet } from './readSheet';

const asDict = (value: RowDict[string] | undefined): RowDict =>
	typeof value === 'object' && !Array.isArray(value) ? value : {};
const asList = (value: RowDict[string] | undefined): string[] =>
	Array.isArray(value) ? value : typeof value === 'string' && value !== '' ? [value] : [];
const asText = (value: RowDict[string] | undefined): string => (typeof value === 'string' ? value : '');

/** A sheet's header parsed, with the findings every sheet gets (CommCare reads every sheet when it opens the file). */
function parseSheet(sheet: ReadSheet, findings: TableFinding[]): HeaderPath[] {
	const where = { table: sheet.name === TYPES_SHEET ? undefined : sheet.name };
	if (!sheet.hasHeader && !sheet.hasDimension) {
		findings.push(
			tableFinding(
				'emptySheet',
				`The sheet '${sheet.name}' is empty`,
				"CommCare's reader fails on an empty sheet (the upload ends with a server error). Delete the sheet, or give it its header row.",
				where,
			),
		);
	}
	const nonText = sheet.header.filter((cell) => cell.kind !== 'text');
	if (nonText.length > 0) {
		findings.push(
			tableFinding(
				'nonTextHeader',
				`The sheet '${sheet.name}' has a header that is not text: ${nonText.map((cell) => `'${cell.text}'`).join(', ')}`,
				`CommCare refuses the workbook ("Field ${nonText[0].text} is not a string."). Write the header cells as text.`,
				where,
			),
		);
	}
	const paths = sheet.header.map((cell) => headerPath(cell.text ?? ''));
	const seen = new Set<string>();
	for (const path of paths) {
		if (path.kind === 'list' || (path.kind === 'nested' && path.inner.kind === 'list')) continue;
		if (seen.has(path.key)) {
			const name = path.kind === 'nested' ? (path.inner as { name: string }).name : path.name;
			findings.push(
				tableFinding(
					'repeatedHeader',
					`The sheet '${sheet.name}' has the column '${path.key.replace(':', ': ')}' twice`,
					`CommCare refuses the workbook ("You have a repeat field: ${name}"). Remove or rename one of them.`,
					{ ...where, column: path.key.replace(':', ': ') },
				),
			);
		}
		seen.add(path.key);
	}
	if (sheet.blankRowBeforeData) {
		const { blankRow, nextDataRow, dataRowsAfter } = sheet.blankRowBeforeData;
		findings.push(
			tableFinding(
				'rowsAfterBlankRow',
				`The sheet '${sheet.name}' has a blank row (sheet row ${blankRow}) before ${plural(dataRowsAfter, 'more row')} (from sheet row ${nextDataRow})`,
				'CommCare stops reading a sheet at its first blank row: the rows after it would not be imported, and with "Replace" they would be deleted. Remove the blank rows.',
				{ ...where, rows: [blankRow] },
			),
		);
	}
	if (sheet.dataWithoutHeader.length > 0) {
		findings.push(
			tableFinding(
				'dataWithoutHeader',
				`The sheet '${sheet.name}' has values after its last header cell in ${sheetRowList(sheet.dataWithoutHeader)}`,
				'CommCare reads the columns up to the first blank header cell only and ignores the rest. Give those columns a header, or remove them.',
				{ ...where, rows: sheet.dataWithoutHeader },
			),
		);
	}
	return paths;
}

/** The dictionaries of a sheet's rows; a `?` cell CommCare refuses is a finding. */
function rowDicts(sheet: ReadSheet, paths: HeaderPath[], findings: TableFinding[]): RowDict[] {
	const bad = new Map<number, number[]>();
	const dicts = sheet.rows.map((row) =>
		rowDict(paths, row.texts, (column) => {
			const rows = bad.get(column);
			if (rows) rows.push(row.sheetRow);
			else bad.set(column, [row.sheetRow]);
		}),
	);
	for (const [column, rows] of bad) {
		const header = sheet.header[column].text ?? '';
		findings.push(
			tableFinding(
				'invalidBoolean',
				`'${header}' in the sheet '${sheet.name}' is not yes or no in ${sheetRowList(rows)}`,
				`CommCare refuses it ('Values for field ${header.replace(/\?$/, '')} must be "yes" or "no"'). Write yes or no as text.`,
				{ table: sheet.name === TYPES_SHEET ? undefined : sheet.name, column: header, rows },
			),
		);
	}
	return dicts;
}

/** The tables the `types` sheet lists, in its order. */
function definitionsOf(types: ReadSheet, paths: HeaderPath[], findings: TableFinding[]): TableDefinition[] {
	const hasColumn = (name: string) => paths.some((path) => path.kind === 'plain' && path.name === name);
	if (!hasColumn('table_id') && !hasColumn('tag')) {
		findings.push(
			tableFinding(
				'noTableIdColumn',
				"The 'types' sheet has no column 'table_id'",
				"CommCare refuses the workbook (\"Workbook 'types' has no column 'table_id'.\"). Its header names the columns: Delete(Y/N), table_id, is_global?, field 1, field 2 …",
			),
		);
		return [];
	}
	const tableIdColumn = paths.findIndex((path) => path.kind === 'plain' && path.name === 'table_id');
	return rowDicts(types, paths, findings).map((dict, index) => {
		const read = types.rows[index];
		const tag = asText(dict.table_id) || asText(dict.tag);
		if (tableIdColumn >= 0 && read.kinds?.[tableIdColumn] === 'other') {
			findings.push(
				tableFinding(
					'numericTableId',
					`The table_id in sheet row ${read.sheetRow} of 'types' is a number (${tag}), not a text`,
					'CommCare fails on it (the upload ends with a server error). Write the table_id as text, starting with a letter.',
					{ table: tag, rows: [read.sheetRow] },
				),
			);
		}
		const fields = asList(dict.field);
		const fieldProperties: Record<string, string[]> = {};
		const indexedFields: string[] = [];
		fields.forEach((field, position) => {
			const column = `field ${position + 1}`;
			if (looksNumeric(field)) {
				findings.push(
					tableFinding(
						'numericFieldName',
						`'${column}' of '${tag}' in the 'types' sheet is a number (${field})`,
						`CommCare refuses it ("Field names should be strings, not numbers"). Name the field with letters.`,
						{ table: tag, column, rows: [read.sheetRow] },
					),
				);
			}
			const details = asDict(dict[column]);
			if (details.property !== undefined && !Array.isArray(details.property)) {
				findings.push(
					tableFinding(
						'badPropertyHeader',
						`The 'types' sheet names the properties of '${column}' without a number`,
						`CommCare refuses it ("Properties should be specified as 'field 1: property 1'"). Number the columns: '${column}: property 1', '${column}: property 2' …`,
						{ table: tag, column: `${column}: property` },
					),
				);
			}
			const properties = asList(details.property);
			if (properties.length > 0) fieldProperties[field] = properties;
			if (asText(details.is_indexed) === 'yes') indexedFields.push(field);
		});
		return {
			tag,
			isGlobal: asText(dict.is_global) === 'yes',
			fields,
			fieldProperties,
			indexedFields,
			itemAttributes: asList(dict.property),
			delete: asText(dict['Delete(Y/N)']).toLowerCase() === 'y',
		};
	});
}

export function tablesFromSheets(sheets: ReadSheet[]): { plan: LookupTablePlan; findings: TableFinding[] } {
	const findings: TableFinding[] = [];
	const parsed = new Map(sheets.map((sheet) => [sheet.name, { sheet, paths: parseSheet(sheet, findings) }]));
	const types = parsed.get(TYPES_SHEET);
	if (!types) {
		findings.push(
			tableFinding(
				'noTypesSheet',
				"The workbook has no sheet called 'types'",
				'CommCare refuses it ("Workbook does not contain a sheet called types"). A lookup-table workbook lists its tables in a sheet named exactly \'types\' (download a table from CommCare to see the format).',
			),
		);
		return { plan: { tables: [] }, findings };
	}
	const tables: PlannedTable[] = [];
	for (const definition of definitionsOf(types.sheet, types.paths, findings)) {
		const data = parsed.get(definition.tag);
		if (!data) {
			const near = sheets.find((sheet) => sheet.name.toLowerCase() === definition.tag.toLowerCase());
			findings.push(
				tableFinding(
					'missingDataSheet',
					`The workbook has no sheet called '${definition.tag}'${near ? ` (it has '${near.name}': sheet names must match exactly)` : ''}`,
					`CommCare refuses it ("There's no sheet for type '${definition.tag}' in 'types' sheet. There must be one sheet per row in the 'types' sheet."), a table marked for deletion too. Add the sheet, or remove the table's row from 'types'.`,
					{ table: definition.tag },
				),
			);
			continue;
		}
		if (!data.sheet.hasHeader && data.sheet.hasDimension) {
			findings.push(
				tableFinding(
					'emptySheet',
					`The sheet '${definition.tag}' has no header row`,
					"CommCare needs each table's sheet to start with its header (UID, Delete(Y/N), field: …). Add it.",
					{ table: definition.tag },
				),
			);
		}
		checkColumns(definition, data.paths, findings);
		const dicts = rowDicts(data.sheet, data.paths, findings);
		tables.push({
			definition,
			rows: dicts.map((dict, index) => tableRow(definition, dict, data.sheet.rows[index].sheetRow)),
			header: data.sheet.header.map((cell) => cell.text ?? ''),
		});
		checkAlignment(
			definition,
			dicts,
			data.sheet.rows.map((row) => row.sheetRow),
			findings,
		);
	}
	return { plan: { tables }, findings };
}

function tableRow(definition: TableDefinition, dict: RowDict, sheetRow: number): TableRow {
	const fieldCells = asDict(dict.field);
	const fields: Record<string, FieldValue[]> = {};
	for (const field of definition.fields) {
		const properties = definition.fieldProperties[field];
		if (!properties) {
			fields[field] = [{ value: asText(fieldCells[field]), properties: {} }];
			continue;
		}
		const propertyLists = asDict(dict[field]);
		fields[field] = asList(fieldCells[field]).map((value, index) => ({
			value,
			properties: Object.fromEntries(properties.map((name) => [name, asList(propertyLists[name])[index] ?? ''])),
		}));
	}
	const attributes = asDict(dict.property);
	return {
		sheetRow,
		uid: asText(dict.UID),
		delete: asText(dict['Delete(Y/N)']).toLowerCase() === 'y',
		fields,
		attributes: Object.fromEntries(definition.itemAttributes.map((name) => [name, asText(attributes[name])])),
		owners: { users: asList(dict.user), groups: asList(dict.group), locations: asList(dict.location) },
	};
}

/** The data sheet's columns against the table's definition: they hold for every row (each row has every column). */
function checkColumns(definition: TableDefinition, paths: HeaderPath[], findings: TableFinding[]): void {
	const { tag } = definition;
	const nested = (outer: string) =>
		new Map(
			paths.flatMap((path) =>
				path.kind === 'nested' && path.outer === outer ? [[innerName(path.inner), path.inner.kind]] : [],
			),
		);
	const fieldColumns = nested('field');
	const report = (code: TableFinding['code'], column: string, message: string, quoted: string) =>
		findings.push(
			tableFinding(code, message, `CommCare refuses it ("${quoted}"). ${columnAdvice}`, { table: tag, column }),
		);
	const columnAdvice =
		"Make the sheet's columns match the table's row in 'types' (download the table from CommCare to see them).";
	for (const field of definition.fields) {
		const properties = definition.fieldProperties[field];
		const kind = fieldColumns.get(field);
		if (kind === undefined) {
			report(
				'missingFieldColumn',
				`field: ${field}`,
				`The sheet '${tag}' has no column 'field: ${field}'`,
				`Excel worksheet '${tag}' does not contain the column 'field: ${field}' as specified in its 'types' definition`,
			);
		} else if (properties && kind !== 'list') {
			report(
				'badPropertyHeader',
				`field: ${field}`,
				`The sheet '${tag}' has 'field: ${field}' without a number, but the field has properties`,
				`Fields with attributes should be numbered as 'field: ${field} integer'`,
			);
		} else if (!properties && kind === 'list') {
			report(
				'badPropertyHeader',
				`field: ${field}`,
				`The sheet '${tag}' numbers 'field: ${field}', but the field has no properties in 'types'`,
				`Excel worksheet '${tag}' does not contain the column 'field: ${field}' as specified in its 'types' definition`,
			);
		}
		if (!properties) continue;
		const propertyColumns = nested(field);
		for (const property of properties) {
			if (propertyColumns.get(property) !== 'list') {
				report(
					'missingPropertyColumn',
					`${field}: ${property} 1`,
					`The sheet '${tag}' has no columns '${field}: ${property} 1' …`,
					`Excel worksheet '${tag}' does not contain property '${property}' of the field '${field}' as specified in its 'types' definition`,
				);
			}
		}
		for (const property of propertyColumns.keys()) {
			if (!properties.includes(property)) {
				report(
					'extraPropertyColumn',
					`${field}: ${property}`,
					`The sheet '${tag}' has columns '${field}: ${property}', a property '${field}' does not have in 'types'`,
					`Excel worksheet '${tag}' has an extra property '${property}' for the field '${field}' that's not defined in its 'types' definition`,
				);
			}
		}
	}
	for (const field of fieldColumns.keys()) {
		if (!definition.fields.includes(field)) {
			report(
				'extraFieldColumn',
				`field: ${field}`,
				`The sheet '${tag}' has a column 'field: ${field}' that 'types' does not list for the table`,
				`Excel worksheet '${tag}' has an extra column'field: ${field}' that's not defined in its 'types' definition`,
			);
		}
	}
	const attributeColumns = nested('property');
	for (const attribute of definition.itemAttributes) {
		if (!attributeColumns.has(attribute)) {
			report(
				'missingPropertyColumn',
				`property: ${attribute}`,
				`The sheet '${tag}' has no column 'property: ${attribute}'`,
				`Excel worksheet '${tag}' does not contain the column 'field: ${attribute}' as specified in its 'types' definition`,
			);
		}
	}
	for (const attribute of attributeColumns.keys()) {
		if (!definition.itemAttributes.includes(attribute)) {
			report(
				'extraPropertyColumn',
				`property: ${attribute}`,
				`The sheet '${tag}' has a column 'property: ${attribute}' that 'types' does not list for the table`,
				`Excel worksheet '${tag}' has an extra column'field: ${attribute}' that's not defined in its 'types' definition`,
			);
		}
	}
}

function innerName(path: HeaderPath): string {
	return path.kind === 'nested' ? path.outer : path.name;
}

/**
 * Every row of a field with properties has as many values as each property (CommCare pairs them by position, and
 * crashes when they differ). Blank cells are left out of these lists, so one blank cell misaligns a row.
 */
function checkAlignment(
	definition: TableDefinition,
	dicts: RowDict[],
	sheetRows: number[],
	findings: TableFinding[],
): void {
	for (const [field, properties] of Object.entries(definition.fieldProperties)) {
		const rows = dicts.flatMap((dict, index) => {
			const values = asList(asDict(dict.field)[field]).length;
			const lists = asDict(dict[field]);
			return properties.some((property) => asList(lists[property]).length !== values) ? [sheetRows[index]] : [];
		});
		if (rows.length === 0) continue;
		findings.push(
			tableFinding(
				'misalignedProperties',
				`'${field}' of '${definition.tag}' has a different number of values and of '${properties.join("', '")}' in ${sheetRowList(rows)}`,
				`CommCare pairs each value with its properties by position, leaving blank cells out, and fails when the counts differ ("Number of values for field '${field}' and attribute '${properties[0]}' should be same"). Fill every cell of these columns, or empty a value together with its properties.`,
				{ table: definition.tag, column: `field: ${field}`, rows },
			),
		);
	}
}
