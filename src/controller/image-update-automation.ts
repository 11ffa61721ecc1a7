import { parseDuration } from "../api/duration.js";
import type { ImageUpdateAutomation, RollbackPin } from "../api/types.js";
import { UNPIN_ANNOTATION } from "../api/write-back-annotations.js";
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
import { pullRequestConfig } from "./pull-request-config.js";
import { type Finished, type ReconcileContext, reconcileWith } from "./reconcile-context.js";
import { describePins, newPins } from "./rollback.js";

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
  const pr = pullRequestConfig(auto);
  if (pr) {
    const { runPullRequests } = await import("./automation-pull-requests.js");
    return runPullRequests(deps, auto, p, pr, r, intervalMs);
  }
  if (!p.rollback.unpin && (await upToDateWithoutClone(auto, p)))
    return r.ready(upToDate(auto.status?.rollbackPins), { requeueAfterMs: intervalMs });

  const last: Applied = {};
  const res = await runAutomation(p.git, applier(auto, p, last));
  r.status.observedPolicies = p.observed;
  r.status.observedSourceRevision = res.revision;
  const pinNews = recordPins(r, auto, last, res.revision);
  if (!res.pushed || !res.commit)
    return r.ready(upToDate(r.status.rollbackPins), { requeueAfterMs: intervalMs, event: pinNews });

  r.status.lastPushCommit = res.commit;
  r.status.lastPushTime = deps.now().toISOString();
  // A push whose answer was lost, found on the remote: this run rendered no message of its own.
  const commitMessage = res.landedEarlier?.message ?? last.message ?? "";
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
    `${upToDate(r.status.rollbackPins)}: pushed commit '${res.commit.slice(0, 7)}' to branch '${p.pushBranch}'`,
    {
      event: [pushSummary(res.commit, p.pushBranch, commitMessage, refspecs), pinNews]
        .filter(Boolean)
        .join("\n"),
      eventMetadata: { commit: res.commit, branch: p.pushBranch },
      requeueAfterMs: intervalMs,
    },
  );
}

/** The Ready message: Flux's, plus the markers pinned after a rollback. */
function upToDate(pins: readonly RollbackPin[] | undefined): string {
  return pins?.length
    ? `repository up-to-date; pinned after a rollback: ${describePins(pins)}`
    : "repository up-to-date";
}

/** Puts this run's pins (and a handled unpin request) into the status; returns news for an event. */
function recordPins(
  r: ReconcileContext<"ImageUpdateAutomation">,
  auto: ImageUpdateAutomation,
  last: Applied,
  revision: string,
): string | undefined {
  const earlier = auto.status?.rollbackPins;
  const pins = (last.pins ?? []).map((p) => ({ ...p, seenAt: p.seenAt || revision }));
  if (pins.length) r.status.rollbackPins = pins;
  else delete r.status.rollbackPins;
  const unpin = auto.metadata.annotations?.[UNPIN_ANNOTATION];
  if (unpin !== undefined) r.status.lastHandledUnpinAt = unpin;
  const fresh = newPins(pins, earlier);
  if (fresh.length) return `rollback detected, not re-applied: ${describePins(fresh)}`;
  if (earlier?.length && pins.length === 0) return "rollback pins lifted";
  return undefined;
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
): Promise<{ diff: string; message: string | null; pins: RollbackPin[] }> {
  try {
    const planned = await plan(deps, auto);
    // With pull requests, written values sit on the request branches: no rollback pins (as a run).
    const p = pullRequestConfig(auto)
      ? { ...planned, rollback: { ...planned.rollback, written: new Map<string, string>() } }
      : planned;
    const last: Applied = {};
    const preview = await previewAutomation(p.git, applier(auto, p, last));
    return { diff: preview.diff, message: preview.message, pins: last.pins ?? [] };
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
