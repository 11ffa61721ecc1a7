/**
 * Kubernetes name rules (apimachinery validation): object names, namespaces, label keys and values.
 * Each check returns a list of problems phrased like the API server's, empty when valid.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** metadata.name of every kind here: a DNS-1123 subdomain. */
export function checkObjectName(name: string): string[] {
  const problems: string[] = [];
  if (name.length > 253) problems.push("must be no more than 253 characters");
  if (!DNS1123_SUBDOMAIN.test(name)) {
    problems.push(
      "must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')",
    );
  }
  return problems;
}

/** metadata.namespace and reference namespaces: a DNS-1123 label. */
export function checkNamespace(ns: string): string[] {
  const problems: string[] = [];
  if (ns.length > 63) problems.push("must be no more than 63 characters");
  if (!DNS1123_LABEL.test(ns)) {
    problems.push(
      "must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name')",
    );
  }
  return problems;
}

/** Label and annotation keys: `[prefix/]name`, prefix a DNS subdomain, name ≤ 63 characters. */
export function checkQualifiedName(key: string): string[] {
  const problems: string[] = [];
  const slash = key.indexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    if (prefix.length === 0) problems.push("prefix part must be non-empty");
    else if (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) {
      problems.push("prefix part must be a lowercase DNS subdomain (e.g. 'example.com')");
    }
  }
  if (name.length === 0) problems.push("name part must be non-empty");
  else {
    if (name.length > 63) problems.push("name part must be no more than 63 characters");
    if (!QUALIFIED_NAME.test(name)) {
      problems.push(
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name' or '123-abc')",
      );
    }
  }
  return problems;
}

export function checkLabelValue(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 63) problems.push("must be no more than 63 characters");
  if (!LABEL_VALUE.test(value)) {
    problems.push(
      "a label value must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    );
  }
  return problems;
}
