import { parseDuration } from "../api/duration.js";
import type { ImageUpdateAutomation } from "../api/types.js";
import { commitPatch, lsRemoteHead, previewAutomation, runAutomation } from "../git/index.js";
import { pushSummary } from "../update/index.js";
import {
  type Applied,
  applier,
  cacheDirOf,
  classify,
  type Plan,
  plan,
  sameObserved,
} from "./automation-plan.js";
import type { ControllerDeps } from "./controller-deps.js";
import type { ReconcileOutcome } from "./outcome.js";
import { type Finished, type ReconcileContext, reconcileWith } from "./reconcile-context.js";

/** One automation run: setters over the cached clone, commit and push when something changed. */
export function reconcileImageUpdateAutomation(
  deps: ControllerDeps,
  auto: ImageUpdateAutomation,
): Promise<ReconcileOutcome> {
  return reconcileWith(deps, auto, async (r) => {
    // Flux sets the run time at the start of every run, also when it later fails.
    r.status.lastAutomationRunTime = r.nowIso;
    try {
      return await run(deps, auto, r);
    } catch (err) {
      throw classify(err);
    }
  });
}

async function run(
  deps: ControllerDeps,
  auto: ImageUpdateAutomation,
  r: ReconcileContext<"ImageUpdateAutomation">,
): Promise<Finished> {
  const { namespace, name } = auto.metadata;
  const intervalMs = parseDuration(auto.spec.interval);
  const p = await plan(deps, auto);
  if (await upToDateWithoutClone(auto, p))
    return r.ready("repository up-to-date", { requeueAfterMs: intervalMs });

  const last: Applied = {};
  const res = await runAutomation(p.git, applier(auto, p, last));
  r.status.observedPolicies = p.observed;
  r.status.observedSourceRevision = res.revision;
  if (!res.pushed || !res.commit) return r.ready("repository up-to-date", { requeueAfterMs: intervalMs });

  r.status.lastPushCommit = res.commit;
  r.status.lastPushTime = deps.now().toISOString();
  const commitMessage = last.message ?? "";
  const refspecs = auto.spec.git?.push?.refspec ? [auto.spec.git.push.refspec] : [];
  await deps.store.recordRun({
    namespace,
    name,
    startedAt: r.nowIso,
    finishedAt: deps.now().toISOString(),
    outcome: "pushed",
    commit: res.commit,
    branch: p.pushBranch,
    message: commitMessage,
    changes: [...(last.result?.fileChanges.entries() ?? [])].flatMap(([file, objs]) =>
      objs.flatMap((o) => o.changes.map((c) => ({ file, ...c }))),
    ),
  });
  return r.ready(
    `repository up-to-date: pushed commit '${res.commit.slice(0, 7)}' to branch '${p.pushBranch}'`,
    {
      event: pushSummary(res.commit, p.pushBranch, commitMessage, refspecs),
      eventMetadata: { commit: res.commit, branch: p.pushBranch },
      requeueAfterMs: intervalMs,
    },
  );
}

/** Nothing changed on our side and the remote branch did not move either: no clone needed. */
async function upToDateWithoutClone(auto: ImageUpdateAutomation, p: Plan): Promise<boolean> {
  const switching = p.pushBranch !== p.checkoutBranch || !!auto.spec.git?.push?.refspec;
  const observed = auto.status?.observedSourceRevision;
  if (switching || !observed || !sameObserved(auto.status?.observedPolicies, p.observed)) return false;
  const head = await lsRemoteHead(p.git.url, p.checkoutBranch, p.git.auth, p.git.timeoutMs, p.git.proxy);
  return !!head && `${p.checkoutBranch}@sha1:${head}` === observed;
}

/** `reconcile image update --dry-run`: the diff and message a run would make; nothing is pushed. */
export async function previewAutomationRun(
  deps: ControllerDeps,
  auto: ImageUpdateAutomation,
): Promise<{ diff: string; message: string | null }> {
  try {
    const p = await plan(deps, auto);
    const preview = await previewAutomation(p.git, applier(auto, p, {}));
    return { diff: preview.diff, message: preview.message };
  } catch (err) {
    throw classify(err);
  }
}

/** The patch of the automation's last pushed commit, from its cached clone; undefined if not there. */
export async function lastPushPatch(
  deps: ControllerDeps,
  auto: ImageUpdateAutomation,
): Promise<string | undefined> {
  const sha = auto.status?.lastPushCommit;
  return sha ? commitPatch(cacheDirOf(deps, auto), sha) : undefined;
}
