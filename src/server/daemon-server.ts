/**
 * Everything `imagectl serve` runs beside its reconcile loop, assembled in one place: the metrics
 * registry, the HTTP listener with its probes, and the route groups (webhook receivers). Closing it
 * stops the listener first (new calls get 503 while in-flight ones finish), then the metrics.
 */
import type { FastifyInstance } from "fastify";
import type { Store } from "../store/index.js";
import { checkReadiness, type LoopProbe } from "./health.js";
import { type RunningHttpServer, startHttpServer } from "./http-server.js";
import type { ListenAddress } from "./listen-address.js";
import { Metrics } from "./metrics.js";

export interface DaemonLoop extends LoopProbe {
  queueDepth(): number;
}

export interface DaemonServerOptions {
  store: Store;
  loop: DaemonLoop;
  listen: ListenAddress;
  /** Route groups that need the metrics (webhooks); registered in their own scopes. */
  plugins?: (metrics: Metrics) => Array<(app: FastifyInstance) => Promise<void>>;
}

export interface DaemonServer {
  url: string;
  metrics: Metrics;
  close(): Promise<void>;
}

export async function startDaemonServer(o: DaemonServerOptions): Promise<DaemonServer> {
  const metrics = new Metrics({ store: o.store, queueDepth: () => o.loop.queueDepth() });
  let http: RunningHttpServer;
  try {
    http = await startHttpServer(o.listen, {
      metrics,
      readiness: () => checkReadiness(o.store, o.loop),
      plugins: o.plugins?.(metrics) ?? [],
    });
  } catch (err) {
    metrics.close();
    throw err;
  }
  return {
    url: http.url,
    metrics,
    async close() {
      await http.close();
      metrics.close();
    },
  };
}
