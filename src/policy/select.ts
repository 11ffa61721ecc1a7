import type { Policy } from "./build.js";
import { compareBytes } from "./byte-order.js";
import { NoSelectableTagError, type RejectedCounts, type SelectionCounts } from "./errors.js";
import { parseGoFloat } from "./numeric/go-float.js";
import { compareVersions, parseFluxVersion, type Version } from "./semver/version.js";
import { type Candidate, TopN } from "./top-n.js";

export interface SelectOptions {
  /** How many ranked candidates to return (default 10). */
  top?: number;
  /** ImageRepository exclusion predicate (compileExclusionList), applied first. */
  exclude?: (tag: string) => boolean;
}

export interface Selection {
  /** The original tag selected. */
  latest: string;
  /** The value the policy compared for it (the extracted value, or the tag). */
  value: string;
  /** Best first, at most `top`; candidates[0] is the selected tag. */
  candidates: Candidate[];
  counts: SelectionCounts;
  /** Same object as counts.rejected. */
  rejected: RejectedCounts;
}

type Visit = (value: string, tag: string) => void;

/**
 * Flux's tag selection: exclusion list → filterTags (first match, Go expand) →
 * policy → the original tag. Without filterTags the policy sees the tags as given;
 * with it, candidates are map keys (equal values collapse, the later tag wins).
 * @throws NoSelectableTagError (Flux wording) with the counts so far.
 */
export function selectLatest(policy: Policy, tags: readonly string[], opts: SelectOptions = {}): Selection {
  const top = opts.top ?? 10;
  const rejected: RejectedCounts = { notSemver: 0, outOfRange: 0, notNumeric: 0 };
  const counts: SelectionCounts = {
    read: tags.length,
    excluded: 0,
    matched: 0,
    candidates: 0,
    selectable: 0,
    rejected,
  };
  const forEach = candidateSource(policy, tags, opts.exclude, counts);
  const ranked = rank(policy, forEach, Math.max(top, 1), counts);
  const best = ranked[0];
  if (!best) throw new NoSelectableTagError("unable to determine latest version from provided list", counts);
  return { latest: best.tag, value: best.value, candidates: ranked.slice(0, top), counts, rejected };
}

/** Runs the exclusion list and filter once and returns a replayable candidate iterator. */
function candidateSource(
  policy: Policy,
  tags: readonly string[],
  exclude: ((tag: string) => boolean) | undefined,
  counts: SelectionCounts,
): (visit: Visit) => void {
  const filter = policy.filter;
  if (!filter) {
    const kept = exclude ? tags.filter((t) => !exclude(t)) : tags;
    counts.excluded = tags.length - kept.length;
    counts.matched = counts.candidates = kept.length;
    return (visit) => {
      for (const t of kept) visit(t, t);
    };
  }
  const byValue = new Map<string, string>();
  const { regex, template } = filter;
  let excluded = 0;
  let matched = 0;
  for (const tag of tags) {
    if (exclude?.(tag)) {
      excluded++;
      continue;
    }
    const m = regex.exec(tag);
    if (m === null) continue;
    matched++;
    byValue.set(template ? template.expand(m) : tag, tag);
  }
  counts.excluded = excluded;
  counts.matched = matched;
  counts.candidates = byValue.size;
  return (visit) => {
    for (const [value, tag] of byValue) visit(value, tag);
  };
}

function rank(
  policy: Policy,
  forEach: (visit: Visit) => void,
  cap: number,
  counts: SelectionCounts,
): Candidate[] {
  if (counts.candidates === 0)
    throw new NoSelectableTagError("version list argument cannot be empty", counts);
  const { rejected } = counts;
  switch (policy.kind) {
    case "semver": {
      // Flux keeps the first of equal versions: a newcomer must be strictly greater.
      const best = new TopN<Version>(cap, (x, y) => compareVersions(x, y) > 0);
      forEach((value, tag) => {
        const v = parseFluxVersion(value);
        if (!v) rejected.notSemver++;
        else if (!policy.constraints.check(v)) rejected.outOfRange++;
        else best.offer(tag, value, v);
      });
      counts.selectable = counts.candidates - rejected.notSemver - rejected.outOfRange;
      if (best.size === 0) {
        throw new NoSelectableTagError("unable to determine latest version from provided list", counts);
      }
      return best.list();
    }
    case "alphabetical": {
      const asc = policy.order === "asc";
      const best = new TopN<string>(cap, (x, y) => (asc ? compareBytes(x, y) > 0 : compareBytes(x, y) < 0));
      forEach((value, tag) => best.offer(tag, value, value));
      counts.selectable = counts.candidates;
      return best.list();
    }
    case "numerical": {
      // Flux replaces the current pick unless the newcomer is strictly worse: equal
      // values go to the later one, and NaN behaves as erratically as upstream.
      const asc = policy.order === "asc";
      const best = new TopN<number>(cap, asc ? (x, y) => !(x < y) : (x, y) => !(x > y));
      let firstInvalid: string | undefined;
      forEach((value, tag) => {
        const n = parseGoFloat(value);
        if (n === undefined) {
          rejected.notNumeric++;
          firstInvalid ??= value;
        } else best.offer(tag, value, n);
      });
      counts.selectable = counts.candidates - rejected.notNumeric;
      if (firstInvalid !== undefined) {
        throw new NoSelectableTagError(`failed to parse invalid numeric value '${firstInvalid}'`, counts);
      }
      return best.list();
    }
  }
}
