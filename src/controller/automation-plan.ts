/**
 * An ImageUpdateAutomation's references resolved into what one run needs (Git options, the
 * policies' refs, the commit template), and its failures sorted into stall or retry.
 */

import { join } from "node:path";
import { sameImageRef } from "../api/image-ref.js";
import { gitTimeoutMs, matchesLabelSelector } from "../api/index.js";
import type { GitRepository, ImagePolicy, ImageRef, ImageUpdateAutomation } from "../api/types.js";
import {
  type ApplyChanges,
  type AutomationGitOptions,
  type GitAuth,
  GitError,
  type GitSigning,
} from "../git/index.js";
import {
  commitTemplateData,
  RemovedTemplateFieldError,
  renderCommitMessage,
  UpdatePathError,
  type UpdateResult,
  updateWithSetters,
} from "../update/index.js";
import type { ControllerDeps } from "./controller-deps.js";
import { ProxySecretError, proxyFromSecretRef } from "./proxy-secret.js";
import { RetryError, StallError } from "./reconcile-context.js";

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
  pushBranch: string;
  checkoutBranch: string;
}

async function gitAuthFor(deps: ControllerDeps, repo: GitRepository): Promise<GitAuth | undefined> {
  const ref = repo.spec.secretRef?.name;
  if (!ref) return undefined;
  const ns = repo.metadata.namespace;
  const secret = await deps.store.getSecret(ns, ref);
  if (!secret)
    throw new RetryError(
      "GitOperationFailed",
      `secret '${ns}/${ref}' not found (GitRepository spec.secretRef)`,
    );
  const d = secret.data;
  return {
    username: d.username,
    password: d.password,
    bearerToken: d.bearerToken,
    sshPrivateKey: d.identity,
    knownHosts: d.known_hosts,
  };
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
  };
  return {
    git,
    refs,
    observed,
    template: spec.git.commit.messageTemplate,
    values: spec.git.commit.messageTemplateValues,
    path: spec.update?.path,
    pushBranch,
    checkoutBranch,
  };
}

/** Where the cached clone of the automation's GitRepository lives. */
export function cacheDirOf(deps: Pick<ControllerDeps, "home">, auto: ImageUpdateAutomation): string {
  const ref = auto.spec.sourceRef;
  return join(deps.home, "git", ref.namespace ?? auto.metadata.namespace, ref.name);
}

/** What the last attempt of the setters pass changed and the commit message it rendered for it. */
export interface Applied {
  result?: UpdateResult;
  message?: string;
}

/**
 * The setters pass plus the commit message, as the callback the Git layer re-runs on each attempt;
 * `last` keeps the final attempt's result and message for the event and the run record.
 */
export function applier(auto: ImageUpdateAutomation, p: Plan, last: Applied): ApplyChanges {
  return async (workTree) => {
    const result = await updateWithSetters(workTree, p.refs, { path: p.path });
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
  if (err instanceof GitError)
    return new RetryError("GitOperationFailed", `failed to update source: ${err.message}`);
  return new RetryError("UpdateFailed", err instanceof Error ? err.message : String(err));
}
