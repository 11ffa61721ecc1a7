/**
 * The individual checks of `imagectl check`, each ending in ✔ or ✗ lines that name what was
 * checked and, on failure, what to do. No check throws: every problem becomes a failed line.
 */
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import type { AnyObject, GitRepository, ImageRepository } from "../api/types.js";
import type { ControllerDeps } from "../controller/controller-deps.js";
import { readDaemonInfo, runningDaemon } from "../controller/daemon-info.js";

export interface CheckLine {
  ok: boolean;
  text: string;
  /** A note that is neither a pass nor a failure (► line). */
  note?: boolean;
}

/** Git features imagectl relies on: GIT_CONFIG_COUNT (2.31) for credentials outside argv and disk. */
export const MIN_GIT = "2.31.0";

function versionAtLeast(have: string, want: string): boolean {
  const a = have.split(".").map((n) => Number.parseInt(n, 10) || 0);
  const b = want.split(".").map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/** The Node minimum from package.json `engines` (`>=20.19` → `20.19.0`). */
function minNode(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    engines?: { node?: string };
  };
  const m = /(\d+(?:\.\d+){0,2})/.exec(pkg.engines?.node ?? "");
  return m?.[1] ?? "20.19.0";
}

export async function checkPrerequisites(): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  const node = process.versions.node;
  const wantNode = minNode();
  lines.push(
    versionAtLeast(node, wantNode)
      ? { ok: true, text: `node ${node} >=${wantNode}` }
      : { ok: false, text: `node ${node} <${wantNode}: install Node.js ${wantNode} or newer` },
  );
  const r = await execa("git", ["--version"], { reject: false, timeout: 10_000 });
  const m = /git version (\d+\.\d+(?:\.\d+)?)/.exec(String(r.stdout));
  if (r.exitCode !== 0 || !m?.[1])
    lines.push({ ok: false, text: "git not found: install git (imagectl runs the system git)" });
  else
    lines.push(
      versionAtLeast(m[1], MIN_GIT)
        ? { ok: true, text: `git ${m[1]} >=${MIN_GIT}` }
        : { ok: false, text: `git ${m[1]} <${MIN_GIT}: install git ${MIN_GIT} or newer` },
    );
  return lines;
}

/** The store: opens (which migrates it) and its file and home are writable. */
export async function checkStore(home: string): Promise<{ line: CheckLine; env?: ControllerDeps }> {
  const { openStore, STATE_DB } = await import("../store/index.js");
  const db = join(home, STATE_DB);
  try {
    const store = await openStore({ home });
    for (const p of [home, db]) if (existsSync(p)) accessSync(p, constants.W_OK);
    return {
      line: { ok: true, text: `store ${db} opens, is migrated and writable` },
      env: { store, home, now: () => new Date() },
    };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      line: { ok: false, text: `store ${db}: ${why}: check the file's owner and permissions, or --home` },
    };
  }
}

/** A daemon for this home: alive, and its /healthz and /readyz answer. No daemon is only a note. */
export async function checkDaemon(home: string): Promise<CheckLine> {
  const info = runningDaemon(home);
  if (!info) {
    const stale = readDaemonInfo(home);
    return {
      ok: true,
      note: true,
      text: `no daemon running${stale ? ` (daemon.json of process ${stale.pid}, which is gone)` : ""}: \`imagectl serve\` reconciles on intervals; the CLI and \`run --once\` work without it`,
    };
  }
  if (!info.url) return { ok: true, text: `daemon pid ${info.pid} running (no HTTP listener)` };
  for (const probe of ["/healthz", "/readyz"]) {
    try {
      const res = await fetch(`${info.url}${probe}`, { signal: AbortSignal.timeout(5_000) });
      if (!res.ok) {
        const body = (await res.text()).trim().split("\n").slice(0, 3).join("; ");
        return {
          ok: false,
          text: `daemon pid ${info.pid}: ${probe} answered HTTP ${res.status}${body ? `: ${body}` : ""}: see the daemon's log`,
        };
      }
    } catch (err) {
      return {
        ok: false,
        text: `daemon pid ${info.pid}: ${info.url}${probe} did not answer (${(err as Error).message}): restart \`imagectl serve\``,
      };
    }
  }
  return { ok: true, text: `daemon pid ${info.pid} healthy at ${info.url}` };
}

const id = (o: AnyObject) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;

export async function checkValid(o: AnyObject): Promise<CheckLine | undefined> {
  const { validateObject, withDefaults } = await import("../api/index.js");
  const issues = validateObject(withDefaults(o));
  if (!issues.length) return undefined;
  return {
    ok: false,
    text: `${id(o)}: invalid: ${issues.map((i) => `${i.field}: ${i.message}`).join("; ")}: fix it with \`create\` or \`apply -f\``,
  };
}

/** One authenticated tags/list request for one tag, with the object's credentials, TLS and proxy. */
export async function checkImageRepository(env: ControllerDeps, o: ImageRepository): Promise<CheckLine> {
  const { checkAccess, CloudAuthError, CloudHostMismatchError, parseImageReference, RegistryError } =
    await import("../registry/index.js");
  const { registryOptionsFor } = await import("../controller/registry-secrets.js");
  const { repositoryTimeoutMs } = await import("../api/index.js");
  try {
    const ref = parseImageReference(o.spec.image, { insecure: o.spec.insecure });
    // One deadline for a cloud's token exchange (provider aws/gcp/azure) and the request.
    const timeoutMs = Math.min(repositoryTimeoutMs(o), 30_000);
    const started = Date.now();
    const options = await registryOptionsFor(env, o, { signal: AbortSignal.timeout(timeoutMs) });
    await checkAccess(ref, { ...options, timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)) });
    return {
      ok: true,
      text: `${id(o)}: registry ${ref.apiHost} answers${credentialsWord(o)}`,
    };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    let hint = "check the registry address, the network and spec.proxySecretRef";
    const cloud = o.spec.provider && o.spec.provider !== "generic";
    if (cloud && (err instanceof CloudHostMismatchError || err instanceof CloudAuthError))
      hint = `check spec.image and the ${o.spec.provider} identity imagectl runs with (docs/cloud-registries.md)`;
    else if (err instanceof RegistryError && err.kind === "auth")
      hint = o.spec.secretRef
        ? `check the credentials in secret '${o.metadata.namespace}/${o.spec.secretRef.name}' (spec.secretRef)`
        : "the registry wants credentials: set spec.secretRef";
    else if (err instanceof RegistryError && err.kind === "not-found") hint = "check spec.image";
    else if (/secret/.test(msg)) hint = "create the secret with `imagectl create secret`";
    return { ok: false, text: `${id(o)}: ${msg}: ${hint}` };
  }
}

function credentialsWord(o: ImageRepository): string {
  if (o.spec.provider && o.spec.provider !== "generic") return ` with ${o.spec.provider} credentials`;
  return o.spec.secretRef ? " with the credentials" : "";
}

/** `git ls-remote` of the branch with the source's credentials and proxy. */
export async function checkGitRepository(env: ControllerDeps, o: GitRepository): Promise<CheckLine> {
  const { lsRemoteHead, displayUrl } = await import("../git/index.js");
  const { gitAuthFor } = await import("../controller/git-auth.js");
  const { proxyFromSecretRef } = await import("../controller/proxy-secret.js");
  const { gitTimeoutMs } = await import("../api/index.js");
  const branch = o.spec.ref?.branch ?? "master";
  try {
    const head = await lsRemoteHead(
      o.spec.url,
      branch,
      await gitAuthFor(env, o),
      Math.min(gitTimeoutMs(o), 30_000),
      await proxyFromSecretRef(env.store, o),
    );
    if (!head)
      return {
        ok: false,
        text: `${id(o)}: branch '${branch}' not found in ${displayUrl(o.spec.url)}: check spec.ref.branch`,
      };
    return {
      ok: true,
      text: `${id(o)}: ${displayUrl(o.spec.url)} reachable, branch '${branch}' at ${head.slice(0, 7)}`,
    };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const hint =
      (err as { op?: string }).op === "auth" || /secret/.test(msg)
        ? o.spec.secretRef
          ? `check the credentials in secret '${o.metadata.namespace}/${o.spec.secretRef.name}' (spec.secretRef)`
          : "the remote wants credentials: set spec.secretRef (`imagectl create secret git`)"
        : "check spec.url and the network";
    return { ok: false, text: `${id(o)}: ${msg}: ${hint}` };
  }
}
