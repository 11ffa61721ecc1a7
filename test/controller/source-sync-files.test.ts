import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  readSourceManifests,
  SOURCE_READ_LIMITS,
  SourcePathError,
} from "../../src/controller/source-sync-files.js";

// Which files a Git source sync reads under its path (a checkout on disk; no Git needed here).
const dirs: string[] = [];
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "imagectl-sync-files-"));
  dirs.push(root);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}
const names = async (root: string, path: string) =>
  (await readSourceManifests(root, path)).map((s) => s.name);

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("readSourceManifests", () => {
  it("without a kustomization: every .yaml/.yml below the path, in byte order, dot-directories skipped", async () => {
    const root = tree({
      "clusters/staging/b.yaml": "b",
      "clusters/staging/a.yml": "a",
      "clusters/staging/apps/c.yaml": "c",
      "clusters/staging/.hidden/d.yaml": "d",
      "clusters/staging/notes.txt": "n",
      "clusters/prod/e.yaml": "e",
    });
    expect(await names(root, "./clusters/staging")).toEqual([
      "clusters/staging/a.yml",
      "clusters/staging/apps/c.yaml",
      "clusters/staging/b.yaml",
    ]);
  });

  it("with a kustomization.yaml: only its resources, files and directories, remote ones skipped", async () => {
    const root = tree({
      "clusters/staging/kustomization.yaml":
        "resources:\n- images.yaml\n- apps\n- https://github.com/org/repo//base?ref=v1\n",
      "clusters/staging/images.yaml": "i",
      "clusters/staging/unlisted.yaml": "u",
      "clusters/staging/apps/kustomization.yaml": "resources: [one.yaml]\n",
      "clusters/staging/apps/one.yaml": "1",
      "clusters/staging/apps/two.yaml": "2",
    });
    expect(await names(root, "clusters/staging")).toEqual([
      "clusters/staging/images.yaml",
      "clusters/staging/apps/one.yaml",
    ]);
  });

  it("refuses what leaves the checkout, is missing or is a symlink, naming the file and entry", async () => {
    const outside = tree({ "secret.yaml": "s" });
    const root = tree({
      "k/kustomization.yaml": "resources:\n- ../../x.yaml\n",
      "m/kustomization.yaml": "resources:\n- gone.yaml\n",
      "l/kustomization.yaml": "resources:\n- link.yaml\n",
      "bad/kustomization.yaml": "resources: {a: 1}\n",
    });
    symlinkSync(join(outside, "secret.yaml"), join(root, "l/link.yaml"));
    await expect(names(root, "k")).rejects.toThrow(
      "k/kustomization.yaml: resources[0] '../../x.yaml': points outside the repository",
    );
    await expect(names(root, "m")).rejects.toThrow(
      "m/kustomization.yaml: resources[0] 'gone.yaml': not found",
    );
    await expect(names(root, "l")).rejects.toThrow(
      "l/kustomization.yaml: resources[0] 'link.yaml': is a symlink",
    );
    await expect(names(root, "bad")).rejects.toThrow(
      "bad/kustomization.yaml: resources: must be a list of paths",
    );
    await expect(names(root, "../elsewhere")).rejects.toThrow(
      "path '../elsewhere' points outside the repository",
    );
    await expect(names(root, "nothere")).rejects.toThrow(SourcePathError);
  });

  it("checks sizes and counts before reading", async () => {
    const root = tree({ "p/a.yaml": "x".repeat(100), "p/b.yaml": "y", "p/c.yaml": "z" });
    await expect(readSourceManifests(root, "p", { ...SOURCE_READ_LIMITS, maxFileBytes: 50 })).rejects.toThrow(
      "p/a.yaml: file is 100 bytes, over the limit of 50",
    );
    await expect(readSourceManifests(root, "p", { ...SOURCE_READ_LIMITS, maxFiles: 2 })).rejects.toThrow(
      "more than 2 manifest files under the sync path",
    );
  });
});
