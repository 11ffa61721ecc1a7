/**
 * An ImageUpdateAutomation's references resolved into what one run needs (Git options, the
 * policies' refs, the commit template), and its failures sorted into stall or retry.
 */

import { join } from "node:path";
import { sameImageRef } from "../api/image-ref.js";
import { gitTimeoutMs, matchesLabelSelector } from "../api/index.js";
import type { ImagePolicy, ImageRef, ImageUpdateAutomation, RollbackPin } from "../api/types.js";
import { INCLUDE_ANNOTATION } from "../api/write-back-annotations.js";
import { type ApplyChanges, type AutomationGitOptions, GitError, type GitSigning } from "../git/index.js";
import {
  commitTemplateData,
  IncludeGlobError,
  RemovedTemplateFieldError,
  renderCommitMessage,
  splitIncludeGlobs,
  UpdatePathError,
  type UpdateResult,
  updateWithSetters,
} from "../update/index.js";
import type { ControllerDeps } from "./controller-deps.js";
import { gitAuthFor } from "./git-auth.js";
import { ProxySecretError, proxyFromSecretRef } from "./proxy-secret.js";
import { RetryError, StallError } from "./reconcile-context.js";
import { findPins, holdOf, unpinRequested, writtenValues } from "./rollback.js";

/** Only policies in the automation's namespace, matching its policySelector, count (as in Flux). */
export function policyMatchesAutomation(auto: ImageUpdateAutomation, policy: ImagePolicy): boolean {
  if (policy.metadata.namespace !== auto.metadata.namespace) return false;
  return matchesLabelSelector(auto.spec.policySelector, policy.metadata.labels ?? {});
}

export interface Plan {
  git: AutomationGitOptions;
  refs: Map<string, ImageRef>;
  observed: Record<string, ImageRef>;
  template: string | undefined;
  values: Record<string, string> | undefined;
  path: string | undefined;
  /** Globs of the include annotation: more files to read markers in. */
  include: string[];
  /** Rollback awareness (rollback.ts): what the automation wrote, earlier pins, whether to lift them. */
  rollback: { written: Map<string, string>; earlier: RollbackPin[]; unpin: boolean; at: string };
  pushBranch: string;
  checkoutBranch: string;
}

/** Where a GitRepository's cached clone lives: one per source, shared by its automations and its sync. */
export function gitCacheDir(home: string, namespace: string, name: string): string {
  return join(home, "git", namespace, name);
}

async function signingFor(
  deps: ControllerDeps,
  auto: ImageUpdateAutomation,
): Promise<GitSigning | undefined> {
  const sk = auto.spec.git?.commit.signingKey;
  if (!sk) return undefined;
  const ns = auto.metadata.namespace;
  const secret = await deps.store.getSecret(ns, sk.secretRef.name);
  if (!secret)
    throw new RetryError("GitOperationFailed", `signing key secret '${ns}/${sk.secretRef.name}' not found`);
  const type = sk.type ?? "gpg";
  const key = type === "gpg" ? secret.data["git.asc"] : secret.data.identity;
  if (!key)
    throw new StallError(
      "InvalidSigningKey",
      `signing key secret '${ns}/${sk.secretRef.name}' has no '${type === "gpg" ? "git.asc" : "identity"}' entry`,
    );
  return { type, key, passphrase: type === "gpg" ? secret.data.passphrase : secret.data.password };
}

/** Resolves the automation's references into everything a run needs; throws StallError / RetryError. */
export async function plan(deps: ControllerDeps, auto: ImageUpdateAutomation): Promise<Plan> {
  const spec = auto.spec;
  if ((spec.sourceRef.kind ?? "GitRepository") !== "GitRepository")
    throw new StallError(
      "InvalidSourceConfiguration",
      `source kind '${spec.sourceRef.kind}' is not supported`,
    );
  if (!spec.git)
    throw new StallError(
      "InvalidSourceConfiguration",
      "source kind 'GitRepository' necessitates field .spec.git",
    );
  const strategy = spec.update?.strategy ?? "Setters";
  if (strategy !== "Setters")
    throw new StallError("InvalidUpdateStrategy", `unsupported update strategy '${strategy}'`);

  const ns = spec.sourceRef.namespace ?? auto.metadata.namespace;
  const repo = await deps.store.get("GitRepository", ns, spec.sourceRef.name);
  if (!repo)
    throw new RetryError(
      "SourceManagerFailed",
      `referenced git repository '${ns}/${spec.sourceRef.name}' does not exist`,
    );

  const checkoutBranch = spec.git.checkout?.ref.branch ?? repo.spec.ref?.branch ?? "master";
  const pushBranch = spec.git.push?.branch ?? checkoutBranch;
  const policies = (await deps.store.list("ImagePolicy", { namespace: auto.metadata.namespace })).filter(
    (p) => policyMatchesAutomation(auto, p) && p.status?.latestRef,
  );
  const refs = new Map<string, ImageRef>();
  const observed: Record<string, ImageRef> = {};
  for (const p of policies) {
    const r = p.status!.latestRef!;
    refs.set(`${p.metadata.namespace}:${p.metadata.name}`, r);
    observed[p.metadata.name] = r;
  }
  const git: AutomationGitOptions = {
    cacheDir: cacheDirOf(deps, auto),
    url: repo.spec.url,
    auth: await gitAuthFor(deps, repo),
    proxy: await proxyFromSecretRef(deps.store, repo),
    timeoutMs: gitTimeoutMs(repo),
    checkoutBranch,
    pushBranch,
    refspec: spec.git.push?.refspec,
    pushOptions: spec.git.push?.options,
    author: spec.git.commit.author,
    signing: await signingFor(deps, auto),
    pushKey: `${auto.metadata.namespace}/${auto.metadata.name}`,
    ...(deps.fence && {
      beforePush: () =>
        deps.fence!({
          kind: "ImageUpdateAutomation",
          namespace: auto.metadata.namespace,
          name: auto.metadata.name,
        }),
    }),
  };
  return {
    git,
    refs,
    observed,
    template: spec.git.commit.messageTemplate,
    values: spec.git.commit.messageTemplateValues,
    path: spec.update?.path,
    include: splitIncludeGlobs(auto.metadata.annotations?.[INCLUDE_ANNOTATION]),
    rollback: {
      written: await writtenValues(deps, auto),
      earlier: auto.status?.rollbackPins ?? [],
      unpin: unpinRequested(auto),
      at: deps.now().toISOString(),
    },
    pushBranch,
    checkoutBranch,
  };
}

/** Where the cached clone of the automation's GitRepository lives. */
export function cacheDirOf(deps: Pick<ControllerDeps, "home">, auto: ImageUpdateAutomation): string {
  const ref = auto.spec.sourceRef;
  return gitCacheDir(deps.home, ref.namespace ?? auto.metadata.namespace, ref.name);
}

/** What the last attempt of the setters pass changed and the commit message it rendered for it. */
export interface Applied {
  result?: UpdateResult;
  message?: string;
  /** Markers left alone because a person rolled back what the automation wrote (`seenAt` empty). */
  pins?: RollbackPin[];
}

/**
 * The setters pass plus the commit message, as the callback the Git layer re-runs on each attempt;
 * `last` keeps the final attempt's result and message for the event and the run record.
 */
export function applier(auto: ImageUpdateAutomation, p: Plan, last: Applied): ApplyChanges {
  return async (workTree) => {
    const scan = { path: p.path, include: p.include };
    const rb = p.rollback;
    last.pins = [];
    let hold: Map<string, Set<string>> | undefined;
    if (!rb.unpin && rb.written.size > 0) {
      // A pass without writing shows which values would go back over a person's rollback.
      const dry = await updateWithSetters(workTree, p.refs, { ...scan, write: false });
      last.pins = findPins(dry, rb.written, rb.earlier, { at: rb.at, head: "" });
      hold = holdOf(last.pins);
    }
    const result = await updateWithSetters(workTree, p.refs, { ...scan, hold });
    last.result = result;
    last.message = undefined;
    if (result.fileChanges.size === 0) return null;
    const data = commitTemplateData(
      { namespace: auto.metadata.namespace, name: auto.metadata.name },
      result,
      p.values,
    );
    last.message = renderCommitMessage(p.template, data);
    return { message: last.message };
  };
}

export function sameObserved(a: Record<string, ImageRef> | undefined, b: Record<string, ImageRef>): boolean {
  const ka = Object.keys(a ?? {}).sort();
  const kb = Object.keys(b).sort();
  if (ka.join("\n") !== kb.join("\n")) return false;
  return kb.every((k) => sameImageRef(a?.[k], b[k]));
}

export function classify(err: unknown): StallError | RetryError {
  if (err instanceof StallError || err instanceof RetryError) return err;
  if (err instanceof ProxySecretError) return new RetryError("GitOperationFailed", err.message);
  if (err instanceof RemovedTemplateFieldError) return new StallError("RemovedTemplateField", err.message);
  if (err instanceof UpdatePathError) return new StallError("InvalidUpdatePath", err.message);
  if (err instanceof IncludeGlobError)
    return new StallError("InvalidIncludeGlob", `annotation ${INCLUDE_ANNOTATION}: ${err.message}`);
  if (err instanceof GitError)
    return new RetryError("GitOperationFailed", `failed to update source: ${err.message}`);
  return new RetryError("UpdateFailed", err instanceof Error ? err.message : String(err));
}
