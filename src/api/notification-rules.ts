/**
 * The rules of Flux's notification kinds beyond their shape: what notification-controller's CRD
 * validation and its reconcilers reject early. Addresses are never echoed: webhook URLs often
 * carry a token.
 */
import { checkNamespace } from "./names.js";
import type { CrossNamespaceObjectReference } from "./notification-types.js";
import { checkExclusionList } from "./policy-checks.js";
import { checkInterval, checkRefName, checkTimeout, type Problems } from "./rule-problems.js";
import type { PathSegment } from "./shape-problems.js";
import { type Alert, KINDS, type Provider, type Receiver } from "./types.js";

/** Resources a Receiver may wake and event sources an Alert may follow: the reconciled kinds. */
const REFERABLE: readonly string[] = KINDS.filter(
  (k) => k !== "Receiver" && k !== "Provider" && k !== "Alert",
);

function checkCrossRefs(
  refs: readonly CrossNamespaceObjectReference[],
  field: "resources" | "eventSources",
  p: Problems,
): void {
  if (refs.length === 0) p.add(["spec", field], "must list at least one object");
  refs.forEach((ref, i) => {
    const path: PathSegment[] = ["spec", field, i];
    if (!REFERABLE.includes(ref.kind)) {
      p.add(
        [...path, "kind"],
        `unsupported kind ${JSON.stringify(ref.kind.slice(0, 64))}: one of ${REFERABLE.join(", ")}`,
      );
    }
    if (ref.name === "*") {
      // Flux: a wildcard name selects by labels; without matchLabels it means every object of the kind.
    } else {
      checkRefName(ref.name, [...path, "name"], p, ref.kind || "object");
    }
    if (ref.namespace !== undefined) {
      for (const m of checkNamespace(ref.namespace)) p.add([...path, "namespace"], m);
    }
    if (ref.matchLabels && ref.name !== "*") {
      p.add([...path, "matchLabels"], "only allowed with name '*'");
    }
  });
}

function checkReceiver(obj: Receiver, p: Problems): void {
  const spec = obj.spec;
  checkInterval(spec.interval, ["spec", "interval"], p);
  checkRefName(spec.secretRef.name, ["spec", "secretRef", "name"], p);
  checkCrossRefs(spec.resources, "resources", p);
}

/** http(s) only, parseable, with a host; the message never quotes the URL. */
export function checkWebhookAddress(address: string, path: PathSegment[], p: Problems): void {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    p.add(path, "invalid URL: cannot be parsed (expected http:// or https://)");
    return;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    p.add(path, "unsupported URL scheme: expected http:// or https://");
  else if (url.hostname === "") p.add(path, "invalid URL: no host");
}

function checkProvider(obj: Provider, p: Problems): void {
  const spec = obj.spec;
  checkInterval(spec.interval, ["spec", "interval"], p);
  checkTimeout(spec.timeout, ["spec", "timeout"], p);
  if (spec.address !== undefined && spec.address !== "")
    checkWebhookAddress(spec.address, ["spec", "address"], p);
  if (spec.proxy !== undefined && spec.proxy !== "") checkWebhookAddress(spec.proxy, ["spec", "proxy"], p);
  if (spec.secretRef) checkRefName(spec.secretRef.name, ["spec", "secretRef", "name"], p);
  if (spec.certSecretRef) checkRefName(spec.certSecretRef.name, ["spec", "certSecretRef", "name"], p);
  if (!spec.address && !spec.secretRef) {
    p.add(
      ["spec", "address"],
      "an address is required, in spec.address or in the secret's 'address' (spec.secretRef)",
    );
  }
}

function checkAlert(obj: Alert, p: Problems): void {
  const spec = obj.spec;
  checkRefName(spec.providerRef.name, ["spec", "providerRef", "name"], p, "Provider");
  checkCrossRefs(spec.eventSources, "eventSources", p);
  for (const list of ["inclusionList", "exclusionList"] as const) {
    for (const pp of checkExclusionList(spec[list] ?? [], `spec.${list}`)) p.addField(pp.field, pp.message);
  }
}

/** The rules of a Receiver, Provider or Alert. */
export function checkNotificationRules(obj: Receiver | Provider | Alert, p: Problems): void {
  if (obj.kind === "Receiver") checkReceiver(obj, p);
  else if (obj.kind === "Provider") checkProvider(obj, p);
  else checkAlert(obj, p);
}
