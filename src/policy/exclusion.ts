import { compareBytes } from "./byte-order.js";
import { PolicySpecError, RegexSyntaxError } from "./errors.js";
import { compileGoRegex, type GoRegex } from "./regex/go-regex.js";

/** ImageRepository's default `exclusionList` (CRD default and controller default). */
export const DEFAULT_EXCLUSION_LIST: readonly string[] = ["^.*\\.sig$"];

/**
 * ImageRepository `spec.exclusionList` as a predicate (true = excluded): a tag is
 * dropped when ANY pattern matches anywhere in it (Go RE2, unanchored). `undefined`
 * (field unset) means the default list; a non-empty list replaces the default; `[]`
 * excludes nothing (upstream's filter given no patterns — callers that mirror the
 * controller's "empty means default" pass undefined for an empty field).
 * @throws PolicySpecError with field `spec.exclusionList[i]`.
 */
export function compileExclusionList(patterns: readonly string[] | undefined): ExclusionPredicate {
  const list = patterns ?? DEFAULT_EXCLUSION_LIST;
  if (list.length === 0) return () => false;
  // The default list runs on every scanned tag; `^.*\.sig$` (`.` is anything but
  // "\n", `$` the end of the text) means exactly: ends with ".sig", no newline.
  if (list.length === 1 && list[0] === DEFAULT_EXCLUSION_LIST[0]) return isSignatureTag;
  const compiled: GoRegex[] = list.map((pattern, i) => {
    try {
      return compileGoRegex(pattern);
    } catch (err) {
      if (err instanceof RegexSyntaxError) {
        throw new PolicySpecError(
          `spec.exclusionList[${i}]`,
          `failed to compile regex '${pattern}': ${err.message}`,
        );
      }
      throw err;
    }
  });
  if (compiled.length === 1) {
    const only = compiled[0] as GoRegex;
    return (tag, ascii) => only.test(tag, ascii);
  }
  return (tag, ascii) => compiled.some((re) => re.test(tag, ascii));
}

/** True = excluded; `ascii`: the caller knows the tag is ASCII-only (see GoRegex). */
export type ExclusionPredicate = (tag: string, ascii?: boolean) => boolean;

function isSignatureTag(tag: string): boolean {
  return tag.endsWith(".sig") && !tag.includes("\n");
}

/** `status.lastScanResult.latestTags`: descending byte order (stable), first `n`. */
export function latestTags(tags: readonly string[], n = 10): string[] {
  return [...tags].sort((a, b) => compareBytes(b, a)).slice(0, n);
}
