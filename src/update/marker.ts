import type { LatestRef, PolicyRefs } from "./types.js";

const SHORTHAND_KEY = "$imagepolicy";
// kyaml's long form: the OpenAPI definition IAC generates for every policy.
const LONG_FORM_PREFIX = "#/definitions/io.k8s.cli.setters.";

/**
 * The setter named by a comment's text (without the leading `#`s), or undefined when the
 * comment is not a marker. Like kyaml's fieldmeta: leading `#`s are stripped and the rest must
 * be a JSON object of string values; anything else (trailing text, non-string values) is an
 * ordinary comment.
 */
export function parseMarker(comment: string): string | undefined {
  const body = comment.replace(/^#+/, "").trim();
  if (!body.startsWith("{") || !body.endsWith("}")) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
  const entries = Object.entries(parsed);
  if (!entries.every(([, v]) => typeof v === "string")) return undefined;
  const fields = parsed as Record<string, string>;
  const short = fields[SHORTHAND_KEY];
  if (short) return short;
  const ref = fields.$ref;
  if (ref?.startsWith(LONG_FORM_PREFIX) && ref.length > LONG_FORM_PREFIX.length) {
    return ref.slice(LONG_FORM_PREFIX.length);
  }
  return undefined;
}

/** Go's `name:tag`, or `name:tag@digest` when the policy reflects a digest. */
export function imageRefString(ref: LatestRef): string {
  const base = `${ref.name}:${ref.tag}`;
  return ref.digest ? `${base}@${ref.digest}` : base;
}

/** The value a setter writes, or undefined when it names no known policy (or an unknown part). */
export function resolveSetter(setter: string, refs: PolicyRefs): string | undefined {
  const parts = setter.split(":");
  if (parts.length !== 2 && parts.length !== 3) return undefined;
  const ref = refs.get(`${parts[0]}:${parts[1]}`);
  if (!ref) return undefined;
  switch (parts[2]) {
    case undefined:
      return imageRefString(ref);
    case "name":
      return ref.name;
    case "tag":
      return ref.tag;
    case "digest":
      // Flux blanks the field when no digest is reflected.
      return ref.digest ?? "";
    default:
      return undefined;
  }
}
