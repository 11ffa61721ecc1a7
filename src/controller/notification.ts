/**
 * Reconcilers of Flux's notification kinds. None of them talks to the outside: a Receiver works out
 * its webhook path from its secret's token, a Provider checks that it has somewhere to deliver, an
 * Alert that its Provider exists. The webhook server and the alert dispatcher (src/server) read
 * what these publish in status; a Provider's delivery health is written by the dispatcher.
 */
import { parseDuration } from "../api/duration.js";
import type { Alert, Provider, Receiver } from "../api/types.js";
import { webhookPath } from "../api/webhook-path.js";
import type { ControllerDeps } from "./controller-deps.js";
import type { ReconcileOutcome } from "./outcome.js";
import { reconcileWith } from "./reconcile-context.js";

/** Flux's default interval for notification objects. */
const DEFAULT_INTERVAL = "10m";
/** How soon an Alert whose Provider is missing looks again. */
const PROVIDER_REQUEUE_MS = 30_000;

export function reconcileReceiver(deps: ControllerDeps, obj: Receiver): Promise<ReconcileOutcome> {
  const { namespace, name } = obj.metadata;
  const ref = `secret '${namespace}/${obj.spec.secretRef.name}'`;
  return reconcileWith(deps, obj, async (r) => {
    const secret = await deps.store.getSecret(namespace, obj.spec.secretRef.name);
    if (!secret)
      return r.fail("TokenNotFound", `unable to read token from ${ref}: not found (spec.secretRef)`);
    const token = secret.data.token;
    if (!token) return r.fail("TokenNotFound", `${ref} has no 'token' key (spec.secretRef)`);
    const path = webhookPath(token, name, namespace);
    const changed = obj.status?.webhookPath !== path;
    r.status.webhookPath = path;
    return r.ready(`Receiver initialized for path: ${path}`, {
      requeueAfterMs: parseDuration(obj.spec.interval ?? DEFAULT_INTERVAL),
      ...(changed ? { event: `Receiver initialized for path: ${path}` } : {}),
    });
  });
}

export function reconcileProvider(deps: ControllerDeps, obj: Provider): Promise<ReconcileOutcome> {
  const { namespace } = obj.metadata;
  return reconcileWith(deps, obj, async (r) => {
    let address = obj.spec.address ?? "";
    if (obj.spec.secretRef) {
      const secret = await deps.store.getSecret(namespace, obj.spec.secretRef.name);
      if (!secret) {
        return r.fail(
          "SecretNotFound",
          `secret '${namespace}/${obj.spec.secretRef.name}' not found (spec.secretRef)`,
        );
      }
      address = secret.data.address || address;
    }
    if (!address) {
      return r.stall(
        "InvalidAddress",
        "no address: set spec.address or the secret's 'address' key (spec.secretRef)",
      );
    }
    // A failed delivery (written by the dispatcher) keeps the Provider not ready until one succeeds.
    if (obj.status?.lastDeliveryError)
      return r.fail("DeliveryFailed", `last delivery failed: ${obj.status.lastDeliveryError}`);
    return r.ready("Provider initialized");
  });
}

export function reconcileAlert(deps: ControllerDeps, obj: Alert): Promise<ReconcileOutcome> {
  const { namespace } = obj.metadata;
  return reconcileWith(deps, obj, async (r) => {
    const provider = await deps.store.get("Provider", namespace, obj.spec.providerRef.name);
    if (!provider) {
      return r.fail(
        "ProviderNotFound",
        `Provider '${namespace}/${obj.spec.providerRef.name}' not found (spec.providerRef)`,
        {
          requeueAfterMs: PROVIDER_REQUEUE_MS,
        },
      );
    }
    return r.ready("Initialized");
  });
}
