import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let checkedBuild = false;

/** The e2e tests run what ships (bin/imagectl → bundle): refuse a build older than the sources. */
export function assertFreshBuild(): void {
  if (checkedBuild) return;
  const bundle = join(ROOT, "dist/cli/imagectl-cli.cjs");
  let built: number;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    throw new Error("dist/ is not built: run `npm run build` (scripts/test.sh does)");
  }
  const stale = (readdirSync(join(ROOT, "src"), { recursive: true }) as string[]).find(
    (f) => statSync(join(ROOT, "src", f)).mtimeMs > built,
  );
  if (stale) throw new Error(`dist/ is older than src/${stale}: run \`npm run build\``);
  checkedBuild = true;
}

/** Starts `imagectl ARGS...` as a real process: the installed command, bin/imagectl. */
export function spawnImagectl(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): ChildProcess & { output: () => string } {
  assertFreshBuild();
  const child = spawn(join(ROOT, "bin/imagectl"), args, {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  return Object.assign(child, { output: () => out });
}

/** Runs `imagectl ARGS... --home HOME` as a real process to its end: exit code and all output. */
export async function runImagectl(
  home: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; out: string }> {
  const child = spawnImagectl([...args, "--home", home], env);
  const code = await exited(child);
  return { code, out: child.output() };
}

/** Resolves when the process has exited (or immediately if it already has). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** Polls `check` until it returns a value, or throws after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

/**
 * Starts `imagectl serve` for `home` on a free loopback port (tests run daemons side by side), and
 * gives the listener's URL once the daemon has announced it in daemon.json.
 */
export function spawnServe(
  home: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): ChildProcess & { output: () => string; url: () => Promise<string> } {
  const child = spawnImagectl(["serve", "--home", home, "--listen", "127.0.0.1:0", ...args], env);
  const url = () =>
    eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${child.output()}`);
        try {
          const info = JSON.parse(readFileSync(join(home, "daemon.json"), "utf8")) as {
            pid?: number;
            url?: string;
          };
          return info.pid === child.pid ? info.url : undefined;
        } catch {
          return undefined;
        }
      },
      20_000,
      "the daemon to announce its listener",
    );
  return Object.assign(child, { url });
}
