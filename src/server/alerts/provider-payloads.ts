/**
 * Request bodies for each alert provider type, in the shape each service documents (and Flux's
 * notification-controller sends): generic / generic-hmac get the Flux event itself, Slack an
 * attachment message, Discord the same through its Slack-compatible endpoint, Microsoft Teams an
 * Adaptive Card for a Workflows webhook.
 */
import { createHmac } from "node:crypto";
import type { ProviderType } from "../../api/notification-types.js";
import type { FluxEvent } from "./flux-event.js";

export interface ProviderTarget {
  type: ProviderType;
  /** Webhook URL (from spec.address or the secret's `address`). */
  address: string;
  channel?: string;
  username?: string;
  /** Secret `token`: the HMAC key for generic-hmac, a bearer token for generic. */
  token?: string;
  /** Secret `headers`: extra request headers for generic providers. */
  headers?: Record<string, string>;
}

export interface ProviderRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

function objectLabel(e: FluxEvent): string {
  return `${e.involvedObject.kind.toLowerCase()}/${e.involvedObject.name}.${e.involvedObject.namespace}`;
}

function slackBody(e: FluxEvent, t: ProviderTarget): Record<string, unknown> {
  return {
    ...(t.username && { username: t.username }),
    ...(t.channel && { channel: t.channel }),
    attachments: [
      {
        color: e.severity === "error" ? "danger" : "good",
        author_name: objectLabel(e),
        text: e.message,
        mrkdwn_in: ["text"],
        fields: Object.entries(e.metadata ?? {}).map(([title, value]) => ({ title, value, short: false })),
      },
    ],
  };
}

function teamsBody(e: FluxEvent): Record<string, unknown> {
  const facts = Object.entries(e.metadata ?? {}).map(([title, value]) => ({ title, value }));
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            { type: "TextBlock", text: objectLabel(e), weight: "bolder", size: "medium", wrap: true },
            {
              type: "TextBlock",
              text: e.message,
              wrap: true,
              color: e.severity === "error" ? "attention" : "default",
            },
            ...(facts.length ? [{ type: "FactSet", facts }] : []),
          ],
        },
      },
    ],
  };
}

export function providerRequest(e: FluxEvent, t: ProviderTarget): ProviderRequest {
  const json = { "content-type": "application/json" };
  switch (t.type) {
    case "generic":
    case "generic-hmac": {
      const body = JSON.stringify(e);
      const headers: Record<string, string> = { ...json, ...(t.headers ?? {}) };
      if (t.type === "generic" && t.token) headers.authorization = `Bearer ${t.token}`;
      if (t.type === "generic-hmac") {
        headers["x-signature"] = `sha256=${createHmac("sha256", t.token ?? "")
          .update(body)
          .digest("hex")}`;
      }
      return { url: t.address, headers, body };
    }
    case "slack":
      return { url: t.address, headers: json, body: JSON.stringify(slackBody(e, t)) };
    case "discord": {
      // Discord accepts Slack's format on its webhook URL + `/slack`, which is what Flux uses.
      const url = t.address.replace(/\/+$/, "").endsWith("/slack")
        ? t.address
        : `${t.address.replace(/\/+$/, "")}/slack`;
      return { url, headers: json, body: JSON.stringify(slackBody(e, t)) };
    }
    case "msteams":
      return { url: t.address, headers: json, body: JSON.stringify(teamsBody(e)) };
  }
}
