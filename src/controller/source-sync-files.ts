/**
 * Which files of a Git checkout a source sync reads, as Flux's kustomize-controller decides it: under
 * the sync path, the `resources` of a `kustomization.yaml` when a directory has one (followed into
 * directories, which may have their own), else every YAML file of the directory tree. Only
 * `resources` is read from a kustomization (patches and generators make no image objects).
 * Symlinks are never followed (a checkout is someone else's input), and nothing outside the
 * checkout is read. Limits are checked on sizes before any file is read.
 */
import type { Dirent } from "node:fs";
import { lstat, readdir, readFile, realpath } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import pLimit from "p-limit";
import { parse } from "yaml";
import type { ManifestSource } from "./apply-set.js";

export interface SourceReadLimits {
  maxFiles: number;
  maxFileBytes: number;
  maxTotalBytes: number;
}

export const SOURCE_READ_LIMITS: SourceReadLimits = {
  maxFiles: 20_000,
  maxFileBytes: 4 * 1024 * 1024,
  maxTotalBytes: 128 * 1024 * 1024,
};

const KUSTOMIZATION_NAMES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/** The sync path or a kustomization in it cannot be read; the message names the file and field. */
export class SourcePathError extends Error {
  override name = "SourcePathError";
}

function isYaml(name: string): boolean {
  return name.endsWith(".yaml") || name.endsWith(".yml");
}

function byName(a: Dirent, b: Dirent): number {
  return Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
}

/** A resource entry naming something remote (kustomize fetches those; a sync reads only the checkout). */
function isRemote(resource: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(resource) || /^(github\.com|gitlab\.com)\//.test(resource);
}

/**
 * The manifests under `path` (relative to the checkout root, `./` allowed) as named sources, each
 * named by its path from the root. Throws SourcePathError.
 */
export async function readSourceManifests(
  workTree: string,
  path: string,
  limits: SourceReadLimits = SOURCE_READ_LIMITS,
): Promise<ManifestSource[]> {
  const root = await realpath(workTree);
  const rel = (abs: string) => relative(root, abs).split(sep).join("/") || ".";
  const inside = (abs: string) => abs === root || abs.startsWith(root + sep);
  const files: string[] = [];
  const listed = new Set<string>();
  let total = 0;

  const addFile = async (abs: string, size: number) => {
    if (listed.has(abs)) return;
    if (size > limits.maxFileBytes)
      throw new SourcePathError(
        `${rel(abs)}: file is ${size} bytes, over the limit of ${limits.maxFileBytes}`,
      );
    total += size;
    if (total > limits.maxTotalBytes)
      throw new SourcePathError(`manifests under the sync path exceed ${limits.maxTotalBytes} bytes`);
    if (files.length >= limits.maxFiles)
      throw new SourcePathError(`more than ${limits.maxFiles} manifest files under the sync path`);
    listed.add(abs);
    files.push(abs);
  };

  const readKustomization = async (dir: string, file: string): Promise<void> => {
    const text = await readFile(file, "utf8");
    let doc: unknown;
    try {
      doc = parse(text, { maxAliasCount: 100 });
    } catch (err) {
      throw new SourcePathError(`${rel(file)}: YAML syntax error: ${(err as Error).message.split("\n")[0]}`);
    }
    const resources = (doc as { resources?: unknown } | null)?.resources ?? [];
    if (!Array.isArray(resources) || resources.some((r) => typeof r !== "string"))
      throw new SourcePathError(`${rel(file)}: resources: must be a list of paths`);
    for (const [i, r] of (resources as string[]).entries()) {
      if (isRemote(r)) continue;
      const abs = resolve(dir, r);
      const where = `${rel(file)}: resources[${i}] '${r}'`;
      if (!inside(abs)) throw new SourcePathError(`${where}: points outside the repository`);
      const st = await lstat(abs).catch(() => undefined);
      if (!st) throw new SourcePathError(`${where}: not found`);
      if (st.isSymbolicLink()) throw new SourcePathError(`${where}: is a symlink, which is not followed`);
      if (st.isDirectory()) await readDir(abs);
      else if (st.isFile()) await addFile(abs, st.size);
    }
  };

  const readDir = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort(byName);
    const kfile = entries.find((e) => e.isFile() && KUSTOMIZATION_NAMES.includes(e.name));
    if (kfile) return readKustomization(dir, join(dir, kfile.name));
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const abs = join(dir, e.name);
      if (e.isDirectory()) await readDir(abs);
      else if (e.isFile() && isYaml(e.name)) await addFile(abs, (await lstat(abs)).size);
    }
  };

  const start = resolve(root, path);
  if (!inside(start)) throw new SourcePathError(`path '${path}' points outside the repository`);
  const st = await lstat(start).catch(() => undefined);
  if (!st) throw new SourcePathError(`path '${path}' not found in the repository`);
  if (st.isSymbolicLink()) throw new SourcePathError(`path '${path}' is a symlink, which is not followed`);
  if (st.isDirectory()) await readDir(start);
  else await addFile(start, st.size);
  const limit = pLimit(16);
  return Promise.all(files.map((abs) => limit(async () => ({ name: rel(abs), bytes: await readFile(abs) }))));
}
