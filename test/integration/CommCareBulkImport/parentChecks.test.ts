/**
 * The checks on the parent columns (nodes/CommCareBulkImport/checks/parentChecks.ts) through CommCare Bulk Import, with
 * source "Input Items" and with a real .xlsx file, against the emulator over real sockets. Patients are imported under
 * households the emulator holds. A members upload without `parent_type` stops before any request; each row-level
 * check is a warning for some rows (and the emulator then reports 'Invalid Parent ID' for exactly those rows) and an
 * error when every row has it. The logic of each check is unit-tested in
 * test/unit/CommCareBulkImport/checks/parentChecks.test.ts.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { CommCareBulkImport } from '../../../nodes/CommCareBulkImport/CommCareBulkImport.node';
import type { CheckFinding, UploadResultJson } from '../../../nodes/shared/outputContract';
import { type Case, type Emulator } from '../../../emulator';
import { ITEMS_BY_CASE_ID, emulatorCredential, pollUntilDone, useEmulator, xlsxFile } from '../../support/emulator';
import { binaryItem, runNode } from '../../support/n8nContext';

let emulator: Emulator;
useEmulator((started) => (emulator = started), { timeline: { queuedPolls: 0, runningPolls: 0 } });

const node = new CommCareBulkImport();
const SUBJECT = 'The input items were not uploaded: ';

let households: Record<'h1' | 'h2', Case>;
beforeEach(() => {
	households = {
		h1: emulator.cases.add('demo', { case_type: 'household', name: 'House 1', external_id: 'h1' }),
		h2: emulator.cases.add('demo', { case_type: 'household', name: 'House 2', external_id: 'h2' }),
	};
});

/** Runs the node on items (one output item per upload) or on files. */
async function run(input: { items: IDataObject[] } | { files: INodeExecutionData[] }, parameters: IDataObject = {}) {
	const items = 'items' in input;
	return await runNode({
		node,
		parameters: items
			? { ...ITEMS_BY_CASE_ID, output: 'perUpload', ...parameters }
			: { projectSpace: 'demo', caseType: 'patient', searchField: 'case_id', unmatchedRows: 'create', ...parameters },
		credentials: emulatorCredential(emulator),
		items: items ? input.items.map((json) => ({ json })) : input.files,
	});
}

/** Runs the node expecting the checks to stop it: the error, after asserting nothing reached the server. */
async function refusal(input: Parameters<typeof run>[0], parameters: IDataObject = {}) {
	const requestsBefore = emulator.requests.length;
	const error = await run(input, parameters).then(
		() => undefined,
		(e: unknown) => e as { message: string; description?: string },
	);
	if (!error) throw new Error('expected the checks to stop the node');
	expect(emulator.requests).toHaveLength(requestsBefore);
	return error;
}

/** Runs the node expecting the one upload to go; polls its status to the end. Its warnings and the rows CommCare reported. */
async function upload(input: Parameters<typeof run>[0], parameters: IDataObject = {}) {
	const accepted = () => emulator.uploads.filter((u) => u.status === 200).length;
	const before = accepted();
	const { outputs } = await run(input, parameters);
	expect(accepted()).toBe(before + 1);
	const result = outputs[0][0].json as UploadResultJson;
	const statuses = await pollUntilDone(emulator, result.status_url);
	const status = statuses[statuses.length - 1];
	expect(status.state).toBe(2);
	const errors = status.result?.errors ?? [];
	return {
		warnings: result.warnings,
		invalidParentRows: errors
			.filter((error) => error.title === 'Invalid Parent ID')
			.flatMap((error) => error.rows)
			.sort((a, b) => a - b),
		otherErrors: errors.filter((error) => error.title !== 'Invalid Parent ID'),
	};
}

function only(warnings: CheckFinding[], code: string): CheckFinding {
	const found = warnings.filter((w) => w.code === code);
	expect(found).toHaveLength(1);
	return found[0];
}

/** The parent each patient (by name) got: the household's name, or null. */
function parentsOfPatients(): Record<string, string | null> {
	const names = new Map(emulator.cases.byType('demo', 'household').map((c) => [c.case_id, c.name]));
	return Object.fromEntries(
		emulator.cases.byType('demo', 'patient').map((patient) => {
			const index = Object.values(patient.indices)[0];
			return [patient.name, index ? (names.get(index.case_id) ?? index.case_id) : null];
		}),
	);
}

describe('parentTypeMissing: members naming households without parent_type stop before any request', () => {
	const members = [
		{ case_id: '', name: 'Asha', parent_external_id: 'h1' },
		{ case_id: '', name: 'Baraka', parent_external_id: 'h2' },
	];

	it('items: names the rows, the case type looked in and the field to add', async () => {
		const error = await refusal({ items: members });
		expect(error.message).toBe(
			`${SUBJECT}No 'parent_type' column: CommCare looks for the parents of sheet rows 2 and 3 (items 1 and 2) among 'patient' cases`,
		);
		expect(error.description).toMatch(
			/^Without it CommCare takes the ids in 'parent_external_id' to be of 'patient' cases, .* Give the items a field 'parent_type' \(for example with an Edit Fields \(Set\) node\) holding the parents' case type, or 'patient' itself/,
		);
	});

	it('a file: the same, asking for a column', async () => {
		const sheet = await xlsxFile([
			['case_id', 'name', 'parent_external_id'],
			...members.map((m) => [m.case_id, m.name, m.parent_external_id]),
		]);
		const error = await refusal({ files: [binaryItem(sheet, 'members.xlsx')] });
		expect(error.message).toBe(
			"'members.xlsx' (item 1) not uploaded: No 'parent_type' column: CommCare looks for the parents of sheet rows 2 and 3 among 'patient' cases",
		);
		expect(error.description).toMatch(
			/ Add a 'parent_type' column holding the parents' case type, or 'patient' itself/,
		);
	});

	it('is right: sent unchecked, CommCare fails every such row with Invalid Parent ID', async () => {
		const { invalidParentRows } = await upload({ items: members }, { options: { skipChecks: true } });
		expect(invalidParentRows).toEqual([2, 3]);
		expect(emulator.cases.byType('demo', 'patient')).toEqual([]);
		// With parent_type the same members import under their households.
		const typed = members.map((m) => ({ ...m, parent_type: 'household' }));
		expect(await upload({ items: typed })).toEqual({ warnings: [], invalidParentRows: [], otherErrors: [] });
		expect(parentsOfPatients()).toEqual({ Asha: 'House 1', Baraka: 'House 2' });
	});
});

describe('row-level checks: a warning for some rows, which CommCare then reports; an error for every row', () => {
	it('blankParentType: a blank parent_type, or an item without the field', async () => {
		const items = [
			{ case_id: '', name: 'Asha', parent_external_id: 'h1', parent_type: 'household' },
			{ case_id: '', name: 'Baraka', parent_external_id: 'h1', parent_type: '' },
			{ case_id: '', name: 'Chidi', parent_external_id: 'h2' },
		];
		const { warnings, invalidParentRows, otherErrors } = await upload({ items });
		const warning = only(warnings, 'blankParentType');
		expect(warning).toMatchObject({ column: 'parent_type', rows: [3, 4], items: [1, 2] });
		expect(warning.message).toBe("Sheet rows 3 and 4 (items 2 and 3) name a parent but have a blank 'parent_type'");
		// By external id, a blank type filters nothing: CommCare takes the one case of any type that has the id (here
		// the right one; with a same-id case of another type, the wrong one or none).
		expect(invalidParentRows).toEqual([]);
		expect(otherErrors).toEqual([]);
		expect(parentsOfPatients()).toEqual({ Asha: 'House 1', Baraka: 'House 1', Chidi: 'House 2' });

		const error = await refusal({ items: items.slice(1) });
		expect(error.message).toBe(
			`${SUBJECT}Sheet rows 2 and 3 (items 1 and 2) name a parent but have a blank 'parent_type': no row would import`,
		);
	});

	it("invalidRelationship: 'Child' and a blank relationship", async () => {
		const base = { case_id: '', parent_external_id: 'h1', parent_type: 'household' };
		const items = [
			{ ...base, name: 'Asha', parent_relationship_type: 'child' },
			{ ...base, name: 'Baraka', parent_relationship_type: 'Child' },
			{ ...base, name: 'Chidi', parent_relationship_type: '' },
			{ case_id: '', name: 'Dalia', parent_external_id: '', parent_type: '', parent_relationship_type: '' },
		];
		const { warnings, invalidParentRows } = await upload({ items });
		const warning = only(warnings, 'invalidRelationship');
		expect(warning).toMatchObject({ column: 'parent_relationship_type', rows: [3, 4], items: [1, 2] });
		expect(warning.message).toBe(
			"Sheet rows 3 and 4 (items 2 and 3) have a 'parent_relationship_type' other than 'child' or 'extension' ('Child', blank)",
		);
		expect(invalidParentRows).toEqual(warning.rows);
		// Dalia names no parent: her blank relationship does nothing, and she is created without one.
		expect(parentsOfPatients()).toEqual({ Asha: 'House 1', Dalia: null });

		const error = await refusal({ items: items.slice(1, 3) });
		expect(error.message).toMatch(/^The input items were not uploaded: Sheet rows 2 and 3 .*: no row would import$/);
	});

	it('extensionWithoutIdentifier: an extension without parent_identifier', async () => {
		const base = { case_id: '', parent_external_id: 'h2', parent_type: 'household' };
		const items = [
			{ ...base, name: 'Asha', parent_relationship_type: 'extension', parent_identifier: 'host' },
			{ ...base, name: 'Baraka', parent_relationship_type: 'extension', parent_identifier: '' },
			{ ...base, name: 'Chidi', parent_relationship_type: 'child', parent_identifier: '' },
		];
		const { warnings, invalidParentRows } = await upload({ items });
		const warning = only(warnings, 'extensionWithoutIdentifier');
		expect(warning).toMatchObject({ column: 'parent_identifier', rows: [3], items: [1] });
		expect(warning.message).toBe("Sheet row 3 (item 2) makes an extension without a 'parent_identifier'");
		expect(invalidParentRows).toEqual(warning.rows);
		expect(parentsOfPatients()).toEqual({ Asha: 'House 2', Chidi: 'House 2' });

		const error = await refusal({ items: [items[1]] });
		expect(error.message).toBe(
			`${SUBJECT}Sheet row 2 (item 1) makes an extension without a 'parent_identifier': no row would import`,
		);
	});
});

describe('a file with every kind of parent row', () => {
	it('warns of each, CommCare reports Invalid Parent ID for exactly the rows warned of, and the rest import as said', async () => {
		const h2 = households.h2.case_id;
		const sheet = await xlsxFile([
			[
				'case_id',
				'name',
				'parent_id',
				'parent_external_id',
				'parent_type',
				'parent_relationship_type',
				'parent_identifier',
			],
			['', 'Asha', '', 'h1', 'household', 'child', ''],
			['', 'Baraka', '', 'h1', '', 'child', ''],
			['', 'Chidi', '', 'h1', 'household', 'Child', ''],
			['', 'Dalia', '', 'h2', 'household', 'extension', ''],
			['', 'Eli', '', '', '', '', ''],
			['', 'Fatma', h2, 'h1', 'household', 'child', ''],
			['', 'Gabe', '', 'h2', 'household', 'extension', 'host'],
		]);
		const { warnings, invalidParentRows, otherErrors } = await upload({ files: [binaryItem(sheet, 'members.xlsx')] });
		expect(warnings.map((w) => [w.code, w.column, w.rows])).toEqual([
			['blankParentType', 'parent_type', [3]],
			['invalidRelationship', 'parent_relationship_type', [4]],
			['extensionWithoutIdentifier', 'parent_identifier', [5]],
			['blankParentIds', 'parent_id', [6]],
			['parentIdAndExternalId', 'parent_external_id', [7]],
		]);
		expect(only(warnings, 'blankParentIds').message).toBe(
			"Sheet row 6 has neither 'parent_id' nor 'parent_external_id'",
		);
		expect(only(warnings, 'parentIdAndExternalId').message).toBe(
			"Sheet row 7 has both 'parent_id' and 'parent_external_id'",
		);
		expect(invalidParentRows).toEqual([4, 5]);
		expect(otherErrors).toEqual([]);
		// Eli is created without a parent; Fatma's parent is the case her parent_id names, not her parent_external_id's;
		// Baraka's blank parent_type takes the one case of any type with external id h1.
		expect(parentsOfPatients()).toEqual({
			Asha: 'House 1',
			Baraka: 'House 1',
			Eli: null,
			Fatma: 'House 2',
			Gabe: 'House 2',
		});
		const gabe = emulator.cases.byType('demo', 'patient').find((c) => c.name === 'Gabe') as Case;
		expect(gabe.indices).toEqual({ host: { case_id: h2, case_type: 'household', relationship: 'extension' } });
	});
});
