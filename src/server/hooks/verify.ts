/**
 * Checks one webhook call against its Receiver's type, as Flux's notification-controller does:
 * signatures and tokens (constant-time), the event filter, and the payload's documented shape.
 * Pure: no I/O, so every type is tested on its own. Status codes: 401 for a missing or wrong
 * credential, 400 for a malformed body, a wrong content type or an event the receiver ignores.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { z } from "zod";
import type { ReceiverType } from "../../api/notification-types.js";
import {
  acrPayload,
  dockerHubPayload,
  githubPackagePayload,
  harborPayload,
  nexusPayload,
  quayPayload,
} from "./payloads.js";

export class WebhookRejected extends Error {
  override name = "WebhookRejected";
  constructor(
    readonly status: 400 | 401,
    message: string,
  ) {
    super(message);
  }
}

export interface WebhookCall {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface WebhookAccepted {
  /** The event's name (`push`, `package`, `ping`, …) or the receiver type when it has none. */
  event: string;
  /** Image repository the payload names, for logs only. */
  image?: string;
  /** False for calls that only check the hook works (GitHub `ping`). */
  trigger: boolean;
}

function header(call: WebhookCall, name: string): string | undefined {
  const v = call.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Equal-length digests first, so the comparison time says nothing about the secret's length. */
function safeEqual(a: string, b: string): boolean {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db);
}

function hmacHex(algorithm: string, key: string, body: Buffer): string {
  return createHmac(algorithm, key).update(body).digest("hex");
}

/** `sha256=<hex>` style signature headers (GitHub, Bitbucket, generic-hmac). */
function checkPrefixedSignature(
  value: string | undefined,
  headerName: string,
  token: string,
  body: Buffer,
  allowed: readonly string[],
): void {
  if (!value) throw new WebhookRejected(401, `missing ${headerName} header`);
  const m = /^(sha1|sha256|sha512)=([0-9a-fA-F]+)$/.exec(value.trim());
  if (!m || !allowed.includes(m[1] as string)) {
    throw new WebhookRejected(
      401,
      `${headerName}: expected ${allowed.map((a) => `${a}=<hex>`).join(" or ")}`,
    );
  }
  if (!safeEqual(hmacHex(m[1] as string, token, body), (m[2] as string).toLowerCase())) {
    throw new WebhookRejected(401, `${headerName}: signature does not match the body`);
  }
}

function checkEvent(event: string, events: readonly string[], type: ReceiverType): void {
  if (events.length > 0 && !events.some((e) => e.toLowerCase() === event.toLowerCase())) {
    throw new WebhookRejected(400, `${type} event '${event.slice(0, 64)}' is not in the receiver's events`);
  }
}

function parseJson<S extends z.ZodType>(call: WebhookCall, schema: S, type: ReceiverType): z.infer<S> {
  const ct = header(call, "content-type") ?? "";
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(ct)) {
    throw new WebhookRejected(400, `${type} payload must be application/json, got '${ct.slice(0, 64)}'`);
  }
  let data: unknown;
  try {
    data = JSON.parse(call.body.toString("utf8"));
  } catch {
    throw new WebhookRejected(400, `${type} payload is not valid JSON`);
  }
  const r = schema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue?.path.join(".") || "(root)";
    throw new WebhookRejected(400, `${type} payload: ${field}: ${issue?.message ?? "invalid"}`);
  }
  return r.data;
}

export function verifyWebhook(
  type: ReceiverType,
  events: readonly string[],
  token: string,
  call: WebhookCall,
): WebhookAccepted {
  switch (type) {
    case "generic":
      return { event: type, trigger: true };
    case "generic-hmac":
      checkPrefixedSignature(header(call, "x-signature"), "X-Signature", token, call.body, [
        "sha1",
        "sha256",
        "sha512",
      ]);
      return { event: type, trigger: true };
    case "github": {
      const sig256 = header(call, "x-hub-signature-256");
      if (sig256) checkPrefixedSignature(sig256, "X-Hub-Signature-256", token, call.body, ["sha256"]);
      else
        checkPrefixedSignature(header(call, "x-hub-signature"), "X-Hub-Signature-256", token, call.body, [
          "sha1",
        ]);
      const event = header(call, "x-github-event") ?? "";
      if (!event) throw new WebhookRejected(400, "missing X-GitHub-Event header");
      if (event === "ping") return { event, trigger: false };
      checkEvent(event, events, type);
      if (event !== "package") return { event, trigger: true };
      const p = parseJson(call, githubPackagePayload, type);
      return { event, image: p.package.name, trigger: true };
    }
    case "gitlab": {
      const got = header(call, "x-gitlab-token");
      if (!got) throw new WebhookRejected(401, "missing X-Gitlab-Token header");
      if (!safeEqual(got, token)) throw new WebhookRejected(401, "X-Gitlab-Token does not match");
      const event = header(call, "x-gitlab-event") ?? "";
      checkEvent(event, events, type);
      return { event, trigger: true };
    }
    case "bitbucket": {
      checkPrefixedSignature(header(call, "x-hub-signature"), "X-Hub-Signature", token, call.body, [
        "sha256",
      ]);
      const event = header(call, "x-event-key") ?? "";
      checkEvent(event, events, type);
      return { event, trigger: true };
    }
    case "harbor": {
      const got = header(call, "authorization");
      if (!got) throw new WebhookRejected(401, "missing Authorization header");
      if (!safeEqual(got, token)) throw new WebhookRejected(401, "Authorization header does not match");
      const p = parseJson(call, harborPayload, type);
      checkEvent(p.type, events, type);
      return { event: p.type, image: p.event_data.repository.repo_full_name, trigger: true };
    }
    case "dockerhub": {
      const p = parseJson(call, dockerHubPayload, type);
      return { event: "push", image: p.repository.repo_name, trigger: true };
    }
    case "quay": {
      const p = parseJson(call, quayPayload, type);
      return { event: "repo_push", image: p.docker_url, trigger: true };
    }
    case "nexus": {
      const got = header(call, "x-nexus-webhook-signature");
      if (!got) throw new WebhookRejected(401, "missing X-Nexus-Webhook-Signature header");
      if (!safeEqual(hmacHex("sha1", token, call.body), got.trim().toLowerCase())) {
        throw new WebhookRejected(401, "X-Nexus-Webhook-Signature does not match the body");
      }
      const p = parseJson(call, nexusPayload, type);
      checkEvent(p.action, events, type);
      return { event: p.action, image: p.repositoryName, trigger: true };
    }
    case "acr": {
      const p = parseJson(call, acrPayload, type);
      checkEvent(p.action, events, type);
      const host = p.request?.host;
      return {
        event: p.action,
        image: host ? `${host}/${p.target.repository}` : p.target.repository,
        trigger: true,
      };
    }
  }
}
