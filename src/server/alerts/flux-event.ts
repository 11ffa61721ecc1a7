/**
 * The event imagectl sends to alert providers: Flux's `event.toolkit.fluxcd.io` Event, field for
 * field, so receivers written for Flux's notification-controller read it unchanged.
 */
import type { EventSeverity } from "../../api/notification-types.js";

export interface FluxEvent {
  involvedObject: { kind: string; namespace: string; name: string; apiVersion?: string };
  severity: EventSeverity;
  timestamp: string;
  message: string;
  reason: string;
  metadata?: Record<string, string>;
  reportingController: string;
  reportingInstance?: string;
}

/** Which Flux controller would have reported an event about this kind. */
export function reportingControllerOf(kind: string): string {
  if (kind === "ImageUpdateAutomation") return "image-automation-controller";
  if (kind === "GitRepository") return "source-controller";
  if (kind === "Receiver" || kind === "Alert" || kind === "Provider") return "notification-controller";
  return "image-reflector-controller";
}
