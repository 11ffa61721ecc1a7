/** `/automations` and `/automations/<ns>/<name>`: runs, pushed commits with their changes, a preview. */
import type { ImageUpdateAutomation } from "../../api/types.js";
import type { StoredObject, StoredRun } from "../../store/index.js";
import type { AutomationPreview, PageDeps } from "./deps.js";
import { eventsHref, eventTable } from "./events.js";
import {
  pageNumber,
  pager,
  paginate,
  plusInterval,
  problemOf,
  shortSha,
  stateBadge,
  stateOf,
  timeAgo,
} from "./format.js";
import { type Html, html, objectPath } from "./html.js";
import { actionForm, objectActions, type PageContext, page } from "./layout.js";
import { searchForm, searchObjects } from "./repositories.js";

const PER_PAGE = 100;

/** The branch pushed to: spec.git.push.branch, else the checkout branch, else the source's branch. */
async function pushBranchOf(deps: PageDeps, a: ImageUpdateAutomation): Promise<string> {
  const own = a.spec.git?.push?.branch ?? a.spec.git?.checkout?.ref.branch;
  if (own) return own;
  const src = await deps.store.get(
    "GitRepository",
    a.spec.sourceRef.namespace ?? a.metadata.namespace,
    a.spec.sourceRef.name,
  );
  return src?.spec.ref?.branch ?? "master";
}

/** A unified diff, each line marked for colour; the text itself stays as is. */
export function diffView(diff: string): Html {
  const lines = diff
    .split("\n")
    .map((l) =>
      l.startsWith("+") && !l.startsWith("+++")
        ? html`<span class="add">${l}</span>`
        : l.startsWith("-") && !l.startsWith("---")
          ? html`<span class="del">${l}</span>`
          : html`${l}\n`,
    );
  return html`<pre class="diff">${lines}</pre>`;
}

/** The changes of a run as a diff of the marked lines (file, setter, old and new value). */
export function runDiff(run: StoredRun): string {
  const files = new Map<string, StoredRun["changes"]>();
  for (const c of run.changes) files.set(c.file, [...(files.get(c.file) ?? []), c]);
  let out = "";
  for (const [file, changes] of files) {
    out += `--- a/${file}\n+++ b/${file}\n`;
    for (const c of changes) out += `@@ ${c.setter} @@\n-${c.oldValue}\n+${c.newValue}\n`;
  }
  return out;
}

export async function automationsPage(
  deps: PageDeps,
  ctx: PageContext,
  q: Record<string, string>,
): Promise<Html> {
  const search = q.q ?? "";
  const [all, runs] = await Promise.all([
    deps.store.list("ImageUpdateAutomation"),
    deps.store.listRuns({}, 1000),
  ]);
  const found = searchObjects(all, search, (a) => [a.spec.sourceRef.name]);
  const p = paginate(found, pageNumber(q.page), PER_PAGE);
  const lastPush = new Map<string, StoredRun>();
  for (const r of runs)
    if (r.outcome === "pushed" && !lastPush.has(`${r.namespace}/${r.name}`))
      lastPush.set(`${r.namespace}/${r.name}`, r);
  const rows = await Promise.all(
    p.items.map(async (a) => {
      const key = `${a.metadata.namespace}/${a.metadata.name}`;
      const s = a.status;
      const run = lastPush.get(key);
      const next = a.spec.suspend ? undefined : plusInterval(s?.lastAutomationRunTime, a.spec.interval);
      return html`<tr><td><a href="${objectPath("automations", a.metadata.namespace, a.metadata.name)}">${key}</a></td><td>${stateBadge(stateOf(a))}</td><td>${timeAgo(s?.lastAutomationRunTime, ctx.now)}</td><td>${s?.lastPushCommit ? html`<span class="mono">${shortSha(s.lastPushCommit)}</span> ${timeAgo(s.lastPushTime, ctx.now)}${run?.message ? html`<br><span class="muted">${run.message.split("\n")[0]}</span>` : ""}` : html`<span class="muted">none</span>`}</td><td>${a.spec.suspend ? html`<span class="muted">suspended</span>` : timeAgo(next, ctx.now)}</td><td class="mono">${await pushBranchOf(deps, a)}</td><td class="err">${problemOf(a)}</td><td>${objectActions(ctx, a, "/automations")}</td></tr>`;
    }),
  );
  return page({
    title: "Image update automations",
    section: "/automations",
    ctx,
    body: html`${searchForm("/automations", search, "Name or source")}
${found.length === 0 ? html`<p class="muted">No image update automations${search ? " match" : ""}.</p>` : html`<table><thead><tr><th scope="col">Name</th><th scope="col">State</th><th scope="col">Last run</th><th scope="col">Last push</th><th scope="col">Next run</th><th scope="col">Push branch</th><th scope="col">Problem</th><th scope="col">Actions</th></tr></thead><tbody>${rows}</tbody></table>`}
${pager("/automations", p, { q: search })}`,
  });
}

/** The commit's patch from the clone; else the run record's changes, said to be that. */
function lastPushView(patch: string | undefined, pushed: StoredRun | undefined): Html {
  if (patch) return html`<h3>Diff</h3>${diffView(patch)}`;
  if (!pushed) return html``;
  return html`<h3>Changes</h3><p class="muted">From the run record: the local clone does not have the commit.</p>${diffView(runDiff(pushed))}`;
}

export type PreviewResult = { ok: AutomationPreview } | { error: string };

export async function automationPage(
  deps: PageDeps,
  ctx: PageContext,
  namespace: string,
  name: string,
  preview?: PreviewResult,
): Promise<Html | undefined> {
  const a: StoredObject<"ImageUpdateAutomation"> | undefined = await deps.store.get(
    "ImageUpdateAutomation",
    namespace,
    name,
  );
  if (!a) return undefined;
  const [runs, events, branch, patch] = await Promise.all([
    deps.store.listRuns({ namespace, name }, 10),
    deps.store.listEvents({ kind: "ImageUpdateAutomation", namespace, name }, 20),
    pushBranchOf(deps, a),
    // A missing or slow clone only costs the patch: the run record still says what changed.
    a.status?.lastPushCommit && deps.lastPushPatch
      ? deps.lastPushPatch(namespace, name).catch(() => undefined)
      : undefined,
  ]);
  const s = a.status;
  const path = objectPath("automations", namespace, name);
  const pushed =
    runs.find((r) => r.outcome === "pushed" && r.commit === s?.lastPushCommit) ??
    runs.find((r) => r.outcome === "pushed");
  const previewBlock = !preview
    ? ""
    : "error" in preview
      ? html`<p class="err">Preview failed: ${preview.error}</p>`
      : preview.ok.message === null
        ? html`<p>No changes: the repository is up to date.</p>`
        : html`<h3>Commit message</h3><pre>${preview.ok.message}</pre><h3>Diff</h3>${diffView(preview.ok.diff)}`;
  return page({
    title: `Image update automation ${namespace}/${name}`,
    section: "/automations",
    ctx,
    body: html`<dl class="facts">
<dt>State</dt><dd>${stateBadge(stateOf(a))} ${objectActions(ctx, a, path)}</dd>
<dt>Last run</dt><dd>${timeAgo(s?.lastAutomationRunTime, ctx.now)}</dd>
<dt>Next run</dt><dd>${a.spec.suspend ? "suspended" : timeAgo(plusInterval(s?.lastAutomationRunTime, a.spec.interval), ctx.now)} (every ${a.spec.interval})</dd>
<dt>Push branch</dt><dd class="mono">${branch}</dd>
<dt>Source</dt><dd>GitRepository ${a.spec.sourceRef.namespace ?? namespace}/${a.spec.sourceRef.name}, path <code>${a.spec.update?.path ?? "."}</code></dd>
<dt>Problem</dt><dd class="err">${problemOf(a) || html`<span class="muted">none</span>`}</dd>
</dl>
<h2>Last pushed commit</h2>
${s?.lastPushCommit ? html`<p><span class="mono">${s.lastPushCommit}</span>, pushed ${timeAgo(s.lastPushTime, ctx.now)} to <code>${pushed?.branch ?? branch}</code></p>${pushed ? html`<h3>Commit message</h3><pre>${pushed.message ?? ""}</pre>` : html`<p class="muted">The run record of this commit is no longer kept.</p>`}${lastPushView(patch, pushed)}` : html`<p class="muted">Nothing pushed yet.</p>`}
<h2>Preview</h2>
<p>What a run would commit now (a dry run: nothing is pushed).</p>
${ctx.actionsEnabled ? actionForm(ctx, `${path}/preview`, {}, "Preview the next commit", `Preview the next commit of ${namespace}/${name}`) : html`<p class="muted">Needs <code>serve --dashboard-auth-secret</code>.</p>`}
<div id="preview" data-keep>${previewBlock}</div>
<h2>Recent runs</h2>
${runs.length === 0 ? html`<p class="muted">No runs recorded.</p>` : html`<table><thead><tr><th scope="col">Finished</th><th scope="col">Outcome</th><th scope="col">Commit</th><th scope="col">Message or error</th></tr></thead><tbody>${runs.map((r) => html`<tr><td>${timeAgo(r.finishedAt, ctx.now)}</td><td>${r.outcome}</td><td class="mono">${shortSha(r.commit)}</td><td><pre class="msg">${r.error ?? r.message ?? ""}</pre></td></tr>`)}</tbody></table>`}
<h2>Recent events</h2>${eventTable(events, ctx.now, false)}
<p><a href="${eventsHref("ImageUpdateAutomation", namespace, name)}">All events of this automation</a></p>`,
  });
}
