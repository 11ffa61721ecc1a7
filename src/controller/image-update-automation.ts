import { join } from "node:path";
import { parseDuration } from "../api/duration.js";
import { gitTimeoutMs, matchesLabelSelector } from "../api/index.js";
import type {
  GitRepository,
  ImagePolicy,
  ImageRef,
  ImageUpdateAutomation,
  ImageUpdateAutomationStatus,
} from "../api/types.js";
import {
  type ApplyChanges,
  type AutomationGitOptions,
  type GitAuth,
  GitError,
  type GitSigning,
  lsRemoteHead,
  previewAutomation,
  runAutomation,
} from "../git/index.js";
import {
  commitTemplateData,
  pushSummary,
  RemovedTemplateFieldError,
  renderCommitMessage,
  UpdatePathError,
  type UpdateResult,
  updateWithSetters,
} from "../update/index.js";
import { markFailed, markReady, markStalled } from "./conditions.js";
import type { ControllerEnv } from "./env.js";
import { REQUEST_ANNOTATION, type ReconcileOutcome } from "./outcome.js";
import { ProxySecretError, proxyFromSecretRef } from "./proxy-secret.js";

/** A problem in the spec or its references that retrying cannot fix. */
class StalledError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "StalledError";
  }
}

/** A transient failure: retried with backoff. */
class RetryError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "RetryError";
  }
}

/** Only policies in the automation's namespace, matching its policySelector, count (as in Flux). */
export function policyMatchesAutomation(auto: ImageUpdateAutomation, policy: ImagePolicy): boolean {
  if (policy.metadata.namespace !== auto.metadata.namespace) return false;
  return matchesLabelSelector(auto.spec.policySelector, policy.metadata.labels ?? {});
}

interface Plan {
  git: AutomationGitOptions;
  refs: Map<string, ImageRef>;
  observed: Record<string, ImageRef>;
  template: string | undefined;
  values: Record<string, string> | undefined;
  path: string | undefined;
  pushBranch: string;
  checkoutBranch: string;
}

async function gitAuthFor(env: ControllerEnv, repo: GitRepository): Promise<GitAuth | undefined> {
  const ref = repo.spec.secretRef?.name;
  if (!ref) return undefined;
  const ns = repo.metadata.namespace;
  const secret = await env.store.getSecret(ns, ref);
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

async function signingFor(env: ControllerEnv, auto: ImageUpdateAutomation): Promise<GitSigning | undefined> {
  const sk = auto.spec.git?.commit.signingKey;
  if (!sk) return undefined;
  const ns = auto.metadata.namespace;
  const secret = await env.store.getSecret(ns, sk.secretRef.name);
  if (!secret)
    throw new RetryError("GitOperationFailed", `signing key secret '${ns}/${sk.secretRef.name}' not found`);
  const type = sk.type ?? "gpg";
  const key = type === "gpg" ? secret.data["git.asc"] : secret.data.identity;
  if (!key)
    throw new StalledError(
      "InvalidSigningKey",
      `signing key secret '${ns}/${sk.secretRef.name}' has no '${type === "gpg" ? "git.asc" : "identity"}' entry`,
    );
  return { type, key, passphrase: type === "gpg" ? secret.data.passphrase : secret.data.password };
}

/** Resolves the automation's references into everything a run needs; throws Stalled/RetryError. */
async function plan(env: ControllerEnv, auto: ImageUpdateAutomation): Promise<Plan> {
  const spec = auto.spec;
  if ((spec.sourceRef.kind ?? "GitRepository") !== "GitRepository")
    throw new StalledError(
      "InvalidSourceConfiguration",
      `source kind '${spec.sourceRef.kind}' is not supported`,
    );
  if (!spec.git)
    throw new StalledError(
      "InvalidSourceConfiguration",
      "source kind 'GitRepository' necessitates field .spec.git",
    );
  const strategy = spec.update?.strategy ?? "Setters";
  if (strategy !== "Setters")
    throw new StalledError("InvalidUpdateStrategy", `unsupported update strategy '${strategy}'`);

  const ns = spec.sourceRef.namespace ?? auto.metadata.namespace;
  const repo = await env.store.get("GitRepository", ns, spec.sourceRef.name);
  if (!repo)
    throw new RetryError(
      "SourceManagerFailed",
      `referenced git repository '${ns}/${spec.sourceRef.name}' does not exist`,
    );

  const checkoutBranch = spec.git.checkout?.ref.branch ?? repo.spec.ref?.branch ?? "master";
  const pushBranch = spec.git.push?.branch ?? checkoutBranch;
  const policies = (await env.store.list("ImagePolicy", { namespace: auto.metadata.namespace })).filter(
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
    cacheDir: join(env.home, "git", ns, spec.sourceRef.name),
    url: repo.spec.url,
    auth: await gitAuthFor(env, repo),
    proxy: await proxyFromSecretRef(env.store, repo),
    timeoutMs: gitTimeoutMs(repo),
    checkoutBranch,
    pushBranch,
    refspec: spec.git.push?.refspec,
    pushOptions: spec.git.push?.options,
    author: spec.git.commit.author,
    signing: await signingFor(env, auto),
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

/** The setters pass plus the commit message, as the callback the Git layer re-runs on each attempt. */
function applier(auto: ImageUpdateAutomation, p: Plan, last: { result?: UpdateResult }): ApplyChanges {
  return async (workTree) => {
    const result = await updateWithSetters(workTree, p.refs, { path: p.path });
    last.result = result;
    if (result.fileChanges.size === 0) return null;
    const data = commitTemplateData(
      { namespace: auto.metadata.namespace, name: auto.metadata.name },
      result,
      p.values,
    );
    return { message: renderCommitMessage(p.template, data) };
  };
}

function sameObserved(a: Record<string, ImageRef> | undefined, b: Record<string, ImageRef>): boolean {
  const ka = Object.keys(a ?? {}).sort();
  const kb = Object.keys(b).sort();
  if (ka.join("\n") !== kb.join("\n")) return false;
  return kb.every((k) => {
    const x = a![k]!;
    const y = b[k]!;
    return x.name === y.name && x.tag === y.tag && (x.digest ?? "") === (y.digest ?? "");
  });
}

function classify(err: unknown): StalledError | RetryError {
  if (err instanceof StalledError || err instanceof RetryError) return err;
  if (err instanceof ProxySecretError) return new RetryError("GitOperationFailed", err.message);
  if (err instanceof RemovedTemplateFieldError) return new StalledError("RemovedTemplateField", err.message);
  if (err instanceof UpdatePathError) return new StalledError("InvalidUpdatePath", err.message);
  if (err instanceof GitError)
    return new RetryError("GitOperationFailed", `failed to update source: ${err.message}`);
  return new RetryError("UpdateFailed", err instanceof Error ? err.message : String(err));
}

/** One automation run: setters over the cached clone, commit and push when something changed. */
export async function reconcileImageUpdateAutomation(
  env: ControllerEnv,
  auto: ImageUpdateAutomation,
): Promise<ReconcileOutcome> {
  const { namespace, name } = auto.metadata;
  const gen = auto.metadata.generation;
  const nowIso = env.now().toISOString();
  const requested = auto.metadata.annotations?.[REQUEST_ANNOTATION];
  if (auto.spec.suspend) return { ready: false, stalled: false, suspended: true, message: "suspended" };
  // Flux sets the run time at the start of every run, also when it later fails.
  const status: ImageUpdateAutomationStatus = { ...(auto.status ?? {}), lastAutomationRunTime: nowIso };
  if (requested) status.lastHandledReconcileAt = requested;
  const intervalMs = parseDuration(auto.spec.interval);
  const save = (s: ImageUpdateAutomationStatus) =>
    env.store.updateStatus("ImageUpdateAutomation", namespace, name, s);

  let p: Plan;
  try {
    p = await plan(env, auto);
    const switching = p.pushBranch !== p.checkoutBranch || !!auto.spec.git?.push?.refspec;
    if (
      !switching &&
      sameObserved(auto.status?.observedPolicies, p.observed) &&
      auto.status?.observedSourceRevision
    ) {
      // Nothing changed on our side: skip the clone if the remote branch did not move either.
      const head = await lsRemoteHead(p.git.url, p.checkoutBranch, p.git.auth, p.git.timeoutMs, p.git.proxy);
      if (head && `${p.checkoutBranch}@sha1:${head}` === auto.status.observedSourceRevision) {
        const message = "repository up-to-date";
        await save(markReady(status, "Succeeded", message, nowIso, gen));
        return { ready: true, stalled: false, requeueAfterMs: intervalMs, message };
      }
    }
    const last: { result?: UpdateResult } = {};
    const res = await runAutomation(p.git, applier(auto, p, last));
    status.observedPolicies = p.observed;
    status.observedSourceRevision = res.revision;
    let message = "repository up-to-date";
    if (res.pushed && res.commit) {
      status.lastPushCommit = res.commit;
      status.lastPushTime = env.now().toISOString();
      const commitMessage = last.result
        ? renderCommitMessage(p.template, commitTemplateData({ namespace, name }, last.result, p.values))
        : "";
      const event = pushSummary(
        res.commit,
        p.pushBranch,
        commitMessage,
        auto.spec.git?.push?.refspec ? [auto.spec.git.push.refspec] : [],
      );
      await env.store.recordEvent({
        kind: "ImageUpdateAutomation",
        namespace,
        name,
        type: "Normal",
        reason: "Succeeded",
        message: event,
        at: nowIso,
      });
      await env.store.recordRun({
        namespace,
        name,
        startedAt: nowIso,
        finishedAt: env.now().toISOString(),
        outcome: "pushed",
        commit: res.commit,
        branch: p.pushBranch,
        message: commitMessage,
        changes: [...(last.result?.fileChanges.entries() ?? [])].flatMap(([file, objs]) =>
          objs.flatMap((o) => o.changes.map((c) => ({ file, ...c }))),
        ),
      });
      message = `repository up-to-date: pushed commit '${res.commit.slice(0, 7)}' to branch '${p.pushBranch}'`;
    }
    await save(markReady(status, "Succeeded", message, nowIso, gen));
    return { ready: true, stalled: false, requeueAfterMs: intervalMs, message, changed: res.pushed };
  } catch (err) {
    const e = classify(err);
    if (e instanceof StalledError) {
      await save(markStalled(status, e.reason, e.message, nowIso, gen));
      return { ready: false, stalled: true, message: e.message };
    }
    await save(markFailed(status, e.reason, e.message, nowIso, gen));
    await env.store.recordEvent({
      kind: "ImageUpdateAutomation",
      namespace,
      name,
      type: "Warning",
      reason: e.reason,
      message: e.message,
      at: nowIso,
    });
    return { ready: false, stalled: false, failed: true, message: e.message };
  }
}

/** `reconcile image update --dry-run`: the diff and message a run would make; nothing is pushed. */
export async function previewAutomationRun(
  env: ControllerEnv,
  auto: ImageUpdateAutomation,
): Promise<{ diff: string; message: string | null }> {
  try {
    const p = await plan(env, auto);
    const preview = await previewAutomation(p.git, applier(auto, p, {}));
    return { diff: preview.diff, message: preview.message };
  } catch (err) {
    throw classify(err);
  }
}
