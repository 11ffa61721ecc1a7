import type { Command } from "commander";
import { formatDuration, parseDuration } from "../api/duration.js";
import { DEFAULT_NAMESPACE } from "../api/types.js";
import type { ControllerDeps } from "../controller/controller-deps.js";
import { resolveHome } from "../store/home.js";
import { UsageError } from "./errors.js";
import type { CliContext } from "./io.js";

/** Options every command accepts, as in Flux: -n/--namespace, --timeout; plus --home for the state dir. */
export interface GlobalOptions {
  namespace: string;
  home: string;
  timeoutMs: number;
  allNamespaces: boolean;
  /** `--store postgres://…`; unset: $IMAGECTL_STORE, else the home's SQLite file. */
  store?: string;
}

export function addGlobalOptions(program: Command): void {
  program
    .option("-n, --namespace <ns>", "the namespace scope for this operation", DEFAULT_NAMESPACE)
    .option("--home <dir>", "state directory (default: $IMAGECTL_HOME or ~/.imagectl)")
    .option(
      "--store <url>",
      "a shared PostgreSQL store, postgres://USER@HOST:PORT/DB (default: $IMAGECTL_STORE, else the home's SQLite file)",
    )
    .option("--timeout <duration>", "timeout for this operation", "5m0s");
}

export function globalsOf(cmd: Command, ctx: CliContext): GlobalOptions {
  const o = cmd.optsWithGlobals() as {
    namespace: string;
    home?: string;
    timeout: string;
    allNamespaces?: boolean;
    store?: string;
  };
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(o.timeout);
  } catch {
    throw new UsageError(`--timeout: invalid duration '${o.timeout}'`);
  }
  return {
    namespace: o.namespace,
    home: resolveHome(o.home, ctx.io.env),
    timeoutMs,
    allNamespaces: Boolean(o.allNamespaces),
    ...(o.store !== undefined ? { store: o.store } : {}),
  };
}

/** Opens the store for one command; the caller must close it. */
export async function openEnv(g: GlobalOptions): Promise<ControllerDeps> {
  // Loaded on demand: the native SQLite binding is not needed by --help or `policy test`.
  const { openStore, StoreUrlError } = await import("../store/index.js");
  const store = await openStore({ home: g.home, ...(g.store !== undefined ? { store: g.store } : {}) }).catch(
    (err: unknown) => {
      // A flag's value the user typed: a usage error, without a stack trace.
      throw err instanceof StoreUrlError ? new UsageError(err.message) : err;
    },
  );
  return { store, home: g.home, now: () => new Date() };
}

/** Runs `fn` with an open environment and always closes the store. */
export async function withEnv<T>(g: GlobalOptions, fn: (env: ControllerDeps) => Promise<T>): Promise<T> {
  const env = await openEnv(g);
  try {
    return await fn(env);
  } finally {
    await env.store.close();
  }
}

/** Flux stores durations as metav1.Duration, which prints in Go's form (1m → 1m0s). */
export function durationFlag(flag: string, value: string, opts: { noHours?: boolean } = {}): string {
  const pattern = opts.noHours ? /^([0-9]+(\.[0-9]+)?(ms|s|m))+$/ : /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
  if (!pattern.test(value))
    throw new UsageError(
      `${flag}: invalid duration '${value}' (expected e.g. 30s, 5m, 1h${opts.noHours ? "; no hours" : ""})`,
    );
  return formatDuration(parseDuration(value));
}

/** `--label k=v` values into a map, validated like Kubernetes labels. */
export function parseLabels(values: string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const labels: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf("=");
    if (i <= 0) throw new UsageError(`--label: invalid label '${v}', expected key=value`);
    labels[v.slice(0, i)] = v.slice(i + 1);
  }
  return labels;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A repeatable flag that also takes comma-separated values, as Flux's string-slice flags do. */
export function collectCsv(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(",").filter((v) => v !== "")];
}
