// Bare repositories for Git tests: created from a file map, inspected without a work tree.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";

/** git with the machine's global/system config ignored (it carries credential helpers and an identity). */
export async function hermeticGit(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<string> {
  const r = await execa("git", args, {
    cwd,
    stripFinalNewline: false,
    env: {
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_TERMINAL_PROMPT: "0",
      GIT_AUTHOR_NAME: "Test Bed",
      GIT_AUTHOR_EMAIL: "testbed@example.invalid",
      GIT_COMMITTER_NAME: "Test Bed",
      GIT_COMMITTER_EMAIL: "testbed@example.invalid",
      ...env,
    },
  });
  return r.stdout;
}

/**
 * Creates `<root>/<name>` as a bare repository whose `branch` holds `files` in one commit. Push over
 * smart HTTP is enabled, as are push options (git http-backend refuses them unless advertised).
 */
export async function createBareRepoAt(
  root: string,
  name: string,
  files: Record<string, string>,
  branch = "main",
): Promise<string> {
  const bare = join(root, name);
  await mkdir(bare, { recursive: true });
  await hermeticGit(["init", "-q", "--bare", `--initial-branch=${branch}`], bare);
  await hermeticGit(["config", "http.receivepack", "true"], bare);
  await hermeticGit(["config", "receive.advertisePushOptions", "true"], bare);
  const work = await mkdtemp(join(tmpdir(), "imagectl-seed-"));
  try {
    await hermeticGit(["init", "-q", `--initial-branch=${branch}`], work);
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(work, path)), { recursive: true });
      await writeFile(join(work, path), content);
    }
    await hermeticGit(["add", "-A"], work);
    await hermeticGit(["commit", "-q", "--allow-empty", "-m", "seed"], work);
    await hermeticGit(["push", "-q", bare, `HEAD:refs/heads/${branch}`], work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return bare;
}

/** Full SHA of `branch` in a bare repository, or null when the branch does not exist. */
export async function headOf(bare: string, branch: string): Promise<string | null> {
  try {
    return (await hermeticGit(["rev-parse", "--verify", "-q", `refs/heads/${branch}`], bare)).trim();
  } catch {
    return null;
  }
}

/** Content of `path` at `rev` in a bare repository. */
export async function showFile(bare: string, rev: string, path: string): Promise<string> {
  return hermeticGit(["show", `${rev}:${path}`], bare);
}

/** Commit subjects of `rev`, newest first. */
export async function subjects(bare: string, rev: string): Promise<string[]> {
  return (await hermeticGit(["log", "--format=%s", rev], bare)).split("\n").filter(Boolean);
}

/** Adds a commit writing `files` on top of `branch`, as another user of the remote would. */
export async function pushCommit(
  bare: string,
  branch: string,
  files: Record<string, string>,
  message = "outside change",
): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), "imagectl-other-"));
  try {
    await hermeticGit(["clone", "-q", "--branch", branch, `file://${bare}`, work], tmpdir());
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(work, path)), { recursive: true });
      await writeFile(join(work, path), content);
    }
    await hermeticGit(["add", "-A"], work);
    await hermeticGit(["commit", "-q", "-m", message], work);
    await hermeticGit(["push", "-q", "origin", `HEAD:refs/heads/${branch}`], work);
    return (await hermeticGit(["rev-parse", "HEAD"], work)).trim();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
