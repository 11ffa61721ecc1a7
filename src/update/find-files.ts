import type { Dirent } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Problem } from "./types.js";
import { isInside, type ScanRoot } from "./update-path.js";

export interface CandidateFile {
  /** Relative to the scanned root, '/' separators. */
  path: string;
  /** Real path to read and write (symlinks resolved, always inside the clone). */
  real: string;
}

/** Names Flux's file reader accepts (case-sensitive). */
export function isYamlName(name: string): boolean {
  return name.endsWith(".yaml") || name.endsWith(".yml") || name === "Kustomization";
}

/** Entries in byte order of their UTF-8 names (Go's order); each name is encoded once. */
function inByteOrder(entries: Dirent[]): Dirent[] {
  const keyed = entries.map((entry) => ({ entry, key: Buffer.from(entry.name) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map((k) => k.entry);
}

/**
 * YAML files under the scan root in byte order of their paths. Dot-directories and dot-files
 * are skipped; symlinked directories are not descended (as Flux's lstat walk). A symlinked
 * file is followed only when its target is inside the clone, and each real file is listed
 * once; dangling links are skipped silently.
 */
export async function findYamlFiles(root: ScanRoot, problems: Problem[]): Promise<CandidateFile[]> {
  if (root.isFile) return [{ path: basename(root.scanReal), real: root.scanReal }];
  const out: CandidateFile[] = [];
  const seen = new Set<string>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = inByteOrder(await readdir(dir, { withFileTypes: true }));
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const abs = join(dir, entry.name);
      const relPath = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        await walk(abs, relPath);
        continue;
      }
      if (!isYamlName(entry.name)) continue;
      let real = abs;
      if (entry.isSymbolicLink()) {
        try {
          real = await realpath(abs);
        } catch {
          continue; // dangling
        }
        if (!isInside(root.cloneReal, real)) {
          problems.push({
            path: relPath,
            kind: "symlink-outside",
            message: "symlink points outside the repository; not read or written",
          });
          continue;
        }
        if (!(await stat(real)).isFile()) continue;
      } else if (!entry.isFile()) {
        continue;
      }
      if (seen.has(real)) continue;
      seen.add(real);
      out.push({ path: relPath, real });
    }
  };
  await walk(root.scanReal, "");
  return out;
}
