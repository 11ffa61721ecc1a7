// `imagectl create receiver|alert-provider|alert`: Flux's notification objects from flags, as
// `flux create receiver|alert-provider|alert` builds them.
import type { Command } from "commander";
import {
  type CrossNamespaceObjectReference,
  type EventSeverity,
  NOTIFICATION_API_V1,
  NOTIFICATION_API_V1BETA3,
  PROVIDER_TYPES,
  RECEIVER_TYPES,
} from "../api/notification-types.js";
import type { Alert, Provider, Receiver } from "../api/types.js";
import { type CreateFlags, createAction, type FieldFlags, metadataOf } from "./apply-object.js";
import { UsageError } from "./errors.js";
import { collectCsv } from "./globals.js";
import type { CliContext } from "./io.js";

interface ReceiverFlags extends CreateFlags {
  type?: string;
  secretRef?: string;
  resource?: string[];
  event?: string[];
}

interface ProviderFlags extends CreateFlags {
  type?: string;
  address?: string;
  channel?: string;
  username?: string;
  secretRef?: string;
}

interface AlertFlags extends CreateFlags {
  providerRef?: string;
  eventSeverity?: string;
  eventSource?: string[];
}

/** A flag whose value is one of a list: required, and the list is named when the value is not in it. */
function oneOfFlag<T extends string>(
  flag: string,
  what: string,
  value: string | undefined,
  allowed: readonly T[],
): T {
  if (!value) throw new UsageError(`${flag}: required, the ${what}: one of ${allowed.join(", ")}`);
  const found = allowed.find((a) => a === value);
  if (found === undefined)
    throw new UsageError(
      `${flag}: ${what} '${value}' is not supported, must be one of: ${allowed.join(", ")}`,
    );
  return found;
}

/**
 * `Kind/name` as Flux parses it (utils.ParseObjectKindName): exactly one slash, a kind before it.
 * With `withNamespace` (alerts, not receivers), a last `.part` of the name is the namespace
 * (`ImagePolicy/app.apps`), as ParseObjectKindNameNamespace reads it. The kind and the names are
 * checked by validation, whose messages checkObject puts on the flag's value (see FieldFlags).
 */
export function parseKindName(
  flag: string,
  what: string,
  value: string,
  withNamespace: boolean,
): CrossNamespaceObjectReference {
  const parts = value.split("/");
  if (parts.length !== 2 || !parts[0])
    throw new UsageError(`${flag}: invalid ${what} '${value}', must be in format <kind>/<name>`);
  const [kind, name] = parts as [string, string];
  const dot = name.lastIndexOf(".");
  if (!withNamespace || dot < 0) return { kind, name };
  const namespace = name.slice(dot + 1);
  return { kind, name: name.slice(0, dot), ...(namespace ? { namespace } : {}) };
}

export function buildReceiver(name: string, namespace: string, f: ReceiverFlags): Receiver {
  const type = oneOfFlag("--type", "receiver type", f.type, RECEIVER_TYPES);
  if (!f.secretRef)
    throw new UsageError("--secret-ref: required, the secret whose 'token' key authenticates the webhook");
  const resources = (f.resource ?? []).map((r) => parseKindName("--resource", "resource", r, false));
  if (resources.length === 0)
    throw new UsageError("--resource: at least one resource is required (<kind>/<name>)");
  const obj: Receiver = {
    apiVersion: NOTIFICATION_API_V1,
    kind: "Receiver",
    metadata: metadataOf(name, namespace, f),
    spec: { type, resources, secretRef: { name: f.secretRef } },
  };
  if (f.event?.length) obj.spec.events = f.event;
  return obj;
}

export function buildProvider(name: string, namespace: string, f: ProviderFlags): Provider {
  const type = oneOfFlag("--type", "provider type", f.type, PROVIDER_TYPES);
  const obj: Provider = {
    apiVersion: NOTIFICATION_API_V1BETA3,
    kind: "Provider",
    metadata: metadataOf(name, namespace, f),
    spec: { type },
  };
  if (f.channel) obj.spec.channel = f.channel;
  if (f.username) obj.spec.username = f.username;
  if (f.address) obj.spec.address = f.address;
  if (f.secretRef) obj.spec.secretRef = { name: f.secretRef };
  return obj;
}

const SEVERITIES: readonly EventSeverity[] = ["info", "error"];

export function buildAlert(name: string, namespace: string, f: AlertFlags): Alert {
  if (!f.providerRef) throw new UsageError("--provider-ref: required, the Provider to send the alerts to");
  const eventSources = (f.eventSource ?? []).map((s) =>
    parseKindName("--event-source", "event source", s, true),
  );
  if (eventSources.length === 0)
    throw new UsageError("--event-source: at least one event source is required (<kind>/<name>)");
  const obj: Alert = {
    apiVersion: NOTIFICATION_API_V1BETA3,
    kind: "Alert",
    metadata: metadataOf(name, namespace, f),
    spec: { providerRef: { name: f.providerRef }, eventSources },
  };
  // Flux leaves an unset severity out of the object; the CRD's default (info) applies.
  if (f.eventSeverity !== undefined)
    obj.spec.eventSeverity = oneOfFlag("--event-severity", "event severity", f.eventSeverity, SEVERITIES);
  return obj;
}

const receiverFlags = (f: ReceiverFlags): FieldFlags => ({
  "spec.type": "--type",
  "spec.secretRef": "--secret-ref",
  "spec.resources": { flag: "--resource", values: f.resource ?? [] },
  "spec.events": { flag: "--event", values: f.event ?? [] },
});

const providerFlags = (): FieldFlags => ({
  "spec.type": "--type",
  "spec.address": "--address",
  "spec.channel": "--channel",
  "spec.username": "--username",
  "spec.secretRef": "--secret-ref",
});

const alertFlags = (f: AlertFlags): FieldFlags => ({
  "spec.providerRef": "--provider-ref",
  "spec.eventSeverity": "--event-severity",
  "spec.eventSources": { flag: "--event-source", values: f.eventSource ?? [] },
});

const REPEAT = "repeatable; comma-separated values too";

export function registerCreateNotification(create: Command, ctx: CliContext): void {
  createAction(
    create
      .command("receiver")
      .description("create or update a Receiver: a webhook that makes objects reconcile when called")
      .argument("<name>")
      .option("--type <type>", `the receiver type: ${RECEIVER_TYPES.join(", ")}`)
      .option("--secret-ref <name>", "secret whose 'token' key authenticates the webhook")
      .option(
        "--resource <kind/name>",
        `an object to reconcile, e.g. ImageRepository/app or ImageRepository/* (${REPEAT})`,
        collectCsv,
      )
      .option(
        "--event <event>",
        `an event type to accept, e.g. push; all when none is given (${REPEAT})`,
        collectCsv,
      ),
    ctx,
    buildReceiver,
    receiverFlags,
  );

  createAction(
    create
      .command("alert-provider")
      .description("create or update a Provider: where alerts are sent")
      .argument("<name>")
      .option("--type <type>", `type of provider: ${PROVIDER_TYPES.join(", ")}`)
      .option("--address <url>", "the webhook URL (or the 'address' key of --secret-ref)")
      .option("--channel <channel>", "channel to send messages to in the case of a chat provider")
      .option("--username <name>", "bot username used by the provider")
      .option("--secret-ref <name>", "secret holding the provider's 'token' and/or its 'address'"),
    ctx,
    buildProvider,
    providerFlags,
  );

  createAction(
    create
      .command("alert")
      .description("create or update an Alert: which events are sent to a Provider")
      .argument("<name>")
      .option("--provider-ref <name>", "the Provider to send the alerts to")
      .option(
        "--event-severity <severity>",
        "severity of events to send alerts for: info (every event; the default) or error (errors only)",
      )
      .option(
        "--event-source <kind/name>",
        `objects whose events are sent: ImagePolicy/app, ImagePolicy/* or ImagePolicy/app.namespace (${REPEAT})`,
        collectCsv,
      ),
    ctx,
    buildAlert,
    alertFlags,
  );
}
