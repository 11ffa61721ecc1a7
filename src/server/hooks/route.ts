/**
 * `POST /hook/<sha256>`: Flux's Receiver endpoint. The handler finds the receiver by its path,
 * checks the call (signature, token, payload, event), and hands the receiver's resources to
 * `trigger` — it never reconciles on the request path. Bad calls change nothing: unknown path 404,
 * bad credential 401, malformed body or wrong content type 400, body over the limit 413, a flood
 * 429 per receiver. Each outcome is counted; logs name the receiver, never the token.
 */
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ReceiverType } from "../../api/notification-types.js";
import type { Metrics } from "../metrics.js";
import { verifyWebhook, WebhookRejected } from "./verify.js";

export interface HookTarget {
  namespace: string;
  name: string;
  type: ReceiverType;
  events: readonly string[];
  /** The secret's `token`. */
  token: string;
}

export interface HookDeps {
  /** The Ready, unsuspended receiver whose `status.webhookPath` is `path`. */
  findReceiver(path: string): Promise<HookTarget | undefined>;
  /** Wakes the receiver's resources (debounced by the caller). */
  trigger(receiver: HookTarget): Promise<void>;
  metrics: Metrics;
  log(line: string): void;
  /** Calls per receiver path per window before 429. */
  rateLimit?: { max: number; windowMs: number };
}

export const MAX_HOOK_BODY_BYTES = 256 * 1024;
export const DEFAULT_HOOK_RATE = { max: 300, windowMs: 10_000 };

export function hookRoutes(deps: HookDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    // HMACs are over the exact bytes sent: keep every body raw, whatever its content type.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: MAX_HOOK_BODY_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    const rate = deps.rateLimit ?? DEFAULT_HOOK_RATE;
    await app.register(rateLimit, {
      global: false,
      max: rate.max,
      timeWindow: rate.windowMs,
      keyGenerator: (req) => req.url.split("?")[0] ?? req.url,
      onExceeded: () => deps.metrics.webhookRequests.inc({ outcome: "rate_limited" }),
    });
    app.setErrorHandler((err: { statusCode?: number }, _req, reply) => {
      const status = err.statusCode ?? 500;
      if (status === 413) deps.metrics.webhookRequests.inc({ outcome: "too_large" });
      else if (status === 400) deps.metrics.webhookRequests.inc({ outcome: "bad_request" });
      return reply
        .code(status)
        .type("text/plain")
        .send(`${status === 413 ? "payload too large" : "error"}\n`);
    });

    const answer = (reply: FastifyReply, status: number, outcome: string, text: string) => {
      deps.metrics.webhookRequests.inc({ outcome });
      return reply.code(status).type("text/plain").send(`${text}\n`);
    };

    app.post<{ Params: { digest: string } }>(
      "/hook/:digest",
      { bodyLimit: MAX_HOOK_BODY_BYTES, config: { rateLimit: { max: rate.max, timeWindow: rate.windowMs } } },
      async (req, reply) => {
        if (!/^[0-9a-f]{64}$/.test(req.params.digest)) return answer(reply, 404, "not_found", "not found");
        const receiver = await deps.findReceiver(`/hook/${req.params.digest}`);
        if (!receiver) return answer(reply, 404, "not_found", "not found");
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const who = `Receiver/${receiver.namespace}/${receiver.name}`;
        try {
          const ok = verifyWebhook(receiver.type, receiver.events, receiver.token, {
            headers: req.headers,
            body,
          });
          if (!ok.trigger) return answer(reply, 200, "accepted", "ok");
          deps.log(`${who}: ${receiver.type} ${ok.event} event${ok.image ? ` for ${ok.image}` : ""}`);
        } catch (err) {
          if (!(err instanceof WebhookRejected)) throw err;
          deps.log(`${who}: rejected (${err.status}): ${err.message}`);
          return answer(reply, err.status, err.status === 401 ? "unauthorized" : "bad_request", err.message);
        }
        await deps.trigger(receiver);
        return answer(reply, 200, "accepted", "ok");
      },
    );
  };
}
