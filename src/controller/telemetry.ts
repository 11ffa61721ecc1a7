/**
 * What reconcilers report for metrics and alerts, on `node:diagnostics_channel` channels: the
 * controller never depends on the server that listens, and publishing costs nothing without one.
 */
import { channel } from "node:diagnostics_channel";
import type { ImageRef, Kind } from "../api/types.js";

export const RECONCILED = "imagectl:controller:reconciled";
export const SCANNED = "imagectl:controller:scanned";
export const LATEST_REF_CHANGED = "imagectl:controller:latest-ref-changed";
/** Every event a reconcile records (what alerts are made of). */
export const OBJECT_EVENT = "imagectl:controller:event";

export interface ReconciledMessage {
  kind: Kind;
  namespace: string;
  name: string;
  durationMs: number;
  ready: boolean;
  stalled: boolean;
  failed: boolean;
  suspended: boolean;
  message: string;
}

export interface ScannedMessage {
  namespace: string;
  name: string;
  durationMs: number;
  tags: number;
}

export interface LatestRefChangedMessage {
  namespace: string;
  name: string;
  previous?: ImageRef;
  latest: ImageRef;
}

export interface ObjectEventMessage {
  kind: Kind;
  namespace: string;
  name: string;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  at: string;
  /** Flux's event metadata: e.g. the pushed commit, the new latest ref. */
  metadata?: Record<string, string>;
}

const reconciled = channel(RECONCILED);
const objectEvent = channel(OBJECT_EVENT);
const scanned = channel(SCANNED);
const latestRefChanged = channel(LATEST_REF_CHANGED);

export function reportReconciled(m: ReconciledMessage): void {
  if (reconciled.hasSubscribers) reconciled.publish(m);
}

export function reportObjectEvent(m: ObjectEventMessage): void {
  if (objectEvent.hasSubscribers) objectEvent.publish(m);
}

export function reportScanned(m: ScannedMessage): void {
  if (scanned.hasSubscribers) scanned.publish(m);
}

export function reportLatestRefChanged(m: LatestRefChangedMessage): void {
  if (latestRefChanged.hasSubscribers) latestRefChanged.publish(m);
}
