/**
 * Turns the events reconciles record into alert deliveries (Flux's notification-controller, in
 * process). It listens on the controller's event channel, so reconciles never wait for it: each
 * event is matched against the Alerts in the store and queued for its Provider; the outcome is
 * counted in metrics and written to the Provider's status (a dead provider shows there).
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { parseDuration } from "../../api/duration.js";
import type { Provider } from "../../api/types.js";
import { OBJECT_EVENT, type ObjectEventMessage } from "../../controller/telemetry.js";
import type { Store } from "../../store/index.js";
import type { Metrics } from "../metrics.js";
import { alertWants } from "./alert-match.js";
import { DEFAULT_DELIVERY, DeliveryQueue, type DeliveryResult } from "./delivery.js";
import { type FluxEvent, reportingControllerOf } from "./flux-event.js";
import { type ProviderTarget, providerRequest } from "./provider-payloads.js";

export interface AlertDispatcherOptions {
  store: Store;
  metrics: Metrics;
  log(line: string): void;
  /** Asks for the Provider to be reconciled so its Ready condition follows the delivery outcome. */
  providerChanged?(namespace: string, name: string): void;
}

function parseHeaders(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (text ?? "").split("\n")) {
    const m = /^\s*([A-Za-z0-9-]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (m) out[(m[1] as string).toLowerCase()] = m[2] as string;
  }
  return out;
}

export class AlertDispatcher {
  readonly #queue: DeliveryQueue;
  readonly #handler = (m: unknown) => {
    void this.#dispatch(m as ObjectEventMessage).catch((err: unknown) =>
      this.o.log(`alerts: ${err instanceof Error ? err.message : String(err)}`),
    );
  };

  constructor(private readonly o: AlertDispatcherOptions) {
    this.#queue = new DeliveryQueue(1000, 4, () =>
      o.metrics.alertDeliveries.inc({ namespace: "", provider: "", result: "dropped" }),
    );
    subscribe(OBJECT_EVENT, this.#handler);
  }

  async #dispatch(e: ObjectEventMessage): Promise<void> {
    const alerts = await this.o.store.list("Alert", { namespace: e.namespace });
    if (alerts.length === 0) return;
    const obj = await this.o.store.get(e.kind, e.namespace, e.name);
    const subject = {
      kind: e.kind,
      namespace: e.namespace,
      name: e.name,
      labels: obj?.metadata.labels,
      severity: e.type === "Warning" ? ("error" as const) : ("info" as const),
      message: e.message,
    };
    for (const alert of alerts) {
      if (!alertWants(alert, subject)) continue;
      const provider = await this.o.store.get(
        "Provider",
        alert.metadata.namespace,
        alert.spec.providerRef.name,
      );
      if (!provider || provider.spec.suspend) continue;
      const metadata = { ...(e.metadata ?? {}), ...(alert.spec.eventMetadata ?? {}) };
      if (alert.spec.summary) metadata.summary = alert.spec.summary;
      const event: FluxEvent = {
        involvedObject: {
          kind: e.kind,
          namespace: e.namespace,
          name: e.name,
          ...(obj && { apiVersion: obj.apiVersion }),
        },
        severity: subject.severity,
        timestamp: e.at,
        message: e.message,
        reason: e.reason,
        ...(Object.keys(metadata).length > 0 && { metadata }),
        reportingController: reportingControllerOf(e.kind),
        reportingInstance: "imagectl",
      };
      const target = await this.#target(provider);
      if (!target) continue;
      this.#queue.enqueue({
        request: providerRequest(event, target),
        options: {
          ...DEFAULT_DELIVERY,
          timeoutMs: parseDuration(provider.spec.timeout ?? "15s"),
        },
        done: (r) => void this.#record(provider, r),
      });
    }
  }

  /** Address, token and headers as Flux reads them: the secret's `address` wins over spec.address. */
  async #target(p: Provider): Promise<ProviderTarget | undefined> {
    const ns = p.metadata.namespace;
    const secret = p.spec.secretRef ? await this.o.store.getSecret(ns, p.spec.secretRef.name) : undefined;
    const address = secret?.data.address || p.spec.address;
    if (!address) return undefined;
    return {
      type: p.spec.type,
      address,
      ...(p.spec.channel && { channel: p.spec.channel }),
      ...(p.spec.username && { username: p.spec.username }),
      ...(secret?.data.token && { token: secret.data.token }),
      ...(secret?.data.headers && { headers: parseHeaders(secret.data.headers) }),
    };
  }

  async #record(p: Provider, r: DeliveryResult): Promise<void> {
    const { namespace, name } = p.metadata;
    this.o.metrics.alertDeliveries.inc({ namespace, provider: name, result: r.ok ? "delivered" : "failed" });
    if (!r.ok)
      this.o.log(`Provider/${namespace}/${name}: delivery failed after ${r.attempts} attempts: ${r.error}`);
    const current = await this.o.store.get("Provider", namespace, name);
    if (!current) return;
    const failedBefore = !!current.status?.lastDeliveryError;
    const status = { ...(current.status ?? {}), lastDeliveryTime: new Date().toISOString() };
    if (r.ok) delete status.lastDeliveryError;
    else status.lastDeliveryError = `${r.error ?? "failed"} after ${r.attempts} attempts`;
    await this.o.store.updateStatus("Provider", namespace, name, status);
    if (failedBefore !== !r.ok) this.o.providerChanged?.(namespace, name);
  }

  async close(): Promise<void> {
    unsubscribe(OBJECT_EVENT, this.#handler);
    await this.#queue.close();
  }
}
