// Process entry of the installed command: bin/imagectl runs this file (compiled to
// dist/cli/launcher/launch.cjs).
//
// It loads a CLI bundle (dist/cli/imagectl-<route>.cjs, built by scripts/bundle.mjs) through
// a V8 code cache, as Node 22's module.enableCompileCache() does; Node 20 has no such switch.
// Why: compiling and linking ~150 ES modules on every start costs 50-100 ms, more than many
// commands take to do their work. One bundle read as Latin-1 (it is ASCII) and deserialized
// from the cache of an earlier run takes a few milliseconds. Without a bundle (an unbuilt
// checkout), the unbundled ES modules run instead.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { Script } from "node:vm";

interface BundleExports {
  run(argv: string[]): Promise<number>;
  beforeCodeCache(): void;
  exitWhenFlushed(code: number): void;
}

/** Per-user cache directory (`$XDG_CACHE_HOME/imagectl`, else `~/.cache/imagectl`), or none. */
function cacheDirectory(env: NodeJS.ProcessEnv): string | undefined {
  if (env.IMAGECTL_NO_COMPILE_CACHE) return undefined;
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, ".cache") : undefined);
  return base ? join(base, "imagectl") : undefined;
}

function readCache(file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Atomic (rename) and best effort: a read-only or full disk only means no cache. Caches of
 * the same route for other builds or Node versions are removed, so upgrades leave no litter.
 */
function writeCache(file: string, route: string, data: Buffer): void {
  try {
    const dir = dirname(file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, file);
    const current = basename(file);
    for (const name of readdirSync(dir)) {
      if (name.startsWith(`${route}-`) && name.endsWith(".v8cache") && name !== current)
        rmSync(join(dir, name), { force: true });
    }
  } catch {
    // ignored: see above
  }
}

/** `IMAGECTL_TRACE_STARTUP=1`: what the launcher did, with milliseconds since the process started. */
function trace(message: string): void {
  if (process.env.IMAGECTL_TRACE_STARTUP)
    process.stderr.write(`imagectl startup: ${message} (${performance.now().toFixed(1)} ms)\n`);
}

/**
 * `imagectl policy test --image` is a short process, run in loops and pipelines. V8 starts
 * compiling a function with its optimizing compiler once it has run a few budgets of 66 KB of
 * bytecode. On a 20,000-tag registry answer that is nine functions of the parsing and selection
 * loops, compiled on a background thread while the loops are almost done. Their memory (~2 MB of
 * fresh pages, each ~20 us on the VMs this was measured on) and the wait at exit for compiles
 * still running cost more than the optimized code saves. A 16x budget leaves the optimizing
 * compiler to larger answers. A tags file keeps V8's defaults: files are where lists of 100k and
 * 1M tags come from, and those took 7-8% longer with the raised budget.
 *
 * The flag is set before any bundle code is compiled, because V8 checks its flags against every
 * code cache. That includes Node's caches of its own modules: one loaded for the first time after
 * the change is compiled from source (~7 ms for node:http and node:net), so those two are loaded
 * first. The bundle's cache is kept apart from the one of untuned runs (see launch).
 *
 * Only on Node 20 (V8 11.3), where it was measured: V8 prints an error for a flag it does not know,
 * and another V8's tiering needs its own measurements. Best effort: if the flag is refused, the
 * command runs as before. Returns whether V8's flags were changed.
 */
function tuneV8For(route: string, argv: readonly string[]): boolean {
  if (route !== "policy-test" || !process.versions.v8.startsWith("11.3.")) return false;
  if (!argv.some((a) => a === "--image" || a.startsWith("--image="))) return false;
  try {
    require("node:http");
    require("node:net");
    (require("node:v8") as typeof import("node:v8")).setFlagsFromString("--interrupt-budget=1048576");
  } catch {
    return false;
  }
  trace("V8 interrupt budget raised for a short run");
  return true;
}

function launch(): void {
  // The rule of entry.ts's routeOf (not imported: this file runs before any bundle is loaded).
  const route = process.argv[2] === "policy" && process.argv[3] === "test" ? "policy-test" : "cli";
  // The bundles sit in dist/cli, where the ES modules they stand in for are (see scripts/bundle.mjs).
  const bundleDir = dirname(__dirname);
  const bundle = join(bundleDir, `imagectl-${route}.cjs`);
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(bundle);
  } catch {
    trace("no bundle, running the ES modules");
    import("../bin.js");
    return;
  }
  // V8 rejects a cache made under other flags: runs with a raised budget keep their own.
  const cacheRoute = tuneV8For(route, process.argv) ? `${route}+v8budget` : route;
  const source = readFileSync(bundle, "latin1");
  // V8 checks a cache against the source's length only, so the name carries the bundle's
  // identity (size, mtime, inode, as Python's .pyc does) and the Node version and platform.
  const dir = cacheDirectory(process.env);
  const cacheFile = dir
    ? join(
        dir,
        `${cacheRoute}-node${process.version}-${process.platform}-${process.arch}-${stat.size}-${Math.trunc(Number(stat.mtimeMs))}-${stat.ino}.v8cache`,
      )
    : undefined;
  const cachedData = readCache(cacheFile);
  // No importModuleDynamically: the bundles hold no import() (scripts/bundle.mjs checks), since
  // Node 20 drops that callback for a script deserialized from a code cache.
  // The bundle's text is already a function of CommonJS's parameters (scripts/bundle.mjs).
  const script = new Script(source, { filename: bundle, cachedData });
  const accepted = cachedData !== undefined && !script.cachedDataRejected;
  trace(`code cache ${cacheFile ? (accepted ? "hit" : cachedData ? "rejected" : "miss") : "off"}`);
  const module = { exports: {} as BundleExports };
  const init = script.runInThisContext() as (
    exports: object,
    require: NodeJS.Require,
    module: { exports: BundleExports },
    filename: string,
    dirname: string,
  ) => void;
  init(module.exports, createRequire(bundle), module, bundle, bundleDir);
  const cli = module.exports;
  trace("bundle loaded");
  cli.run(process.argv).then(
    (code) => {
      trace("command done");
      // After the command: the cache then holds every function this command line compiled.
      if (cacheFile && !accepted) {
        cli.beforeCodeCache();
        writeCache(cacheFile, cacheRoute, script.createCachedData());
        trace(`code cache written to ${cacheFile}`);
      }
      cli.exitWhenFlushed(code);
    },
    (err: unknown) => {
      process.stderr.write(`✗ ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

launch();
