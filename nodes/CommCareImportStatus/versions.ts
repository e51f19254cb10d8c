/**
 * The versions of CommCare Import Status, each named by what it changed: the one version table, read by the
 * description (which parameter each version shows, and its default there, read back by `defaultsAt`), the code that
 * reads parameters and the tests. A saved node keeps its version (n8n's light versioning), so a released version
 * never changes.
 */

/** The first release: the full outcome on every item. */
export const FULL_OUTPUT = 1;
/** New nodes output the simplified outcome ("Simplify", on). */
export const SIMPLIFIED_OUTPUT = 1.1;

export const VERSIONS = [FULL_OUTPUT, SIMPLIFIED_OUTPUT];
/** The version a node added today gets. */
export const DEFAULT_VERSION = SIMPLIFIED_OUTPUT;

/** The versions released before `version`: for `displayOptions` `{ show | hide: { '@version': versionsBefore(…) } }`. */
export function versionsBefore(version: number): number[] {
	return VERSIONS.filter((released) => released < version);
}
