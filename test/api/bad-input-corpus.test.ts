/**
 * The bad-input corpus (test/fixtures/bad-input/): every manifest there is wrong in one way, and
 * says on its `# expect:` lines what the error must contain (a stable fragment naming the field).
 * Each goes through the real entry points: parseManifestBytes (what apply, and objects synced
 * from Git, use) and `imagectl apply -f` in-process, which must exit 2 with every fragment, no
 * stack trace, no echo of a huge value, and nothing stored. flags.json does the same for `create`
 * flags; the inputs too large to keep as files (a 10 MB manifest of 140,000 labels, a 33 MiB file,
 * 10,001 documents) are made here.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INPUT_LIMITS, ManifestError, parseManifestBytes } from "../../src/api/index.js";
import { KINDS } from "../../src/api/types.js";
import { openStore } from "../../src/store/index.js";
import { applySetters } from "../../src/update/apply-setters.js";
import { runCli } from "../support/cli.js";

const ROOT = join(import.meta.dirname, "../fixtures/bad-input");
const STACK = /\n\s+at .+[:(]\d+:\d+/;

function manifestFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? manifestFiles(join(dir, e.name)) : [join(dir, e.name)],
  );
}

interface Case {
  name: string;
  path: string;
  bytes: Buffer;
  expects: string[];
}

const cases: Case[] = manifestFiles(join(ROOT, "manifests"))
  .sort()
  .map((path) => {
    const bytes = readFileSync(path);
    // The header is ASCII even where the body is not UTF-8.
    const expects = [...bytes.toString("latin1").matchAll(/^# expect: (.+)$/gm)].map((m) =>
      Buffer.from(m[1]!, "latin1").toString("utf8"),
    );
    return { name: relative(ROOT, path), path, bytes, expects };
  });

const flagCases = JSON.parse(readFileSync(join(ROOT, "flags.json"), "utf8")) as {
  args: string[];
  expect: string;
}[];
const markers = JSON.parse(readFileSync(join(ROOT, "setter-markers.json"), "utf8")) as string[];

describe("bad-input corpus", () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), "imagectl-bad-input-"));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it("has at least 200 inputs, each with an expected message", () => {
    expect(cases.length + flagCases.length + markers.length).toBeGreaterThanOrEqual(200);
    for (const c of cases) expect(c.expects.length, c.name).toBeGreaterThan(0);
  });

  // Commit message templates are checked by the template engine (src/update), which src/api
  // cannot import: apply checks them after parsing, so only apply sees those.
  const parsedCases = cases.filter((c) => !c.name.startsWith("manifests/template/"));
  it.each(parsedCases.map((c) => [c.name, c] as const))(
    "%s: parseManifestBytes names the problem",
    (_n, c) => {
      let error: unknown;
      try {
        parseManifestBytes(c.bytes, c.name);
      } catch (err) {
        error = err;
      }
      expect(error, "accepted").toBeInstanceOf(ManifestError);
      const message = (error as ManifestError).message;
      for (const e of c.expects) expect(message).toContain(e);
      expect(message).toContain(c.name);
      expect(message.length).toBeLessThan(4000);
    },
  );

  it.each(cases.map((c) => [c.name, c] as const))(
    "%s: apply -f refuses it and stores nothing",
    async (_n, c) => {
      const r = await runCli(["--home", home, "apply", "-f", c.path]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^✗ nothing applied:\n/);
      for (const e of c.expects) expect(r.stderr).toContain(e);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr.length).toBeLessThan(4000);
      expect(r.stdout).toBe("");
    },
  );

  it.each(flagCases.map((f) => [f.args.join(" ").slice(0, 100), f] as const))(
    "imagectl %s",
    async (_n, f) => {
      const r = await runCli(["--home", home, ...f.args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(f.expect);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr.length).toBeLessThan(4000);
    },
  );

  it.each(markers.map((m) => [m] as const))("setter marker %s is an ordinary comment", (marker) => {
    // Flux ignores what is not a marker (kyaml's fieldmeta): the file is left as it is.
    const text = `image: ghcr.io/org/app:1.0.0 ${marker}\n`;
    const refs = new Map([["flux-system:app", { name: "ghcr.io/org/app", tag: "2.0.0" }]]);
    const result = applySetters(text, refs);
    expect(result.text).toBe(text);
    expect(result.changes).toEqual([]);
  });

  describe("inputs too large to keep as files", () => {
    it("rejects a 10 MB manifest of 140,000 labels from its document size, before parsing", async () => {
      let text =
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: big\n  labels:\n";
      const lines: string[] = [];
      for (let i = 0; i < 140_000; i++)
        lines.push(`    label-key-number-${i}: value-${i}-xxxxxxxxxxxxxxxxxxxxxxxxxx\n`);
      text += `${lines.join("")}spec:\n  image: ghcr.io/org/app\n  interval: 5m\n`;
      const file = join(home, "big.yaml");
      writeFileSync(file, text);
      const r = await runCli(["--home", home, "apply", "-f", file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${file}:1: document 1: document is 9 MiB; the limit is 2 MiB`);
    });

    it("rejects a file over the size limit from its size, without reading it", async () => {
      const file = join(home, "huge.yaml");
      writeFileSync(file, "");
      truncateSync(file, INPUT_LIMITS.fileBytes + 1024 * 1024);
      const r = await runCli(["--home", home, "apply", "-f", file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${file}: file is 33 MiB; the limit is 32 MiB`);
    });

    it("rejects stdin over the size limit", async () => {
      const r = await runCli(["--home", home, "apply", "-f", "-"], {
        stdin: "#".repeat(INPUT_LIMITS.fileBytes + 10),
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("<stdin>: file is 32 MiB; the limit is 32 MiB");
    });

    it("rejects a file with more documents than the limit", async () => {
      const file = join(home, "many.yaml");
      writeFileSync(file, "---\na: 1\n".repeat(INPUT_LIMITS.documents + 1));
      const r = await runCli(["--home", home, "apply", "-f", file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("10001 documents; the limit is 10000 per file");
    });

    it("rejects an object over 1.5 MiB built in code", async () => {
      const { validateObject } = await import("../../src/api/index.js");
      const obj = {
        apiVersion: "image.toolkit.fluxcd.io/v1",
        kind: "ImageRepository",
        metadata: { name: "app", namespace: "flux-system" },
        spec: { image: "ghcr.io/org/app", interval: "5m", exclusionList: Array(200).fill("x".repeat(8000)) },
      };
      expect(validateObject(obj).map((i) => i.message)).toEqual([
        "object is 1.5 MiB; the limit is 1.5 MiB (Kubernetes' limit)",
      ]);
    });
  });

  it("stored nothing from any of them", async () => {
    const store = await openStore({ home, env: {} });
    try {
      for (const kind of KINDS) expect(await store.list(kind), kind).toEqual([]);
      expect(await store.listSecrets()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
