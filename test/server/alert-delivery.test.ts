import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeliveryQueue, deliver } from "../../src/server/alerts/delivery.js";
import type { FluxEvent } from "../../src/server/alerts/flux-event.js";
import { providerRequest } from "../../src/server/alerts/provider-payloads.js";

interface Got {
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

// A loopback webhook endpoint that records what it got and answers with the scripted statuses.
let server: Server;
let base: string;
const got: Got[] = [];
let script: number[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.statusCode = script.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const event: FluxEvent = {
  involvedObject: {
    kind: "ImagePolicy",
    namespace: "flux-system",
    name: "vote",
    apiVersion: "image.toolkit.fluxcd.io/v1",
  },
  severity: "info",
  timestamp: "2026-12-03T10:00:00Z",
  message: "Latest image tag for 'reg/vote' updated from 1.0.0 to 1.1.0",
  reason: "Succeeded",
  metadata: { revision: "1.1.0" },
  reportingController: "image-reflector-controller",
};

describe("alert deliveries to a loopback receiver", () => {
  it("generic-hmac: the Flux event as JSON, signed with X-Signature", async () => {
    got.length = 0;
    const req = providerRequest(event, {
      type: "generic-hmac",
      address: `${base}/hook?token=abc`,
      token: "k3y",
    });
    const r = await deliver(req);
    expect(r).toMatchObject({ ok: true, attempts: 1, status: 200 });
    const g = got[0] as Got;
    expect(JSON.parse(g.body)).toEqual(event);
    expect(g.headers["x-signature"]).toBe(
      `sha256=${createHmac("sha256", "k3y").update(g.body).digest("hex")}`,
    );
  });

  it("slack and discord: Slack attachments, Discord through its /slack endpoint", async () => {
    got.length = 0;
    await deliver(
      providerRequest(
        { ...event, severity: "error" },
        { type: "slack", address: `${base}/slack-hook`, channel: "#ops", username: "imagectl" },
      ),
    );
    await deliver(providerRequest(event, { type: "discord", address: `${base}/api/webhooks/1/x` }));
    const slack = JSON.parse((got[0] as Got).body);
    expect(slack).toMatchObject({ channel: "#ops", username: "imagectl" });
    expect(slack.attachments[0]).toMatchObject({
      color: "danger",
      author_name: "imagepolicy/vote.flux-system",
      text: event.message,
    });
    expect(slack.attachments[0].fields).toEqual([{ title: "revision", value: "1.1.0", short: false }]);
    expect((got[1] as Got).path).toBe("/api/webhooks/1/x/slack");
  });

  it("msteams: an Adaptive Card message", async () => {
    got.length = 0;
    await deliver(providerRequest(event, { type: "msteams", address: `${base}/teams` }));
    const body = JSON.parse((got[0] as Got).body);
    expect(body.attachments[0].contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(JSON.stringify(body)).toContain(event.message);
  });

  it("retries 5xx and 429 with backoff, not 4xx; errors never name the address", async () => {
    got.length = 0;
    script = [503, 429, 200];
    const ok = await deliver(providerRequest(event, { type: "generic", address: `${base}/x?token=SECRET` }), {
      timeoutMs: 2000,
      retries: 3,
      backoffMs: 10,
    });
    expect(ok).toMatchObject({ ok: true, attempts: 3 });
    script = [400];
    const bad = await deliver(
      providerRequest(event, { type: "generic", address: `${base}/x?token=SECRET` }),
      {
        timeoutMs: 2000,
        retries: 3,
        backoffMs: 10,
      },
    );
    expect(bad).toMatchObject({ ok: false, attempts: 1, status: 400, error: "HTTP 400" });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const a = closed.address();
    const port = typeof a === "object" && a ? a.port : 0;
    await new Promise<void>((r) => closed.close(() => r()));
    const dead = await deliver(
      providerRequest(event, { type: "generic", address: `http://127.0.0.1:${port}/x?token=SECRET` }),
      {
        timeoutMs: 500,
        retries: 1,
        backoffMs: 10,
      },
    );
    expect(dead.ok).toBe(false);
    expect(dead.error).not.toContain("SECRET");
    expect(dead.error).toBe("ECONNREFUSED");
  });

  it("the queue never waits and drops the oldest when full", async () => {
    got.length = 0;
    script = [];
    const dropped: string[] = [];
    const results: boolean[] = [];
    const q = new DeliveryQueue(2, 1, (d) => dropped.push(d.request.body));
    const req = (n: number) => ({
      ...providerRequest({ ...event, message: `m${n}` }, { type: "generic", address: `${base}/q` }),
    });
    for (let i = 0; i < 5; i++) q.enqueue({ request: req(i), done: (r) => results.push(r.ok) });
    await q.close(5000);
    expect(dropped.length + results.length).toBe(5);
    expect(dropped.length).toBeGreaterThan(0);
  });
});
