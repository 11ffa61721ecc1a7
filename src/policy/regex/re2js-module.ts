import { createRequire } from "node:module";
import type * as Re2js from "re2js";

// Why on demand: re2js is ~260 KB of JavaScript (10-20 ms to load and compile in a fresh
// process), and a policy without a filter pattern, exclusion pattern or semver range never
// uses it. `require` keeps pattern compilation synchronous; every caller goes through here so
// that one module instance (one RE2JSException class) is in use. The require function itself is
// made on demand too: the engine's modules are loaded at every start (the CLI's entry hands in
// the regexp switch), and createRequire costs a fraction of a millisecond.
let loaded: typeof Re2js | undefined;

export function re2js(): typeof Re2js {
  loaded ??= createRequire(import.meta.url)("re2js") as typeof Re2js;
  return loaded;
}
