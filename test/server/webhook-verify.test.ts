import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ReceiverType } from "../../src/api/notification-types.js";
import { webhookPath } from "../../src/api/webhook-path.js";
import { verifyWebhook, WebhookRejected } from "../../src/server/hooks/verify.js";

const TOKEN = "s3cr3t-token";
const json = { "content-type": "application/json" };
const call = (body: unknown, headers: Record<string, string> = json) => ({
  headers,
  body: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)),
});
const hmac = (alg: string, body: string, key = TOKEN) => createHmac(alg, key).update(body).digest("hex");

function rejected(type: ReceiverType, c: ReturnType<typeof call>, events: string[] = []): WebhookRejected {
  try {
    verifyWebhook(type, events, TOKEN, c);
  } catch (err) {
    if (err instanceof WebhookRejected) return err;
    throw err;
  }
  throw new Error("accepted");
}

describe("Flux's webhook path", () => {
  it("is /hook/ + sha256(token + name + namespace)", () => {
    // sha256("tokenwebappflux-system"), computed independently with sha256sum.
    expect(webhookPath("token", "webapp", "flux-system")).toBe(
      "/hook/fa11f91add0541d3260e46b7920f6222cf027249d5ba9c787b4e2e49b193cddc",
    );
    expect(webhookPath("token", "webapp", "flux-system")).toMatch(/^\/hook\/[0-9a-f]{64}$/);
    expect(webhookPath("token", "webapp", "flux-system")).not.toBe(webhookPath("token", "webapp", "other"));
  });
});

describe("registry payloads in their documented shapes", () => {
  it("dockerhub: push_data.tag and repository.repo_name", () => {
    const body = {
      push_data: { tag: "1.2.3", pusher: "me" },
      repository: { repo_name: "org/app", repo_url: "https://hub.docker.com/r/org/app" },
    };
    expect(verifyWebhook("dockerhub", [], TOKEN, call(body))).toEqual({
      event: "push",
      image: "org/app",
      trigger: true,
    });
    expect(rejected("dockerhub", call({ push_data: {} })).message).toMatch(
      /dockerhub payload: push_data\.tag/,
    );
    expect(rejected("dockerhub", call(body, { "content-type": "text/plain" })).status).toBe(400);
    expect(rejected("dockerhub", call("{not json")).message).toMatch(/not valid JSON/);
  });

  it("quay: docker_url and updated_tags", () => {
    const body = { repository: "org/app", docker_url: "quay.io/org/app", updated_tags: ["v1"] };
    expect(verifyWebhook("quay", [], TOKEN, call(body)).image).toBe("quay.io/org/app");
    expect(rejected("quay", call({ docker_url: "x" })).message).toMatch(/updated_tags/);
  });

  it("harbor: Authorization must equal the token", () => {
    const body = {
      type: "PUSH_ARTIFACT",
      event_data: { resources: [{ tag: "v1" }], repository: { repo_full_name: "lib/app" } },
    };
    expect(verifyWebhook("harbor", [], TOKEN, call(body, { ...json, authorization: TOKEN })).image).toBe(
      "lib/app",
    );
    expect(rejected("harbor", call(body, { ...json, authorization: "nope" })).status).toBe(401);
    expect(rejected("harbor", call(body)).status).toBe(401);
  });

  it("nexus: X-Nexus-Webhook-Signature is the HMAC-SHA1 of the body", () => {
    const raw = JSON.stringify({ action: "CREATED", repositoryName: "docker-hosted" });
    expect(
      verifyWebhook(
        "nexus",
        [],
        TOKEN,
        call(raw, { ...json, "x-nexus-webhook-signature": hmac("sha1", raw) }),
      ).event,
    ).toBe("CREATED");
    expect(
      rejected("nexus", call(raw, { ...json, "x-nexus-webhook-signature": hmac("sha1", raw, "other") }))
        .status,
    ).toBe(401);
  });

  it("acr: action, target.repository and the request host", () => {
    const body = {
      id: "1",
      action: "push",
      target: { repository: "team/app", tag: "v2" },
      request: { host: "myreg.azurecr.io" },
    };
    expect(verifyWebhook("acr", [], TOKEN, call(body))).toEqual({
      event: "push",
      image: "myreg.azurecr.io/team/app",
      trigger: true,
    });
    expect(rejected("acr", call(body), ["delete"]).message).toMatch(
      /event 'push' is not in the receiver's events/,
    );
  });

  it("github: X-Hub-Signature-256 over the raw body; ping never triggers; package events name the image", () => {
    const raw = JSON.stringify({
      action: "published",
      package: {
        name: "app",
        package_type: "CONTAINER",
        package_version: { container_metadata: { tag: { name: "v1" } } },
      },
    });
    const headers = {
      ...json,
      "x-github-event": "package",
      "x-hub-signature-256": `sha256=${hmac("sha256", raw)}`,
    };
    expect(verifyWebhook("github", ["package"], TOKEN, call(raw, headers))).toEqual({
      event: "package",
      image: "app",
      trigger: true,
    });
    expect(
      verifyWebhook(
        "github",
        [],
        TOKEN,
        call("{}", {
          ...json,
          "x-github-event": "ping",
          "x-hub-signature-256": `sha256=${hmac("sha256", "{}")}`,
        }),
      ).trigger,
    ).toBe(false);
    expect(rejected("github", call(`${raw} `, headers)).status).toBe(401);
    expect(rejected("github", call(raw, { ...json, "x-github-event": "package" })).message).toMatch(
      /missing X-Hub-Signature-256/,
    );
    expect(rejected("github", call(raw, headers), ["push"]).status).toBe(400);
  });

  it("generic-hmac: X-Signature with sha1, sha256 or sha512", () => {
    const raw = "anything";
    for (const alg of ["sha1", "sha256", "sha512"]) {
      expect(
        verifyWebhook("generic-hmac", [], TOKEN, call(raw, { "x-signature": `${alg}=${hmac(alg, raw)}` }))
          .trigger,
      ).toBe(true);
    }
    expect(rejected("generic-hmac", call(raw, { "x-signature": "md5=00" })).status).toBe(401);
    expect(rejected("generic-hmac", call(raw, {})).status).toBe(401);
  });

  it("gitlab and bitbucket: token header and signature, with the event filter", () => {
    expect(
      verifyWebhook(
        "gitlab",
        ["Push Hook"],
        TOKEN,
        call("{}", { "x-gitlab-token": TOKEN, "x-gitlab-event": "Push Hook" }),
      ).event,
    ).toBe("Push Hook");
    expect(
      rejected("gitlab", call("{}", { "x-gitlab-token": "x", "x-gitlab-event": "Push Hook" })).status,
    ).toBe(401);
    const raw = "{}";
    expect(
      verifyWebhook(
        "bitbucket",
        [],
        TOKEN,
        call(raw, { "x-hub-signature": `sha256=${hmac("sha256", raw)}`, "x-event-key": "repo:push" }),
      ).event,
    ).toBe("repo:push");
  });

  it("generic accepts any body (the secret path is the credential)", () => {
    expect(verifyWebhook("generic", [], TOKEN, call("", {})).trigger).toBe(true);
  });

  it("messages never contain the token", () => {
    const msgs = [
      rejected("harbor", call({}, { ...json, authorization: "nope" })).message,
      rejected("gitlab", call("{}", { "x-gitlab-token": "x" })).message,
      rejected("generic-hmac", call("x", { "x-signature": "sha256=00" })).message,
    ];
    for (const m of msgs) expect(m).not.toContain(TOKEN);
  });
});
