import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  applyLineSetters,
  compileIncludeGlobs,
  IncludeGlobError,
  type LatestRef,
  splitIncludeGlobs,
  updateWithSetters,
} from "../../src/update/index.js";

const M = (s: string) => `# {"$imagepolicy": "${s}"}`;
const refs = new Map<string, LatestRef>([
  ["ns:app", { name: "ghcr.io/org/app", tag: "2.0.0" }],
  ["ns:dig", { name: "127.0.0.1:5000/x/app", tag: "1.1", digest: "sha256:bbbb" }],
]);

describe("markers in Dockerfiles", () => {
  it("replaces the image of FROM, keeping flags, stage name and comment", () => {
    const input = `FROM --platform=$BUILDPLATFORM ghcr.io/org/app:1.0.0 AS build ${M("ns:app")}\nRUN make\n`;
    const out = applyLineSetters(input, refs, "dockerfile");
    expect(out.text).toBe(
      `FROM --platform=$BUILDPLATFORM ghcr.io/org/app:2.0.0 AS build ${M("ns:app")}\nRUN make\n`,
    );
    expect(out.changes).toEqual([
      expect.objectContaining({
        change: { oldValue: "ghcr.io/org/app:1.0.0", newValue: "ghcr.io/org/app:2.0.0", setter: "ns:app" },
      }),
    ]);
  });

  it("reads a marker alone on the line above the instruction (a Dockerfile docker can build)", () => {
    const input = `${M("ns:app")}\nFROM ghcr.io/org/app:1.0.0\n`;
    expect(applyLineSetters(input, refs, "dockerfile").text).toBe(
      `${M("ns:app")}\nFROM ghcr.io/org/app:2.0.0\n`,
    );
  });

  it("sets an ARG default, quoted, with the :tag variant", () => {
    const input = `ARG APP_TAG="1.0.0" ${M("ns:app:tag")}\r\nFROM app:\${APP_TAG}\r\n`;
    expect(applyLineSetters(input, refs, "dockerfile").text).toBe(
      `ARG APP_TAG="2.0.0" ${M("ns:app:tag")}\r\nFROM app:\${APP_TAG}\r\n`,
    );
  });

  it("replaces only the part a :tag, :name or :digest marker names in a full reference", () => {
    const ref = "127.0.0.1:5000/x/app:1.0@sha256:aaaa";
    const set = (setter: string) => applyLineSetters(`FROM ${ref} ${M(setter)}\n`, refs, "dockerfile").text;
    expect(set("ns:dig:tag")).toBe(`FROM 127.0.0.1:5000/x/app:1.1@sha256:aaaa ${M("ns:dig:tag")}\n`);
    expect(set("ns:dig:digest")).toBe(`FROM 127.0.0.1:5000/x/app:1.0@sha256:bbbb ${M("ns:dig:digest")}\n`);
    expect(set("ns:app:name")).toBe(`FROM ghcr.io/org/app:1.0@sha256:aaaa ${M("ns:app:name")}\n`);
    expect(set("ns:dig")).toBe(`FROM 127.0.0.1:5000/x/app:1.1@sha256:bbbb ${M("ns:dig")}\n`);
  });

  it("reports a marker on a variable instead of rewriting it", () => {
    const input = `FROM \${BASE} ${M("ns:app")}\n`;
    const out = applyLineSetters(input, refs, "dockerfile");
    expect(out.text).toBe(input);
    expect(out.problems).toEqual([
      { kind: "unsupported-value", message: 'line 1: marker "ns:app" is not on an image reference' },
    ]);
  });
});

describe("markers in .env and HCL files", () => {
  it("sets KEY=value and export KEY='value', keeping quotes", () => {
    const input = `# images\nexport APP='ghcr.io/org/app:1.0.0' ${M("ns:app")}\nTAG=1.0.0 ${M("ns:app:tag")}\nOTHER=x\n`;
    expect(applyLineSetters(input, refs, "env").text).toBe(
      `# images\nexport APP='ghcr.io/org/app:2.0.0' ${M("ns:app")}\nTAG=2.0.0 ${M("ns:app:tag")}\nOTHER=x\n`,
    );
  });

  it("sets an HCL attribute with a # or // comment", () => {
    const input = `resource "x" "y" {\n  image = "ghcr.io/org/app:1.0.0" ${M("ns:app")}\n  tag   = "1.0.0" // {"$imagepolicy": "ns:app:tag"}\n}\n`;
    expect(applyLineSetters(input, refs, "hcl").text).toBe(
      `resource "x" "y" {\n  image = "ghcr.io/org/app:2.0.0" ${M("ns:app")}\n  tag   = "2.0.0" // {"$imagepolicy": "ns:app:tag"}\n}\n`,
    );
  });

  it("does not take a # inside quotes for a comment, and leaves held setters alone", () => {
    const input = `A="x # y" ${M("ns:app:tag")}\nB=ghcr.io/org/app:1.0.0 ${M("ns:app")}\n`;
    const out = applyLineSetters(input, refs, "env", new Set(["ns:app"]));
    expect(out.problems).toHaveLength(1); // "x # y" is no reference
    expect(out.text).toBe(input);
  });
});

describe("include globs", () => {
  it("match with **, * and braces, and refuse paths that leave the update path", () => {
    const m = compileIncludeGlobs(splitIncludeGlobs("deploy/**/*.{txt,conf}, top.ini"));
    expect(["deploy/a.txt", "deploy/x/y/b.conf", "top.ini"].every(m)).toBe(true);
    expect(["deploy/a.yaml", "other/a.txt", "x/top.ini"].some(m)).toBe(false);
    expect(() => compileIncludeGlobs(["../x"])).toThrow(IncludeGlobError);
    expect(() => compileIncludeGlobs(["a[b"])).toThrow(/unclosed/);
  });
});

describe("updateWithSetters over mixed files", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("reads Dockerfiles, .env, HCL and included files beside YAML, and nothing else", async () => {
    const root = await mkdtemp(join(tmpdir(), "line-setters-"));
    dirs.push(root);
    const files: Record<string, string> = {
      "app.yaml": `image: ghcr.io/org/app:1.0.0 ${M("ns:app")}\n`,
      Dockerfile: `FROM ghcr.io/org/app:1.0.0 ${M("ns:app")}\n`,
      "build/app.Containerfile": `FROM ghcr.io/org/app:1.0.0 ${M("ns:app")}\n`,
      ".env": `APP=ghcr.io/org/app:1.0.0 ${M("ns:app")}\n`,
      "infra/main.tf": `image = "ghcr.io/org/app:1.0.0" ${M("ns:app")}\n`,
      "notes/images.txt": `app ghcr.io/org/app:1.0.0 ${M("ns:app")}\n`,
      "notes/skip.md": `app ghcr.io/org/app:1.0.0 ${M("ns:app")}\n`,
      ".hidden/Dockerfile": `FROM ghcr.io/org/app:1.0.0 ${M("ns:app")}\n`,
    };
    for (const [p, t] of Object.entries(files)) {
      await mkdir(join(root, p, ".."), { recursive: true });
      await writeFile(join(root, p), t);
    }
    const r = await updateWithSetters(root, refs, { include: ["notes/*.txt"] });
    expect([...r.fileChanges.keys()]).toEqual([
      ".env",
      "Dockerfile",
      "app.yaml",
      "build/app.Containerfile",
      "infra/main.tf",
      "notes/images.txt",
    ]);
    expect(await readFile(join(root, "notes/images.txt"), "utf8")).toBe(
      `app ghcr.io/org/app:2.0.0 ${M("ns:app")}\n`,
    );
    expect(await readFile(join(root, "notes/skip.md"), "utf8")).toBe(files["notes/skip.md"]);
    expect(await readFile(join(root, ".hidden/Dockerfile"), "utf8")).toBe(files[".hidden/Dockerfile"]);
    expect(r.problems).toEqual([]);
  });
});
