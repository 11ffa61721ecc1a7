/**
 * What the registry client reports for metrics, on `node:diagnostics_channel` channels: free when
 * nobody subscribes (the CLI), and the registry never depends on who listens (the daemon's server).
 */
import { channel } from "node:diagnostics_channel";

export const REGISTRY_REQUEST = "imagectl:registry:request";
export const REGISTRY_RETRY = "imagectl:registry:retry";

export interface RegistryRequestMessage {
  host: string;
  /** HTTP status; undefined when no response came (network error, timeout). */
  status?: number;
}

export interface RegistryRetryMessage {
  host: string;
  reason: "rate_limited" | "server_error" | "network";
  waitMs: number;
}

const requestChannel = channel(REGISTRY_REQUEST);
const retryChannel = channel(REGISTRY_RETRY);

/** One exchange with `url`; the host is worked out only when someone listens (not on the CLI's path). */
export function reportRegistryRequest(url: string, status?: number): void {
  if (!requestChannel.hasSubscribers) return;
  const m: RegistryRequestMessage = { host: new URL(url).host, ...(status !== undefined && { status }) };
  requestChannel.publish(m);
}

export function reportRegistryRetry(m: RegistryRetryMessage): void {
  if (retryChannel.hasSubscribers) retryChannel.publish(m);
}
