/**
 * ImagePolicy `status.latestRef` values: equality, the printed form, and the Ready condition
 * message Flux derives from them. Owned by api because ImageRef is part of the kind's status.
 */
import type { ImageRef } from "./types.js";

/** `name:tag[@digest]`, as Flux prints a previous ref. */
export function imageRefString(ref: ImageRef): string {
  return `${ref.name}:${ref.tag}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** Same image, tag and digest; an absent ref equals an empty one, an absent digest an empty one. */
export function sameImageRef(a: ImageRef | undefined, b: ImageRef | undefined): boolean {
  return (
    (a?.name ?? "") === (b?.name ?? "") &&
    (a?.tag ?? "") === (b?.tag ?? "") &&
    (a?.digest ?? "") === (b?.digest ?? "")
  );
}

/**
 * ImagePolicy Ready condition message, Flux wording:
 * `Latest image tag for <name> resolved to <tag>[ with digest <d>][ (previously <ref>)]`.
 */
export function readyMessage(latestRef: ImageRef, observedPreviousRef?: ImageRef): string {
  let msg = `Latest image tag for ${latestRef.name} resolved to ${latestRef.tag}`;
  if (latestRef.digest) msg += ` with digest ${latestRef.digest}`;
  if (observedPreviousRef && !sameImageRef(latestRef, observedPreviousRef)) {
    msg += ` (previously ${imageRefString(observedPreviousRef)})`;
  }
  return msg;
}
