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
/**
 * What a person reads: a fourth output, Not Finished, for imports still queued or running at the deadline (before,
 * Error with reason timedOut); a dry run's items routed as checks (reason checkOnly) instead of "failed upstream"; the
 * Bulk Import warnings of a record carried on it (`warnings`), and a record CommCare stores changed sent to Warning
 * (reason importedWithChanges); one short `summary` per item naming the case type and its sheet row, what to do in
 * `description`, and a record's `import` without an `outcome` or `reason` that could read as its own.
 */
export const NOT_FINISHED_OUTPUT = 1.2;

export const VERSIONS = [FULL_OUTPUT, SIMPLIFIED_OUTPUT, NOT_FINISHED_OUTPUT];
/** The version a node added today gets. */
export const DEFAULT_VERSION = NOT_FINISHED_OUTPUT;

/** The versions released before `version`: for `displayOptions` `{ show | hide: { '@version': versionsBefore(…) } }`. */
export function versionsBefore(version: number): number[] {
	return VERSIONS.filter((released) => released < version);
}
