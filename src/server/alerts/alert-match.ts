/**
 * Which Alerts want an event, by Flux's rules: an event source matches the object's kind, its name
 * (or `*`), its namespace (the Alert's when unset) and its labels; `eventSeverity: error` drops
 * info events; inclusionList keeps only messages matching one pattern, exclusionList drops those
 * matching any (RE2, linear time).
 */
import type { Alert } from "../../api/types.js";
import { compileGoRegex, type GoRegex } from "../../policy/index.js";

export interface EventSubject {
  kind: string;
  namespace: string;
  name: string;
  labels?: Readonly<Record<string, string>>;
  severity: "info" | "error";
  message: string;
}

const compiled = new Map<string, GoRegex>();
function regex(pattern: string): GoRegex {
  let re = compiled.get(pattern);
  if (!re) {
    re = compileGoRegex(pattern);
    compiled.set(pattern, re);
  }
  return re;
}

function labelsMatch(
  want: Readonly<Record<string, string>> | undefined,
  have: Readonly<Record<string, string>> = {},
): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => have[k] === v);
}

export function alertWants(alert: Alert, e: EventSubject): boolean {
  const spec = alert.spec;
  if (spec.suspend) return false;
  if (spec.eventSeverity === "error" && e.severity !== "error") return false;
  const sourced = spec.eventSources.some(
    (s) =>
      s.kind === e.kind &&
      (s.namespace ?? alert.metadata.namespace) === e.namespace &&
      (s.name === "*" ? labelsMatch(s.matchLabels, e.labels) : s.name === e.name),
  );
  if (!sourced) return false;
  if (spec.inclusionList?.length && !spec.inclusionList.some((p) => regex(p).test(e.message))) return false;
  if (spec.exclusionList?.some((p) => regex(p).test(e.message))) return false;
  return true;
}
