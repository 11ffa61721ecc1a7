import type { Dirent } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { LineFileType } from "./line-setters.js";
import type { Problem } from "./types.js";
import { isInside, type ScanRoot } from "./update-path.js";

export interface CandidateFile {
  /** Relative to the scanned root, '/' separators. */
  path: string;
  /** Real path to read and write (symlinks resolved, always inside the clone). */
  real: string;
  /** How markers are read in it. */
  type: MarkedFileType;
}

/** YAML, or one of the line-comment formats of `line-setters.ts`. */
export type MarkedFileType = "yaml" | LineFileType;

/** Names Flux's file reader accepts (case-sensitive). */
export function isYamlName(name: string): boolean {
  return name.endsWith(".yaml") || name.endsWith(".yml") || name === "Kustomization";
}

const DOCKERFILE =
  /^(?:(?:Dockerfile|Containerfile)(?:\..+)?|.+\.(?:Dockerfile|dockerfile|Containerfile|containerfile))$/;
const ENV_FILE = /^(?:\.env(?:\..+)?|.+\.env)$/;
const HCL_FILE = /\.(?:tf|tfvars|hcl)$/;

/**
 * The format of a file by its name: YAML as Flux reads it, Dockerfiles/Containerfiles, `.env`
 * files and HCL/Terraform; a file matched only by an include glob is read as generic
 * `KEY=value # marker` lines. Undefined for files not read at all.
 */
export function markedFileType(name: string, included: boolean): MarkedFileType | undefined {
  if (isYamlName(name)) return "yaml";
  if (DOCKERFILE.test(name)) return "dockerfile";
  if (ENV_FILE.test(name)) return "env";
  if (HCL_FILE.test(name)) return "hcl";
  return included ? "generic" : undefined;
}

/** Entries in byte order of their UTF-8 names (Go's order); each name is encoded once. */
function inByteOrder(entries: Dirent[]): Dirent[] {
  const keyed = entries.map((entry) => ({ entry, key: Buffer.from(entry.name) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map((k) => k.entry);
}

/**
 * Files that may hold markers under the scan root (`markedFileType`; `include` adds paths,
 * relative to the root), in byte order of their paths. Dot-directories and dot-files other than
 * `.env` files are skipped; symlinked directories are not descended (as Flux's lstat walk). A
 * symlinked file is followed only when its target is inside the clone, and each real file is
 * listed once; dangling links are skipped silently.
 */
export async function findMarkedFiles(
  root: ScanRoot,
  problems: Problem[],
  include: (path: string) => boolean = () => false,
): Promise<CandidateFile[]> {
  if (root.isFile) {
    const name = basename(root.scanReal);
    return [{ path: name, real: root.scanReal, type: markedFileType(name, true) ?? "generic" }];
  }
  const out: CandidateFile[] = [];
  const seen = new Set<string>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = inByteOrder(await readdir(dir, { withFileTypes: true }));
    for (const entry of entries) {
      if (entry.name.startsWith(".") && (entry.isDirectory() || !ENV_FILE.test(entry.name))) continue;
      const abs = join(dir, entry.name);
      const relPath = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        await walk(abs, relPath);
        continue;
      }
      const type = markedFileType(entry.name, include(relPath));
      if (type === undefined) continue;
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
      out.push({ path: relPath, real, type });
    }
  };
  await walk(root.scanReal, "");
  return out;
}
