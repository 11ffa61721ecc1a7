import type { Secret, SecretSummary } from "./store.js";

export const REDACTED = "<redacted>";

/** A secret safe to print: every value replaced, key names and type kept. */
export function redact(secret: Secret): Secret {
  const data: Record<string, string> = {};
  for (const key of Object.keys(secret.data)) data[key] = REDACTED;
  return { ...secret, data };
}

export function summarizeSecret(secret: Secret): SecretSummary {
  return {
    namespace: secret.namespace,
    name: secret.name,
    type: secret.type,
    keys: Object.keys(secret.data).sort(),
    createdAt: secret.createdAt,
    updatedAt: secret.updatedAt,
  };
}
