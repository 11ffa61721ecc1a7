/**
 * Flux's notification kinds, field for field: Receiver (notification.toolkit.fluxcd.io/v1) and
 * Provider / Alert (notification.toolkit.fluxcd.io/v1beta3), so Flux's manifests apply unchanged.
 * imagectl adds status to Provider and Alert (Flux's v1beta3 has none) to show delivery health.
 */
import type { CommonStatus, LocalObjectReference } from "./types.js";

export const NOTIFICATION_GROUP = "notification.toolkit.fluxcd.io";
export const NOTIFICATION_API_V1 = `${NOTIFICATION_GROUP}/v1`;
export const NOTIFICATION_API_V1BETA3 = `${NOTIFICATION_GROUP}/v1beta3`;

/** Receiver `spec.type` values imagectl serves (Flux's list, less gcr/generic-oidc/cdevents). */
export const RECEIVER_TYPES = [
  "generic",
  "generic-hmac",
  "github",
  "gitlab",
  "bitbucket",
  "harbor",
  "dockerhub",
  "quay",
  "nexus",
  "acr",
] as const;
export type ReceiverType = (typeof RECEIVER_TYPES)[number];

/** Provider `spec.type` values imagectl delivers to. */
export const PROVIDER_TYPES = ["generic", "generic-hmac", "slack", "discord", "msteams"] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

/** Flux's CrossNamespaceObjectReference: `name` may be `*` together with `matchLabels`. */
export interface CrossNamespaceObjectReference {
  apiVersion?: string;
  kind: string;
  name: string;
  namespace?: string;
  matchLabels?: Record<string, string>;
}

export interface ReceiverSpec {
  type: ReceiverType;
  /** Flux's reconcile interval for the receiver object itself (default 10m). */
  interval?: string;
  events?: string[];
  resources: CrossNamespaceObjectReference[];
  /** Flux's CEL resource filter; accepted, not evaluated (see docs). */
  resourceFilter?: string;
  secretRef: LocalObjectReference;
  suspend?: boolean;
}

export interface ReceiverStatus extends CommonStatus {
  /** `/hook/` + sha256(token + name + namespace). */
  webhookPath?: string;
}

export interface ProviderSpec {
  type: ProviderType;
  interval?: string;
  channel?: string;
  username?: string;
  /** Webhook URL; a secretRef's `address` wins (Flux). */
  address?: string;
  /** Delivery timeout (default 15s). */
  timeout?: string;
  proxy?: string;
  secretRef?: LocalObjectReference;
  certSecretRef?: LocalObjectReference;
  suspend?: boolean;
}

export interface ProviderStatus extends CommonStatus {
  lastDeliveryTime?: string;
  /** Why the last delivery failed (status code or error code; never the address). */
  lastDeliveryError?: string;
}

export type EventSeverity = "info" | "error";

export interface AlertSpec {
  providerRef: LocalObjectReference;
  /** `info` (default) sends every event; `error` only errors. */
  eventSeverity?: EventSeverity;
  eventSources: CrossNamespaceObjectReference[];
  eventMetadata?: Record<string, string>;
  /** RE2 patterns over the event message: only matching events are sent. */
  inclusionList?: string[];
  /** RE2 patterns over the event message: matching events are dropped. */
  exclusionList?: string[];
  /** Deprecated in Flux; sent as metadata `summary`. */
  summary?: string;
  suspend?: boolean;
}

export type AlertStatus = CommonStatus;
