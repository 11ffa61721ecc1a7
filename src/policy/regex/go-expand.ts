import type { GoMatch } from "./go-regex.js";

/**
 * Go `Regexp.ExpandString` for one template, compiled once: `$name`, `${name}`, `$1`,
 * `${1}`, `$$`. A name is the longest run of Unicode letters, digits and `_`; a run of
 * digits without a leading zero (and below 1e8) is a group number, anything else a
 * group name. Unknown names/numbers and groups that did not participate expand to "".
 * A malformed `$` (`${`, `${x`, `$` at the end, `$-`) is copied literally.
 * Hand-written because no library implements Go's template rules.
 */
export interface CompiledTemplate {
  /** Names referenced as `$name`/`${name}` that are not group numbers. */
  readonly names: readonly string[];
  expand(match: GoMatch): string;
}

type Part = string | number; // literal text | group index (-1 = unknown group)

// Made on first use: a \p{…} class takes V8 ~0.1 ms to build, and this module is loaded at every
// start of the CLI (its entry hands the regexp switch to the engine).
let nameChar: RegExp | undefined;

function readName(s: string, from: number): number {
  nameChar ??= /[\p{L}\p{Nd}_]/u;
  let i = from;
  while (i < s.length) {
    const cp = s.codePointAt(i) ?? 0;
    const ch = String.fromCodePoint(cp);
    if (!nameChar.test(ch)) break;
    i += ch.length;
  }
  return i;
}

function groupNumber(name: string): number {
  if (!/^[0-9]+$/.test(name)) return -1;
  if (name.length > 1 && name[0] === "0") return -1;
  // Go gives up once the value reaches 1e8 before the last digit: 10+ digits are a name.
  if (name.length > 9) return -1;
  return Number(name);
}

export function compileTemplate(template: string, groupNames: ReadonlyMap<string, number>): CompiledTemplate {
  const parts: Part[] = [];
  const names: string[] = [];
  let text = "";
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf("$", i);
    if (dollar < 0) {
      text += template.slice(i);
      break;
    }
    text += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === "$") {
      text += "$";
      i++;
      continue;
    }
    const brace = template[i] === "{";
    const nameStart = brace ? i + 1 : i;
    const nameEnd = readName(template, nameStart);
    if (nameEnd === nameStart || (brace && template[nameEnd] !== "}")) {
      text += "$"; // malformed: the '$' is raw text, scanning resumes after it
      continue;
    }
    const name = template.slice(nameStart, nameEnd);
    i = brace ? nameEnd + 1 : nameEnd;
    let index = groupNumber(name);
    if (index < 0) {
      names.push(name);
      index = groupNames.get(name) ?? -1;
    }
    if (text) parts.push(text);
    text = "";
    parts.push(index);
  }
  if (text) parts.push(text);
  return { names, expand: expander(parts) };
}

function expander(parts: readonly Part[]): (m: GoMatch) => string {
  const only = parts[0];
  // The common `$ts` template: no string building per tag.
  if (parts.length === 1 && typeof only === "number") return (m) => (only >= 0 ? (m[only] ?? "") : "");
  if (parts.length === 1 && typeof only === "string") return () => only;
  if (parts.length === 0) return () => "";
  return (m) => {
    let out = "";
    for (const p of parts) out += typeof p === "string" ? p : p >= 0 ? (m[p] ?? "") : "";
    return out;
  };
}
