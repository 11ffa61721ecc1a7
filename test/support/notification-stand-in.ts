import { createHash } from "node:crypto";
import type { ObjectId } from "../../src/api/object-id.js";
import { markReady } from "../../src/controller/conditions.js";
import type { ControllerDeps } from "../../src/controller/controller-deps.js";
import { type ReconcileOutcome, suspendedOutcome } from "../../src/controller/outcome.js";

/** Flux's Receiver webhook path: `/hook/` + hex sha256 of token + name + namespace. */
export function webhookPath(token: string, name: string, namespace: string): string {
  return `/hook/${createHash("sha256")
    .update(token + name + namespace)
    .digest("hex")}`;
}

/**
 * What the notification reconcilers do, as far as the CLI's tests look: a Receiver gets its
 * webhook path (Flux's status and Ready message), a Provider and an Alert are Ready. The CLI tests
 * run it only where src/controller has no reconciler for the kind (reconcileObject returns nothing
 * for an object that exists); once the reconcilers are there, they run instead and this is dormant.
 */
export async function standInReconcile(
  deps: ControllerDeps,
  key: ObjectId,
): Promise<ReconcileOutcome | undefined> {
  const obj = await deps.store.get(key.kind, key.namespace, key.name);
  if (!obj) return undefined;
  if (obj.spec.suspend) return suspendedOutcome();
  const now = deps.now().toISOString();
  const gen = obj.metadata.generation;
  let message: string;
  if (obj.kind === "Receiver") {
    const secret = await deps.store.getSecret(key.namespace, obj.spec.secretRef.name);
    const token = secret?.data.token;
    if (token === undefined) throw new Error(`stand-in: no token in secret ${obj.spec.secretRef.name}`);
    const path = webhookPath(token, key.name, key.namespace);
    message = `Receiver initialized for path: ${path}`;
    const status = markReady({ ...obj.status, webhookPath: path }, "Succeeded", message, now, gen);
    await deps.store.updateStatus("Receiver", key.namespace, key.name, status);
  } else if (obj.kind === "Provider" || obj.kind === "Alert") {
    message = `${obj.kind} is Ready`;
    await deps.store.updateStatus(
      obj.kind,
      key.namespace,
      key.name,
      markReady(obj.status ?? {}, "Succeeded", message, now, gen),
    );
  } else {
    return undefined;
  }
  return { ready: true, stalled: false, message };
}
