/**
 * `npm install` on a fresh clone must leave package-lock.json as it is: npm rewrites the lockfile in the indentation
 * of package.json (two spaces), so a lockfile formatted any other way shows up as changed in every clone.
 */
import { readFileSync } from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

describe('package-lock.json', () => {
	const lock = read('package-lock.json');
	const manifest = JSON.parse(read('package.json')) as Record<string, Record<string, string> | undefined>;
	const locked = (JSON.parse(lock) as { packages: Record<string, Record<string, unknown>> }).packages[''];

	it('is written the way npm writes it (two-space JSON ending in a newline), so npm install leaves it unchanged', () => {
		expect(lock).toBe(`${JSON.stringify(JSON.parse(lock), null, 2)}\n`);
	});

	it.each(['dependencies', 'devDependencies', 'peerDependencies'])('locks the %s package.json asks for', (field) => {
		expect(locked[field] ?? {}).toEqual(manifest[field] ?? {});
	});
});
