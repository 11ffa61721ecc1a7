/**
 * The daemon's HTTP listener (fastify): probes, metrics, and whatever route groups the daemon
 * registers (webhook receivers, pages). fastify because it gives body limits, connection and
 * request timeouts, per-scope content-type parsing (raw bodies for HMAC checks) and a graceful
 * close out of the box; handlers only read the store or enqueue work, never reconcile inline.
 */
import Fastify, { type FastifyInstance } from "fastify";
import type { Readiness } from "./health.js";
import { baseUrl, type ListenAddress } from "./listen-address.js";
import type { Metrics } from "./metrics.js";

export interface HttpServerDeps {
  metrics: Metrics;
  readiness(): Promise<Readiness>;
  /** Route groups, each in its own encapsulated scope. */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
}

export interface RunningHttpServer {
  /** `http://host:port` with the port actually bound. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Largest body any route accepts; webhook routes set a smaller one of their own. */
export const MAX_BODY_BYTES = 1024 * 1024;

export async function startHttpServer(addr: ListenAddress, deps: HttpServerDeps): Promise<RunningHttpServer> {
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    connectionTimeout: 30_000,
    requestTimeout: 15_000,
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
    forceCloseConnections: "idle",
  });

  app.get("/healthz", async (_req, reply) => reply.type("text/plain").send("ok\n"));
  app.get("/readyz", async (_req, reply) => {
    const r = await deps.readiness();
    return reply
      .code(r.ready ? 200 : 503)
      .type("text/plain")
      .send(r.ready ? "ok\n" : `not ready:\n${r.reasons.map((x) => `- ${x}`).join("\n")}\n`);
  });
  app.get("/metrics", async (_req, reply) => {
    const { contentType, body } = await deps.metrics.scrape();
    return reply.type(contentType).send(body);
  });
  for (const plugin of deps.plugins ?? []) await app.register(plugin);

  await app.listen({ host: addr.host, port: addr.port });
  const bound = app.server.address();
  const port = typeof bound === "object" && bound ? bound.port : addr.port;
  return {
    url: baseUrl({ host: addr.host, port }),
    port,
    close: () => app.close(),
  };
}
