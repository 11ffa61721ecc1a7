import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allPagePaths, PAGE_PATHS } from "../../src/server/pages/routes.js";
import { openStore } from "../../src/store/index.js";
import { type CliResult, runCli } from "../support/cli.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git-http-server.js";
import { eventually, exited, spawnServe } from "../support/imagectl-process.js";
import { freePort, startRegistry, type TestRegistry } from "../support/registry.js";
import { type Sshd, startSshd } from "../support/sshd.js";

// Canary secrets (issue 11): one value of every kind of secret imagectl handles is planted, used
// against real servers (token-auth and htpasswd docker-registry, git http-backend with Basic and
// Bearer auth, sshd, a loopback alert sink), made to fail where a failure can echo it, and then
// every output a user or an operator can see is searched for it: CLI stdout/stderr (normal and
// IMAGECTL_DEBUG, successes and failures), `get` tables, -o json and -o yaml, `export`, events,
// /metrics, every file of the home (git caches, daemon.json, the SQLite store and WAL, where
// secrets are encrypted at rest), the daemon's log and the alerts it delivers.
//
// The dashboard's pages: every fixed page and one per object (src/server/pages/routes.ts), fetched
// from the running daemon and searched like everything else.

const rand = () => randomBytes(6).toString("hex");
const CANARY = {
  gitPassword: `CANARY-git-pw-${rand()}`,
  gitBearer: `CANARY-git-bearer-${rand()}`,
  gitWrongPassword: `CANARY-git-wrong-${rand()}`,
  registryWrongPassword: `CANARY-reg-wrong-${rand()}`,
  receiverToken: `CANARY-hook-${rand()}`,
  hmacKey: `CANARY-hmac-${rand()}`,
  addressToken: `CANARY-addr-${rand()}`,
  secretsKey: randomBytes(32).toString("base64"),
} as Record<string, string>;
// A JWT as the token issuer hands out (header.payload.signature, base64url): never to be shown.
const JWT = /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/;

interface Output {
  what: string;
  text: string;
}

describe("canary secrets never reach any output", () => {
  let regToken: TestRegistry;
  let regTls: TestRegistry;
  let git: GitHttpServer;
  let sshd: Sshd;
  let sink: Server;
  let sinkPort: number;
  let deadPort: number;
  let dir: string;
  let home: string;
  let savedKey: string | undefined;
  const outputs: Output[] = [];
  const deliveries: string[] = [];

  const cli = async (args: string[], opts: { stdin?: string; debug?: boolean } = {}): Promise<CliResult> => {
    const env = { ...process.env, ...(opts.debug ? { IMAGECTL_DEBUG: "1" } : {}) };
    const r = await runCli([...args, "--home", home], { stdin: opts.stdin, env });
    outputs.push({
      what: `imagectl ${args.join(" ")}${opts.debug ? " (IMAGECTL_DEBUG)" : ""}`,
      text: r.stdout + r.stderr,
    });
    return r;
  };
  const ok = async (args: string[], stdin?: string): Promise<void> => {
    const r = await cli(args, { stdin });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  };

  beforeAll(async () => {
    savedKey = process.env.IMAGECTL_SECRETS_KEY;
    // The in-process CLI and the daemon (which inherits the environment) both read it.
    process.env.IMAGECTL_SECRETS_KEY = CANARY.secretsKey;
    dir = mkdtempSync(join(tmpdir(), "imagectl-canary-"));
    home = join(dir, "home");
    [regToken, regTls, git, sshd] = await Promise.all([
      startRegistry({ mode: "token" }),
      startRegistry({ mode: "tls-htpasswd" }),
      startGitHttpServer({ username: "bot", password: CANARY.gitPassword, bearerToken: CANARY.gitBearer }),
      startSshd(),
    ]);
    CANARY.registryDockerPassword = regToken.password;
    CANARY.registryBasicPassword = regTls.password;
    // A line from the middle of the OpenSSH private key: the part that is the key.
    const keyLines = sshd.clientKey.trim().split("\n");
    CANARY.sshKeyBody = keyLines[Math.floor(keyLines.length / 2)] as string;
    sink = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        // The request line is where an address's token is meant to go; headers and body are not.
        deliveries.push(`${JSON.stringify(req.headers)}\n${body}`);
        res.end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
    sinkPort = (sink.address() as { port: number }).port;
    deadPort = await freePort();

    await regToken.pushTags("canary/app", ["1.0.0", "1.1.0"]);
    await regTls.pushTags("canary/app", ["2.0.0", "2.1.0"]);
    const marker = (policy: string, image: string) =>
      `image: ${image} # {"$imagepolicy": "flux-system:${policy}"}\n`;
    const files = {
      "a/deploy.yaml": marker("pol-docker", `${regToken.host}/canary/app:1.0.0`),
      "b/deploy.yaml": marker("pol-basic", `${regTls.host}/canary/app:2.0.0`),
    };
    await git.createBareRepo("fleet.git", files);
    await sshd.createBareRepo("fleet.git", files);
    writeFileSync(join(dir, "id"), sshd.clientKey, { mode: 0o600 });
    writeFileSync(join(dir, "known_hosts"), sshd.knownHosts);
    writeFileSync(join(dir, "ca.crt"), regTls.caPem as string);

    // Every kind of secret, through the CLI (its own output is searched too): [type, name, flags, stdin].
    const httpUrl = git.url("fleet.git");
    const reg = (r: TestRegistry) => [`--server=${r.host}`, `--username=${r.username}`];
    const literal = (k: string, v: string) => `--from-literal=${k}=${v}`;
    const secrets: [string, string, string[], string?][] = [
      ["docker-registry", "reg-docker", [...reg(regToken), "--password-stdin"], `${regToken.password}\n`],
      ["docker-registry", "reg-wrong", [...reg(regToken), `--password=${CANARY.registryWrongPassword}`]],
      ["generic", "reg-basic", [literal("username", regTls.username), literal("password", regTls.password)]],
      ["tls", "reg-ca", [`--ca-crt-file=${join(dir, "ca.crt")}`]],
      ["git", "git-basic", [`--url=${httpUrl}`, "--username=bot", "--password-stdin"], CANARY.gitPassword],
      ["git", "git-bearer", [`--url=${httpUrl}`, "--bearer-token-stdin"], CANARY.gitBearer],
      ["git", "git-wrong", [`--url=${httpUrl}`, "--username=bot", `--password=${CANARY.gitWrongPassword}`]],
      [
        "git",
        "git-ssh",
        [
          `--url=${sshd.url("fleet.git")}`,
          `--private-key-file=${join(dir, "id")}`,
          `--known-hosts-file=${join(dir, "known_hosts")}`,
        ],
      ],
      ["generic", "hook-token", [literal("token", CANARY.receiverToken as string)]],
      ["generic", "hmac-key", [literal("token", CANARY.hmacKey as string)]],
      [
        "generic",
        "addr",
        [literal("address", `http://127.0.0.1:${sinkPort}/a?token=${CANARY.addressToken}`)],
      ],
      [
        "generic",
        "addr-dead",
        [literal("address", `http://127.0.0.1:${deadPort}/?token=${CANARY.addressToken}`)],
      ],
    ];
    for (const [type, name, flags, stdin] of secrets)
      await ok(["create", "secret", type, name, ...flags], stdin);

    const repo = (name: string, image: string, extra: string) =>
      `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: ${name}}
spec: {image: "${image}", interval: 1h${extra}}
---
`;
    const policy = (name: string, repoName: string, range: string) =>
      `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: ${name}}
spec: {imageRepositoryRef: {name: ${repoName}}, policy: {semver: {range: "${range}"}}}
---
`;
    const source = (name: string, url: string, secret: string) =>
      `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: ${name}}
spec: {url: "${url}", interval: 1h, timeout: 20s, ref: {branch: main}, secretRef: {name: ${secret}}}
---
`;
    const automation = (name: string, src: string, path: string) =>
      `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: ${name}}
spec:
  interval: 1h
  sourceRef: {kind: GitRepository, name: ${src}}
  git:
    commit: {author: {name: bot, email: bot@example.invalid}}
    push: {branch: main}
  update: {path: "${path}", strategy: Setters}
---
`;
    const provider = (name: string, type: string, secret: string, address = "") =>
      `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {name: ${name}}
spec: {type: ${type}, secretRef: {name: ${secret}}${address ? `, address: "${address}"` : ""}}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: ${name}}
spec:
  providerRef: {name: ${name}}
  eventSeverity: info
  eventSources: [{kind: ImageRepository, name: '*'}, {kind: ImagePolicy, name: '*'}, {kind: ImageUpdateAutomation, name: '*'}]
---
`;
    const manifest =
      repo("reg-docker", `${regToken.host}/canary/app`, ", secretRef: {name: reg-docker}") +
      repo("reg-wrong", `${regToken.host}/canary/app`, ", secretRef: {name: reg-wrong}") +
      repo(
        "reg-basic",
        `${regTls.host}/canary/app`,
        ", secretRef: {name: reg-basic}, certSecretRef: {name: reg-ca}",
      ) +
      policy("pol-docker", "reg-docker", "1.x") +
      policy("pol-basic", "reg-basic", "2.x") +
      source("git-basic", httpUrl, "git-basic") +
      source("git-bearer", httpUrl, "git-bearer") +
      source("git-wrong", httpUrl, "git-wrong") +
      source("git-ssh", sshd.url("fleet.git"), "git-ssh") +
      automation("auto-basic", "git-basic", "./a") +
      automation("auto-bearer", "git-bearer", "./b") +
      automation("auto-wrong", "git-wrong", "./a") +
      automation("auto-ssh", "git-ssh", ".") +
      provider("p-hmac", "generic-hmac", "hmac-key", `http://127.0.0.1:${sinkPort}/hmac`) +
      provider("p-addr", "generic", "addr") +
      provider("p-dead", "generic", "addr-dead") +
      `apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata: {name: hook}
spec:
  type: generic
  secretRef: {name: hook-token}
  resources: [{kind: ImageRepository, name: reg-docker}]
`;
    writeFileSync(join(dir, "objects.yaml"), manifest);
    await ok(["apply", "-f", join(dir, "objects.yaml")]);
  }, 120_000);

  afterAll(async () => {
    if (savedKey === undefined) delete process.env.IMAGECTL_SECRETS_KEY;
    else process.env.IMAGECTL_SECRETS_KEY = savedKey;
    await new Promise<void>((r) => (sink ? sink.close(() => r()) : r()));
    await Promise.all([regToken?.stop(), regTls?.stop(), git?.stop(), sshd?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("plants every kind, uses each against its server, and finds none of them in any output", async () => {
    // Successes and failures in-process, at both log levels.
    for (const debug of [false, true]) {
      for (const [kind, name] of [
        ["repository", "reg-docker"],
        ["repository", "reg-basic"],
        ["repository", "reg-wrong"],
        ["update", "auto-basic"],
        ["update", "auto-bearer"],
        ["update", "auto-ssh"],
        ["update", "auto-wrong"],
      ] as const) {
        await cli(["reconcile", "image", kind, name], { debug });
      }
      await cli(["reconcile", "image", "update", "auto-basic", "--dry-run"], { debug });
      await cli(["run", "--once"], { debug });
    }
    const stateOf = async (kind: string, name: string) =>
      JSON.parse((await cli(["get", ...kind.split(" "), name, "-o", "json"])).stdout) as {
        status?: {
          conditions?: { type: string; status: string; reason: string }[];
          lastDeliveryError?: string;
        };
      };
    const readyOf = async (kind: string, name: string) =>
      (await stateOf(kind, name)).status?.conditions?.find((c) => c.type === "Ready");
    // The secrets were used for real: right ones worked, wrong ones were refused.
    expect((await readyOf("image repository", "reg-docker"))?.status).toBe("True");
    expect((await readyOf("image repository", "reg-basic"))?.status).toBe("True");
    expect((await readyOf("image repository", "reg-wrong"))?.reason).toBe("AuthenticationFailed");
    for (const auto of ["auto-basic", "auto-bearer", "auto-ssh"])
      expect((await readyOf("image update", auto))?.status, auto).toBe("True");
    expect((await readyOf("image update", "auto-wrong"))?.reason).toBe("GitOperationFailed");

    // The daemon: webhook, alerts to the HMAC sink, to the token-in-URL sink and to a dead address.
    const daemon = spawnServe(home, ["--poll", "200"]);
    try {
      const url = await daemon.url();
      const hookPath = await eventually(
        async () =>
          (
            JSON.parse((await cli(["get", "receiver", "hook", "-o", "json"])).stdout) as {
              status?: { webhookPath?: string };
            }
          ).status?.webhookPath,
        20_000,
        "the receiver's webhook path",
      );
      await regToken.pushTags("canary/app", ["1.2.0"]);
      const hook = await fetch(`${url}${hookPath}`, { method: "POST", body: "{}" });
      expect(hook.status).toBe(200);
      await eventually(async () => (deliveries.length >= 2 ? true : undefined), 30_000, "alert deliveries");
      await eventually(
        async () =>
          (await stateOf("alert-provider", "p-dead")).status?.lastDeliveryError ? true : undefined,
        30_000,
        "the dead provider's delivery error",
      );
      // The failed delivery is recorded on the Provider (and searched below with everything else).
      const deadError = (await stateOf("alert-provider", "p-dead")).status?.lastDeliveryError ?? "";
      expect(deadError).toMatch(/ECONNREFUSED/);
      expect(deliveries.some((d) => d.includes("x-signature"))).toBe(true);
      // The CLI while a daemon runs (it hands reconciles to the daemon).
      await cli(["reconcile", "image", "repository", "reg-wrong"]);
      await cli(["reconcile", "image", "update", "auto-wrong"], { debug: true });
      const metrics = await (await fetch(`${url}/metrics`)).text();
      outputs.push({ what: "/metrics", text: metrics });
      const pageStore = await openStore({ home });
      const pages = await allPagePaths(pageStore).finally(() => pageStore.close());
      expect(pages.length).toBeGreaterThan(PAGE_PATHS.length);
      for (const path of ["/healthz", "/readyz", ...pages]) {
        outputs.push({ what: `GET ${path}`, text: await (await fetch(`${url}${path}`)).text() });
      }
    } finally {
      daemon.kill("SIGTERM");
      await exited(daemon);
    }
    outputs.push({ what: "serve log", text: daemon.output() });
    for (const [i, d] of deliveries.entries()) outputs.push({ what: `alert delivery ${i}`, text: d });

    // Everything a user can print.
    for (const kinds of [
      ["image", "repository"],
      ["image", "policy"],
      ["image", "update"],
      ["source", "git"],
      ["receiver"],
      ["alert-provider"],
      ["alert"],
    ]) {
      for (const o of ["table", "json", "yaml"]) await cli(["get", ...kinds, "-o", o]);
      await cli(["export", ...kinds, "--all"]);
    }
    await cli(["get", "secrets"]);
    await cli(["get", "image", "all"]);

    // Events, as the store keeps them.
    const store = await openStore({ home });
    try {
      const events = await store.listEvents();
      expect(events.length).toBeGreaterThan(0);
      outputs.push({ what: "events", text: JSON.stringify(events) });
    } finally {
      await store.close();
    }

    // Every file of the home: git caches, daemon.json, and the store itself (secrets encrypted).
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((f) => {
        const p = join(d, f);
        return statSync(p).isDirectory() ? walk(p) : [p];
      });
    for (const file of walk(home)) {
      outputs.push({ what: `file ${file.slice(home.length)}`, text: readFileSync(file).toString("latin1") });
    }

    const leaks: string[] = [];
    for (const o of outputs) {
      for (const [name, value] of Object.entries(CANARY)) {
        if (o.text.includes(value)) leaks.push(`${name} in ${o.what}`);
      }
      if (JWT.test(o.text)) leaks.push(`a registry token (JWT) in ${o.what}`);
    }
    expect(leaks).toEqual([]);
    // Enough was searched to mean something.
    expect(outputs.length).toBeGreaterThan(80);
    console.log(
      `canary secrets: ${Object.keys(CANARY).length} canaries + JWTs checked against ${outputs.length} outputs ` +
        `(${Math.round(outputs.reduce((n, o) => n + o.text.length, 0) / 1024)} KiB), ${deliveries.length} alert deliveries`,
    );
  });
});
