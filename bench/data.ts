/**
 * The benchmark's input: realistic case rows, generated deterministically (same seed, same rows, every run and
 * machine), flat like items from Google Sheets or Postgres. Twenty columns: ids (some with leading zeros), names,
 * dates and date-times, numbers, booleans, free text, and some blanks.
 */
import * as ExcelJS from 'exceljs';
import type { IDataObject } from 'n8n-workflow';

export const ROW_COUNT = 100_000;

const FIRST_NAMES = [
	'Asha',
	'Baraka',
	'Chipo',
	'Daudi',
	'Esi',
	'Farida',
	'Gift',
	'Halima',
	'Imani',
	'Juma',
	'Kofi',
	'Lerato',
	'Musa',
	'Nia',
	'Obi',
	'Pendo',
	'Rehema',
	'Sefu',
	'Thandiwe',
	'Zawadi',
];
const LAST_NAMES = [
	'Achieng',
	'Banda',
	'Chanda',
	'Diallo',
	'Eze',
	'Mensah',
	'Mwangi',
	'Ndlovu',
	'Okafor',
	'Osei',
	'Phiri',
	'Sithole',
	'Tembo',
	'Wanjiru',
];
const VILLAGES = [
	'Kibera',
	'Mathare',
	'Kisumu Ndogo',
	'Nyalenda',
	'Obunga',
	'Manyatta',
	'Bondeni',
	'Migosi',
	'Kondele',
	'Nyamasaria',
];
const DISTRICTS = ['Kisumu East', 'Kisumu West', 'Nyando', 'Muhoroni', 'Seme'];
const STATUSES = ['enrolled', 'follow_up', 'referred', 'completed', 'lost_to_follow_up'];
const WORDS =
	'visited household mother child vaccinated fever cough referred clinic follow up next week nutrition counselling water treatment bed net malaria test negative positive weight gain breastfeeding advice given'.split(
		' ',
	);

/** mulberry32: a tiny, fast, seedable PRNG, so the data is identical on every run. */
function prng(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export function makeRows(count = ROW_COUNT, seed = 20240305): IDataObject[] {
	const random = prng(seed);
	const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
	const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
	const hex = (length: number) => Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');
	const pad = (n: number, width = 2) => String(n).padStart(width, '0');
	const day = (fromYear: number, toYear: number) => `${int(fromYear, toYear)}-${pad(int(1, 12))}-${pad(int(1, 28))}`;
	const owners = Array.from({ length: 20 }, () => hex(32));

	const rows: IDataObject[] = new Array(count);
	for (let i = 0; i < count; i++) {
		const noteWords = int(0, 24);
		rows[i] = {
			case_id: hex(32),
			external_id: pad(i + 1, 9),
			name: `${pick(FIRST_NAMES)} ${pick(LAST_NAMES)}`,
			sex: random() < 0.5 ? 'female' : 'male',
			dob: day(1950, 2023),
			age: int(0, 90),
			phone: `07${pad(int(0, 99_999_999), 8)}`,
			village: pick(VILLAGES),
			district: pick(DISTRICTS),
			household_size: int(1, 12),
			weight_kg: Math.round((3 + random() * 90) * 10) / 10,
			height_cm: int(45, 195),
			consent: random() < 0.9,
			visit_date: `${day(2023, 2024)}T${pad(int(6, 18))}:${pad(int(0, 59))}:${pad(int(0, 59))}.000Z`,
			next_visit: day(2024, 2025),
			status: pick(STATUSES),
			owner_id: pick(owners),
			latitude: Math.round((-1.2 + random() * 0.3) * 1e5) / 1e5,
			longitude: Math.round((34.6 + random() * 0.3) * 1e5) / 1e5,
			notes: noteWords === 0 ? null : Array.from({ length: noteWords }, () => pick(WORDS)).join(' '),
		};
	}
	return rows;
}

/**
 * The records of the case-lookup cases: the rows as new cases matched by external id (no case_id, and no owner_id,
 * whose random ids would not be the project's owners).
 */
export function lookupRecords(count = ROW_COUNT): IDataObject[] {
	return makeRows(count).map(({ case_id: _caseId, owner_id: _ownerId, ...record }) => record);
}

/** Size of the large file the upload benchmark sends. */
export const LARGE_FILE_TARGET_BYTES = 100 * 1024 * 1024;

/**
 * The 100 MB upload: the same 100,000 case rows and 20 columns, with long free-text notes (about 2,100 characters
 * a row, as a health worker's visit notes exported from a form), written the way Excel, LibreOffice and Google Sheets
 * write every text cell: through the shared-strings table (`xl/sharedStrings.xml`), which readers must resolve.
 * Words come from a vocabulary of pseudo-words, so the text compresses about like prose does.
 */
export async function writeLargeXlsx(out: NodeJS.WritableStream, count = ROW_COUNT, seed = 20240306): Promise<void> {
	const random = prng(seed);
	const syllables = [
		'ka',
		'mu',
		'ti',
		'no',
		'se',
		'ra',
		'wa',
		'li',
		'po',
		'zu',
		'be',
		'ha',
		'ngo',
		'chi',
		'fe',
		'ya',
		'du',
		'mi',
		'sha',
		'to',
	];
	const vocabulary = Array.from({ length: 6000 }, () =>
		Array.from({ length: 1 + Math.floor(random() * 4) }, () => syllables[Math.floor(random() * syllables.length)]).join(
			'',
		),
	);
	const sentence = () => {
		const words = Array.from(
			{ length: 6 + Math.floor(random() * 14) },
			() => vocabulary[Math.floor(random() * vocabulary.length)],
		);
		return `${words.join(' ')}.`;
	};
	const notes = (chars: number) => {
		let text = '';
		while (text.length < chars) text += `${sentence()} `;
		return text.trimEnd();
	};
	const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
		stream: out as never,
		useSharedStrings: true,
		useStyles: true,
	});
	const sheet = workbook.addWorksheet('cases');
	const rows = makeRows(count);
	const columns = Object.keys(rows[0]);
	sheet.addRow(columns).commit();
	for (const row of rows) {
		const values: IDataObject = { ...row, notes: notes(1800 + Math.floor(random() * 600)) };
		sheet.addRow(columns.map((column) => (values[column] ?? null) as never)).commit();
	}
	sheet.commit();
	await workbook.commit();
}

/**
 * `makeRows` as JavaScript source that runs on its own, for the Code node that makes the same rows inside n8n
 * (`npm run bench:n8n`): the function and what it uses, taken from this module's own code, so both stay the same.
 * The source defines `makeRows(count)`; the caller adds the `return`.
 */
export function rowGeneratorSource(): string {
	const constants = { FIRST_NAMES, LAST_NAMES, VILLAGES, DISTRICTS, STATUSES, WORDS };
	return [
		...Object.entries(constants).map(([name, value]) => `const ${name} = ${JSON.stringify(value)};`),
		`const prng = ${prng.toString()};`,
		`const makeRows = ${makeRows.toString()};`,
	].join('\n');
}
