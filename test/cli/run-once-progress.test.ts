import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { assertFreshBuild, exited, spawnImagectl } from "../support/imagectl-process.js";
import { repositoryWithPolicy } from "../support/manifests.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

const BIN = fileURLToPath(new URL("../../bin/imagectl", import.meta.url));
const ERASE = "\r\x1b[K";
const REPOS = 3;

/** Runs the built command on a pseudo-terminal (util-linux `script`): stdout and stderr, as a person sees them. */
async function onTerminal(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string }> {
  assertFreshBuild();
  const command = [BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const child = spawn("script", ["-qec", command, "/dev/null"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const code = await exited(child);
  return { code, out };
}

describe("run --once progress", () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let home: string;
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const { CI: _ci, ...rest } = process.env;
    return { ...rest, NO_COLOR: "1", TERM: "xterm", ...extra };
  };
  // Each scan answers late, so the run lasts long enough for the line to show an object at work.
  const slowScans = () =>
    proxy.inject(...Array.from({ length: REPOS * 3 }, () => ({ kind: "slow" as const, delayMs: 150 })));

  beforeAll(async () => {
    registry = await startRegistry({ mode: "plain" });
    proxy = await startFaultProxy(registry.url);
    home = mkdtempSync(join(tmpdir(), "imagectl-progress-"));
    const docs: string[] = [];
    for (let i = 0; i < REPOS; i++) {
      await registry.pushTags(`fleet/app${i}`, ["1.0.0", "1.1.0"]);
      docs.push(repositoryWithPolicy(`app${i}`, `image: ${proxy.host}/fleet/app${i}, interval: 1h`));
    }
    const manifest = join(home, "fleet.yaml");
    writeFileSync(manifest, docs.join("---\n"));
    expect((await runCli(["apply", "-f", manifest, "--no-wait", "--home", home])).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("on a terminal: done / failed / remaining and the object at work on one line, erased before the summary", async () => {
    slowScans();
    const { code, out } = await onTerminal(["run", "--once", "--home", home], env());
    expect(code).toBe(0);
    expect(out).toContain(`${ERASE}run --once: 0 done, 0 failed, ${REPOS * 2} remaining`);
    expect(out).toMatch(
      /run --once: \d+ done, \d+ failed, \d+ remaining · ImageRepository flux-system\/app\d/,
    );
    // The line rewrites itself: no newline between two of its states; the summary follows the last erase.
    const live = out.slice(out.indexOf(ERASE), out.lastIndexOf(ERASE));
    expect(live).not.toMatch(/[\n]/);
    const after = out.slice(out.lastIndexOf(ERASE) + ERASE.length);
    expect(after).toMatch(/^KIND\s+NAME\s+READY\s+MESSAGE/);
    expect(after).toContain(`${REPOS * 2} objects reconciled, 0 not ready`);
  });

  it("in logs and CI: only the summary it always printed", async () => {
    slowScans();
    const piped = spawnImagectl(["run", "--once", "--home", home], env());
    expect(await exited(piped)).toBe(0);
    slowScans();
    const ci = await onTerminal(["run", "--once", "--home", home], env({ CI: "true" }));
    expect(ci.code).toBe(0);
    for (const out of [piped.output(), ci.out]) {
      expect(out).not.toContain("\x1b[K");
      expect(out).not.toContain("remaining");
      expect(out).toMatch(/^KIND\s+NAME\s+READY\s+MESSAGE/);
      expect(out).toContain(`${REPOS * 2} objects reconciled, 0 not ready`);
    }
  });
});
