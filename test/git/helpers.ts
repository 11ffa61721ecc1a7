import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ApplyChanges } from "../../src/git/index.js";

/** An apply callback that writes `files` into the work tree and commits with `message`. */
export function writeFiles(files: Record<string, string>, message = "update images"): ApplyChanges {
  return async (workTree) => {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(workTree, path)), { recursive: true });
      await writeFile(join(workTree, path), content);
    }
    return { message };
  };
}

/** Temp dirs for caches, removed by `cleanup`. */
export function tempDirs(): { make(): Promise<string>; cleanup(): Promise<void> } {
  const made: string[] = [];
  return {
    make: async () => {
      const d = await mkdtemp(join(tmpdir(), "imagectl-gitcache-"));
      made.push(d);
      return d;
    },
    cleanup: async () => {
      await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

export async function cachedGitConfig(cacheDir: string): Promise<string> {
  return readFile(join(cacheDir, "repo", ".git", "config"), "utf8");
}

export const author = { name: "Image Bot", email: "bot@example.invalid" };
