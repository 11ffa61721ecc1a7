import type { RE2JS } from "re2js";
import { RegexSyntaxError } from "../errors.js";
import { re2js } from "./re2js-module.js";
import { compileLinearSafe } from "./v8-linear.js";
import { translateToAsciiV8 } from "./v8-translate.js";

/** Submatches of the leftmost-first match: [0] whole match, undefined = group did not participate. */
export type GoMatch = readonly (string | undefined)[];

/** A compiled Go RE2 pattern, unanchored, leftmost-first, linear time for any input. */
export interface GoRegex {
  readonly source: string;
  /** Engine used for ASCII input; non-ASCII input always goes to re2js. */
  readonly engine: "v8" | "re2js";
  /** Number of capture groups (group 0 excluded). */
  readonly groupCount: number;
  /** Capture group name → index. */
  readonly groupNames: ReadonlyMap<string, number>;
  /** `ascii`: the caller knows the input is ASCII-only, so the per-input check is skipped. */
  test(input: string, ascii?: boolean): boolean;
  exec(input: string, ascii?: boolean): GoMatch | null;
}

/** Any char outside ASCII: such input is matched by re2js (see v8-translate.ts). */
const NON_ASCII = /[^\0-\x7f]/;

/**
 * Compiles `pattern` with Go regexp syntax. re2js validates it (so every construct RE2
 * rejects — backreferences, lookaround, possessive repeats — fails with Go's message)
 * and matches anything V8 cannot match identically; V8 runs the rest.
 * @throws RegexSyntaxError with Go's "error parsing regexp: …" message.
 */
export function compileGoRegex(pattern: string): GoRegex {
  const { re2, translated } = compiled(pattern);
  const groupNames = new Map(Object.entries(re2.namedGroups()));
  const groupCount = re2.groupCount();
  const re2Exec = (input: string): GoMatch | null => {
    const m = re2.matcher(input);
    if (!m.find()) return null;
    const out: (string | undefined)[] = [];
    for (let g = 0; g <= groupCount; g++) out.push(m.group(g) ?? undefined);
    return out;
  };
  const v8 = translated === undefined ? undefined : compileLinearSafe(translated);
  if (!v8) {
    return {
      source: pattern,
      engine: "re2js",
      groupCount,
      groupNames,
      test: (input) => re2.test(input),
      exec: re2Exec,
    };
  }
  return {
    source: pattern,
    engine: "v8",
    groupCount,
    groupNames,
    test: (input, ascii) => (ascii !== true && NON_ASCII.test(input) ? re2.test(input) : v8.test(input)),
    exec: (input, ascii) => (ascii !== true && NON_ASCII.test(input) ? re2Exec(input) : v8.exec(input)),
  };
}

/**
 * What a pattern compiles to before any RegExp is made, by pattern: the re2js program and the V8
 * translation. Both are most of compileGoRegex's cost (~0.1 ms each), and a fleet repeats its
 * patterns (1,000 policies with one filter: every reconcile compiled it twice). Both are immutable
 * (each re2js match makes its own matcher), so they can be shared. The V8 RegExp is made anew each
 * time: it must be created while the linear-engine flags are on (v8-linear.ts).
 */
interface Compiled {
  re2: RE2JS;
  translated: string | undefined;
}

const CACHE_SIZE = 256;
const cache = new Map<string, Compiled>();

function compiled(pattern: string): Compiled {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const { RE2JS, RE2JSException } = re2js();
  let re2: RE2JS;
  try {
    re2 = RE2JS.compile(pattern);
  } catch (err) {
    if (err instanceof RE2JSException) throw new RegexSyntaxError(pattern, err.message);
    throw err;
  }
  const entry = { re2, translated: translateToAsciiV8(pattern) };
  // Oldest out first (a Map iterates in insertion order).
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(pattern, entry);
  return entry;
}
