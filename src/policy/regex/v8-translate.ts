import { re2js } from "./re2js-module.js";

/**
 * Translates an already validated Go RE2 pattern into a V8 RegExp source that gives
 * the same leftmost-first match and submatches **for ASCII-only input**.
 *
 * Why ASCII-only: V8's linear-time engine (our ReDoS guard) refuses the `u` and `i`
 * flags, and OCI tags are ASCII by grammar. Restricting inputs to ASCII lets every
 * character-like atom (literal, class, `.`, `\pL`, `[[:alpha:]]`, folded letters) be
 * reduced to an explicit set of ASCII code units, computed by re2js itself so that
 * Go's class semantics are never re-implemented by hand. Non-ASCII input is matched by
 * re2js instead (see go-regex.ts).
 *
 * Returns undefined when the pattern uses something whose JS semantics differ from Go's
 * (multi-line anchors, scoped or non-leading flags, ungreedy mode, octal escapes,
 * repetition of an empty-matching body, captures nested inside a repeated group: JS
 * resets them per iteration, Go keeps the last participating value). Callers then use re2js.
 */
export function translateToAsciiV8(pattern: string): string | undefined {
  try {
    const parser = new Parser(pattern);
    const node = parser.parse();
    return emit(node);
  } catch (err) {
    if (err instanceof Untranslatable) return undefined;
    throw err;
  }
}

class Untranslatable extends Error {
  override name = "Untranslatable";
}

type CharSet = Uint8Array; // 128 entries, 1 = member

type Node =
  | { kind: "set"; set: CharSet }
  | { kind: "assert"; text: string }
  | { kind: "group"; capture: boolean; body: Node }
  | { kind: "concat"; items: Node[] }
  | { kind: "alt"; branches: Node[] }
  | { kind: "repeat"; body: Node; min: number; max: number; greedy: boolean };

const REPEAT = /^\{(\d+)(?:(,)(\d*))?\}/;

class Parser {
  private i = 0;
  private fold = false;
  private dotNL = false;
  private multiLine = false;
  private readonly classCache = new Map<string, CharSet>();

  constructor(private readonly src: string) {}

  parse(): Node {
    this.leadingFlags();
    const node = this.alt();
    if (this.i < this.src.length) throw new Untranslatable(); // stray ')' cannot happen after validation
    return node;
  }

  /** Only flags at the very start apply to the whole pattern; V8 has no scoped flags. */
  private leadingFlags(): void {
    for (;;) {
      const m = /^\(\?([a-zA-Z-]*)\)/.exec(this.src.slice(this.i));
      if (!m) return;
      for (const f of m[1] ?? "") {
        if (f === "i") this.fold = true;
        else if (f === "s") this.dotNL = true;
        else if (f === "m") this.multiLine = true;
        else throw new Untranslatable(); // U (ungreedy) or negation
      }
      this.i += m[0].length;
    }
  }

  private alt(): Node {
    const branches = [this.concat()];
    while (this.src[this.i] === "|") {
      this.i++;
      branches.push(this.concat());
    }
    return branches.length === 1 ? (branches[0] as Node) : { kind: "alt", branches };
  }

  private concat(): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.src[this.i] !== "|" && this.src[this.i] !== ")") {
      items.push(this.repeat(this.atom()));
    }
    return items.length === 1 ? (items[0] as Node) : { kind: "concat", items };
  }

  private repeat(atom: Node): Node {
    let node = atom;
    for (;;) {
      const c = this.src[this.i];
      let min: number;
      let max: number;
      if (c === "*") [min, max] = [0, -1];
      else if (c === "+") [min, max] = [1, -1];
      else if (c === "?") [min, max] = [0, 1];
      else if (c === "{") {
        const m = REPEAT.exec(this.src.slice(this.i));
        if (!m) return node; // Go reads a malformed `{` as a literal; atom() handles it next
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === "" ? -1 : Number(m[3]);
        this.i += m[0].length - 1;
      } else return node;
      this.i++;
      let greedy = true;
      if (this.src[this.i] === "?") {
        greedy = false;
        this.i++;
      }
      if (nullable(node)) throw new Untranslatable();
      // A repeated group that is itself the only capture reports its last iteration in
      // both engines; captures nested deeper are reset per iteration in JS, not in Go.
      const lastIterationOnly = node.kind === "group" && node.capture && !hasCapture(node.body);
      if (max !== 1 && hasCapture(node) && !lastIterationOnly) throw new Untranslatable();
      node = { kind: "repeat", body: node, min, max, greedy };
    }
  }

  private atom(): Node {
    const c = this.src[this.i];
    switch (c) {
      case "(":
        return this.group();
      case "[":
        return this.bracket();
      case ".": {
        this.i++;
        const set = new Uint8Array(128).fill(1);
        if (!this.dotNL) set[10] = 0;
        return { kind: "set", set };
      }
      case "^":
      case "$":
        this.i++;
        if (this.multiLine) throw new Untranslatable(); // JS `m` also breaks lines at \r
        return { kind: "assert", text: c };
      case "\\":
        return this.escape();
      default:
        return this.literal();
    }
  }

  private group(): Node {
    const rest = this.src.slice(this.i);
    let capture = true;
    const named = /^\(\?P?<[^>]*>/.exec(rest);
    if (named) this.i += named[0].length;
    else if (rest.startsWith("(?:")) {
      capture = false;
      this.i += 3;
    } else if (rest.startsWith("(?"))
      throw new Untranslatable(); // scoped or mid-pattern flags
    else this.i++;
    const body = this.alt();
    if (this.src[this.i] !== ")") throw new Untranslatable();
    this.i++;
    return { kind: "group", capture, body };
  }

  private escape(): Node {
    const c = this.src[this.i + 1] ?? "";
    const start = this.i;
    this.i += 2;
    if ("dDwWsS".includes(c)) return this.classNode(`\\${c}`);
    if (c === "p" || c === "P") {
      if (this.src[this.i] === "{") {
        const end = this.src.indexOf("}", this.i);
        if (end < 0) throw new Untranslatable();
        this.i = end + 1;
      } else this.i += 1;
      return this.classNode(this.src.slice(start, this.i));
    }
    if (c === "b" || c === "B") return { kind: "assert", text: `\\${c}` };
    if (c === "A") return { kind: "assert", text: "^" };
    if (c === "z") return { kind: "assert", text: "$" };
    if (c === "Q") {
      const end = this.src.indexOf("\\E", this.i);
      const text = this.src.slice(this.i, end < 0 ? this.src.length : end);
      this.i = end < 0 ? this.src.length : end + 2;
      const items: Node[] = [];
      for (const ch of text) items.push(this.literalSet(ch.codePointAt(0) ?? 0));
      // \Q..\E is one concatenation; a following quantifier applies to its last char in Go,
      // which the concat shape below would get wrong, so wrap only single chars.
      if (items.length === 1) return items[0] as Node;
      if (/^[*+?{]/.test(this.src.slice(this.i))) throw new Untranslatable();
      return { kind: "group", capture: false, body: { kind: "concat", items } };
    }
    if (c === "x") {
      const m = /^(?:\{([0-9A-Fa-f]+)\}|([0-9A-Fa-f]{2}))/.exec(this.src.slice(this.i));
      if (!m) throw new Untranslatable();
      this.i += m[0].length;
      return this.literalSet(Number.parseInt(m[1] ?? m[2] ?? "", 16));
    }
    const simple: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };
    const code = simple[c];
    if (code !== undefined) return this.literalSet(code);
    const cp = c.codePointAt(0) ?? 0;
    if (cp < 128 && !/[0-9A-Za-z]/.test(c)) return this.literalSet(cp);
    throw new Untranslatable(); // octal escapes and anything unusual
  }

  private bracket(): Node {
    const s = this.src;
    let j = this.i + 1;
    if (s[j] === "^") j++;
    if (s[j] === "]") j++; // a leading ']' is literal in Go
    for (;;) {
      if (j >= s.length) throw new Untranslatable();
      if (s.startsWith("[:", j)) {
        const end = s.indexOf(":]", j + 2);
        if (end < 0) throw new Untranslatable();
        j = end + 2;
      } else if (s[j] === "\\") {
        const e = s[j + 1];
        if ((e === "p" || e === "P" || e === "x") && s[j + 2] === "{") {
          const end = s.indexOf("}", j);
          if (end < 0) throw new Untranslatable();
          j = end + 1;
        } else if (e === "p" || e === "P") j += 3;
        else if (e === "x") j += 4;
        else if (e !== undefined && e >= "0" && e <= "7") throw new Untranslatable();
        else j += 2;
      } else if (s[j] === "]") break;
      else j += (s.codePointAt(j) ?? 0) > 0xffff ? 2 : 1;
    }
    const text = s.slice(this.i, j + 1);
    this.i = j + 1;
    return this.classNode(text);
  }

  private literal(): Node {
    const cp = this.src.codePointAt(this.i) ?? 0;
    this.i += cp > 0xffff ? 2 : 1;
    return this.literalSet(cp);
  }

  private literalSet(cp: number): Node {
    const set = new Uint8Array(128);
    if (cp < 128) {
      set[cp] = 1;
      if (this.fold) {
        const ch = String.fromCharCode(cp);
        set[ch.toLowerCase().charCodeAt(0)] = 1;
        set[ch.toUpperCase().charCodeAt(0)] = 1;
      }
    } else if (this.fold) {
      // Non-ASCII letters can fold onto ASCII ones (Kelvin sign → k): ask re2js.
      return this.classNode(`\\x{${cp.toString(16)}}`);
    }
    return { kind: "set", set };
  }

  /** The ASCII members of a Go class, computed by re2js so Go's definitions apply. */
  private classNode(text: string): Node {
    const key = `${this.fold ? "i" : ""}:${text}`;
    let set = this.classCache.get(key);
    if (!set) {
      const re = re2js().RE2JS.compile(`${this.fold ? "(?i)" : ""}(?:${text})`);
      set = new Uint8Array(128);
      for (let c = 0; c < 128; c++) if (re.testExact(String.fromCharCode(c))) set[c] = 1;
      this.classCache.set(key, set);
    }
    return { kind: "set", set };
  }
}

function nullable(n: Node): boolean {
  switch (n.kind) {
    case "set":
      return false;
    case "assert":
      return true;
    case "group":
      return nullable(n.body);
    case "concat":
      return n.items.every(nullable);
    case "alt":
      return n.branches.some(nullable);
    case "repeat":
      return n.min === 0 || nullable(n.body);
  }
}

function hasCapture(n: Node): boolean {
  switch (n.kind) {
    case "set":
    case "assert":
      return false;
    case "group":
      return n.capture || hasCapture(n.body);
    case "concat":
      return n.items.some(hasCapture);
    case "alt":
      return n.branches.some(hasCapture);
    case "repeat":
      return hasCapture(n.body);
  }
}

function emit(n: Node): string {
  switch (n.kind) {
    case "set":
      return emitSet(n.set);
    case "assert":
      return n.text;
    case "group":
      return `${n.capture ? "(" : "(?:"}${emit(n.body)})`;
    case "concat":
      return n.items.map((item) => (item.kind === "alt" ? `(?:${emit(item)})` : emit(item))).join("");
    case "alt":
      return n.branches.map(emit).join("|");
    case "repeat": {
      const body = n.body.kind === "set" || n.body.kind === "group" ? emit(n.body) : `(?:${emit(n.body)})`;
      let q: string;
      if (n.min === 0 && n.max === -1) q = "*";
      else if (n.min === 1 && n.max === -1) q = "+";
      else if (n.min === 0 && n.max === 1) q = "?";
      else if (n.max === -1) q = `{${n.min},}`;
      else if (n.max === n.min) q = `{${n.min}}`;
      else q = `{${n.min},${n.max}}`;
      return `${body}${q}${n.greedy ? "" : "?"}`;
    }
  }
}

function hex(c: number): string {
  return `\\x${c.toString(16).padStart(2, "0")}`;
}

function emitChar(c: number): string {
  return /[0-9A-Za-z]/.test(String.fromCharCode(c)) ? String.fromCharCode(c) : hex(c);
}

function emitSet(set: CharSet): string {
  const ranges: [number, number][] = [];
  for (let c = 0; c < 128; c++) {
    if (!set[c]) continue;
    const last = ranges[ranges.length - 1];
    if (last && last[1] === c - 1) last[1] = c;
    else ranges.push([c, c]);
  }
  if (ranges.length === 0) return "[]"; // never matches: the atom only admits non-ASCII
  const only = ranges[0] as [number, number];
  if (ranges.length === 1 && only[0] === only[1]) return emitChar(only[0]);
  if (ranges.length === 1 && only[0] === 0 && only[1] === 127) return "[\\s\\S]";
  return `[${ranges.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join("")}]`;
}
