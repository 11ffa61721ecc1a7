import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObjectId } from "../../src/api/object-id.js";
import type { AnyObject } from "../../src/api/types.js";
import { dashboardRoutes } from "../../src/server/dashboard.js";
import { allPagePaths, PAGE_PATHS } from "../../src/server/pages/routes.js";
import { openStore, type Store } from "../../src/store/index.js";

// The dashboard's routes in-process over a real SQLite store: what each page says, escaping,
// auth, CSRF, and the live stream. (test/e2e/dashboard.test.ts drives a real browser.)
const NS = "flux-system";
const PASSWORD = "canary-dashboard-password-7f3a";
const EVIL = `<script>alert("x")</script>`;

const objects: AnyObject[] = [
  {
    apiVersion: "source.toolkit.fluxcd.io/v1",
    kind: "GitRepository",
    metadata: { name: "fleet", namespace: NS },
    spec: { url: "file:///nowhere.git", interval: "1h", ref: { branch: "main" } },
  },
  {
    apiVersion: "image.toolkit.fluxcd.io/v1",
    kind: "ImageRepository",
    metadata: { name: "app", namespace: NS },
    spec: { image: "127.0.0.1:5000/team/app", interval: "1h" },
  },
  {
    apiVersion: "image.toolkit.fluxcd.io/v1",
    kind: "ImagePolicy",
    metadata: { name: "app", namespace: NS },
    spec: { imageRepositoryRef: { name: "app" }, policy: { semver: { range: "1.x" } } },
  },
  {
    apiVersion: "image.toolkit.fluxcd.io/v1",
    kind: "ImageUpdateAutomation",
    metadata: { name: "app", namespace: NS },
    spec: {
      interval: "1h",
      sourceRef: { kind: "GitRepository", name: "fleet" },
      git: { commit: { author: { email: "bot@example.invalid" } }, push: { branch: "auto" } },
      update: { path: ".", strategy: "Setters" },
    },
  },
];

const ready = (message: string) => ({
  type: "Ready",
  status: "True" as const,
  reason: "Succeeded",
  message,
  lastTransitionTime: "2026-12-03T10:00:00Z",
});

async function seed(store: Store): Promise<void> {
  await store.apply(objects);
  const tags = [
    "1.0.0",
    "1.1.0",
    "2.0.0",
    "latest",
    EVIL,
    ...Array.from({ length: 240 }, (_, i) => `0.${i}.0`),
  ];
  await store.putTags(NS, "app", tags, { revision: "r1", scanTime: "2026-12-03T10:00:00Z" });
  await store.putDigests(NS, "app", { "1.1.0": "sha256:1111" });
  await store.updateStatus("ImageRepository", NS, "app", {
    lastScanResult: { tagCount: tags.length, scanTime: "2026-12-03T10:00:00Z" },
    conditions: [ready(`successful scan: found ${tags.length} tags`)],
  });
  await store.updateStatus("ImagePolicy", NS, "app", {
    latestRef: { name: "127.0.0.1:5000/team/app", tag: "1.1.0" },
    observedPreviousRef: { name: "127.0.0.1:5000/team/app", tag: "1.0.0" },
    conditions: [ready("Latest image tag for 127.0.0.1:5000/team/app resolved to 1.1.0")],
  });
  for (const [tag, at] of [
    ["1.0.0", "2026-12-03T09:00:00Z"],
    ["1.1.0", "2026-12-03T10:00:00Z"],
  ] as const) {
    await store.recordEvent({
      kind: "ImagePolicy",
      namespace: NS,
      name: "app",
      type: "Normal",
      reason: "Succeeded",
      message: `Latest image tag for 127.0.0.1:5000/team/app resolved to ${tag}`,
      at,
    });
  }
  await store.recordEvent({
    kind: "ImageRepository",
    namespace: NS,
    name: "app",
    type: "Warning",
    reason: "ScanFailed",
    message: `bad tag ${EVIL}`,
    at: "2026-12-03T09:30:00Z",
  });
  await store.updateStatus("ImageUpdateAutomation", NS, "app", {
    lastAutomationRunTime: "2026-12-03T10:00:05Z",
    lastPushCommit: "abcdef0123456789abcdef0123456789abcdef01",
    lastPushTime: "2026-12-03T10:00:05Z",
    conditions: [ready("repository up-to-date")],
  });
  await store.recordRun({
    namespace: NS,
    name: "app",
    startedAt: "2026-12-03T10:00:04Z",
    finishedAt: "2026-12-03T10:00:05Z",
    outcome: "pushed",
    commit: "abcdef0123456789abcdef0123456789abcdef01",
    branch: "auto",
    message: "Update app to 1.1.0",
    changes: [
      {
        file: "deploy.yaml",
        setter: "flux-system:app",
        oldValue: "127.0.0.1:5000/team/app:1.0.0",
        newValue: "127.0.0.1:5000/team/app:1.1.0",
      },
    ],
  });
  await store.putSecret(NS, "dash", { data: { username: "admin", password: PASSWORD } });
}

describe("dashboard pages", () => {
  let home: string;
  let store: Store;
  const woken: ObjectId[] = [];
  const apps: FastifyInstance[] = [];

  async function app(o: { secret?: boolean; loopback?: boolean } = {}): Promise<FastifyInstance> {
    const a = Fastify();
    await a.register(
      dashboardRoutes({
        store,
        readiness: async () => ({ ready: true, reasons: [] }),
        queueDepth: () => 0,
        requestSoon: (key) => woken.push(key),
        log: () => {},
        livePollMs: 50,
        auth: { loopback: o.loopback ?? true, ...(o.secret && { secret: { namespace: NS, name: "dash" } }) },
      }),
    );
    apps.push(a);
    return a;
  }
  const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "imagectl-pages-"));
    store = await openStore({ home, env: {} });
    await seed(store);
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await store?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("the overview counts objects by kind and state, and lists recent changes and objects", async () => {
    const r = await (await app()).inject({ url: "/" });
    expect(r.statusCode).toBe(200);
    expect(r.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(r.body).toMatch(
      /<th scope="row">ImagePolicy<\/th>(<td class="num">[^<]*<\/td>){4}<td class="num">1<\/td><td class="num">1<\/td>/,
    );
    expect(r.body).toContain("resolved to 1.1.0");
    expect(r.body).toContain('href="/policies/flux-system/app"');
    expect(r.body).not.toContain("<script>alert");
  });

  it("a policy page explains the winner as policy test does, every user string escaped", async () => {
    const r = await (await app()).inject({ url: "/policies/flux-system/app" });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('The policy selects <strong class="mono">1.1.0</strong>');
    expect(r.body).toMatch(/<th scope="row">tags read<\/th><td>245<\/td>/);
    expect(r.body).toMatch(/<td class="num">1<\/td><td class="mono">1\.1\.0<\/td>/);
    expect(r.body).toMatch(/<td class="num">2<\/td><td class="mono">1\.0\.0<\/td>/);
    expect(r.body).toMatch(
      /not semver<\/td><td class="num">2<\/td><td class="mono">latest, &lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/,
    );
    expect(r.body).toMatch(/out of range<\/td><td class="num">241<\/td>/);
    expect(r.body).toContain('<svg class="timeline"');
    expect(r.body).not.toContain("<script>alert");
  });

  it("a repository page searches and pages its tags, with digests where reflected", async () => {
    const a = await app();
    const found = await a.inject({ url: "/repositories/flux-system/app?q=1." });
    expect(found.body).toContain('<td class="mono">1.1.0</td><td class="mono">sha256:1111</td>');
    expect(found.body).not.toContain(">0.5.0<");
    const p3 = await a.inject({ url: "/repositories/flux-system/app?page=3" });
    expect(p3.body).toContain("Page 3 of 3 (245)");
    expect(p3.body).toContain('rel="prev"');
    expect((await a.inject({ url: "/repositories/flux-system/nope" })).statusCode).toBe(404);
  });

  it("an automation page shows the pushed commit, its message and its changes", async () => {
    const r = await (await app()).inject({ url: "/automations/flux-system/app" });
    expect(r.body).toContain("abcdef0123456789abcdef0123456789abcdef01");
    expect(r.body).toContain("Update app to 1.1.0");
    expect(r.body).toContain('<span class="del">-127.0.0.1:5000/team/app:1.0.0</span>');
    expect(r.body).toContain('<span class="add">+127.0.0.1:5000/team/app:1.1.0</span>');
    expect(r.body).toContain('<dt>Push branch</dt><dd class="mono">auto</dd>');
  });

  it("events filter by kind and type", async () => {
    const a = await app();
    const w = await a.inject({ url: "/events?type=Warning" });
    expect(w.body).toContain("ScanFailed");
    expect(w.body).not.toContain("resolved to 1.1.0");
    expect(w.body).toContain("bad tag &lt;script&gt;");
    const pol = await a.inject({ url: "/events?kind=ImagePolicy&namespace=flux-system&name=app" });
    expect(pol.body).toContain("Events of ImagePolicy flux-system/app");
    expect(pol.body).not.toContain("ScanFailed");
  });

  it("refuses actions without a configured secret, without credentials, without the form token, from another site", async () => {
    const open = await app();
    const form = "kind=ImageRepository&namespace=flux-system&name=app";
    const hdr = { "content-type": "application/x-www-form-urlencoded" };
    const off = await open.inject({ method: "POST", url: "/actions/reconcile", headers: hdr, payload: form });
    expect(off.statusCode).toBe(403);
    expect(off.body).toContain("--dashboard-auth-secret");

    const a = await app({ secret: true });
    const page = await a.inject({ url: "/repositories" });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? "";
    expect(csrf).not.toBe("");
    const post = (headers: Record<string, string>, body = `${form}&_csrf=${csrf}`) =>
      a.inject({ method: "POST", url: "/actions/reconcile", headers: { ...hdr, ...headers }, payload: body });
    const anon = await post({});
    expect(anon.statusCode).toBe(401);
    expect(anon.headers["www-authenticate"]).toContain("Basic");
    expect((await post({ authorization: basic("admin", "wrong") })).statusCode).toBe(401);
    expect((await post({ authorization: basic("admin", PASSWORD) }, form)).statusCode).toBe(403);
    const cross = await post({ authorization: basic("admin", PASSWORD), origin: "http://evil.example" });
    expect(cross.statusCode).toBe(403);
    expect(
      (await post({ authorization: basic("admin", PASSWORD), "sec-fetch-site": "cross-site" })).statusCode,
    ).toBe(403);
    expect(woken).toEqual([]);

    const ok = await post({ authorization: basic("admin", PASSWORD), origin: "http://localhost:80" });
    expect(ok.statusCode).toBe(303);
    expect(woken).toEqual([{ kind: "ImageRepository", namespace: NS, name: "app" }]);
    const obj = await store.get("ImageRepository", NS, "app");
    expect(obj?.metadata.annotations?.["reconcile.fluxcd.io/requestedAt"]).toBeTruthy();

    const suspend = await a.inject({
      method: "POST",
      url: "/actions/suspend",
      headers: { ...hdr, authorization: basic("admin", PASSWORD), "x-dashboard-fetch": "1" },
      payload: `kind=ImagePolicy&namespace=flux-system&name=app&_csrf=${csrf}`,
    });
    expect(suspend.statusCode).toBe(200);
    expect((await store.get("ImagePolicy", NS, "app"))?.spec.suspend).toBe(true);
    await store.setSuspended("ImagePolicy", NS, "app", false);
  });

  it("off loopback every view needs credentials; on loopback only loopback host names are served", async () => {
    const remote = await app({ secret: true, loopback: false });
    const anon = await remote.inject({ url: "/" });
    expect(anon.statusCode).toBe(401);
    expect((await remote.inject({ url: "/live" })).statusCode).toBe(401);
    const signed = await remote.inject({ url: "/", headers: { authorization: basic("admin", PASSWORD) } });
    expect(signed.statusCode).toBe(200);
    const noSecret = await app({ loopback: false });
    expect((await noSecret.inject({ url: "/" })).statusCode).toBe(403);
    const local = await app();
    expect((await local.inject({ url: "/", headers: { host: "evil.example:9292" } })).statusCode).toBe(403);
    expect((await local.inject({ url: "/", headers: { host: "127.0.0.1:9292" } })).statusCode).toBe(200);
  });

  it("no page carries a secret's value", async () => {
    const a = await app({ secret: true });
    const paths = await allPagePaths(store);
    expect(paths).toEqual(expect.arrayContaining([...PAGE_PATHS, "/policies/flux-system/app"]));
    for (const url of paths) {
      const r = await a.inject({ url, headers: { authorization: basic("admin", PASSWORD) } });
      expect(r.statusCode, url).toBe(200);
      expect(r.body, url).not.toContain(PASSWORD);
    }
  });

  it("the live stream announces object changes", async () => {
    const a = await app();
    const url = await a.listen({ host: "127.0.0.1", port: 0 });
    const abort = new AbortController();
    const res = await fetch(`${url}/live`, { signal: abort.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // the retry line
    await store.requestReconcile("ImagePolicy", NS, "app", new Date().toISOString());
    let text = "";
    while (!text.includes("event: change")) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('"kind":"ImagePolicy","namespace":"flux-system","name":"app"');
    abort.abort();
  });
});
