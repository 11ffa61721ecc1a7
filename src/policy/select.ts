import type { Policy } from "./build.js";
import { compareBytes } from "./byte-order.js";
import { NoSelectableTagError, type RejectedCounts, type SelectionCounts } from "./errors.js";
import type { ExclusionPredicate } from "./exclusion.js";
import { parseGoFloat } from "./numeric/go-float.js";
import { compareVersionsNatural } from "./semver/natural.js";
import { compareVersions, parseFluxVersion, type Version } from "./semver/version.js";
import { type Candidate, TopN } from "./top-n.js";

export interface SelectOptions {
  /** How many ranked candidates to return (default 10; Infinity ranks every candidate). */
  top?: number;
  /** ImageRepository exclusion predicate (compileExclusionList), applied first. */
  exclude?: ExclusionPredicate;
  /**
   * Told of each tag that does not become (or stay) a candidate, with why: for explanations
   * that show examples (src/policy/explain.ts); the counts stay the engine's.
   */
  onReject?: (tag: string, reason: RejectReason) => void;
}

/** Why a tag was not selectable; one count in SelectionCounts each. */
export type RejectReason = "excluded" | "noMatch" | "notSemver" | "outOfRange" | "notNumeric";

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

/**
 * Tag selection fed one tag at a time, in list order, so a caller reading a million
 * tags never has to hold them all (on this kind of machine, touching fresh memory
 * costs more than the matching itself).
 */
export interface TagSelector {
  /** `ascii`: the caller knows the tag is ASCII-only, which spares a check per regex. */
  add(tag: string, ascii?: boolean): void;
  /** Progress so far (the same object the selection or its error reports). */
  readonly counts: SelectionCounts;
  /** The selection over every tag added so far. @throws NoSelectableTagError */
  finish(): Selection;
}

/**
 * Flux's tag selection: exclusion list → filterTags (first match, Go expand) →
 * policy → the original tag. Without filterTags the policy sees the tags as given;
 * with it, candidates are map keys (equal values collapse, the later tag wins).
 * @throws NoSelectableTagError (Flux wording) with the counts so far.
 */
export function selectLatest(policy: Policy, tags: readonly string[], opts: SelectOptions = {}): Selection {
  const selector = createTagSelector(policy, opts);
  for (const tag of tags) selector.add(tag);
  return selector.finish();
}

/**
 * The streaming form of selectLatest: same result, same errors, for the same tags
 * added in the same order.
 */
export function createTagSelector(policy: Policy, opts: SelectOptions = {}): TagSelector {
  const top = opts.top ?? 10;
  const rejected: RejectedCounts = { notSemver: 0, outOfRange: 0, notNumeric: 0 };
  const counts: SelectionCounts = {
    read: 0,
    excluded: 0,
    matched: 0,
    candidates: 0,
    selectable: 0,
    rejected,
  };
  const ranker = createRanker(policy, Math.max(top, 1), counts, opts.onReject);
  const add = filterStage(policy, opts.exclude, counts, ranker, opts.onReject);
  return {
    add,
    counts,
    finish() {
      const ranked = ranker.finish();
      const best = ranked[0];
      if (!best)
        throw new NoSelectableTagError("unable to determine latest version from provided list", counts);
      return { latest: best.tag, value: best.value, candidates: ranked.slice(0, top), counts, rejected };
    },
  };
}

/** Exclusion list and filter for one tag, passing each candidate on to the ranker. */
function filterStage(
  policy: Policy,
  exclude: ExclusionPredicate | undefined,
  counts: SelectionCounts,
  ranker: Ranker,
  onReject: SelectOptions["onReject"],
): (tag: string, ascii?: boolean) => void {
  const filter = policy.filter;
  if (!filter) {
    // No filter: every kept tag is a candidate, duplicates included.
    return (tag, ascii) => {
      counts.read++;
      if (exclude?.(tag, ascii)) {
        counts.excluded++;
        onReject?.(tag, "excluded");
        return;
      }
      counts.matched++;
      counts.candidates++;
      ranker.consider(tag, tag);
    };
  }
  // Flux collects values in a Go map (value → tag): a repeated value keeps its first
  // place in line and takes the later tag. The set only holds distinct values, and
  // the ranker re-tags the value if it is still among the best.
  const seen = new Set<string>();
  const { regex, template } = filter;
  return (tag, ascii) => {
    counts.read++;
    if (exclude?.(tag, ascii)) {
      counts.excluded++;
      onReject?.(tag, "excluded");
      return;
    }
    const m = regex.exec(tag, ascii);
    if (m === null) {
      onReject?.(tag, "noMatch");
      return;
    }
    counts.matched++;
    const value = template ? template.expand(m) : tag;
    if (seen.has(value)) {
      ranker.retag(value, tag);
      return;
    }
    seen.add(value);
    counts.candidates++;
    ranker.consider(value, tag);
  };
}

interface Ranker {
  /** A new candidate value (distinct from earlier ones when a filter is set). */
  consider(value: string, tag: string): void;
  /** A later tag for a value already considered. */
  retag(value: string, tag: string): void;
  /** Ranked candidates, best first; sets counts.selectable. @throws NoSelectableTagError */
  finish(): Candidate[];
}

function createRanker(
  policy: Policy,
  cap: number,
  counts: SelectionCounts,
  onReject: SelectOptions["onReject"],
): Ranker {
  const { rejected } = counts;
  const nonEmpty = (): void => {
    if (counts.candidates === 0)
      throw new NoSelectableTagError("version list argument cannot be empty", counts);
  };
  switch (policy.kind) {
    case "semver": {
      // Flux keeps the first of equal versions: a newcomer must be strictly greater.
      const compare = policy.prereleaseOrder === "natural" ? compareVersionsNatural : compareVersions;
      const best = new TopN<Version>(cap, (x, y) => compare(x, y) > 0);
      return {
        consider(value, tag) {
          const v = parseFluxVersion(value);
          if (!v) {
            rejected.notSemver++;
            onReject?.(tag, "notSemver");
          } else if (!policy.constraints.check(v)) {
            rejected.outOfRange++;
            onReject?.(tag, "outOfRange");
          } else best.offer(tag, value, v);
        },
        retag: (value, tag) => best.retag(value, tag),
        finish() {
          nonEmpty();
          counts.selectable = counts.candidates - rejected.notSemver - rejected.outOfRange;
          if (best.size === 0) {
            throw new NoSelectableTagError("unable to determine latest version from provided list", counts);
          }
          return best.list();
        },
      };
    }
    case "alphabetical": {
      const asc = policy.order === "asc";
      const best = new TopN<string>(cap, (x, y) => (asc ? compareBytes(x, y) > 0 : compareBytes(x, y) < 0));
      return {
        consider: (value, tag) => best.offer(tag, value, value),
        retag: (value, tag) => best.retag(value, tag),
        finish() {
          nonEmpty();
          counts.selectable = counts.candidates;
          return best.list();
        },
      };
    }
    case "numerical": {
      // Flux replaces the current pick unless the newcomer is strictly worse: equal
      // values go to the later one, and NaN behaves as erratically as upstream.
      const asc = policy.order === "asc";
      const best = new TopN<number>(cap, asc ? (x, y) => !(x < y) : (x, y) => !(x > y));
      let firstInvalid: string | undefined;
      return {
        consider(value, tag) {
          const n = parseGoFloat(value);
          if (n === undefined) {
            rejected.notNumeric++;
            onReject?.(tag, "notNumeric");
            firstInvalid ??= value;
          } else best.offer(tag, value, n);
        },
        retag: (value, tag) => best.retag(value, tag),
        finish() {
          nonEmpty();
          counts.selectable = counts.candidates - rejected.notNumeric;
          if (firstInvalid !== undefined) {
            throw new NoSelectableTagError(`failed to parse invalid numeric value '${firstInvalid}'`, counts);
          }
          return best.list();
        },
      };
    }
  }
}
