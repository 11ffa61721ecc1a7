import { cp, lstat, mkdtemp, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type LatestRef, updateWithSetters } from "../../src/update/index.js";

const FIXTURES = join(import.meta.dirname, "../fixtures/conformance/setters");

interface CaseSpec {
  latestRefs: Record<string, LatestRef>;
  update?: { path?: string };
  mode: "in-place" | "output-dir";
  placeholder?: { token: string; replaceWith: string; files: string[] };
  expectedChanges?: { file: string; object: object; oldValue: string; newValue: string; setter: string }[];
}

const temps: string[] = [];
afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

/** Every file under dir (not dot-files, not `*~`), relative path → bytes; symlinks are skipped. */
async function tree(dir: string, rel = ""): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    if (e.name.startsWith(".") || e.name.endsWith("~")) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of await tree(dir, r)) out.set(k, v);
    else if (e.isFile()) out.set(r, await readFile(join(dir, r)));
  }
  return out;
}

async function substitute(dir: string, spec: CaseSpec): Promise<void> {
  if (!spec.placeholder) return;
  for (const f of spec.placeholder.files) {
    const p = join(dir, f);
    const text = await readFile(p, "utf8");
    await writeFile(p, text.replaceAll(spec.placeholder.token, spec.placeholder.replaceWith));
  }
}

const cases = (await readdir(FIXTURES)).sort();

describe("setters conformance (upstream fluxcd fixtures)", () => {
  it("ships the dangling symlink as a symlink", async () => {
    const link = join(FIXTURES, "update-setters/before/test.yaml");
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe("testing.yaml");
  });

  for (const name of cases) {
    it(`${name} produces the expected tree byte for byte`, async () => {
      const dir = join(FIXTURES, name);
      const spec = JSON.parse(await readFile(join(dir, "policies.json"), "utf8")) as CaseSpec;
      const refs = new Map(Object.entries(spec.latestRefs));
      const work = await mkdtemp(join(tmpdir(), `setters-${name}-`));
      temps.push(work);
      await cp(join(dir, "before"), join(work, "clone"), { recursive: true, verbatimSymlinks: true });
      await cp(join(dir, "expected"), join(work, "expected"), { recursive: true });
      await substitute(join(work, "clone"), spec);
      await substitute(join(work, "expected"), spec);

      const result = await updateWithSetters(join(work, "clone"), refs, {
        ...(spec.update?.path ? { path: spec.update.path } : {}),
        write: spec.mode === "in-place",
      });

      const expected = await tree(join(work, "expected"));
      let actual: Map<string, Buffer>;
      if (spec.mode === "in-place") {
        actual = await tree(join(work, "clone"));
      } else {
        actual = new Map(result.files.map((f) => [f.path, Buffer.from(f.after, "utf8")]));
      }
      expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [path, bytes] of expected) expect(actual.get(path)?.equals(bytes), path).toBe(true);
      expect(result.problems.filter((p) => p.kind !== "unknown-policy")).toEqual([]);

      if (spec.expectedChanges) {
        const flat = [...result.fileChanges].flatMap(([file, objs]) =>
          objs.flatMap(({ object, changes }) => changes.map((c) => ({ file, object, ...c }))),
        );
        const byFile = (f: string) => flat.filter((c) => c.file === f);
        for (const file of new Set(spec.expectedChanges.map((c) => c.file))) {
          expect(byFile(file)).toEqual(spec.expectedChanges.filter((c) => c.file === file));
        }
        expect(flat).toHaveLength(spec.expectedChanges.length);
      }
    });
  }
});
