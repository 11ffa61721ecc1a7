import { parseConstraints } from "./constraint.js";
import { compareVersions, parseFluxVersion, type Version } from "./version.js";

/**
 * fluxcd/pkg `version.Sort`: keeps the tags that parse as versions and satisfy
 * `range`, sorted by descending precedence, stable for equal versions.
 * @throws ConstraintSyntaxError for an invalid range.
 */
export function sortVersions(range: string, tags: readonly string[]): string[] {
  const constraints = parseConstraints(range);
  const kept: Version[] = [];
  for (const tag of tags) {
    const v = parseFluxVersion(tag);
    if (v && constraints.check(v)) kept.push(v);
  }
  return kept.sort((a, b) => compareVersions(b, a)).map((v) => v.original);
}
