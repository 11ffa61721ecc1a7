/**
 * What a webhook call does once verified: find the Receiver by its path, and wake the objects it
 * lists — as Flux does, by setting `reconcile.fluxcd.io/requestedAt` on each (durable, seen by every
 * replica), and beyond Flux by poking the local loop so a rescan starts at once instead of at the
 * next poll. Calls are debounced per object: a burst of pushes makes one reconcile.
 */
import type { ObjectId } from "../../api/object-id.js";
import type { Kind, Receiver } from "../../api/types.js";
import { KINDS } from "../../api/types.js";
import type { Store } from "../../store/index.js";
import type { HookTarget } from "./route.js";

/** Calls for one object within this window become one reconcile. */
export const HOOK_DEBOUNCE_MS = 150;

export interface Waker {
  requestSoon(key: ObjectId, delayMs: number): void;
}

export function receiverLookup(store: Store) {
  return async (path: string): Promise<HookTarget | undefined> => {
    const receivers = await store.list("Receiver");
    const r = receivers.find(
      (x) =>
        x.status?.webhookPath === path &&
        !x.spec.suspend &&
        x.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
    );
    if (!r) return undefined;
    const { namespace, name } = r.metadata;
    const secret = await store.getSecret(namespace, r.spec.secretRef.name);
    const token = secret?.data.token;
    if (!token) return undefined;
    return { namespace, name, type: r.spec.type, events: r.spec.events ?? [], token };
  };
}

async function resourcesOf(store: Store, r: Receiver): Promise<ObjectId[]> {
  const out: ObjectId[] = [];
  for (const ref of r.spec.resources) {
    if (!(KINDS as readonly string[]).includes(ref.kind)) continue;
    const kind = ref.kind as Kind;
    const namespace = ref.namespace ?? r.metadata.namespace;
    if (ref.name !== "*") {
      if (await store.get(kind, namespace, ref.name)) out.push({ kind, namespace, name: ref.name });
      continue;
    }
    const matching = await store.list(kind, {
      namespace,
      labelSelector: { matchLabels: ref.matchLabels ?? {} },
    });
    for (const o of matching) out.push({ kind, namespace, name: o.metadata.name });
  }
  return out;
}

/**
 * Trailing-edge debounce per object: the first call opens a window, later calls inside it join it,
 * and when it closes the request is written and the loop poked. The rescan therefore starts after
 * every call of the window arrived, so no push announced by a call is missed, and a burst makes
 * one rescan. A call after the window closed opens a new one.
 */
export function receiverTrigger(store: Store, waker: Waker, log: (line: string) => void = () => {}) {
  const windows = new Set<string>();
  const fire = async (key: ObjectId) => {
    await store.requestReconcile(key.kind, key.namespace, key.name, new Date().toISOString());
    waker.requestSoon(key, 0);
  };
  return async (target: HookTarget): Promise<void> => {
    const receiver = await store.get("Receiver", target.namespace, target.name);
    if (!receiver) return;
    for (const key of await resourcesOf(store, receiver)) {
      const k = `${key.kind}/${key.namespace}/${key.name}`;
      if (windows.has(k)) continue;
      windows.add(k);
      setTimeout(() => {
        windows.delete(k);
        fire(key).catch((err: unknown) =>
          log(`${k}: reconcile request failed: ${err instanceof Error ? err.message : String(err)}`),
        );
      }, HOOK_DEBOUNCE_MS).unref();
    }
  };
}
