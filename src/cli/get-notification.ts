// `imagectl get receivers|alert-providers|alerts`: Flux's tables for the notification kinds.
import type { Command } from "commander";
import { addGetCommand, type KindView, readyCols, suspended } from "./get.js";
import type { CliContext } from "./io.js";

/**
 * Flux's columns (get_receiver.go, get_alertprovider.go, get_alert.go). A Receiver's message is
 * its Ready message, which names its webhook path; a Provider's address is never shown (see
 * presentable for -o json|yaml). Flux has no status for Providers and Alerts and prints them Ready;
 * imagectl reconciles them, so their Ready condition is shown as for every other kind.
 */
const NOTIFICATION_VIEWS: [string, KindView, string][] = [
  [
    "receivers",
    {
      kind: "Receiver",
      prefix: "receiver",
      header: ["NAME", "SUSPENDED", "READY", "MESSAGE"],
      row: (o) => [o.metadata.name, suspended(o), ...readyCols(o)],
    },
    "show Receivers and their status",
  ],
  [
    "alert-providers",
    {
      kind: "Provider",
      prefix: "provider",
      header: ["NAME", "READY", "MESSAGE"],
      row: (o) => [o.metadata.name, ...readyCols(o)],
    },
    "show Providers and their status",
  ],
  [
    "alerts",
    {
      kind: "Alert",
      prefix: "alert",
      header: ["NAME", "SUSPENDED", "READY", "MESSAGE"],
      row: (o) => [o.metadata.name, suspended(o), ...readyCols(o)],
    },
    "show Alerts and their status",
  ],
];

export function registerGetNotification(get: Command, ctx: CliContext): void {
  for (const [word, view, description] of NOTIFICATION_VIEWS) {
    // Flux's `get receivers` also answers to `get receiver`.
    addGetCommand(get.command(word).alias(word.slice(0, -1)).description(description), ctx, view);
  }
}
