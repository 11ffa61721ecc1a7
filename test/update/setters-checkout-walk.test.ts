import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { type LatestRef, UpdatePathError, updateWithSetters } from "../../src/update/index.js";

const refs = new Map<string, LatestRef>([["ns:app", { name: "app", tag: "2" }]]);
const MARKED = `image: app:1 # {"$imagepolicy": "ns:app"}\n`;
const UPDATED = `image: app:2 # {"$imagepolicy": "ns:app"}\n`;

let base: string;
let clone: string;
let outside: string;
const temps: string[] = [];
afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "setters-walk-"));
  temps.push(base);
  clone = join(base, "clone");
  outside = join(base, "outside");
  await mkdir(clone);
  await mkdir(outside);
});

describe("updateWithSetters over a checkout", () => {
  it("skips dangling symlinks, dot-directories and non-YAML names", async () => {
    await symlink("missing.yaml", join(clone, "dangling.yaml"));
    await mkdir(join(clone, ".github"));
    await writeFile(join(clone, ".github/ci.yml"), MARKED);
    await writeFile(join(clone, "notes.json"), MARKED);
    await writeFile(join(clone, "app.yml"), MARKED);
    const r = await updateWithSetters(clone, refs);
    expect([...r.fileChanges.keys()]).toEqual(["app.yml"]);
    expect(await readFile(join(clone, ".github/ci.yml"), "utf8")).toBe(MARKED);
    expect(r.problems).toEqual([]);
  });

  it("never reads or writes through a symlink that leaves the clone", async () => {
    await writeFile(join(outside, "secret.yaml"), MARKED);
    await symlink(join(outside, "secret.yaml"), join(clone, "link.yaml"));
    const r = await updateWithSetters(clone, refs);
    expect(await readFile(join(outside, "secret.yaml"), "utf8")).toBe(MARKED);
    expect(r.fileChanges.size).toBe(0);
    expect(r.problems).toEqual([expect.objectContaining({ path: "link.yaml", kind: "symlink-outside" })]);
  });

  it("follows a symlink inside the clone and updates its target once", async () => {
    await writeFile(join(clone, "real.yaml"), MARKED);
    await symlink("real.yaml", join(clone, "alias.yaml"));
    const r = await updateWithSetters(clone, refs);
    expect([...r.fileChanges.keys()]).toEqual(["alias.yaml"]);
    expect(await readFile(join(clone, "real.yaml"), "utf8")).toBe(UPDATED);
    expect((await stat(join(clone, "alias.yaml"))).isFile()).toBe(true);
  });

  it("reports malformed YAML with its path and still updates the other files", async () => {
    await writeFile(join(clone, "a-bad.yaml"), `a: [1\n${MARKED}`);
    await writeFile(join(clone, "b-good.yaml"), MARKED);
    const r = await updateWithSetters(clone, refs);
    expect(r.problems).toEqual([expect.objectContaining({ path: "a-bad.yaml", kind: "malformed-yaml" })]);
    expect(await readFile(join(clone, "b-good.yaml"), "utf8")).toBe(UPDATED);
  });

  it("does not rewrite files without changes (inode and mtime kept)", async () => {
    const p = join(clone, "current.yaml");
    await writeFile(p, UPDATED);
    const old = new Date("2020-01-01T00:00:00Z");
    const { utimes } = await import("node:fs/promises");
    await utimes(p, old, old);
    const before = await stat(p);
    const r = await updateWithSetters(clone, refs);
    const after = await stat(p);
    expect(r.files).toEqual([]);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  it("writes nothing in a dry run but reports the diff", async () => {
    await writeFile(join(clone, "app.yaml"), MARKED);
    const r = await updateWithSetters(clone, refs, { write: false });
    expect(r.files).toEqual([{ path: "app.yaml", before: MARKED, after: UPDATED }]);
    expect(await readFile(join(clone, "app.yaml"), "utf8")).toBe(MARKED);
  });

  it("keys file changes relative to update.path, which may also name a file", async () => {
    await mkdir(join(clone, "apps/prod"), { recursive: true });
    await writeFile(join(clone, "apps/prod/app.yaml"), MARKED);
    await writeFile(join(clone, "root.yaml"), MARKED);
    const r = await updateWithSetters(clone, refs, { path: "./apps" });
    expect([...r.fileChanges.keys()]).toEqual(["prod/app.yaml"]);
    expect(await readFile(join(clone, "root.yaml"), "utf8")).toBe(MARKED);
    const single = await updateWithSetters(clone, refs, { path: "root.yaml" });
    expect([...single.fileChanges.keys()]).toEqual(["root.yaml"]);
  });

  it("rejects update.path values that escape the clone or do not exist", async () => {
    await symlink(outside, join(clone, "out"));
    for (const path of ["../outside", "/etc", "out", "nope"]) {
      await expect(updateWithSetters(clone, refs, { path })).rejects.toBeInstanceOf(UpdatePathError);
    }
  });

  it("leaves files that are not valid UTF-8 untouched", async () => {
    const bytes = Buffer.concat([Buffer.from("x: \xff\n", "latin1"), Buffer.from(MARKED)]);
    await writeFile(join(clone, "latin.yaml"), bytes);
    const r = await updateWithSetters(clone, refs);
    expect((await readFile(join(clone, "latin.yaml"))).equals(bytes)).toBe(true);
    expect(r.problems).toEqual([expect.objectContaining({ kind: "invalid-utf8" })]);
  });
});
