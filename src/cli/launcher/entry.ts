/**
 * The CLI as one call, shared by both process entries: dist/cli/launcher/launch.cjs (through the
 * bundles, the installed `imagectl`) and bin.ts (unbundled, used by tests and `tsx`).
 */
import { useLinearRegexpEngine } from "../../policy/index.js";
import { restoreDefaultRegexpFlags, turnOnLinearRegexpEngine } from "./regexp-flags.js";

/** The launcher's name for NODE_EXTRA_CA_CERTS while Node starts (see bin/imagectl). */
export const DEFERRED_CA_VARIABLE = "IMAGECTL_DEFERRED_EXTRA_CA_CERTS";

/**
 * Puts NODE_EXTRA_CA_CERTS back under its own name before anything reads the environment,
 * so child processes (credential helpers, git) inherit it unchanged. The registry client adds
 * the file's certificates to its TLS connections itself (src/registry/dispatcher.ts).
 */
export function restoreDeferredCaCerts(env: NodeJS.ProcessEnv): void {
  const deferred = env[DEFERRED_CA_VARIABLE];
  if (deferred === undefined) return;
  env.NODE_EXTRA_CA_CERTS = deferred;
  delete env[DEFERRED_CA_VARIABLE];
}

/** What the process sets up before any command runs: its environment and V8 switches. */
function prepareProcess(): void {
  restoreDeferredCaCerts(process.env);
  useLinearRegexpEngine(turnOnLinearRegexpEngine);
}

/** Which entry a command line goes to: code caches are kept per route. */
export function routeOf(argv: readonly string[]): "policy-test" | "cli" {
  // `policy test` runs in loops and pipelines: its entry loads no store, controller or Git
  // code. Global options before the command (`imagectl -n x policy test`) take the full CLI,
  // which accepts the same command with the same behaviour.
  return argv[2] === "policy" && argv[3] === "test" ? "policy-test" : "cli";
}

/** The `run` of an entry whose command tree is `main`: each bundle has one (scripts/bundle.mjs). */
export function runWith(main: (argv: string[]) => Promise<number>): (argv: string[]) => Promise<number> {
  return (argv) => {
    prepareProcess();
    return main(argv);
  };
}

/**
 * Called by the launcher once the command is done, right before it writes a V8 code cache:
 * V8 checks a cache against the flags of the process reading it, so flags a command changed
 * while it ran (the regexp engine's, see regexp-flags.ts) go back to how the next start has them.
 */
export function beforeCodeCache(): void {
  restoreDefaultRegexpFlags();
}

/** Runs one command line; resolves to the process exit code. */
export async function run(argv: string[]): Promise<number> {
  prepareProcess();
  const { main } =
    routeOf(argv) === "policy-test" ? await import("./policy-test-main.js") : await import("../main.js");
  return main(argv);
}

/**
 * Ends the process once stdout and stderr are flushed. Why not let the event loop drain: every
 * command awaits its own work before returning, and what is left then is V8 finishing
 * background compilations of code that will never run again (10-30 ms on two cores).
 */
export function exitWhenFlushed(code: number): void {
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write("", done);
  process.stderr.write("", done);
}
