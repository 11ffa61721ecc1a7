import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open.js";
import type { StoredEvent, StoredRun } from "../../src/store/store.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { type ForgePrServer, startForgePrServer } from "../support/forge-pr-server.js";
import { headOf, hermeticGit, pushCommit } from "../support/git-repo.js";
import { automation, type FleetLab, sourceAndPolicy, startFleetLab } from "../support/write-back-fleet.js";

// Pull-request mode when the answer to the branch's force-push is lost: the push reached git
// http-backend (through the fault matrix's proxy, which forwards the push and drops the answer)
// but imagectl never heard back. The run that finds the branch holding its commit reports the push
// (lastPushCommit, lastPushTime, the run history) and opens or updates the request exactly once,
// without pushing the branch again. The forge is the loopback one that checks every request
// against GitHub's published API description.

const TOKEN = "lost-answer-forge-t0ken";
const ENV = "IMAGECTL_TEST_LOST_ANSWER_TOKEN";
const BRANCH = "imagectl/app";
const RECEIVE_PACK = /^POST \/fleet\.git\/git-receive-pack/;

interface AutomationStatus {
  lastPushCommit?: string;
  lastPushTime?: string;
  pullRequests?: { branch: string; number: number; url: string }[];
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

describe("pull-request mode: the force-push lands but its answer is lost", () => {
  let lab: FleetLab;
  let forge: ForgePrServer;
  let proxy: FaultProxy;

  const status = async (): Promise<AutomationStatus> => {
    const r = await lab.cli("get", "image", "update", "app", "-o", "json");
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { status: AutomationStatus }).status;
  };
  const ready = async () => (await status()).conditions?.find((c) => c.type === "Ready");
  /** Forge calls that change something (opening, editing, labelling a request). */
  const writes = () => forge.calls.filter((c) => !c.startsWith("GET "));
  const pushesSeen = () => proxy.seen.filter((s) => RECEIVE_PACK.test(s)).length;
  const history = async (): Promise<{ runs: StoredRun[]; events: StoredEvent[] }> => {
    const store = await openStore({ home: lab.home });
    try {
      const id = { namespace: "flux-system", name: "app" };
      return {
        runs: await store.listRuns(id, 50),
        events: await store.listEvents({ kind: "ImageUpdateAutomation", ...id }, 50),
      };
    } finally {
      await store.close();
    }
  };
  const commitsOnBranch = async () =>
    (await hermeticGit(["rev-list", "--count", `main..${BRANCH}`], lab.bare)).trim();

  beforeAll(async () => {
    process.env[ENV] = TOKEN;
    lab = await startFleetLab(["1.0.0", "1.1.0"]);
    forge = await startForgePrServer("github", { token: TOKEN, repository: "org/fleet" });
    proxy = await startFaultProxy(lab.git.url("").replace(/\/$/, ""));
  });
  afterAll(async () => {
    delete process.env[ENV];
    await proxy?.stop();
    await forge?.stop();
    await lab?.stop();
  });

  it("answer lost once: the same run finds its commit on the branch, reports it and opens one request", async () => {
    const started = Date.now();
    // git re-sends the push whose connection died; the server refuses the repeated update (the
    // branch is already there), and the run looks again instead of failing.
    proxy.inject({ kind: "lose-answer", match: RECEIVE_PACK });
    const annotation = JSON.stringify({
      provider: "github",
      apiURL: forge.apiUrl,
      repository: "org/fleet",
      tokenEnv: ENV,
      title: "Images: {{ range .Changed.Changes }}{{ .NewValue }} {{ end }}",
    });
    const text = `${sourceAndPolicy(`${proxy.url}/fleet.git`, lab.image)}---\n${automation({
      annotations: { "imagectl.io/pull-request": annotation },
    })}`;
    const applied = await lab.cli("apply", "-f", lab.file("all.yaml", text));
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);

    const head = await headOf(lab.bare, BRANCH);
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    expect(await commitsOnBranch()).toBe("1");
    const s = await status();
    expect(s.conditions?.find((c) => c.type === "Ready")).toMatchObject({
      status: "True",
      message: `repository up-to-date; open pull requests: #1 (${BRANCH})`,
    });
    expect(s.lastPushCommit).toBe(head);
    expect(Date.parse(s.lastPushTime ?? "")).toBeGreaterThanOrEqual(started - 1000);
    expect(s.pullRequests).toEqual([{ branch: BRANCH, number: 1, url: expect.stringContaining("/pull/1") }]);
    expect(forge.pulls).toHaveLength(1);
    expect(forge.pulls[0]).toMatchObject({ branch: BRANCH, base: "main", state: "open" });
    expect(forge.pulls[0]!.title).toMatch(/^Images: (.*1\.1\.0 )+$/);
    expect(writes().filter((c) => c.startsWith("POST "))).toHaveLength(1);
    const h = await history();
    expect(h.runs.map((r) => [r.outcome, r.commit, r.branch])).toEqual([["pushed", head, BRANCH]]);
    expect(h.runs[0]!.message).toMatch(/^Update (.*1\.1\.0 )+/);
    expect(h.events.filter((e) => e.message.includes("opened pull request #1"))).toHaveLength(1);
    // Before, this run failed with "push rejected, the remote branch moved" for a push that had
    // landed, and the next one opened the request without ever reporting the push.
    expect(h.events.filter((e) => e.message.includes("push rejected"))).toEqual([]);
    expect(forge.violations).toEqual([]);
  });

  it("every answer lost: the run fails without touching the request; the next reports the push and updates it once", async () => {
    const before = (await status()).lastPushCommit;
    const titleBefore = forge.pulls[0]!.title;
    proxy.always({ kind: "lose-answer", match: RECEIVE_PACK });
    await lab.registry.pushTags("fleet/app", ["1.2.0"]);
    const failed = await lab.cli("reconcile", "image", "repository", "app");
    expect(failed.stdout + failed.stderr).not.toContain(TOKEN);
    expect(await ready()).toMatchObject({ status: "False", reason: "GitOperationFailed" });
    expect((await ready())?.message).toMatch(/^failed to update source: git push failed: /);
    // The push landed: the branch holds the new commit, but nothing was reported or asked of the forge.
    const landed = (await headOf(lab.bare, BRANCH)) as string;
    expect(landed).not.toBe(before);
    expect(await commitsOnBranch()).toBe("1");
    expect((await status()).lastPushCommit).toBe(before);
    expect(forge.pulls[0]!.title).toBe(titleBefore);
    proxy.clear();

    const writesBefore = writes().length;
    const pushesBefore = pushesSeen();
    const rerun = Date.now();
    const r = await lab.cli("reconcile", "image", "update", "app");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // Not pushed again: the branch already held the change.
    expect(pushesSeen()).toBe(pushesBefore);
    expect(await headOf(lab.bare, BRANCH)).toBe(landed);
    const s = await status();
    expect(s.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(s.lastPushCommit).toBe(landed);
    expect(Date.parse(s.lastPushTime ?? "")).toBeGreaterThanOrEqual(rerun - 1000);
    expect(forge.pulls).toHaveLength(1);
    expect(forge.pulls[0]!.title).toMatch(/^Images: (.*1\.2\.0 )+$/);
    expect(writes().slice(writesBefore)).toEqual(["PATCH pulls/update"]);
    const h = await history();
    expect(h.runs.map((run) => run.commit)).toEqual([landed, before]);
    expect(h.runs[0]!.message).toMatch(/^Update (.*1\.2\.0 )+/);

    // Once reported, a further run reports nothing and changes nothing.
    const calls = forge.calls.length;
    expect((await lab.cli("reconcile", "image", "update", "app")).code).toBe(0);
    expect(await headOf(lab.bare, BRANCH)).toBe(landed);
    expect(forge.calls.slice(calls).every((c) => c.startsWith("GET "))).toBe(true);
    expect((await history()).runs).toHaveLength(2);
    expect(forge.violations).toEqual([]);
  });

  it("a push refused because someone else pushed to the branch is not mistaken for a lost answer", async () => {
    const before = await status();
    proxy.inject({
      kind: "before",
      match: RECEIVE_PACK,
      fn: async () =>
        void (await pushCommit(lab.bare, BRANCH, { "NOTES.md": "a reviewer's note\n" }, "review note")),
    });
    await lab.registry.pushTags("fleet/app", ["1.3.0"]);
    await lab.cli("reconcile", "image", "repository", "app");
    proxy.clear();
    // The lease refused our push; the look after it found someone else's commit, so the
    // refusal stands: nothing reported as pushed, the request untouched, their commit kept.
    const cond = await ready();
    expect(cond).toMatchObject({ status: "False", reason: "GitOperationFailed" });
    expect(cond?.message).toMatch(/push rejected, the remote branch moved/);
    expect(await hermeticGit(["log", "-1", "--format=%s", BRANCH], lab.bare)).toBe("review note\n");
    expect((await status()).lastPushCommit).toBe(before.lastPushCommit);
    expect(forge.pulls[0]!.title).toMatch(/^Images: (.*1\.2\.0 )+$/);
    expect((await history()).runs).toHaveLength(2);
    expect(forge.violations).toEqual([]);
  });
});
