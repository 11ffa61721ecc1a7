/**
 * Prometheus metrics for `imagectl serve` (prom-client, a registry of our own, not the global one).
 *
 * Lower layers never import this module: they publish on `node:diagnostics_channel` channels they
 * own (src/registry/telemetry.ts, src/git/telemetry.ts, src/controller/telemetry.ts), which cost
 * nothing while nobody subscribes (the CLI), and this module subscribes while a server runs.
 * Labels are bounded: kinds, namespaces, object names, registry hosts, status classes — never a
 * tag, a URL path or anything a secret could hide in.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { KINDS } from "../api/types.js";
import {
  LATEST_REF_CHANGED,
  type LatestRefChangedMessage,
  RECONCILED,
  type ReconciledMessage,
  SCANNED,
  type ScannedMessage,
} from "../controller/telemetry.js";
import { GIT_OPERATION, type GitOperationMessage } from "../git/telemetry.js";
import {
  REGISTRY_REQUEST,
  REGISTRY_RETRY,
  type RegistryRequestMessage,
  type RegistryRetryMessage,
} from "../registry/telemetry.js";
import type { Store } from "../store/index.js";
import type { LeaseProbe } from "./health.js";

export interface MetricsSources {
  store: Store;
  /** Objects waiting for a reconcile slot. */
  queueDepth(): number;
  /** A replica on a shared store: its leases. */
  leases?: LeaseProbe;
}

function statusClass(status: number | undefined): string {
  return status === undefined ? "error" : `${Math.floor(status / 100)}xx`;
}

export class Metrics {
  readonly registry = new Registry();
  readonly #unsubscribe: Array<() => void> = [];

  // Flux's own names, so existing Grafana boards work.
  readonly reconcileDuration = new Histogram({
    name: "gotk_reconcile_duration_seconds",
    help: "The duration in seconds of a GitOps Toolkit resource reconciliation.",
    labelNames: ["kind", "name", "namespace"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });

  readonly registryRequests = new Counter({
    name: "imagectl_registry_requests_total",
    help: "HTTP requests made to registries, by host and status class (error = no response).",
    labelNames: ["host", "code"] as const,
    registers: [this.registry],
  });
  readonly registryRetries = new Counter({
    name: "imagectl_registry_retries_total",
    help: "Registry requests retried, by host and reason (rate_limited, server_error, network).",
    labelNames: ["host", "reason"] as const,
    registers: [this.registry],
  });
  readonly registryWait = new Counter({
    name: "imagectl_registry_retry_wait_seconds_total",
    help: "Seconds spent waiting before registry retries (Retry-After and backoff).",
    labelNames: ["host", "reason"] as const,
    registers: [this.registry],
  });
  readonly scanDuration = new Histogram({
    name: "imagectl_scan_duration_seconds",
    help: "Duration of ImageRepository tag scans.",
    labelNames: ["namespace", "name"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly repositoryTags = new Gauge({
    name: "imagectl_repository_tags",
    help: "Tags found by the last scan of an ImageRepository (after its exclusion list).",
    labelNames: ["namespace", "name"] as const,
    registers: [this.registry],
  });
  readonly latestRefChanges = new Counter({
    name: "imagectl_policy_latest_ref_changes_total",
    help: "Times an ImagePolicy's latest image ref changed.",
    labelNames: ["namespace", "name"] as const,
    registers: [this.registry],
  });
  readonly gitOperations = new Counter({
    name: "imagectl_git_operations_total",
    help: "Git operations (fetch, push, ls-remote) by result.",
    labelNames: ["operation", "result"] as const,
    registers: [this.registry],
  });
  readonly gitDuration = new Histogram({
    name: "imagectl_git_operation_duration_seconds",
    help: "Duration of git operations.",
    labelNames: ["operation"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly webhookRequests = new Counter({
    name: "imagectl_webhook_requests_total",
    help: "Webhook calls by outcome (accepted, not_found, unauthorized, bad_request, too_large, rate_limited).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly alertDeliveries = new Counter({
    name: "imagectl_alert_deliveries_total",
    help: "Alert deliveries to providers by result (delivered, failed, dropped).",
    labelNames: ["namespace", "provider", "result"] as const,
    registers: [this.registry],
  });

  constructor(sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry });
    // A gauge read when scraped: nothing to keep up to date between scrapes.
    const sampled = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    sampled(
      "imagectl_reconcile_queue_depth",
      "Objects due for a reconcile and waiting for a free slot.",
      () => sources.queueDepth(),
    );
    const leases = sources.leases;
    if (leases) {
      sampled(
        "imagectl_leases_held",
        "Objects this replica holds the lease of (reconciles here only).",
        () => leases.state().held,
      );
      sampled(
        "imagectl_replicas_live",
        "Replicas with a current heartbeat in the shared store, as this replica last saw them.",
        () => leases.state().replicas,
      );
      sampled(
        "imagectl_leases_current",
        "1 while this replica's leases are renewed within the lease period, else 0.",
        () => (leases.state().current ? 1 : 0),
      );
    }
    // gotk_resource_info as Flux's kube-state-metrics config exports it: one series per object.
    new Gauge({
      name: "gotk_resource_info",
      help: "The current state of a GitOps Toolkit resource.",
      labelNames: [
        "customresource_group",
        "customresource_kind",
        "customresource_version",
        "exported_namespace",
        "name",
        "ready",
        "suspended",
      ] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const kind of KINDS) {
          for (const o of await sources.store.list(kind)) {
            const [group = "", version = ""] = o.apiVersion.split("/");
            const ready = o.status?.conditions?.find((c) => c.type === "Ready")?.status ?? "Unknown";
            this.set(
              {
                customresource_group: group,
                customresource_kind: kind,
                customresource_version: version,
                exported_namespace: o.metadata.namespace,
                name: o.metadata.name,
                ready,
                suspended: String(o.spec.suspend === true),
              },
              1,
            );
          }
        }
      },
    });
    this.#on<ReconciledMessage>(RECONCILED, (m) =>
      this.reconcileDuration.observe(
        { kind: m.kind, name: m.name, namespace: m.namespace },
        m.durationMs / 1000,
      ),
    );
    this.#on<ScannedMessage>(SCANNED, (m) => {
      this.scanDuration.observe({ namespace: m.namespace, name: m.name }, m.durationMs / 1000);
      this.repositoryTags.set({ namespace: m.namespace, name: m.name }, m.tags);
    });
    this.#on<LatestRefChangedMessage>(LATEST_REF_CHANGED, (m) =>
      this.latestRefChanges.inc({ namespace: m.namespace, name: m.name }),
    );
    this.#on<RegistryRequestMessage>(REGISTRY_REQUEST, (m) =>
      this.registryRequests.inc({ host: m.host, code: statusClass(m.status) }),
    );
    this.#on<RegistryRetryMessage>(REGISTRY_RETRY, (m) => {
      this.registryRetries.inc({ host: m.host, reason: m.reason });
      this.registryWait.inc({ host: m.host, reason: m.reason }, m.waitMs / 1000);
    });
    this.#on<GitOperationMessage>(GIT_OPERATION, (m) => {
      this.gitOperations.inc({ operation: m.operation, result: m.ok ? "success" : "failure" });
      this.gitDuration.observe({ operation: m.operation }, m.durationMs / 1000);
    });
  }

  #on<T>(channel: string, fn: (m: T) => void): void {
    const handler = (m: unknown) => fn(m as T);
    subscribe(channel, handler);
    this.#unsubscribe.push(() => unsubscribe(channel, handler));
  }

  /** Stops listening to the channels (the server is closing). */
  close(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
  }

  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
