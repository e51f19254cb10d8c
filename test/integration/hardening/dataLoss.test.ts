/**
 * No value is ever changed or cleared that the user did not send (the value rules included).
 * Cases are seeded in the emulator's store, so "the property was not erased" is read back from the store itself.
 * Each case here failed on the landed code: a missing key erased the property, a key named like an Object.prototype
 * member read a function, a blank header's data was dropped without a word.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { Emulator } from '../../../emulator';
import { xlsxFile } from '../../support/emulator';
import { binaryItem } from '../../support/n8nContext';
import {
	apiKeyCredential,
	bulkImport,
	FAST_POLLING,
	importStatus,
	onlyItem,
	received,
	runScenario,
	sendFile as sharedSendFile,
	statusOf as sharedStatusOf,
	uploadsLine,
	startSecretEmulator,
	thrown,
	type RunResult,
} from './harness';
import { outcomeTable } from './outcomeTable';
import { useEmulator } from '../../support/emulator';

const table = outcomeTable('dataLoss');
const AREA = 'No silent data loss';

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 0, runningPolls: 0 } }, startSecretEmulator);
afterAll(() => table.finish());

function seed(): void {
	emulator.cases.add('demo', {
		case_id: 'c-asha',
		case_type: 'patient',
		name: 'Asha',
		properties: { village: 'Kisumu', phone: '0700' },
	});
	emulator.cases.add('demo', {
		case_id: 'c-bola',
		case_type: 'patient',
		name: 'Bola',
		properties: { village: 'Siaya', phone: '0711' },
	});
}

function stored(caseId: string): IDataObject {
	const found = emulator.cases.get('demo', caseId);
	if (!found) throw new Error(`no case ${caseId}`);
	return { name: found.name, ...found.properties };
}

async function sendItems(
	records: IDataObject[],
	parameters: IDataObject = {},
	extra: { continueOnFail?: boolean; timezone?: string } = {},
) {
	return await runScenario({
		node: bulkImport,
		credentials: apiKeyCredential(emulator) as never,
		items: records.map((json) => ({ json })),
		parameters: {
			projectSpace: 'demo',
			caseType: 'patient',
			source: 'items',
			// Updates by case ID, creating nothing unless a test turns creation on (which changes the missing-field rule).
			searchField: 'case_id',
			unmatchedRows: 'skip',
			output: 'perUpload',
			...parameters,
		},
		...extra,
	});
}

const sendFile = async (file: Buffer, name?: string, parameters?: IDataObject) =>
	await sharedSendFile(emulator, file, { name, parameters });

const statusOf = async (result: RunResult) => await sharedStatusOf(emulator, result);
const serverLine = () => uploadsLine(emulator);

const NOTHING_SENT = 'nothing: refused before any request';
// Asha's row carries her village; Bola's item has no village key at all.
const UPDATES = [
	{ case_id: 'c-asha', name: 'Asha', village: 'Bondo' },
	{ case_id: 'c-bola', name: 'Bola' },
];

describe('an item without a field other items have', () => {
	it('is refused by default, naming the column and the items, and nothing is sent', async () => {
		seed();
		const error = thrown(await sendItems(UPDATES));
		// One line saying what and where; what to do in the description (skipping the checks would not help).
		expect(error.message).toBe(
			"The input items were not uploaded: Item 2 has no field 'village', which other items have",
		);
		expect(error.description).toBe(
			"Its cell would be blank, and a blank cell clears 'village' on every case such a row updates. Give the item the field (an empty value or null clears it on purpose), or choose what to do in Options → When an Item Lacks a Column: clear the property, or leave it unchanged (the items are then sent in separate uploads without that column).\nNothing was sent to CommCare.",
		);
		expect(received(emulator).all).toBe(0);
		expect(stored('c-bola')).toEqual({ name: 'Bola', village: 'Siaya', phone: '0711' });
		// Also with the checks skipped: it is how the node writes the sheet, not a check of CommCare's.
		expect(thrown(await sendItems(UPDATES, { options: { skipChecks: true } })).message).toMatch(
			/^The input items were not uploaded: Item 2 has no field 'village'/,
		);
		expect(received(emulator).all).toBe(0);
		table.record({
			id: 'dataLoss.missingKey.refused',
			area: AREA,
			case: "Input items updating two cases; item 2 has no 'village' key, item 1 has one (default: When an Item Lacks a Column = Stop Before Upload)",
			userSees: error.message,
			advice: error.description,
			server: serverLine(),
			lost: `${NOTHING_SENT} (also with the checks skipped); Bola's village is still Siaya`,
		});
	});

	it('is not refused where every row can only create a case (no case ID, creation on): sparse JSON goes through', async () => {
		seed();
		const sparse = [{ name: 'Chidi', village: 'Bondo' }, { name: 'Dana', phone: '0722' }, { name: 'Ema' }];
		const result = await sendItems(sparse, { unmatchedRows: 'create' });
		expect(result.error).toBeUndefined();
		expect(onlyItem(await statusOf(result), 0)).toMatchObject({ state: 2, created_count: 3, match_count: 0 });
		const made = (name: string) => emulator.cases.all('demo').find((c) => c.name === name)!;
		expect(made('Chidi').properties).toMatchObject({ village: 'Bondo' });
		expect(made('Dana').properties).toMatchObject({ phone: '0722' });
		// The seeded cases were not touched.
		expect(stored('c-bola')).toEqual({ name: 'Bola', village: 'Siaya', phone: '0711' });
		// One row with a case ID could clear a property: the run is refused again, naming that item only.
		const mixed = [...sparse, { case_id: 'c-bola', name: 'Bola' }];
		// The fourth item lacks 'village' and 'phone': two problems, each naming item 4 only.
		expect(thrown(await sendItems(mixed, { unmatchedRows: 'create' })).message).toBe(
			"The input items were not uploaded: Item 4 has no field 'village', which other items have (and 1 more problem)",
		);
		expect(stored('c-bola')).toEqual({ name: 'Bola', village: 'Siaya', phone: '0711' });
	});

	it('"Leave the Property Unchanged": two uploads, the second without the column; the village is kept', async () => {
		seed();
		const result = await sendItems(UPDATES, { options: { missingFields: 'keep' } });
		expect(result.outputs![0].map((item) => item.json.columnsLeftOut ?? [])).toEqual([[], ['village']]);
		expect(result.outputs![0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		const outcomes = (await statusOf(result)).outputs![0].map((item) => item.json.summary);
		expect(outcomes).toEqual(['0 patient cases created, 1 updated', '0 patient cases created, 1 updated']);
		expect(stored('c-asha')).toEqual({ name: 'Asha', village: 'Bondo', phone: '0700' });
		expect(stored('c-bola')).toEqual({ name: 'Bola', village: 'Siaya', phone: '0711' });
		const sentHeaders = emulator.uploads.map((upload) => upload.fileName);
		table.record({
			id: 'dataLoss.missingKey.keep',
			area: AREA,
			case: 'The same items with When an Item Lacks a Column = Leave the Property Unchanged',
			userSees: `2 upload items (${sentHeaders.join(', ')}), the second with columnsLeftOut ["village"]; Import Status: ${outcomes.join(' / ')}`,
			server: serverLine(),
			lost: "nothing: Bola's village is still Siaya, Asha's is Bondo",
		});
	});

	it('"Clear the Property": one upload with a blank cell, and the property is cleared as asked', async () => {
		seed();
		const result = await sendItems(UPDATES, { options: { missingFields: 'clear' } });
		await statusOf(result);
		expect(stored('c-bola')).toEqual({ name: 'Bola', village: '', phone: '0711' });
		table.record({
			id: 'dataLoss.missingKey.clear',
			area: AREA,
			case: 'The same items with When an Item Lacks a Column = Clear the Property',
			userSees: 'Success: one upload; Bola’s village is cleared, as chosen',
			server: serverLine(),
			lost: 'nothing the user did not ask for: the clear was chosen explicitly',
		});
	});

	it('an explicit null or "" is a deliberate clear and is sent as such', async () => {
		seed();
		const result = await sendItems([
			{ case_id: 'c-asha', name: 'Asha', village: null },
			{ case_id: 'c-bola', name: 'Bola', village: '' },
		]);
		await statusOf(result);
		expect(stored('c-asha').village).toBe('');
		expect(stored('c-bola').village).toBe('');
	});

	it('blank owner, parent, name and ID cells change nothing: items may leave those fields out', async () => {
		seed();
		const result = await sendItems([
			{ case_id: 'c-asha', name: 'Asha Two', owner_id: 'owner-chw-1', village: 'Bondo' },
			{ case_id: 'c-bola', village: 'Yala' },
		]);
		expect(result.error).toBeUndefined();
		await statusOf(result);
		expect(stored('c-bola')).toEqual({ name: 'Bola', village: 'Yala', phone: '0711' });
	});

	it('a Columns entry that no item has is refused too; "leave unchanged" drops the column', async () => {
		seed();
		const error = thrown(await sendItems(UPDATES, { options: { columns: 'case_id, name, phone' } }));
		expect(error.message).toBe("The input items were not uploaded: No item has the field 'phone' listed in Columns");
		expect(error.description).toMatch(/^Their cell would be blank, and a blank cell clears 'phone'/);
		expect(received(emulator).all).toBe(0);
		const kept = await sendItems(UPDATES, { options: { columns: 'case_id, name, phone', missingFields: 'keep' } });
		await statusOf(kept);
		expect(stored('c-asha').phone).toBe('0700');
		expect(stored('c-bola').phone).toBe('0711');
		table.record({
			id: 'dataLoss.columnsEntryNoItemHas',
			area: AREA,
			case: "Options → Columns lists 'phone', which no item has",
			userSees: error.message,
			advice: error.description,
			server: 'no request; with Leave the Property Unchanged: 1 upload without the column',
			lost: 'nothing: the phone numbers are kept',
		});
	});
});

describe('fields and headers CommCare would drop', () => {
	it('an item field named "" that holds data is refused; one without data is left out', async () => {
		const error = thrown(
			await sendItems(
				[
					{ name: 'Asha', '': 'loose note' },
					{ name: 'Bola', '': '' },
				],
				{ unmatchedRows: 'create' },
			),
		);
		expect(error.message).toBe(
			'The input items were not uploaded: Item 1 has a field whose name is empty (""), holding data',
		);
		expect(error.description).toBe(
			'It would become a column without a header, which CommCare drops with its data. Rename the field (for example with an Edit Fields (Set) node).\nNothing was sent to CommCare.',
		);
		expect(received(emulator).all).toBe(0);
		const fine = await sendItems([{ name: 'Asha', '': '' }], { unmatchedRows: 'create' });
		expect(fine.error).toBeUndefined();
		table.record({
			id: 'dataLoss.blankFieldName',
			area: AREA,
			case: 'Input items with a field named "" (item 1 holds data in it)',
			userSees: error.message,
			advice: error.description,
			server: 'no request (without data in it, the field is simply not written, and the upload goes)',
			lost: NOTHING_SENT,
		});
	});

	it('a file with data in a column whose header is blank, or beyond the last header, is refused, naming the column and rows', async () => {
		const file = await xlsxFile([
			['case_id', 'name', null, 'village'],
			['', 'Asha', 'lost note', 'Kisumu', 'stray'],
			['', 'Bola', null, 'Siaya'],
		]);
		const error = thrown(await sendFile(file));
		expect(error.message).toBe(
			"'patients.xlsx' (item 1) not uploaded: Column C has no header but holds data (sheet row 2) (and 1 more problem)",
		);
		expect(error.description).toMatch(
			/^CommCare drops a column without a header, and its data with it\. Give the column a header \(the case property it sets\), or delete the column\.\nAlso:\n• Column E has no header but holds data \(sheet row 2\)\n/,
		);
		expect(received(emulator).all).toBe(0);
		table.record({
			id: 'dataLoss.dataUnderBlankHeader',
			area: AREA,
			case: 'A file whose column C has no header but data in row 2, and data in column E beyond the last header',
			userSees: error.message,
			advice: error.description,
			server: serverLine(),
			lost: NOTHING_SENT,
		});
	});

	it('a file whose row 1 is empty but rows below hold data is refused: headers must be in row 1', async () => {
		const file = await xlsxFile([
			[null, null],
			['case_id', 'name'],
			['', 'Asha'],
		]);
		const error = thrown(await sendFile(file));
		expect(error.message).toBe(
			"'patients.xlsx' (item 1) not uploaded: Sheet row 1 is empty, but the rows below hold data",
		);
		expect(error.description).toMatch(
			/^CommCare reads the column names \(case properties\) from row 1 only, so it would import nothing\. Put the headers in row 1 \(delete the empty rows above them\)\./,
		);
		expect(received(emulator).all).toBe(0);
		table.record({
			id: 'dataLoss.headersNotInRow1',
			area: AREA,
			case: 'A file whose headers are in row 2 (row 1 empty)',
			userSees: error.message,
			advice: error.description,
			server: serverLine(),
			lost: NOTHING_SENT,
		});
	});
});

describe('values an .xlsx cannot store', () => {
	it('control characters in an ID column are refused, naming the column and the item; elsewhere they are dropped with a warning', async () => {
		const error = thrown(await sendItems([{ name: 'Asha', external_id: 'P-00\u00071' }], { unmatchedRows: 'create' }));
		expect(error.message).toBe(
			"The input items were not uploaded: Key 'external_id' of item 1 holds characters a spreadsheet cannot store (U+0007)",
		);
		expect(error.description).toBe(
			'As an id it would change without a trace. Remove them from the id.\nNothing was sent to CommCare.',
		);
		expect(received(emulator).all).toBe(0);
		const warned = await sendItems([{ name: 'Asha', note: 'bell\u0007 here' }], { unmatchedRows: 'create' });
		const warnings = warned.outputs![0][0].json.warnings as IDataObject[];
		expect(warnings).toEqual([
			expect.objectContaining({ code: 'unstorableCharactersDropped', column: 'note', rows: [2], items: [0] }),
		]);
		await statusOf(warned);
		expect(emulator.cases.byType('demo', 'patient')[0].properties.note).toBe('bell here');
		table.record({
			id: 'dataLoss.controlCharacters',
			area: AREA,
			case: 'Input items with a control character (U+0007) in external_id; another with one in a note',
			userSees: `${error.message} / the note: warning ${String(warnings[0].message)}`,
			advice: error.description,
			server: 'no request for the id; the note is uploaded without the character',
			lost: 'nothing silently: the id is refused; the dropped character is reported',
		});
	});

	it("keys named like Object.prototype members are read as the item's own fields only", async () => {
		const ok = await sendItems(
			[
				{ name: 'Asha', constructor: 'kept' },
				{ name: 'Bola', constructor: 'also kept' },
			],
			{ unmatchedRows: 'create' },
		);
		await statusOf(ok);
		expect(emulator.cases.byType('demo', 'patient').map((c) => c.properties.constructor)).toEqual([
			'kept',
			'also kept',
		]);
		const error = thrown(
			await sendItems([{ name: 'Asha' }], { unmatchedRows: 'create', options: { columns: 'name, toString' } }),
		);
		expect(error.message).toBe("The input items were not uploaded: No item has the field 'toString' listed in Columns");
		table.record({
			id: 'dataLoss.prototypeKeys',
			area: AREA,
			case: "Input items with a 'constructor' field; Columns listing 'toString', which no item has",
			userSees: `Success for 'constructor' (stored as given) / ${error.message}`,
			advice: error.description,
			server: '1 upload for the first run; no request for the second',
			lost: "nothing: an item without 'toString' lacks the field (before, the inherited function was read and refused as a nested value)",
		});
	});

	it("a JS Date at midnight in the workflow's time zone is written as that date", async () => {
		// Midnight of 5 March 2024 in Nairobi (UTC+3) is 21:00 UTC on the 4th.
		const midnight = new Date('2024-03-04T21:00:00.000Z');
		const result = await sendItems(
			[{ name: 'Asha', dob: midnight, seen: new Date('2024-03-05T11:30:15.000Z') }],
			{ unmatchedRows: 'create' },
			{ timezone: 'Africa/Nairobi' },
		);
		await statusOf(result);
		const [asha] = emulator.cases.byType('demo', 'patient');
		expect(asha.properties).toMatchObject({ dob: '2024-03-05', seen: '2024-03-05 14:30:15' });
		table.record({
			id: 'dataLoss.dateInWorkflowZone',
			area: AREA,
			case: 'Input items with JS Dates, workflow time zone Africa/Nairobi: midnight of 5 March there, and 14:30:15 there',
			userSees: 'Success: dob stored as 2024-03-05, seen as 2024-03-05 14:30:15',
			server: serverLine(),
			lost: "nothing: the date is the workflow's date (before, the UTC clock made it 2024-03-04 21:00:00)",
		});
	});
});

describe('settings per item', () => {
	it('a Case Type that is an expression gives every item its own type: one upload per distinct value', async () => {
		const result = await sendItems(
			[
				{ name: 'Asha', kind: 'patient' },
				{ name: 'Home 1', kind: 'household' },
				{ name: 'Bola', kind: 'patient' },
			],
			{
				unmatchedRows: 'create',
				caseType: (_index: number, item: INodeExecutionData) => item.json.kind,
				options: { excludeColumns: 'kind' },
			},
		);
		const uploads = result.outputs![0].map((item) => [item.json.caseType, item.pairedItem]);
		expect(uploads).toEqual([
			['patient', [{ item: 0 }, { item: 2 }]],
			['household', { item: 1 }],
		]);
		await statusOf(result);
		expect(emulator.cases.byType('demo', 'patient').map((c) => c.name)).toEqual(['Asha', 'Bola']);
		expect(emulator.cases.byType('demo', 'household').map((c) => c.name)).toEqual(['Home 1']);
		table.record({
			id: 'settings.caseTypePerItem',
			area: AREA,
			case: 'Input items with Case Type = {{ $json.kind }}: patient, household, patient',
			userSees: '2 upload items: patient (items 1 and 3), household (item 2)',
			server: serverLine(),
			lost: 'nothing: each item is imported as its own type (before, item 1’s type was used for all)',
		});
	});

	it('an option that is an expression and differs between items is refused, naming the option and the items', async () => {
		const error = thrown(
			await sendItems([{ name: 'A' }, { name: 'B' }, { name: 'C' }], {
				unmatchedRows: 'create',
				options: { rowsPerUpload: (index: number) => (index === 0 ? 10 : 1) },
			}),
		);
		expect(error.message).toBe(
			'"Rows per Upload" must be the same for all items, but its expression gives 10 for item 1 and 1 for items 2 and 3',
		);
		expect(received(emulator).all).toBe(0);
		table.record({
			id: 'settings.optionDiffersPerItem',
			area: AREA,
			case: 'Rows per Upload given as an expression that gives 10 for item 1 and 1 for the others',
			userSees: error.message,
			advice: error.description,
			server: serverLine(),
			lost: NOTHING_SENT,
		});
	});
});

describe('smaller defects', () => {
	it('per-record mode with Continue On Fail and an invalid setting gives one error item per record', async () => {
		const result = await sendItems(
			[{ name: 'A' }, { name: 'B' }, { name: 'C' }],
			{ projectSpace: 'My Project', output: 'perRecord' },
			{ continueOnFail: true },
		);
		expect(result.outputs![0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(result.outputs![0].map((item) => (item.json.record as IDataObject).name)).toEqual(['A', 'B', 'C']);
		const statuses = await runScenario({
			node: importStatus,
			credentials: apiKeyCredential(emulator) as never,
			items: result.outputs![0],
			parameters: FAST_POLLING,
		});
		expect(statuses.outputs![2]).toHaveLength(3);
		table.record({
			id: 'defects.perRecordInvalidSetting',
			area: AREA,
			case: "Per-record mode, Continue On Fail, project space 'My Project' (invalid)",
			userSees: `3 error items, one per record: ${String(result.outputs![0][0].json.message)}`,
			server: serverLine(),
			lost: 'nothing: every record reaches Import Status’s Error output on its own (before, one item stood for all)',
		});
	});

	it('a numeric 0 in the ID column of a file is blank to CommCare, and the checks say so', async () => {
		const file = await xlsxFile([
			['case_id', 'name'],
			[0, 'Asha'],
			['c-bola', 'Bola'],
		]);
		emulator.cases.add('demo', { case_id: 'c-bola', case_type: 'patient', name: 'Bola', properties: {} });
		const result = await sendFile(file, 'patients.xlsx', { unmatchedRows: 'skip' });
		const warnings = result.outputs![0][0].json.warnings as IDataObject[];
		expect(warnings).toEqual([expect.objectContaining({ code: 'blankCaseIds', rows: [2] })]);
		const json = onlyItem(await statusOf(result), 1);
		expect(json).toMatchObject({ reason: 'skippedRows', skipped_count: 1, match_count: 1 });
		table.record({
			id: 'defects.zeroInIdColumn',
			area: AREA,
			case: 'A file whose case_id cell in row 2 is the number 0 (Rows That Match No Case: Skip)',
			userSees: `Warning before upload: ${String(warnings[0].message)} / Import Status: ${json.summary}`,
			advice: String(warnings[0].description),
			server: serverLine(),
			lost: 'nothing silently: the checks and CommCare agree that the row has no id, and the user is told',
		});
	});

	it('a malformed %-escape in the Base URL or the project space gives the guided message', async () => {
		const badBase = thrown(
			await runScenario({
				node: bulkImport,
				credentials: apiKeyCredential(emulator, { baseUrl: `${emulator.baseUrl}/a/%E0%A4%A/` }) as never,
				items: [
					binaryItem(
						await xlsxFile([
							['case_id', 'name'],
							['', 'A'],
						]),
						'p.xlsx',
					),
				],
				parameters: { projectSpace: 'demo', caseType: 'patient' },
			}),
		);
		expect(badBase.message).toMatch(
			/^CommCare API credential: The Base URL '.*' has a '%' that is not followed by two hex digits$/,
		);
		const badSpace = thrown(
			await sendItems([{ name: 'A' }], { projectSpace: 'https://www.commcarehq.org/a/%E0%A4%A/' }),
		);
		expect(badSpace.message).toBe(
			"The project space 'https://www.commcarehq.org/a/%E0%A4%A/' looks like an address: type just the name, '%E0%A4%A'",
		);
		expect(received(emulator).all).toBe(0);
		table.record({
			id: 'defects.malformedEscape',
			area: AREA,
			case: 'A Base URL and a project space with a malformed %-escape (%E0%A4%A)',
			userSees: `${badBase.message} / ${badSpace.message}`,
			server: serverLine(),
			lost: `${NOTHING_SENT} (before, both said "URI malformed")`,
		});
	});

	it('dry-run items never share an array', async () => {
		const file = await xlsxFile([
			['case_id', 'name'],
			['', 'A'],
		]);
		const result = await runScenario({
			node: bulkImport,
			credentials: apiKeyCredential(emulator) as never,
			items: [binaryItem(file, 'a.xlsx'), binaryItem(file, 'b.xlsx')],
			parameters: { projectSpace: 'demo', caseType: 'patient', options: { dryRun: true, skipChecks: true } },
		});
		const [first, second] = result.outputs![0].map((item) => item.json);
		expect(first.errors).not.toBe(second.errors);
		expect(first.warnings).not.toBe(second.warnings);
	});
});
