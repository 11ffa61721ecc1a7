import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type Fault, type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import {
  type GitHttpServer,
  type GitHttpServerOptions,
  startGitHttpServer,
} from "../support/git-http-server.js";
import { headOf, hermeticGit, pushCommit, showFile, subjects } from "../support/git-repo.js";
import { fleetAutomation } from "../support/manifests.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

// The Git side of the fault matrix (issue 11), driven the way a user drives it: a new tag in a real
// docker-registry, `imagectl reconcile image repository` (which wakes the policy and the automation),
// and an ImageUpdateAutomation pushing over smart HTTP (git http-backend, Basic auth) through a fault
// proxy. For each row: the automation's Ready condition names the problem, the run ends in bounded
// time, the remote never loses a commit (every earlier head stays an ancestor: no force push) and,
// once the fault is gone, holds exactly one commit for the change (none lost, none duplicated).
//
// Library-level cousins, not repeated here: test/git/push-semantics.test.ts (rebuild on a moved
// branch, give-up after maxAttempts, hook refusal), test/git/racing-automations.test.ts (concurrent
// automations from separate caches), test/git/http-auth.test.ts (wrong password from the start),
// test/git/cache-robustness.test.ts (fetch timeout, crashed-run leftovers).

const USER = "bot";
const PASSWORD = "matrix-git-pa55word";
const ROTATED = "matrix-git-rotated-pa55word";
const IMAGE_REPO = "fleet/app";
const RECEIVE_PACK = /^POST \/fleet\.git\/git-receive-pack/;
const RECEIVE_ADVERT = /^GET \/fleet\.git\/info\/refs\?service=git-receive-pack/;
const UPLOAD_PACK = /^POST \/fleet\.git\/git-upload-pack/;
// One reconcile does a scan, an ls-remote, a fetch and up to 5 push attempts: well under this unless hung.
const BOUND_MS = 30_000;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

describe("git fault matrix: an automation pushing through a fault proxy to git http-backend", () => {
  let registry: TestRegistry;
  let git: GitHttpServer;
  let proxy: FaultProxy;
  let proxyPort: number;
  let bare: string;
  let dir: string;
  let home: string;
  let image: string;
  // Kept by reference: git-http-server reads it on every request, so changing it revokes for real.
  const serverAuth: GitHttpServerOptions = { username: USER, password: PASSWORD };
  const timings: string[] = [];
  let tagNo = 0;
  let secretPassword = PASSWORD;

  const cli = (args: string[], stdin?: string) => runCli([...args, "--home", home], { stdin });

  const automationReady = async (): Promise<Condition | undefined> => {
    const r = await cli(["get", "image", "update", "app", "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain(secretPassword);
    const obj = JSON.parse(r.stdout) as { status?: { conditions?: Condition[] } };
    return obj.status?.conditions?.find((c) => c.type === "Ready");
  };

  /** The automation's push facts (lastPushCommit, lastPushTime) and its Ready message. */
  const pushFacts = async (): Promise<{ commit?: string; time?: string }> => {
    const r = await cli(["get", "image", "update", "app", "-o", "json"]);
    const obj = JSON.parse(r.stdout) as { status?: { lastPushCommit?: string; lastPushTime?: string } };
    return { commit: obj.status?.lastPushCommit, time: obj.status?.lastPushTime };
  };

  /** The commit on main whose subject names `tag`. */
  const commitFor = async (tag: string): Promise<string | undefined> =>
    (await hermeticGit(["log", "--format=%H %s", "main"], bare))
      .split("\n")
      .find((l) => l.endsWith(` bump to ${image}:${tag}`))
      ?.split(" ")[0];

  /** Commits on main whose subject names `tag`. */
  const commitsFor = async (tag: string): Promise<number> =>
    (await subjects(bare, "main")).filter((s) => s === `bump to ${image}:${tag}`).length;

  const isAncestor = async (older: string, newer: string): Promise<boolean> => {
    try {
      await hermeticGit(["merge-base", "--is-ancestor", older, newer], bare);
      return true;
    } catch {
      return false;
    }
  };

  /** A new tag in the registry, then the reconcile chain; returns how long it took and the CLI output. */
  const newTagAndReconcile = async (): Promise<{ tag: string; elapsedMs: number; output: string }> => {
    const tag = `1.0.${++tagNo}`;
    await registry.pushTags(IMAGE_REPO, [tag]);
    const started = performance.now();
    const r = await cli(["reconcile", "image", "repository", "app"]);
    const elapsedMs = performance.now() - started;
    const output = r.stdout + r.stderr;
    expect(output).not.toContain(secretPassword);
    expect(output).not.toMatch(/\n\s+at /);
    return { tag, elapsedMs, output };
  };

  const reconcileAgain = async (): Promise<void> => {
    const r = await cli(["reconcile", "image", "update", "app"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "imagectl-faults-git-"));
    home = join(dir, "home");
    registry = await startRegistry({ mode: "plain" });
    git = await startGitHttpServer(serverAuth);
    proxy = await startFaultProxy(git.url("").replace(/\/$/, ""));
    proxyPort = Number(proxy.host.split(":")[1]);
    image = `${registry.host}/${IMAGE_REPO}`;
    await registry.pushTags(IMAGE_REPO, ["1.0.0"]);
    bare = await git.createBareRepo("fleet.git", {
      "deploy.yaml": `image: ${image}:1.0.0 # {"$imagepolicy": "flux-system:app"}\n`,
      "README.md": "fleet\n",
    });
    const url = `${proxy.url}/fleet.git`;
    const secret = await cli(
      ["create", "secret", "git", "fleet-auth", `--url=${url}`, `--username=${USER}`, "--password-stdin"],
      `${PASSWORD}\n`,
    );
    expect(secret.code, secret.stderr).toBe(0);
    const manifest = join(dir, "objects.yaml");
    writeFileSync(
      manifest,
      fleetAutomation(bare, image, {
        url,
        sourceExtra: ", timeout: 5s, secretRef: {name: fleet-auth}",
        messageTemplate: "bump to {{ range .Changed.Changes }}{{ .NewValue }}{{ end }}",
      }),
    );
    const applied = await cli(["apply", "-f", manifest]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
  });

  afterAll(async () => {
    console.log(`fault matrix (git) timings:\n${timings.join("\n")}`);
    await proxy?.stop();
    await git?.stop();
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  interface Row {
    name: string;
    /** Sets the fault up; returns what undoes it (restores the remote, rotates the secret, …). */
    fault: () => Promise<() => Promise<void>> | (() => Promise<void>);
    /** Ready=False with this message, or Ready=True (the fault was absorbed). */
    failure?: RegExp;
    /** The change is on the remote after the faulty run itself (the push landed). */
    landedDespiteFailure?: boolean;
    /** The push landed but its answer was lost: the commit is still reported as pushed. */
    answerLost?: boolean;
  }

  const standing = (f: Fault) => () => {
    proxy.always(f);
    return async () => proxy.clear();
  };
  const other = (n: number) =>
    pushCommit(bare, "main", { "README.md": `fleet, edit ${n}\n` }, `human edit ${n}`);
  let edits = 0;

  const rows: Row[] = [
    {
      name: "a second writer pushes between our fetch and our push (once)",
      fault: () => {
        proxy.inject({ kind: "before", fn: async () => void (await other(++edits)), match: RECEIVE_PACK });
        return async () => proxy.clear();
      },
    },
    {
      name: "a second writer wins every race",
      fault: standing({ kind: "before", fn: async () => void (await other(++edits)), match: RECEIVE_PACK }),
      failure:
        /^failed to update source: push rejected, the remote branch moved: .*\(gave up after 5 attempts\)$/,
    },
    {
      name: "credentials revoked between fetch and push",
      fault: () => {
        proxy.inject({
          kind: "before",
          fn: async () => {
            serverAuth.password = ROTATED;
          },
          match: RECEIVE_ADVERT,
        });
        // Undo the way an operator would: rotate the secret to the new password.
        return async () => {
          const r = await cli(
            [
              "create",
              "secret",
              "git",
              "fleet-auth",
              `--url=${proxy.url}/fleet.git`,
              `--username=${USER}`,
              "--password-stdin",
            ],
            `${ROTATED}\n`,
          );
          expect(r.code, r.stderr).toBe(0);
          secretPassword = ROTATED;
        };
      },
      failure: /^failed to update source: .*(Authentication failed|returned error: 401)/,
    },
    {
      // curl re-sends a request whose reused connection died without an answer; the server refuses
      // the repeated ref update (old value moved), the run rebuilds, finds the change already there
      // and the commit it pushed on the remote: one commit, Ready, named as pushed.
      name: "the push lands but its answer is lost once",
      fault: () => {
        proxy.inject({ kind: "lose-answer", match: RECEIVE_PACK });
        return async () => proxy.clear();
      },
      answerLost: true,
    },
    {
      // The run fails; the next one finds its commit on the remote and reports it as pushed.
      name: "the push lands but every answer is lost",
      fault: standing({ kind: "lose-answer", match: RECEIVE_PACK }),
      failure: /^failed to update source: git push failed: /,
      landedDespiteFailure: true,
      answerLost: true,
    },
    {
      name: "the remote answers 500 to the push",
      fault: standing({ kind: "status", status: 500, match: RECEIVE_PACK }),
      failure: /^failed to update source: git push failed: .*(500|Internal Server Error)/,
    },
    {
      name: "the remote resets every connection",
      fault: standing({ kind: "reset" }),
      failure: /^failed to update source: git (ls-remote|fetch) failed: /,
    },
    {
      name: "the remote drips the fetch past the 5 s timeout",
      fault: standing({ kind: "drip", intervalMs: 200, match: UPLOAD_PACK }),
      failure: /^failed to update source: git fetch timed out after 5000 ms$/,
    },
    {
      name: "the repository is gone from the remote (404)",
      fault: () => {
        renameSync(bare, `${bare}.away`);
        return async () => renameSync(`${bare}.away`, bare);
      },
      failure: /^failed to update source: git (ls-remote|fetch) failed: .*(not found|404)/,
    },
    {
      name: "the remote host is gone (connection refused)",
      fault: async () => {
        await proxy.stop();
        return async () => {
          proxy = await startFaultProxy(git.url("").replace(/\/$/, ""), { port: proxyPort });
        };
      },
      failure:
        /^failed to update source: git (ls-remote|fetch) failed: .*(Failed to connect|Connection refused)/,
    },
  ];

  it.each(rows.map((r, i) => [r.name, i] as const))("%s", async (_name, i) => {
    const row = rows[i] as Row;
    const headBefore = (await headOf(bare, "main")) as string;
    const rowStart = Date.now();
    const undo = await row.fault();
    const { tag, elapsedMs, output } = await newTagAndReconcile();
    expect(elapsedMs).toBeLessThan(BOUND_MS);
    const ready = await automationReady();
    timings.push(`  ${row.name}: ${Math.round(elapsedMs)} ms; Ready=${ready?.status}: ${ready?.message}`);
    if (row.failure) {
      expect(ready?.status, output).toBe("False");
      expect(ready?.reason).toBe("GitOperationFailed");
      expect(ready?.message).toMatch(row.failure);
      expect(output).toContain(ready?.message);
    } else {
      expect(ready?.status, output).toBe("True");
    }
    await undo();

    if (row.failure) {
      expect(await commitsFor(tag)).toBe(row.landedDespiteFailure ? 1 : 0);
      await reconcileAgain();
      expect((await automationReady())?.status).toBe("True");
    }
    // Exactly one commit for the change, on top of everything that was there (nothing lost).
    const headAfter = (await headOf(bare, "main")) as string;
    expect(await commitsFor(tag)).toBe(1);
    if (row.answerLost) {
      // The push facts name the remote's commit, as after a push whose answer came back.
      const pushed = await commitFor(tag);
      const facts = await pushFacts();
      expect(facts.commit).toBe(pushed);
      expect(Date.parse(facts.time ?? "")).toBeGreaterThanOrEqual(rowStart);
      expect((await automationReady())?.message).toBe(
        `repository up-to-date: pushed commit '${pushed?.slice(0, 7)}' to branch 'main'`,
      );
    }
    expect(await isAncestor(headBefore, headAfter)).toBe(true);
    expect(await showFile(bare, "main", "deploy.yaml")).toBe(
      `image: ${image}:${tag} # {"$imagepolicy": "flux-system:app"}\n`,
    );
    // Every human edit made during the row is still there.
    const log = await subjects(bare, "main");
    for (let n = 1; n <= edits; n++) expect(log.filter((s) => s === `human edit ${n}`)).toHaveLength(1);
    // A further run changes nothing.
    await reconcileAgain();
    expect(await headOf(bare, "main")).toBe(headAfter);
  });
});
