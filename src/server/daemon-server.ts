/**
 * Everything `imagectl serve` runs beside its reconcile loop, assembled in one place: the metrics
 * registry, the HTTP listener with its probes and webhook receivers, and the alert dispatcher.
 * Closing it stops the listener first (new calls get 503 while in-flight ones finish), then
 * pending alert retries, then the metrics.
 */

import type { NamespacedName } from "../api/object-id.js";
import type { Store } from "../store/index.js";
import { AlertDispatcher } from "./alerts/dispatcher.js";
import { dashboardRoutes } from "./dashboard.js";
import { checkReadiness, type LeaseProbe, type LoopProbe } from "./health.js";
import { receiverLookup, receiverTrigger, type Waker } from "./hooks/receivers.js";
import { hookRoutes } from "./hooks/route.js";
import { type RunningHttpServer, startHttpServer } from "./http-server.js";
import { isLoopbackHost, type ListenAddress } from "./listen-address.js";
import { Metrics } from "./metrics.js";
import type { AutomationPreview, PageDeps } from "./pages/deps.js";

export interface DaemonLoop extends LoopProbe, Waker {
  queueDepth(): number;
}

export interface DaemonServerOptions {
  store: Store;
  loop: DaemonLoop;
  listen: ListenAddress;
  log(line: string): void;
  /** Webhook calls per receiver per window before 429. */
  hookRate?: { max: number; windowMs: number };
  /** The dashboard (`/`): who may sign in, and the automation dry run `serve` hands in. */
  dashboard?: {
    authSecret?: NamespacedName;
    preview?(namespace: string, name: string): Promise<AutomationPreview>;
    lastPushPatch?(namespace: string, name: string): Promise<string | undefined>;
    /** The daemon's policy evaluation pool and time limit, for the policy pages' explanations. */
    evaluatePolicy?: PageDeps["evaluatePolicy"];
    policyTimeoutMs?: number;
  };
  /** A replica on a shared store: its leases, in /readyz and /metrics. */
  leases?: LeaseProbe;
}

export interface DaemonServer {
  url: string;
  metrics: Metrics;
  close(): Promise<void>;
}

export async function startDaemonServer(o: DaemonServerOptions): Promise<DaemonServer> {
  const metrics = new Metrics({
    store: o.store,
    queueDepth: () => o.loop.queueDepth(),
    ...(o.leases && { leases: o.leases }),
  });
  let http: RunningHttpServer;
  const readiness = () => checkReadiness(o.store, o.loop, o.leases ? { leases: o.leases } : {});
  try {
    http = await startHttpServer(o.listen, {
      metrics,
      readiness,
      plugins: [
        hookRoutes({
          findReceiver: receiverLookup(o.store),
          trigger: receiverTrigger(o.store, o.loop, o.log),
          metrics,
          log: o.log,
          ...(o.hookRate && { rateLimit: o.hookRate }),
        }),
        dashboardRoutes({
          store: o.store,
          readiness,
          queueDepth: () => o.loop.queueDepth(),
          requestSoon: (key, ms) => o.loop.requestSoon(key, ms),
          log: o.log,
          auth: { secret: o.dashboard?.authSecret, loopback: isLoopbackHost(o.listen.host) },
          ...(o.dashboard?.preview && { preview: o.dashboard.preview }),
          ...(o.dashboard?.lastPushPatch && { lastPushPatch: o.dashboard.lastPushPatch }),
          ...(o.dashboard?.evaluatePolicy && { evaluatePolicy: o.dashboard.evaluatePolicy }),
          ...(o.dashboard?.policyTimeoutMs !== undefined && { policyTimeoutMs: o.dashboard.policyTimeoutMs }),
        }),
      ],
    });
  } catch (err) {
    metrics.close();
    throw err;
  }
  const alerts = new AlertDispatcher({
    store: o.store,
    metrics,
    log: o.log,
    providerChanged: (namespace, name) => o.loop.requestSoon({ kind: "Provider", namespace, name }, 0),
  });
  return {
    url: http.url,
    metrics,
    async close() {
      await http.close();
      await alerts.close();
      metrics.close();
    },
  };
}
