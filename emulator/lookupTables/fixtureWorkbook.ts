/**
 * CommCare HQ's lookup-table workbook (`fixtures/upload/workbook.py`, `validation.py`): the `types` sheet's table
 * definitions with their checks, the sync-only format validation (column checks on the first data row only), and the
 * rows of a data sheet as the upload reads them. Message texts are HQ's, verbatim.
 */
import {
	FixtureWorkbookReader,
	isPyDict,
	JsonReaderError,
	pyStr,
	pyTruthy,
	TooManyRows,
	UploadCrash,
	WorkbookReadError,
	type PyDict,
	type PyValue,
} from './workbookReader';
import { pyFloat } from '../pythonNumbers';

export const LOOKUP_TABLE_MESSAGES = {
	noTypesSheet: 'Workbook does not contain a sheet called types',
	hasNoColumn: (column: string) => `Workbook 'types' has no column '${column}'.`,
	neitherFieldsNorAttributes: (tag: string) =>
		`Lookup-tables can not have empty fields and empty properties on items. table_id '${tag}' has no fields and no properties`,
	duplicateTag: (tag: string) =>
		`Lookup-tables should have unique 'table_id'. There are two rows with table_id '${tag}' in 'types' sheet.`,
	invalidTableId: (tag: string) =>
		`table_id '${tag}' should not contain spaces or special characters, or start with a number.`,
	hasNoFieldColumn: (tag: string, field: string) =>
		`Excel worksheet '${tag}' does not contain the column 'field: ${field}' as specified in its 'types' definition`,
	hasExtraColumn: (tag: string, field: string) =>
		`Excel worksheet '${tag}' has an extra column'field: ${field}' that's not defined in its 'types' definition`,
	wrongPropertySyntax: (key: string) =>
		`Properties should be specified as 'field 1: property 1'. In 'types' sheet, '${key}' is not correctly formatted`,
	wrongIndexSyntax: (key: string) =>
		`'${key}' is not correctly formatted in 'types' sheet. Whether a field is indexed should be specified as 'field 1: is_indexed?'. Its value should be 'yes' or 'no'.`,
	invalidFieldNameNumerical: (i: number, value: string) =>
		`Error in 'types' sheet for 'field ${i}', '${value}'. Field names should be strings, not numbers`,
	invalidFieldSyntax: (tag: string, field: string) =>
		`In Excel worksheet '${tag}', field '${field}' should be numbered as 'field: ${field} integer`,
	sheetHasNoProperty: (tag: string, property: string, field: string) =>
		`Excel worksheet '${tag}' does not contain property '${property}' of the field '${field}' as specified in its 'types' definition`,
	sheetHasExtraProperty: (tag: string, property: string, field: string) =>
		`Excel worksheet '${tag}' has an extra property '${property}' for the field '${field}' that's not defined in its 'types' definition. Re-check the formatting`,
	invalidFieldWithProperty: (field: string) => `Fields with attributes should be numbered as 'field: ${field} integer'`,
	invalidProperty: (field: string, prop: string) => `Attribute should be written as '${field}: ${prop} integer'`,
	wrongFieldPropertyCombos: (field: string, prop: string) =>
		`Number of values for field '${field}' and attribute '${prop}' should be same`,
	typeHasNoSheet: (tag: string) =>
		`There's no sheet for type '${tag}' in 'types' sheet. There must be one sheet per row in the 'types' sheet.`,
	invalidExcel: (detail: string) =>
		`Upload failed! Please make sure you are using a valid Excel 2007 or later (.xlsx) file. Error details: ${detail}.`,
	excelColumns: (detail: string) => `Upload failed due to a problem with Excel columns. Error details: ${detail}.`,
	formatPrefix: 'Please fix the following formatting issues in your Excel file: ',
} as const;

/** `FixtureUploadError`: messages the sync view shows after the format prefix. */
export class FixtureUploadError extends Error {
	constructor(readonly errors: string[]) {
		super(errors.join('\n'));
	}
}

export interface TableField {
	name: string;
	properties: string[];
	isIndexed: boolean;
}

export interface TableDefinition {
	tag: string;
	fields: TableField[];
	itemAttributes: string[];
	/** `is_global?` read as a boolean; any other value is what the cell held (the database then refuses it). */
	isGlobal: PyValue;
	delete: boolean;
}

export const DELETE_HEADER = 'Delete(Y/N)';

/** `is_identifier_invalid`: blank, starting with `xml`, or `<tag />` not well-formed XML (expat, namespaces on). */
export function isIdentifierInvalid(name: string): boolean {
	if (!name || name.startsWith('xml')) return true;
	return !/^[\p{L}_][\p{L}\p{N}\p{M}_.\-\u00b7]*$/u.test(name);
}

/** `_is_deleted`: `(row.get('Delete(Y/N)') or '').lower() == 'y'`. */
export function isDeleted(row: PyDict): boolean {
	const value = row[DELETE_HEADER];
	if (!pyTruthy(value)) return false;
	if (typeof value !== 'string') throw new UploadCrash("object has no attribute 'lower'");
	return value.toLowerCase() === 'y';
}

function fromRow(row: PyDict): TableDefinition {
	const tagValue = pyTruthy(row.table_id) ? row.table_id : row.tag;
	if (tagValue === undefined) throw new FixtureUploadError([LOOKUP_TABLE_MESSAGES.hasNoColumn('table_id')]);
	if (typeof tagValue !== 'string') {
		if (!pyTruthy(tagValue)) throw new FixtureUploadError([LOOKUP_TABLE_MESSAGES.invalidTableId(pyStr(tagValue))]);
		throw new UploadCrash("object has no attribute 'startswith'");
	}
	const tag = tagValue;
	if (isIdentifierInvalid(tag)) throw new FixtureUploadError([LOOKUP_TABLE_MESSAGES.invalidTableId(tag)]);
	const fieldNames = row.field;
	const attributes = row.property;
	if (fieldNames === undefined && attributes === undefined) {
		throw new FixtureUploadError([LOOKUP_TABLE_MESSAGES.neitherFieldsNorAttributes(tag)]);
	}
	const names = asList(fieldNames);
	names.forEach((name, index) => {
		if (pyFloat(pyStr(name)) !== null) {
			throw new FixtureUploadError([LOOKUP_TABLE_MESSAGES.invalidFieldNameNumerical(index + 1, pyStr(name))]);
		}
	});
	const fields = names.map((name, index) => {
		const key = `field ${index + 1}`;
		const spec = row[key];
		let properties: string[] = [];
		let isIndexed = false;
		if (isPyDict(spec) && 'property' in spec) {
			if (!Array.isArray(spec.property)) throw new FixtureUploadError([LOOKUP_TABLE_MESSAGES.wrongPropertySyntax(key)]);
			properties = spec.property.map(pyStr);
		}
		if (isPyDict(spec) && 'is_indexed' in spec) {
			if (typeof spec.is_indexed !== 'boolean') {
				throw new FixtureUploadError([LOOKUP_TABLE_MESSAGES.wrongIndexSyntax(key)]);
			}
			isIndexed = spec.is_indexed;
		}
		return { name: pyStr(name), properties, isIndexed };
	});
	return {
		tag,
		fields,
		itemAttributes: asList(attributes).map(pyStr),
		isGlobal: row.is_global ?? false,
		delete: isDeleted(row),
	};
}

/** What iterating a value gives in Python: a list's items, a string's characters, a dict's keys. */
export function asList(value: PyValue | undefined): PyValue[] {
	if (value === undefined) return [];
	if (Array.isArray(value)) return value;
	if (typeof value === 'string') return Array.from(value);
	if (isPyDict(value)) return Object.keys(value);
	throw new UploadCrash('object is not iterable');
}

/** `_FixtureWorkbook`: the reader plus HQ's per-sheet caching and `types` handling. */
export class FixtureWorkbook {
	private readonly rowsByTag = new Map<string, PyDict[]>();

	private constructor(private readonly reader: FixtureWorkbookReader) {}

	/** `get_workbook`: read errors become `FixtureUploadError`s; crashes stay crashes. */
	static async open(data: Buffer, maxRows: number): Promise<FixtureWorkbook> {
		try {
			return new FixtureWorkbook(await FixtureWorkbookReader.open(data, maxRows));
		} catch (error) {
			if (error instanceof TooManyRows) throw new FixtureUploadError([error.message]);
			if (error instanceof WorkbookReadError) {
				const message =
					error.kind === 'columns'
						? LOOKUP_TABLE_MESSAGES.excelColumns(error.message)
						: LOOKUP_TABLE_MESSAGES.invalidExcel(error.message);
				throw new FixtureUploadError([message]);
			}
			throw error;
		}
	}

	hasSheet(tag: string): boolean {
		return this.reader.sheet(tag) !== undefined;
	}

	/** `get_data_sheet`: the rows of the sheet titled `tag` (undefined: `WorksheetNotFound`). A bad `?` value raises. */
	dataSheet(tag: string): PyDict[] | undefined {
		const cached = this.rowsByTag.get(tag);
		if (cached) return cached;
		const sheet = this.reader.sheet(tag);
		if (!sheet) return undefined;
		const rows = sheet.rowDicts();
		this.rowsByTag.set(tag, rows);
		return rows;
	}

	/** `get_types_sheet`. */
	typesSheet(): PyDict[] {
		try {
			const rows = this.dataSheet('types');
			if (!rows) throw new FixtureUploadError([LOOKUP_TABLE_MESSAGES.noTypesSheet]);
			return rows;
		} catch (error) {
			if (error instanceof JsonReaderError) throw new FixtureUploadError([error.message]);
			throw error;
		}
	}

	/** `get_all_type_sheets`: one definition per `types` row; only the first problem is reported. */
	definitions(): TableDefinition[] {
		const seen = new Set<string>();
		return this.typesSheet().map((row) => {
			const definition = fromRow(row);
			if (seen.has(definition.tag)) throw new FixtureUploadError([LOOKUP_TABLE_MESSAGES.duplicateTag(definition.tag)]);
			seen.add(definition.tag);
			return definition;
		});
	}

	/** `get_data_sheet` where HQ does not catch `WorksheetNotFound` nor a bad boolean: both crash. */
	requiredDataSheet(tag: string): PyDict[] {
		try {
			const rows = this.dataSheet(tag);
			if (!rows) throw new UploadCrash(`WorksheetNotFound: ${tag}`);
			return rows;
		} catch (error) {
			if (error instanceof JsonReaderError) throw new UploadCrash(error.message);
			throw error;
		}
	}
}

const sortedDiff = (sheet: Iterable<string>, types: Iterable<string>): [string[], string[]] => {
	const inSheet = new Set(sheet);
	const inTypes = new Set(types);
	return [[...inTypes].filter((x) => !inSheet.has(x)).sort(), [...inSheet].filter((x) => !inTypes.has(x)).sort()];
};

function keysOf(value: PyValue | undefined): string[] {
	if (value === undefined) return [];
	if (!isPyDict(value)) throw new UploadCrash("object has no attribute 'keys'");
	return Object.keys(value);
}

/** `validate_fixture_file_format` after the workbook opened: throws `FixtureUploadError` with every finding. */
export function validateWorkbook(workbook: FixtureWorkbook): void {
	workbook.typesSheet();
	const definitions = workbook.definitions();
	const errors: string[] = [];
	const m = LOOKUP_TABLE_MESSAGES;
	for (const { tag, fields, itemAttributes } of definitions) {
		let rows: PyDict[] | undefined;
		try {
			rows = workbook.dataSheet(tag);
		} catch (error) {
			if (error instanceof JsonReaderError) throw new UploadCrash(error.message);
			throw error;
		}
		if (!rows) {
			errors.push(m.typeHasNoSheet(tag));
			continue;
		}
		const item = rows[0];
		if (!item) continue;
		let [missing, extra] = sortedDiff(
			keysOf(item.field),
			fields.map((field) => field.name),
		);
		for (const name of missing) errors.push(m.hasNoFieldColumn(tag, name));
		for (const name of extra) errors.push(m.hasExtraColumn(tag, name));
		[missing, extra] = sortedDiff(keysOf(item.property), itemAttributes);
		for (const name of missing) errors.push(m.hasNoFieldColumn(tag, name));
		for (const name of extra) errors.push(m.hasExtraColumn(tag, name));
		for (const field of fields) {
			if (field.properties.length === 0) continue;
			const sheetProps = item[field.name] ?? {};
			if (!isPyDict(sheetProps)) {
				errors.push(m.invalidFieldSyntax(tag, field.name));
				continue;
			}
			[missing, extra] = sortedDiff(Object.keys(sheetProps), field.properties);
			for (const prop of missing) errors.push(m.sheetHasNoProperty(tag, prop, field.name));
			for (const prop of extra) errors.push(m.sheetHasExtraProperty(tag, prop, field.name));
			const values = isPyDict(item.field) ? item.field[field.name] : undefined;
			if (!Array.isArray(values)) errors.push(m.invalidFieldWithProperty(field.name));
			// `len(data_item['field'][name])` only catches TypeError: a missing column is a KeyError.
			if (values === undefined) throw new UploadCrash(`KeyError: '${field.name}'`);
			const valueCount = Array.isArray(values) || typeof values === 'string' ? values.length : null;
			for (const [prop, propValues] of Object.entries(sheetProps)) {
				if (!Array.isArray(propValues)) errors.push(m.invalidProperty(field.name, prop));
				const propCount = Array.isArray(propValues) || typeof propValues === 'string' ? propValues.length : null;
				if (propCount !== null && valueCount !== null && propCount !== valueCount) {
					errors.push(m.wrongFieldPropertyCombos(field.name, prop));
				}
			}
		}
	}
	if (errors.length > 0) throw new FixtureUploadError(errors);
}
