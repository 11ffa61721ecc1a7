import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exited, spawnImagectl } from "../support/imagectl-process.js";

// `policy test` honours the global --timeout (Flux's: the whole command) for the registry listing,
// and applies the daemon's --policy-timeout to the selection, with the daemon's wording.
// Real processes (the installed command): the V8 regexp engine is the one users get.
let silent: Server;
let silentHost: string;
const held = new Set<Socket>();
let dir: string;

beforeAll(async () => {
  // A "registry" that accepts connections and never answers a byte.
  silent = createServer((socket) => {
    held.add(socket);
    socket.on("close", () => held.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const address = silent.address();
  silentHost = `127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  dir = mkdtempSync(join(tmpdir(), "imagectl-policy-test-timeouts-"));
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number | null; output: string; ms: number }> {
  const t0 = Date.now();
  const child = spawnImagectl(args, { IMAGECTL_HOME: join(dir, "home"), DOCKER_CONFIG: dir });
  const code = await exited(child);
  return { code, output: child.output(), ms: Date.now() - t0 };
}

describe("policy test --timeout and --policy-timeout", () => {
  it("gives up on a registry that never answers at --timeout, naming the image", async () => {
    const image = `${silentHost}/stalled/app`;
    const r = await run(["policy", "test", "--image", image, "--select-alpha", "asc", "--timeout", "2s"]);
    expect(r.code).toBe(1);
    expect(r.output).toContain(image);
    expect(r.output).toMatch(/did not finish within 2000 ms \(--timeout\)/);
    // The registry client's own default is 60 s: the flag, not that, ended it.
    expect(r.ms).toBeLessThan(20_000);
  }, 60_000);

  it("stops a catastrophic pattern at --policy-timeout and explains it as the daemon does", async () => {
    const file = join(dir, "tags.txt");
    writeFileSync(
      file,
      `${Array.from({ length: 100_000 }, (_, i) => `${"a".repeat(30)}-${i}`).join("\n")}\n`,
    );
    const args = [
      "policy",
      "test",
      "--tags-file",
      file,
      "--select-alpha",
      "asc",
      "--filter-regex",
      "^(a+)+$",
    ];
    const text = await run([...args, "--policy-timeout", "1s"]);
    expect(text.code).toBe(1);
    expect(text.output).toMatch(/^no tag selected\n\ntags read: {7}\d+\n/);
    expect(text.output).toMatch(
      /✗ policy evaluation stopped after 1\.\d\ds \(limit 1\.00s; \d+ tags read\) with filterTags\.pattern '\^\(a\+\)\+\$'\n$/,
    );
    const json = await run([...args, "--policy-timeout", "1s", "-o", "json"]);
    expect(json.code).toBe(1);
    const answer = JSON.parse(json.output.split("\n")[0] ?? "") as {
      latest: null;
      error: string;
      counts: { read: number };
    };
    expect(answer.latest).toBeNull();
    expect(answer.error).toMatch(/^policy evaluation stopped after 1\.\d\ds \(limit 1\.00s;/);
    expect(answer.counts.read).toBeLessThan(100_000);
    // A shorter --timeout bounds the selection too.
    const bounded = await run([...args, "--timeout", "500ms"]);
    expect(bounded.code).toBe(1);
    expect(bounded.output).toMatch(/\(limit 0\.\d\ds; \d+ tags read\)/);
  }, 60_000);

  it("rejects a bad duration with exit 2, naming the flag", async () => {
    const r = await run([
      "policy",
      "test",
      "--tags-file",
      "-",
      "--select-alpha",
      "asc",
      "--policy-timeout",
      "soon",
    ]);
    expect(r.code).toBe(2);
    expect(r.output).toContain("--policy-timeout: invalid duration 'soon'");
  }, 30_000);
});
