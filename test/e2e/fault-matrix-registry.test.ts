import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type Fault, type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

// The registry side of the fault matrix (issue 11), as a user sees it: an ImageRepository scanned by
// `imagectl reconcile` through a fault proxy in front of a real docker-registry (for the token rows,
// a second proxy in front of the suite's token issuer). Each row checks the final state (Ready,
// tags), the condition's reason and message, bounded time, and recovery once the fault is gone.
// The default retry policy is in force (3 retries, 500 ms doubling, Retry-After for 429/503).
// Client-level behaviour under the same faults (retry counts, error kinds, every malformed answer's
// wording, redirect rules) is in test/registry/fault-handling.test.ts, garbage-answers.test.ts and
// redirects.test.ts; rows here do not repeat those assertions.

const TAGS = ["1.0.0", "1.1.0", "1.2.0"];
// Generous bounds on one reconcile (the retry budget is at most 3.5 s of backoff): beyond is a hang.
const RETRY_BOUND_MS = 15_000;
const TIMEOUT_SLACK_MS = 5_000;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

type Outcome =
  | { ready: true }
  | { ready: false; reason: "ReadOperationFailed" | "AuthenticationFailed"; message: RegExp };

const fail = (
  message: RegExp,
  reason: "ReadOperationFailed" | "AuthenticationFailed" = "ReadOperationFailed",
): Outcome => ({ ready: false, reason, message });

interface Row {
  name: string;
  /** Queued (consumed once each) or standing (every request until cleared) faults, made when the row runs. */
  faults: () => { once?: Fault[]; always?: Fault };
  outcome: Outcome;
  /** The scan's spec.timeout; rows that test the deadline shrink it. */
  timeout?: string;
  /** Upper bound on the reconcile's wall time (default: the retry budget's bound). */
  maxMs?: number;
  /** Lower bound, for rows that must have waited out a Retry-After. */
  minMs?: number;
}

let dir: string;
let home: string;
const cli = (args: string[], stdin?: string) => runCli([...args, "--home", home], { stdin });

async function readyOf(name: string): Promise<{ ready?: Condition; tagCount?: number; raw: string }> {
  const r = await cli(["get", "image", "repository", name, "-o", "json"]);
  expect(r.code, r.stderr).toBe(0);
  const obj = JSON.parse(r.stdout) as {
    status?: { conditions?: Condition[]; lastScanResult?: { tagCount: number } };
  };
  return {
    ready: obj.status?.conditions?.find((c) => c.type === "Ready"),
    tagCount: obj.status?.lastScanResult?.tagCount,
    raw: r.stdout,
  };
}

/** Applies an ImageRepository, queues the row's faults, reconciles once and checks the outcome. */
async function runRow(
  /** The proxy the row's faults are injected into. */
  proxy: FaultProxy,
  row: Row,
  name: string,
  image: string,
  extraSpec = "",
): Promise<{ elapsedMs: number; stderr: string }> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: ${name}}
spec: {image: "${image}", interval: 1h, timeout: ${row.timeout ?? "30s"}${extraSpec}}
`,
  );
  expect((await cli(["apply", "-f", file, "--no-wait"])).code).toBe(0);
  const faults = row.faults();
  if (faults.once) proxy.inject(...faults.once);
  if (faults.always) proxy.always(faults.always);
  const started = performance.now();
  const r = await cli(["reconcile", "image", "repository", name]);
  const elapsedMs = performance.now() - started;
  proxy.clear();
  const state = await readyOf(name);
  if (row.outcome.ready) {
    expect(r.code, r.stderr).toBe(0);
    expect(state.ready?.status).toBe("True");
    expect(state.tagCount).toBe(TAGS.length);
  } else {
    expect(r.code).not.toBe(0);
    expect(state.ready?.status).toBe("False");
    expect(state.ready?.reason).toBe(row.outcome.reason);
    expect(state.ready?.message).toMatch(row.outcome.message);
    // The image is named, and the CLI says the same as the condition, without a stack trace.
    expect(state.ready?.message).toContain(image);
    expect(r.stderr).toContain(state.ready?.message ?? "<none>");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(state.tagCount).toBeUndefined();
  }
  expect(elapsedMs).toBeLessThan(row.maxMs ?? RETRY_BOUND_MS);
  if (row.minMs !== undefined) expect(elapsedMs).toBeGreaterThanOrEqual(row.minMs);
  return { elapsedMs, stderr: r.stderr };
}

/** The fault is gone: the next reconcile is Ready with every tag. */
async function recovers(name: string): Promise<void> {
  const r = await cli(["reconcile", "image", "repository", name]);
  expect(r.code, r.stderr).toBe(0);
  const state = await readyOf(name);
  expect(state.ready?.status).toBe("True");
  expect(state.tagCount).toBe(TAGS.length);
}

const timings: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "imagectl-faults-reg-"));
  home = join(dir, "home");
});
afterAll(() => {
  // The figures docs/reliability.md quotes come from this line.
  console.log(`fault matrix (registry) timings:\n${timings.join("\n")}`);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A host nothing listens on any more: refused, retried, reported. */
const goneRow = (name: string): Row => ({
  name,
  faults: () => ({}),
  outcome: fail(/: cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\) after 4 attempts$/),
});

const TAGS_LIST = /^GET \/v2\/.*\/tags\/list/;
const slowDrip: Fault = { kind: "drip", intervalMs: 300, match: TAGS_LIST };

describe("registry fault matrix: plain docker-registry behind a fault proxy", () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;

  beforeAll(async () => {
    registry = await startRegistry({ mode: "plain" });
    await registry.pushTags("matrix/app", TAGS);
    proxy = await startFaultProxy(registry.url);
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  const transient = (f: Fault, n: number): Fault[] => Array.from({ length: n }, () => ({ ...f }));
  const rows: Row[] = [
    {
      name: "429 with Retry-After in seconds, then success",
      faults: () => ({ once: [{ kind: "status", status: 429, retryAfter: "1", match: TAGS_LIST }] }),
      outcome: { ready: true },
      minMs: 900,
    },
    {
      name: "429 with Retry-After as an HTTP date, then success",
      faults: () => ({
        once: [
          {
            kind: "status",
            status: 429,
            // HTTP dates have whole seconds: 2 s ahead is at least 1 s of waiting.
            retryAfter: new Date(Date.now() + 2000).toUTCString(),
            match: TAGS_LIST,
          },
        ],
      }),
      outcome: { ready: true },
      minMs: 900,
    },
    {
      name: "500, 502, 503 in a row, then success",
      faults: () => ({
        once: [500, 502, 503].map((status) => ({ kind: "status" as const, status, match: TAGS_LIST })),
      }),
      outcome: { ready: true },
    },
    {
      name: "two connection resets, then success",
      faults: () => ({ once: transient({ kind: "reset", match: TAGS_LIST }, 2) }),
      outcome: { ready: true },
    },
    {
      name: "two truncated bodies, then success",
      faults: () => ({ once: transient({ kind: "truncate", match: TAGS_LIST }, 2) }),
      outcome: { ready: true },
    },
    {
      name: "a slow answer within the timeout",
      faults: () => ({ once: [{ kind: "slow", delayMs: 1500, match: TAGS_LIST }] }),
      outcome: { ready: true },
      minMs: 1400,
    },
    {
      name: "429 on every request (Retry-After 1)",
      faults: () => ({ always: { kind: "status", status: 429, retryAfter: "1", match: TAGS_LIST } }),
      outcome: fail(/^scan failed: .*: rate limited by the registry \(HTTP 429\)/),
      minMs: 2700,
    },
    {
      name: "503 on every request",
      faults: () => ({ always: { kind: "status", status: 503, match: TAGS_LIST } }),
      outcome: fail(/: registry unavailable \(HTTP 503\) \(INJECTED: injected fault\)$/),
    },
    {
      name: "500 on every request",
      faults: () => ({ always: { kind: "status", status: 500, match: TAGS_LIST } }),
      outcome: fail(/: unexpected HTTP 500 from tags\/list \(INJECTED: injected fault\)$/),
    },
    {
      name: "connection reset on every request",
      faults: () => ({ always: { kind: "reset", match: TAGS_LIST } }),
      outcome: fail(/: cannot reach 127\.0\.0\.1:\d+ \(ECONNRESET\) after 4 attempts$/),
    },
    {
      name: "a truncated body on every request",
      faults: () => ({ always: { kind: "truncate", match: TAGS_LIST } }),
      outcome: fail(/: cannot reach 127\.0\.0\.1:\d+ \((ERR_BODY_TRUNCATED|ECONNRESET)\) after 4 attempts$/),
    },
    {
      name: "a body dripped one byte every 300 ms, past the scan timeout",
      faults: () => ({ always: slowDrip }),
      timeout: "2s",
      outcome: fail(/: scan did not finish within 2000 ms$/),
      minMs: 1900,
      maxMs: 2000 + TIMEOUT_SLACK_MS,
    },
    {
      name: "no answer at all, past the scan timeout",
      faults: () => ({ always: { kind: "slow", delayMs: 30_000, match: TAGS_LIST } }),
      timeout: "2s",
      outcome: fail(/: scan did not finish within 2000 ms$/),
      minMs: 1900,
      maxMs: 2000 + TIMEOUT_SLACK_MS,
    },
    {
      name: "an HTML page instead of a tag list",
      faults: () => ({
        always: {
          kind: "garbage",
          body: "<html><body>502 Bad Gateway</body></html>",
          contentType: "text/html",
          match: TAGS_LIST,
        },
      }),
      outcome: fail(/: tags\/list answer from 127\.0\.0\.1:\d+ is not valid JSON$/),
    },
    {
      name: "JSON of the wrong shape instead of a tag list",
      faults: () => ({ always: { kind: "garbage", body: '{"tags":{"latest":true}}', match: TAGS_LIST } }),
      outcome: fail(/is not valid: field tags: expected array, got object$/),
    },
    {
      name: "a redirect loop",
      faults: () => ({ always: { kind: "redirect-loop", match: TAGS_LIST } }),
      outcome: fail(/: unexpected HTTP 302 from tags\/list$/),
    },
  ];

  it.each(rows.map((row, i) => [row.name, i] as const))("%s", async (_name, i) => {
    const row = rows[i] as Row;
    const name = `reg-${i}`;
    const { elapsedMs } = await runRow(proxy, row, name, `${proxy.host}/matrix/app`);
    timings.push(`  ${row.name}: ${Math.round(elapsedMs)} ms`);
    if (!row.outcome.ready) await recovers(name);
  });

  it("the registry gone: connection refused, then back", async () => {
    const gone = await startFaultProxy(registry.url);
    const image = `${gone.host}/matrix/app`;
    await gone.stop();
    const { elapsedMs } = await runRow(proxy, goneRow("registry gone"), "reg-gone", image);
    timings.push(`  registry gone: ${Math.round(elapsedMs)} ms`);
  });
});

describe("registry fault matrix: the token endpoint of a token-auth docker-registry", () => {
  let registry: TestRegistry;
  let tokenProxy: FaultProxy;
  let proxy: FaultProxy;
  const secret = "tok-creds";

  beforeAll(async () => {
    registry = await startRegistry({ mode: "token" });
    const realm = registry.tokenServer?.realm as string;
    tokenProxy = await startFaultProxy(new URL(realm).origin);
    // The registry names its token issuer in the challenge: point it at the issuer's fault proxy.
    proxy = await startFaultProxy(registry.url, {
      rewriteHeaders: (h) => {
        const auth = h["www-authenticate"];
        if (auth) h["www-authenticate"] = auth.replace(new URL(realm).origin, tokenProxy.url);
        return h;
      },
    });
    for (let i = 0; i < 8; i++) await registry.pushTags(`tok/app-${i}`, TAGS);
    const r = await cli(
      [
        "create",
        "secret",
        "docker-registry",
        secret,
        `--server=${proxy.host}`,
        `--username=${registry.username}`,
        "--password-stdin",
      ],
      `${registry.password}\n`,
    );
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await proxy?.stop();
    await tokenProxy?.stop();
    await registry?.stop();
  });

  const TOKEN = /^GET \/token/;
  const rows: Row[] = [
    {
      name: "token endpoint answers 500 once, then a token",
      faults: () => ({ once: [{ kind: "status", status: 500, match: TOKEN }] }),
      outcome: { ready: true },
    },
    {
      name: "token endpoint answers 503 on every request",
      faults: () => ({ always: { kind: "status", status: 503, match: TOKEN } }),
      outcome: fail(/: token service at http:\/\/127\.0\.0\.1:\d+ answered HTTP 503$/),
    },
    {
      name: "token endpoint resets every connection",
      faults: () => ({ always: { kind: "reset", match: TOKEN } }),
      outcome: fail(/: cannot reach 127\.0\.0\.1:\d+ \(ECONNRESET\) after 4 attempts$/),
    },
    {
      name: "token endpoint answers garbage",
      faults: () => ({ always: { kind: "garbage", body: "<html>login</html>", match: TOKEN } }),
      outcome: fail(/: answer of the token service at http:\/\/127\.0\.0\.1:\d+ is not valid JSON$/),
    },
    {
      name: "token endpoint refuses the credentials (revoked)",
      faults: () => ({
        always: { kind: "status", status: 401, body: '{"details":"revoked"}', match: TOKEN },
      }),
      outcome: fail(
        /: token service at http:\/\/127\.0\.0\.1:\d+ rejected the configured credentials \(HTTP 401\)$/,
        "AuthenticationFailed",
      ),
    },
    {
      name: "token endpoint drips its answer past the scan timeout",
      faults: () => ({ always: { kind: "drip", intervalMs: 300, match: TOKEN } }),
      timeout: "2s",
      outcome: fail(/: scan did not finish within 2000 ms$/),
      minMs: 1900,
      maxMs: 2000 + TIMEOUT_SLACK_MS,
    },
  ];

  // One repository per row: a token granted earlier is cached per scope for its lifetime.
  it.each(rows.map((row, i) => [row.name, i] as const))("%s", async (_name, i) => {
    const row = rows[i] as Row;
    const name = `tok-${i}`;
    const { elapsedMs, stderr } = await runRow(
      tokenProxy,
      row,
      name,
      `${proxy.host}/tok/app-${i}`,
      `, secretRef: {name: ${secret}}`,
    );
    expect(stderr).not.toContain(registry.password);
    expect((await readyOf(name)).raw).not.toContain(registry.password);
    timings.push(`  ${row.name}: ${Math.round(elapsedMs)} ms`);
    if (!row.outcome.ready) await recovers(name);
  });

  it("the token endpoint gone: connection refused", async () => {
    await tokenProxy.stop();
    const { elapsedMs } = await runRow(
      proxy,
      goneRow("token endpoint gone"),
      "tok-gone",
      `${proxy.host}/tok/app-7`,
      `, secretRef: {name: ${secret}}`,
    );
    timings.push(`  token endpoint gone: ${Math.round(elapsedMs)} ms`);
  });
});
