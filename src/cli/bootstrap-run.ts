/**
 * The common path of every `bootstrap` form: commit imagectl's manifests under
 * `<path>/imagectl-system/` and push them (nothing when they are already there), then store the
 * credentials and the `flux-system` GitRepository, then sync it once and reconcile what it created.
 * Git goes first: a failed push leaves no store row behind. A second run changes nothing.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ObjectId } from "../api/object-id.js";
import type { AnyObject } from "../api/types.js";
import { APPLY_ORDER } from "../controller/apply-set.js";
import type { ControllerDeps } from "../controller/controller-deps.js";
import { runningDaemon } from "../controller/daemon-info.js";
import type { GitAuth } from "../git/index.js";
import {
  BOOTSTRAP_NAME,
  BOOTSTRAP_NAMESPACE,
  type BootstrapTarget,
  bootstrapFiles,
  SYSTEM_DIR,
  sourceObject,
} from "./bootstrap-manifests.js";
import { type GlobalOptions, withEnv } from "./globals.js";
import type { CliContext } from "./io.js";
import { type Progress, progress } from "./progress.js";

export interface BootstrapRequest {
  target: BootstrapTarget;
  /** Credentials for the push, and the secret data stored under target.secretName. */
  auth?: GitAuth;
  secretData?: Record<string, string>;
  author: { name: string; email: string };
}

const COMMIT_MESSAGE = "Add imagectl sync manifests";

async function readOrUndefined(path: string): Promise<string | undefined> {
  return readFile(path, "utf8").catch(() => undefined);
}

/** Writes the bootstrap files into a work tree; true when any file changed. Notes go to `notes`. */
async function writeFiles(workTree: string, t: BootstrapTarget, notes: string[]): Promise<boolean> {
  let changed = false;
  for (const f of await bootstrapFiles(t)) {
    const abs = join(workTree, f.path);
    const old = await readOrUndefined(abs);
    if (old === f.text || (old !== undefined && !f.always)) continue;
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, f.text);
    changed = true;
  }
  // A kustomization at the path decides what is read; it must list ours, as with Flux's flux-system.
  for (const name of ["kustomization.yaml", "kustomization.yml", "Kustomization"]) {
    const text = await readOrUndefined(join(workTree, t.path, name));
    if (text === undefined) continue;
    if (!new RegExp(`^\\s*-\\s*['"]?(\\./)?${SYSTEM_DIR}/?['"]?\\s*$`, "m").test(text))
      notes.push(
        `${join(t.path, name)} does not list '${SYSTEM_DIR}' in its resources: add it to sync the source`,
      );
    break;
  }
  return changed;
}

async function pushManifests(p: Progress, g: GlobalOptions, req: BootstrapRequest): Promise<void> {
  const { displayUrl, lsRemoteHead, runAutomation, seedBranch } = await import("../git/index.js");
  const { gitCacheDir } = await import("../controller/automation-plan.js");
  const t = req.target;
  const url = displayUrl(t.url);
  p.action(`connecting to ${url}`);
  const head = await lsRemoteHead(t.url, t.branch, req.auth, g.timeoutMs);
  const notes: string[] = [];
  if (head === null) {
    p.action(`branch "${t.branch}" not found in "${url}": creating it`);
    const commit = await seedBranch(
      {
        url: t.url,
        branch: t.branch,
        auth: req.auth,
        timeoutMs: g.timeoutMs,
        author: req.author,
        message: COMMIT_MESSAGE,
      },
      async (wt) => {
        await writeFiles(wt, t, notes);
      },
    );
    p.success(`committed sync manifests to "${t.branch}" ("${commit}")`);
  } else {
    p.action(`cloning branch "${t.branch}" from Git repository "${url}"`);
    const res = await runAutomation(
      {
        cacheDir: gitCacheDir(g.home, BOOTSTRAP_NAMESPACE, BOOTSTRAP_NAME),
        url: t.url,
        auth: req.auth,
        timeoutMs: g.timeoutMs,
        checkoutBranch: t.branch,
        author: req.author,
      },
      async (wt) => ((await writeFiles(wt, t, notes)) ? { message: COMMIT_MESSAGE } : null),
    );
    p.success("cloned repository");
    if (res.pushed) p.success(`committed and pushed sync manifests to "${t.branch}" ("${res.commit}")`);
    else p.success("sync manifests are up to date");
  }
  for (const n of notes) p.warning(n);
}

/** Stores the secret and the source when they differ from what is stored; says what it did. */
async function storeSource(env: ControllerDeps, p: Progress, req: BootstrapRequest): Promise<void> {
  const { jsonEqual } = await import("../store/canonical.js");
  const t = req.target;
  if (req.secretData && t.secretName) {
    const old = await env.store.getSecret(BOOTSTRAP_NAMESPACE, t.secretName);
    if (old && jsonEqual(old.data, req.secretData)) p.success("source secret up to date");
    else {
      await env.store.putSecret(BOOTSTRAP_NAMESPACE, t.secretName, { type: "Opaque", data: req.secretData });
      p.success(`source secret '${BOOTSTRAP_NAMESPACE}/${t.secretName}' saved`);
    }
  }
  const want = sourceObject(t);
  const have = await env.store.get("GitRepository", BOOTSTRAP_NAMESPACE, BOOTSTRAP_NAME);
  const same =
    have &&
    jsonEqual(have.spec, want.spec) &&
    Object.entries(want.metadata.annotations ?? {}).every(([k, v]) => have.metadata.annotations?.[k] === v);
  if (same) {
    p.success(`GitRepository "${BOOTSTRAP_NAMESPACE}/${BOOTSTRAP_NAME}" up to date`);
    return;
  }
  // Keep what a sync stamped (owner labels, revision) on an existing source; only ours changes.
  if (have) {
    want.metadata.labels = { ...have.metadata.labels };
    want.metadata.annotations = { ...have.metadata.annotations, ...want.metadata.annotations };
  }
  await env.store.apply([want]);
  p.success(`GitRepository "${BOOTSTRAP_NAMESPACE}/${BOOTSTRAP_NAME}" ${have ? "configured" : "created"}`);
}

/** Without a daemon: reconcile the objects the sync made or changed (with their dependents), as `apply` does. */
async function reconcileSynced(env: ControllerDeps, p: Progress): Promise<void> {
  const { reconcileWithDependents, wantsReconcile } = await import("../controller/reconcile.js");
  const { ownerOf } = await import("../controller/source-sync-labels.js");
  for (const kind of APPLY_ORDER) {
    if (kind === "GitRepository") continue;
    for (const o of (await env.store.list(kind)) as AnyObject[]) {
      const owner = ownerOf(o);
      if (owner?.name !== BOOTSTRAP_NAME || owner.namespace !== BOOTSTRAP_NAMESPACE || !wantsReconcile(o))
        continue;
      const key: ObjectId = { kind, namespace: o.metadata.namespace, name: o.metadata.name };
      await reconcileWithDependents(env, key, {
        onResult: (k, outcome) => p.action(`${k.kind} ${k.namespace}/${k.name}: ${outcome.message}`),
      });
    }
  }
}

export async function runBootstrap(ctx: CliContext, g: GlobalOptions, req: BootstrapRequest): Promise<void> {
  const p = progress(ctx.io);
  await pushManifests(p, g, req);
  await withEnv(g, async (env) => {
    await storeSource(env, p, req);
    const key: ObjectId = { kind: "GitRepository", namespace: BOOTSTRAP_NAMESPACE, name: BOOTSTRAP_NAME };
    const daemon = runningDaemon(env.home) !== undefined;
    p.waiting(`waiting for GitRepository "${BOOTSTRAP_NAMESPACE}/${BOOTSTRAP_NAME}" to be reconciled`);
    const { reconcileAndWait } = await import("./wait.js");
    const res = await reconcileAndWait(env, key, { timeoutMs: g.timeoutMs, request: daemon });
    if (!res.ready) {
      p.failure(res.message || "GitRepository reconciliation failed");
      ctx.setExitCode(1);
      return;
    }
    p.success(`GitRepository reconciled successfully: ${res.message}`);
    if (!daemon) await reconcileSynced(env, p);
    p.success("bootstrap finished");
  });
}
