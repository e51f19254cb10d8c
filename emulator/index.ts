/**
 * CommCare HQ emulator: a real HTTP server on loopback that behaves like the Bulk Upload Case Data API described in
 * docs/commcare-api.md. See README.md in this folder.
 */
import { toKnownUser } from './auth';
import { DEFAULT_USERS, EmulatorServer } from './server';
import type { Emulator, EmulatorOptions, EmulatorUser } from './types';

export type * from './types';
export { DEFAULT_DOMAINS, DEFAULT_TIMELINE, DEFAULT_USERS } from './server';
export { UPLOAD_MESSAGES } from './uploadView';
export { ERROR_TEXT } from './importer';
export { DEFAULT_LOOKUP_TABLE_TIMELINE } from './lookupTables/endpoints';
export { LOOKUP_TABLE_MESSAGES } from './lookupTables/fixtureWorkbook';
export { LOOKUP_TABLE_UPLOAD_MESSAGES, MAX_FIXTURE_ROWS } from './lookupTables/uploadView';

export interface StartOptions extends EmulatorOptions {
	/** Receives one short line per upload, status poll and refusal (the CLI prints them). */
	log?: (line: string) => void;
}

/** The id the emulator gives a user (identity endpoint `id`, default `owner_id` of the cases they create). */
export function userIdOf(username: string, users: EmulatorUser[] = DEFAULT_USERS): string {
	const configured = users.find((user) => user.username === username);
	return toKnownUser(configured ?? { username, domains: [] }).id;
}

export async function startEmulator(options: StartOptions = {}): Promise<Emulator> {
	const emulator = new EmulatorServer(options);
	await emulator.listen();
	return emulator;
}
