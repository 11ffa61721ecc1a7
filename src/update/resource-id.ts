import { type Document, isMap, isScalar, type Node } from "yaml";
import type { ResourceIdentifier } from "./types.js";

function stringAt(node: unknown): string {
  return isScalar(node) && typeof node.value === "string" ? node.value : "";
}

/** kyaml's ResourceIdentifier of a document: empty fields when it is not a Kubernetes object. */
export function resourceIdOf(doc: Document<Node>): ResourceIdentifier {
  const root = doc.contents;
  if (!isMap(root)) return { apiVersion: "", kind: "", name: "", namespace: "" };
  const meta = root.get("metadata", true);
  return {
    apiVersion: stringAt(root.get("apiVersion", true)),
    kind: stringAt(root.get("kind", true)),
    name: isMap(meta) ? stringAt(meta.get("name", true)) : "",
    namespace: isMap(meta) ? stringAt(meta.get("namespace", true)) : "",
  };
}
