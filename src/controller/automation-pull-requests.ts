/**
 * An ImageUpdateAutomation with the `imagectl.io/pull-request` annotation: instead of pushing to
 * its branch, it keeps one pull/merge request per automation (or per policy) on a branch of its
 * own, rebuilt from the checkout branch each run, updated in place when a newer tag arrives and
 * closed (branch deleted) once the checkout branch needs no change.
 */
import { checkGitRefName } from "../api/index.js";
import type { ImageRef, ImageUpdateAutomation } from "../api/types.js";
import {
  closePullRequest,
  ensurePullRequest,
  ForgeError,
  type ForgePullRequests,
  forgeClient,
} from "../git/forge/pull-requests.js";
import { runPullRequestBranch } from "../git/index.js";
import { commitTemplateData, renderWriteBackTemplate } from "../update/index.js";
import { type Applied, applier, type Plan } from "./automation-plan.js";
import type { ControllerDeps } from "./controller-deps.js";
import { forgeTarget, type PullRequestConfig } from "./pull-request-config.js";
import { type Finished, type ReconcileContext, RetryError, StallError } from "./reconcile-context.js";

const DEFAULT_BRANCH = "imagectl/{{ .AutomationObject.Name }}";
const DEFAULT_POLICY_BRANCH = "imagectl/{{ .AutomationObject.Name }}/{{ .Policy }}";

interface Group {
  policy?: string;
  refs: Map<string, ImageRef>;
}

function render(what: string, template: string, data: unknown): string {
  try {
    return renderWriteBackTemplate(what, template, data);
  } catch (err) {
    throw new StallError(
      "InvalidPullRequestConfig",
      `pull-request ${what}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** Flux's template data, plus `.Policy` (the policy's name) when there is one request per policy. */
function templateData(auto: ImageUpdateAutomation, p: Plan, g: Group, last?: Applied): unknown {
  const data = commitTemplateData(
    auto.metadata,
    last?.result ?? { fileChanges: new Map() },
    p.values,
  ) as object;
  return Object.assign(data, { Policy: g.policy ?? "" });
}

export async function runPullRequests(
  deps: ControllerDeps,
  auto: ImageUpdateAutomation,
  p: Plan,
  cfg: PullRequestConfig,
  r: ReconcileContext<"ImageUpdateAutomation">,
  intervalMs: number,
): Promise<Finished> {
  const target = forgeTarget(cfg, p.git.url, p.git.auth, process.env, p.git.timeoutMs ?? 60_000);
  const client = await forgeClient(target);
  const groups: Group[] =
    cfg.per === "policy"
      ? [...p.refs].map(([key, ref]) => ({
          policy: key.slice(key.indexOf(":") + 1),
          refs: new Map([[key, ref]]),
        }))
      : [{ refs: p.refs }];
  // In this mode what the automation wrote sits on its own branches, not on the checkout branch, so
  // a value there that differs is no rollback: rollback pins apply to direct pushes only.
  const plan: Plan = { ...p, rollback: { ...p.rollback, written: new Map() } };
  const news: string[] = [];
  const open: { branch: string; number: number; url: string }[] = [];
  let revision: string | undefined;
  for (const g of groups) {
    const branch = render(
      "branch",
      cfg.branch ?? (g.policy ? DEFAULT_POLICY_BRANCH : DEFAULT_BRANCH),
      templateData(auto, p, g),
    );
    const bad = checkGitRefName(branch);
    if (bad || branch === p.checkoutBranch)
      throw new StallError(
        "InvalidPullRequestConfig",
        `pull-request branch ${JSON.stringify(branch)}: ${bad ?? "is the checkout branch"}`,
      );
    const last: Applied = {};
    const res = await runPullRequestBranch(
      { ...plan.git, pushBranch: branch },
      applier(auto, { ...plan, refs: g.refs }, last),
    );
    revision = res.revision;
    const outcome = await syncRequest(client, cfg, auto, p, g, branch, last, res.outcome);
    if (outcome.line) news.push(outcome.line);
    if (outcome.pr) open.push({ branch, number: outcome.pr.number, url: outcome.pr.url });
    if (res.outcome === "pushed" && res.commit) {
      r.status.lastPushCommit = res.commit;
      r.status.lastPushTime = deps.now().toISOString();
      await deps.store.recordRun({
        namespace: auto.metadata.namespace,
        name: auto.metadata.name,
        startedAt: r.nowIso,
        finishedAt: deps.now().toISOString(),
        outcome: "pushed",
        commit: res.commit,
        branch,
        // A push whose answer was lost, found on the branch by this run: its own message.
        message: res.landedEarlier?.message ?? last.message ?? "",
        changes: [...(last.result?.fileChanges ?? [])].flatMap(([file, objs]) =>
          objs.flatMap((o) => o.changes.map((c) => ({ file, ...c }))),
        ),
      });
    }
  }
  r.status.observedPolicies = p.observed;
  if (revision) r.status.observedSourceRevision = revision;
  if (open.length) r.status.pullRequests = open;
  else delete r.status.pullRequests;
  const summary = open.length
    ? `repository up-to-date; open pull requests: ${open.map((o) => `#${o.number} (${o.branch})`).join(", ")}`
    : "repository up-to-date";
  return r.ready(summary, { requeueAfterMs: intervalMs, ...(news.length ? { event: news.join("\n") } : {}) });
}

/** Opens, updates or closes the request of one branch after its push; returns the event line. */
async function syncRequest(
  client: ForgePullRequests,
  cfg: PullRequestConfig,
  auto: ImageUpdateAutomation,
  p: Plan,
  g: Group,
  branch: string,
  last: Applied,
  outcome: "pushed" | "up-to-date" | "not-needed",
): Promise<{ line?: string; pr?: { number: number; url: string } }> {
  try {
    if (outcome === "not-needed") {
      const closed = await closePullRequest(client, branch);
      return closed.pr
        ? { line: `closed pull request #${closed.pr.number}: branch '${branch}' is no longer needed` }
        : {};
    }
    const message = last.message ?? "";
    const data = templateData(auto, p, g, last);
    const title = cfg.title !== undefined ? render("title", cfg.title, data) : message.split("\n")[0]!;
    const body = cfg.body !== undefined ? render("body", cfg.body, data) : message;
    const done = await ensurePullRequest(client, {
      branch,
      base: p.checkoutBranch,
      title,
      body,
      labels: cfg.labels ?? [],
      reviewers: cfg.reviewers ?? [],
    });
    const line =
      done.action === "opened" || done.action === "updated"
        ? `${done.action} pull request #${done.pr.number} (${done.pr.url}) from branch '${branch}'`
        : outcome === "pushed"
          ? `pushed branch '${branch}' of pull request #${done.pr.number}`
          : undefined;
    return { line, pr: done.pr };
  } catch (err) {
    if (err instanceof ForgeError) throw new RetryError("PullRequestFailed", err.message);
    throw err;
  }
}
