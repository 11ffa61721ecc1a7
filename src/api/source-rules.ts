/** The rules of a GitRepository beyond its shape: URL, ref names, durations, referenced secrets. */

import { gitUrlCredentials, gitUrlCredentialsMessage } from "./git-url.js";
import { quote } from "./input-limits.js";
import { checkSemverRange } from "./policy-checks.js";
import { checkInterval, checkRefName, checkTimeout, type Problems, pathText } from "./rule-problems.js";
import type { PathSegment } from "./shape-problems.js";
import type { GitRepository, GitRepositoryRef } from "./types.js";

export function checkGitRepository(obj: GitRepository, p: Problems): void {
  const spec = obj.spec;
  checkGitUrl(spec.url, p);
  checkInterval(spec.interval, ["spec", "interval"], p);
  checkTimeout(spec.timeout, ["spec", "timeout"], p);
  if (spec.ref) checkGitRef(spec.ref, ["spec", "ref"], p);
  if (spec.secretRef) checkRefName(spec.secretRef.name, ["spec", "secretRef", "name"], p);
  if (spec.proxySecretRef) checkRefName(spec.proxySecretRef.name, ["spec", "proxySecretRef", "name"], p);
  if (spec.verify) checkRefName(spec.verify.secretRef.name, ["spec", "verify", "secretRef", "name"], p);
  spec.include?.forEach((inc, i) => {
    checkRefName(inc.repository.name, ["spec", "include", i, "repository", "name"], p, "GitRepository");
  });
}

/** Never echoes the URL: it may carry credentials (`https://user:token@host/…`). */
function checkGitUrl(url: string, p: Problems): void {
  const path = ["spec", "url"];
  const expected =
    "must start with http://, https://, ssh:// or file:// (or be scp-like, git@host:org/repo.git)";
  if (url.trim() === "") {
    p.add(path, `must not be empty; ${expected}`);
    return;
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (!/^[^\s/:@]+@[^\s/:]+:\S+$/.test(url) && !/^[^\s/:]+\.[^\s/:]+:\S+$/.test(url)) {
      p.add(path, `unsupported URL: ${expected}`);
    }
    return;
  }
  if (!["http", "https", "ssh", "file"].includes(scheme)) {
    p.add(path, `unsupported URL scheme ${quote(scheme)}: ${expected}`);
    return;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    p.add(path, `invalid ${scheme} URL: cannot be parsed`);
    return;
  }
  if (scheme !== "file" && parsed.hostname === "") p.add(path, `invalid ${scheme} URL: no host`);
  const credentials = gitUrlCredentials(url);
  if (credentials) p.add(path, gitUrlCredentialsMessage(credentials));
  if (scheme === "file" && parsed.pathname === "") p.add(path, "invalid file URL: no path");
}

export function checkGitRef(ref: GitRepositoryRef, path: PathSegment[], p: Problems): void {
  const field = (name: string) => [...path, name];
  if (ref.branch !== undefined) {
    const bad = checkGitRefName(ref.branch);
    if (bad) p.add(field("branch"), `invalid branch name ${quote(ref.branch)}: ${bad}`);
  }
  if (ref.tag !== undefined) {
    const bad = checkGitRefName(ref.tag);
    if (bad) p.add(field("tag"), `invalid tag name ${quote(ref.tag)}: ${bad}`);
  }
  if (ref.name !== undefined) {
    const bad = ref.name.startsWith("refs/")
      ? checkGitRefName(ref.name)
      : "must be a full reference starting with refs/";
    if (bad) p.add(field("name"), `invalid reference ${quote(ref.name)}: ${bad} (e.g. refs/heads/main)`);
  }
  if (ref.commit !== undefined && !/^[0-9a-f]{4,64}$/.test(ref.commit)) {
    p.add(field("commit"), `invalid commit ${quote(ref.commit)}: must be a lower-case hexadecimal SHA`);
  }
  if (ref.semver !== undefined) {
    for (const pp of checkSemverRange(ref.semver, pathText(field("semver"))))
      p.addField(pp.field, pp.message);
  }
}

/** git check-ref-format rules for one branch/tag/ref name; returns what is wrong, or undefined. */
export function checkGitRefName(name: string): string | undefined {
  if (name === "") return "must not be empty";
  if (name === "@") return "must not be '@'";
  if (/[\0-\x20\x7f~^:?*[\\]/.test(name))
    return "must not contain spaces, control characters or any of ~ ^ : ? * [ \\";
  if (name.includes("..")) return "must not contain '..'";
  if (name.includes("@{")) return "must not contain '@{'";
  if (name.startsWith("/") || name.endsWith("/") || name.includes("//"))
    return "must not start or end with '/' or contain '//'";
  if (name.startsWith("-")) return "must not start with '-'";
  if (name.endsWith(".")) return "must not end with '.'";
  for (const component of name.split("/")) {
    if (component.startsWith(".")) return "no path component may start with '.'";
    if (component.endsWith(".lock")) return "no path component may end with '.lock'";
  }
  return undefined;
}
