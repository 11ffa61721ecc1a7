import type { ImageRef } from "../api/types.js";

function refString(ref: ImageRef): string {
  return `${ref.name}:${ref.tag}${ref.digest ? `@${ref.digest}` : ""}`;
}

function sameRef(a: ImageRef, b: ImageRef): boolean {
  return a.name === b.name && a.tag === b.tag && (a.digest ?? "") === (b.digest ?? "");
}

/**
 * ImagePolicy Ready condition message, Flux wording:
 * `Latest image tag for <name> resolved to <tag>[ with digest <d>][ (previously <ref>)]`.
 */
export function readyMessage(latestRef: ImageRef, observedPreviousRef?: ImageRef): string {
  let msg = `Latest image tag for ${latestRef.name} resolved to ${latestRef.tag}`;
  if (latestRef.digest) msg += ` with digest ${latestRef.digest}`;
  if (observedPreviousRef && !sameRef(latestRef, observedPreviousRef)) {
    msg += ` (previously ${refString(observedPreviousRef)})`;
  }
  return msg;
}
