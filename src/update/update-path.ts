import { realpath, stat } from "node:fs/promises";
import { isAbsolute, normalize, relative, resolve, sep } from "node:path";

/** `update.path` escapes the clone, or does not exist. */
export class UpdatePathError extends Error {
  override name = "UpdatePathError";
}

/** True when `child` is `parent` or below it (both absolute, normalised). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

export interface ScanRoot {
  /** Real path of the clone. */
  cloneReal: string;
  /** Real path of the scanned directory or file (`update.path`, default the clone). */
  scanReal: string;
  isFile: boolean;
}

/**
 * Resolves `update.path` inside the clone. Unlike Flux's securejoin (which clamps `..`), an
 * absolute path or one that leaves the clone, lexically or through a symlink, is an error:
 * silently scanning a different directory than the one configured hides mistakes.
 */
export async function resolveScanRoot(clone: string, updatePath?: string): Promise<ScanRoot> {
  let cloneReal: string;
  try {
    cloneReal = await realpath(clone);
  } catch {
    throw new UpdatePathError(`checkout directory ${clone} does not exist`);
  }
  const wanted = updatePath ?? "";
  if (isAbsolute(wanted))
    throw new UpdatePathError(`update.path "${wanted}" must be relative to the repository root`);
  const joined = resolve(cloneReal, normalize(wanted === "" ? "." : wanted));
  if (!isInside(cloneReal, joined))
    throw new UpdatePathError(`update.path "${wanted}" escapes the repository`);
  let scanReal: string;
  try {
    scanReal = await realpath(joined);
  } catch {
    throw new UpdatePathError(`update.path "${wanted}" does not exist in the repository`);
  }
  if (!isInside(cloneReal, scanReal)) {
    throw new UpdatePathError(`update.path "${wanted}" resolves outside the repository through a symlink`);
  }
  const info = await stat(scanReal);
  return { cloneReal, scanReal, isFile: info.isFile() };
}
