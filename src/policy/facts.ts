/**
 * Selection rules that need facts about the images behind the tags: newest pushed
 * (`imagectl.io/select: newest`), minimum age (`imagectl.io/min-age`) and signature
 * verification (`imagectl.io/verify`). The engine stays pure: the controller reads created
 * times and signatures from the registry first and hands them in as plain data, one
 * `TagFacts` per tag; this module only filters and orders.
 */
import { compareBytes } from "./byte-order.js";
import type { Candidate } from "./top-n.js";

/** What the controller found out about one candidate tag. */
export interface TagFacts {
  /** The manifest digest the facts belong to. */
  digest?: string;
  /** When the image was created (ms since the epoch); undefined when not known. */
  createdAt?: number;
  /** Signature verdict; undefined when not checked (yet). */
  verified?: boolean;
  /** Why not verified, or why the created time is missing. */
  reason?: string;
  /** The facts were read: what is missing now stays missing (the tag is excluded, not pending). */
  final?: boolean;
}

export interface FactRules {
  /** The newest image wins instead of the policy's order (which then only admits tags). */
  newest?: boolean;
  /** A tag whose image is younger than this is not selected yet. */
  minAgeMs?: number;
  /** Only tags whose digest carries a valid signature are candidates. */
  verify?: boolean;
  /** The current time (ms since the epoch). */
  now: number;
}

export type Verdict =
  | { state: "selected" }
  | { state: "eligible" }
  | { state: "waiting"; until: number }
  | { state: "unverified"; reason: string }
  | { state: "excluded"; reason: string }
  | { state: "unknown"; reason: string };

export interface JudgedCandidate extends Candidate, TagFacts {
  verdict: Verdict;
}

export interface FactChoice {
  /** The selected candidate, if any tag passed every rule. */
  latest: JudgedCandidate | undefined;
  /** Every candidate with its verdict, best first (for `newest`: by created time). */
  judged: JudgedCandidate[];
  /**
   * A candidate whose facts are missing could have won: the selection must not be published
   * until they are read.
   */
  undetermined: boolean;
}

/** Which facts a rule set needs for one candidate, given the facts known so far. */
export function needsFacts(rules: FactRules): { created: boolean; signature: boolean } {
  return { created: rules.newest === true || rules.minAgeMs !== undefined, signature: rules.verify === true };
}

function judge(f: TagFacts | undefined, rules: FactRules): Verdict {
  const need = needsFacts(rules);
  if (need.signature) {
    if (f?.verified === undefined) {
      const reason = f?.reason ?? "signature not checked";
      return f?.final ? { state: "excluded", reason } : { state: "unknown", reason };
    }
    if (!f.verified) return { state: "unverified", reason: f.reason ?? "not verified" };
  }
  if (need.created) {
    if (f?.createdAt === undefined) {
      const reason = f?.reason ?? "created time not read";
      return f?.final ? { state: "excluded", reason } : { state: "unknown", reason };
    }
    if (rules.minAgeMs !== undefined && f.createdAt + rules.minAgeMs > rules.now)
      return { state: "waiting", until: f.createdAt + rules.minAgeMs };
  }
  return { state: "eligible" };
}

/**
 * Applies the fact-based rules to candidates ranked by the policy (best first, every one of
 * them: `createTagSelector(policy, { top: Infinity })`). Without `newest` the best-ranked tag
 * passing every rule wins; with it, the one created last, ties going to the alphabetically
 * greatest tag (Flux's alphabetical asc).
 */
export function chooseWithFacts(
  ranked: readonly Candidate[],
  facts: ReadonlyMap<string, TagFacts>,
  rules: FactRules,
): FactChoice {
  const judged: JudgedCandidate[] = ranked.map((c) => {
    const f = facts.get(c.tag);
    return { ...f, tag: c.tag, value: c.value, verdict: judge(f, rules) };
  });
  if (rules.newest) {
    judged.sort((a, b) => {
      const x = a.createdAt ?? Number.NEGATIVE_INFINITY;
      const y = b.createdAt ?? Number.NEGATIVE_INFINITY;
      return x !== y ? y - x : compareBytes(b.tag, a.tag);
    });
  }
  let latest: JudgedCandidate | undefined;
  let undetermined = false;
  for (const c of judged) {
    if (c.verdict.state === "eligible") {
      latest = c;
      break;
    }
    if (c.verdict.state === "unknown") undetermined = true;
  }
  if (latest) latest.verdict = { state: "selected" };
  // For newest, an unknown created time sorts last but could belong to the newest image.
  if (rules.newest && judged.some((c) => c.verdict.state === "unknown")) undetermined = true;
  return { latest, judged, undetermined };
}

/** One line of explanation for a verdict, e.g. "waits until 2026-12-04T10:00:00Z (min age)". */
export function describeVerdict(v: Verdict): string {
  switch (v.state) {
    case "selected":
      return "selected";
    case "eligible":
      return "eligible";
    case "waiting":
      return `waits until ${new Date(v.until).toISOString().replace(/\.000Z$/, "Z")} (minimum age)`;
    case "unverified":
      return `unverified: ${v.reason}`;
    case "unknown":
      return `unknown: ${v.reason}`;
    case "excluded":
      return `excluded: ${v.reason}`;
  }
}
