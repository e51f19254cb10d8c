/**
 * The versions of CommCare Bulk Import, each named by what it changed: the one version table. n8n keeps a saved node
 * at the version it was saved with, with that version's parameters and defaults, so a released version never changes;
 * a change of default or of parameter shape is a new version. The description shows each parameter in the versions
 * named here (with its default for them, read back by `defaultsAt`), and the code that reads parameters and the tests
 * name versions only through this file.
 */

/** The first release: Project Space and Case Type typed as plain text. */
export const PLAIN_TEXT_NAMES = 1;
/** Project Space and Case Type picked from lists (resource locators). */
export const RESOURCE_LOCATORS = 1.1;
/** Safe defaults: match by External ID, and "Rows That Match No Case" (create) instead of "Create New Cases" (off). */
export const SAFE_DEFAULTS = 1.2;
/**
 * Source "Input Items" outputs one item per record by default, chosen with the top-level "Output" parameter (which
 * replaces the option "Output One Item per Record"); the dry run then gives one item per record too.
 */
export const RECORD_OUTPUT = 1.3;

export const VERSIONS = [PLAIN_TEXT_NAMES, RESOURCE_LOCATORS, SAFE_DEFAULTS, RECORD_OUTPUT];
/** The version a node added today gets. */
export const DEFAULT_VERSION = RECORD_OUTPUT;

/** The versions released before `version`: for `displayOptions` `{ show | hide: { '@version': versionsBefore(…) } }`. */
export function versionsBefore(version: number): number[] {
	return VERSIONS.filter((released) => released < version);
}
