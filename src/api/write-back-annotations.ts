/**
 * Annotations on an ImageUpdateAutomation that steer imagectl's write-back beyond Flux's spec.
 * Annotations, not spec fields, so the same manifest stays valid for Flux's CRDs (which reject
 * unknown spec fields); Flux ignores them. Documented in docs/write-back.md.
 */

/** Globs of further files to read markers in, relative to `update.path`; newline or comma separated. */
export const INCLUDE_ANNOTATION = "imagectl.io/include";

/**
 * Set by `imagectl resume image update` (any new value): lifts the pins a rollback put on
 * markers, so the policy's values are written again.
 */
export const UNPIN_ANNOTATION = "imagectl.io/unpin-requested-at";

/** A JSON object: open and keep a pull/merge request instead of pushing (docs/write-back.md). */
export const PULL_REQUEST_ANNOTATION = "imagectl.io/pull-request";
