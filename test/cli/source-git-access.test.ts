import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git-http-server.js";
import { type Sshd, startSshd } from "../support/sshd.js";

// `create source git` and `apply` refuse credentials in the URL; the GitRepository reconciler
// lists the remote (git ls-remote through a real `git http-backend` with Basic auth), so a wrong
// password shows at once as Ready=False in `create source git` and `get sources git`; over ssh
// (a real sshd), an unknown host key does the same.
const PASSWORD = "Corr3ct-h0rse-battery";
const WRONG = "wr0ng-Pa55word";

describe("GitRepository access is checked when it is created", () => {
  let server: GitHttpServer;
  let home: string;
  const cli = (args: string[], stdin?: string) =>
    runCli(["--home", home, ...args], stdin === undefined ? {} : { stdin });
  const createSource = (name: string, url: string, ...flags: string[]) =>
    cli(["create", "source", "git", name, `--url=${url}`, ...flags]);
  /** A git secret for user bob with the given password, read from stdin as users give it. */
  const passwordSecret = (name: string, password: string) =>
    cli(
      [
        "create",
        "secret",
        "git",
        name,
        `--url=${server.url("fleet.git")}`,
        "--username=bob",
        "--password-stdin",
      ],
      password,
    );

  beforeAll(async () => {
    server = await startGitHttpServer({ username: "bob", password: PASSWORD });
    await server.createBareRepo("fleet.git", { "apps/app.yaml": "image: app:1.0.0\n" });
    home = mkdtempSync(join(tmpdir(), "imagectl-source-access-"));
  });
  afterAll(async () => {
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it("refuses user:password@ in --url, names the way to give credentials, stores and prints nothing", async () => {
    const url = server.url("fleet.git").replace("http://", `http://bob:${PASSWORD}@`);
    const r = await cli(["create", "source", "git", "fleet", `--url=${url}`, "--branch=main"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--url: must not carry credentials");
    expect(r.stderr).toContain("--secret-ref");
    expect(r.stderr).toContain("--password-stdin");
    expect(r.stderr + r.stdout).not.toContain(PASSWORD);
    expect(r.stderr).not.toContain("at ");
    const get = await cli(["get", "sources", "git", "-o", "json"]);
    expect(get.stdout).not.toContain("fleet");

    const tokenUrl = server.url("fleet.git").replace("http://", "http://ghp_0123456789abcdef@");
    const t = await cli(["create", "source", "git", "fleet", `--url=${tokenUrl}`]);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain("may be a token");
    expect(t.stderr).not.toContain("ghp_0123456789abcdef");
  });

  it("refuses the same URL in apply, and nothing is stored", async () => {
    const url = server.url("fleet.git").replace("http://", `http://bob:${PASSWORD}@`);
    const file = join(home, "source.yaml");
    writeFileSync(
      file,
      `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: fleet
spec:
  interval: 1m
  url: ${url}
  ref:
    branch: main
`,
    );
    const r = await cli(["apply", "-f", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("spec.url: must not carry credentials");
    expect(r.stderr).not.toContain(PASSWORD);
    expect((await cli(["get", "sources", "git"])).stdout).not.toContain("fleet");
  });

  it("is Ready with the revision when the secret's password is right", async () => {
    const s = await passwordSecret("good", PASSWORD);
    expect(s.code).toBe(0);
    const r = await createSource("fleet", server.url("fleet.git"), "--branch=main", "--secret-ref=good");
    expect(r.stderr).toMatch(/✔ remote reachable: revision 'main@sha1:[0-9a-f]{40}'/);
    expect(r.code).toBe(0);
    const get = await cli(["get", "sources", "git"]);
    expect(get.stdout).toMatch(/fleet\s+main@sha1:[0-9a-f]{40}\s+False\s+True/);
  });

  it("fails at once, naming the authentication failure, when the password is wrong", async () => {
    const s = await passwordSecret("bad", WRONG);
    expect(s.code).toBe(0);
    const before = server.unauthorized();
    const r = await createSource("wrong-pass", server.url("fleet.git"), "--branch=main", "--secret-ref=bad");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("✗ failed to list the remote: authentication failed");
    expect(r.stderr).not.toContain(WRONG);
    expect(server.unauthorized()).toBeGreaterThan(before);
    const get = await cli(["get", "sources", "git", "wrong-pass"]);
    expect(get.stdout).toMatch(
      /wrong-pass\s.*\sFalse\s+False\s+failed to list the remote: authentication failed/,
    );
    const json = await cli(["get", "sources", "git", "wrong-pass", "-o", "json"]);
    const obj = JSON.parse(json.stdout) as {
      status: { conditions: { type: string; status: string; reason: string }[] };
    };
    expect(obj.status.conditions.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "GitOperationFailed",
    });
    expect(json.stdout).not.toContain(WRONG);
  });

  it("fails without credentials, for a missing secret and for a missing branch", async () => {
    const none = await createSource("anon", server.url("fleet.git"), "--branch=main");
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("authentication failed");

    const missing = await createSource("no-secret", server.url("fleet.git"), "--secret-ref=nowhere");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("secret 'flux-system/nowhere' not found (GitRepository spec.secretRef)");

    const branch = await createSource(
      "no-branch",
      server.url("fleet.git"),
      "--branch=nope",
      "--secret-ref=good",
    );
    expect(branch.code).toBe(1);
    expect(branch.stderr).toContain("the remote has no branch 'nope'");
  });
});

describe("GitRepository access over ssh", () => {
  let sshd: Sshd;
  let home: string;
  const cli = (args: string[]) => runCli(["--home", home, ...args]);
  const createSource = (name: string, url: string, ...flags: string[]) =>
    cli(["create", "source", "git", name, `--url=${url}`, ...flags]);

  beforeAll(async () => {
    sshd = await startSshd();
    await sshd.createBareRepo("fleet.git", { "apps/app.yaml": "image: app:1.0.0\n" });
    home = mkdtempSync(join(tmpdir(), "imagectl-source-ssh-"));
    writeFileSync(join(home, "id"), sshd.clientKey, { mode: 0o600 });
    writeFileSync(join(home, "known_hosts"), `${sshd.knownHosts}\n`);
    const otherHost =
      "[127.0.0.1]:1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    writeFileSync(join(home, "other_hosts"), `${otherHost}\n`);
  });
  afterAll(async () => {
    await sshd.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it("is Ready with the key and known_hosts, and fails at once for an unknown host key", async () => {
    const url = sshd.url("fleet.git");
    for (const [name, hosts] of [
      ["ssh-good", "known_hosts"],
      ["ssh-other", "other_hosts"],
    ] as const) {
      const s = await cli([
        "create",
        "secret",
        "git",
        name,
        `--url=${url}`,
        `--private-key-file=${join(home, "id")}`,
        `--known-hosts-file=${join(home, hosts)}`,
      ]);
      expect(s.code).toBe(0);
    }
    const good = await createSource("fleet", url, "--branch=main", "--secret-ref=ssh-good");
    expect(good.stderr).toMatch(/✔ remote reachable: revision 'main@sha1:[0-9a-f]{40}'/);
    expect(good.code).toBe(0);

    const bad = await createSource("other", url, "--branch=main", "--secret-ref=ssh-other");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/failed to list the remote: authentication failed: .*host key/i);
    expect(bad.stderr).not.toContain("PRIVATE KEY");
  });
});
