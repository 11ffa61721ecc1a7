import { RE2JS } from "re2js";

/** A glob given by `--include` or the include annotation is not valid. */
export class IncludeGlobError extends Error {
  override name = "IncludeGlobError";
}

const MAX_GLOBS = 32;
const MAX_GLOB_LENGTH = 256;

/**
 * The RE2 pattern of one glob over '/'-separated paths: `**` any number of directories, `*` and
 * `?` within one name, `[…]` a character class, `{a,b}` alternatives. Run by re2js so matching is
 * linear in the path whatever the glob (`**` after `**` backtracks badly in V8's engine).
 */
function globToRe2(glob: string): string {
  let out = "";
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      const slash = glob[i + 2] === "/";
      out += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) throw new IncludeGlobError(`glob "${glob}": unclosed '['`);
      const body = glob
        .slice(i + 1, end)
        .replace(/^!/, "^")
        .replaceAll("\\", "\\\\");
      out += `[${body}]`;
      i = end;
    } else if (c === "{") {
      braces++;
      out += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      out += ")";
    } else if (c === "," && braces > 0) out += "|";
    else out += c.replace(/[\\^$.|+(){}[\]]/, "\\$&");
  }
  if (braces > 0) throw new IncludeGlobError(`glob "${glob}": unclosed '{'`);
  return `^${out}$`;
}

/** Compiles include globs into one predicate over paths relative to the scanned root. */
export function compileIncludeGlobs(globs: readonly string[]): (path: string) => boolean {
  if (globs.length === 0) return () => false;
  if (globs.length > MAX_GLOBS)
    throw new IncludeGlobError(`at most ${MAX_GLOBS} include globs, got ${globs.length}`);
  const compiled = globs.map((g) => {
    if (g === "" || g.length > MAX_GLOB_LENGTH)
      throw new IncludeGlobError(`glob "${g.slice(0, 40)}": must be 1 to ${MAX_GLOB_LENGTH} characters`);
    if (g.startsWith("/") || g.split("/").includes(".."))
      throw new IncludeGlobError(`glob "${g}": must be relative and stay inside the update path`);
    try {
      return RE2JS.compile(globToRe2(g));
    } catch (e) {
      if (e instanceof IncludeGlobError) throw e;
      throw new IncludeGlobError(`glob "${g}": ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  return (path) => compiled.some((re) => re.matches(path));
}

/** The globs of the include annotation or flag: separated by new lines or by commas outside `{…}`. */
export function splitIncludeGlobs(value: string | undefined): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of value ?? "") {
    if (c === "{") depth++;
    else if (c === "}" && depth > 0) depth--;
    if (c === "\n" || (c === "," && depth === 0)) {
      out.push(current);
      current = "";
    } else current += c;
  }
  out.push(current);
  return out.map((g) => g.trim()).filter((g) => g !== "");
}
