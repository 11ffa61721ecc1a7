/**
 * Validation of the four kinds: what the CRD schemas, their CEL rules and the controllers' early
 * checks would reject, reported up front with the object and field to fix.
 */
import { checkObjectLimits, clip, quote } from "./input-limits.js";
import { type IssueLocation, ValidationError, type ValidationIssue } from "./issues.js";
import { checkKindRules, type ObjectProblem, Problems } from "./kind-rules.js";
import { checkLabelValue, checkNamespace, checkObjectName, checkQualifiedName } from "./names.js";
import { NOTIFICATION_API_V1, NOTIFICATION_API_V1BETA3 } from "./notification-types.js";
import { isPlainObject, METADATA_SCHEMA, specSchema } from "./schema.js";
import { checkShape } from "./shape-problems.js";
import {
  type AnyObject,
  DEFAULT_NAMESPACE,
  IMAGE_API_V1,
  IMAGE_API_V1BETA2,
  KINDS,
  type Kind,
  SOURCE_API_V1,
} from "./types.js";

const API_VERSIONS: Readonly<Record<Kind, readonly string[]>> = {
  ImageRepository: [IMAGE_API_V1, IMAGE_API_V1BETA2],
  ImagePolicy: [IMAGE_API_V1, IMAGE_API_V1BETA2],
  ImageUpdateAutomation: [IMAGE_API_V1, IMAGE_API_V1BETA2],
  GitRepository: [SOURCE_API_V1],
  Receiver: [NOTIFICATION_API_V1],
  Provider: [NOTIFICATION_API_V1BETA3],
  Alert: [NOTIFICATION_API_V1BETA3],
};
const TOP_LEVEL_FIELDS = ["apiVersion", "kind", "metadata", "spec", "status"];

/**
 * Every problem Flux would report for `obj` (a decoded manifest or a typed object), each naming
 * the object (`ImagePolicy/flux-system/vote`) and the field. Empty when the object is valid.
 */
export function validateObject(obj: unknown, where: IssueLocation = {}): ValidationIssue[] {
  const object = describeObject(obj);
  return findProblems(obj).map((p) => ({ object, field: p.field, message: p.message, ...where }));
}

/** Throws a ValidationError listing every problem, if there is any. */
export function assertValid(obj: unknown, where: IssueLocation = {}): void {
  const issues = validateObject(obj, where);
  if (issues.length > 0) throw new ValidationError(issues);
}

/** `ImagePolicy/flux-system/vote`, or as much of it as the object carries. */
export function describeObject(obj: unknown): string {
  if (!isPlainObject(obj)) return "";
  const kind = typeof obj.kind === "string" && obj.kind !== "" ? obj.kind : "<no kind>";
  const meta = isPlainObject(obj.metadata) ? obj.metadata : {};
  const ns = typeof meta.namespace === "string" && meta.namespace !== "" ? meta.namespace : DEFAULT_NAMESPACE;
  const name = typeof meta.name === "string" && meta.name !== "" ? meta.name : "<no name>";
  // Clipped past the longest valid name: the object of a message must not be 10,000 characters.
  return `${clip(kind, 63)}/${clip(ns, 63)}/${clip(name, 253)}`;
}

/**
 * Problems with their paths. Structural checks (kind, apiVersion, field names and types, required
 * fields) come first; the semantic rules run only on a well-formed object, and only if `semantic`.
 */
export function findProblems(obj: unknown, semantic = true): ObjectProblem[] {
  if (!isPlainObject(obj)) {
    return [{ path: [], field: "", message: "expected a mapping with apiVersion, kind, metadata and spec" }];
  }
  // Size first: an object over Kubernetes' limits is not examined further.
  const problems: ObjectProblem[] = checkObjectLimits(obj);
  if (problems.some((p) => p.path.length === 0)) return problems;
  const kind = checkKindAndVersion(obj, problems);
  if (kind === undefined) return problems;
  checkMetadataShape(obj.metadata, problems);
  if (obj.spec === undefined || obj.spec === null) {
    problems.push({ path: ["spec"], field: "spec", message: "required field is missing" });
  } else {
    checkShape(obj.spec, specSchema(kind), ["spec"], "spec", problems);
  }
  for (const key of Object.keys(obj)) {
    if (!TOP_LEVEL_FIELDS.includes(key)) {
      problems.push({
        path: [key],
        field: key,
        message: `unknown field; known fields: ${TOP_LEVEL_FIELDS.join(", ")}`,
      });
    }
  }
  if (problems.length > 0 || !semantic) return problems;
  // The shape checks above make the cast safe.
  const typed = obj as unknown as AnyObject;
  const p = new Problems(problems);
  checkMetadata(typed, p);
  checkKindRules(typed, p);
  return problems;
}

function checkKindAndVersion(obj: Record<string, unknown>, problems: ObjectProblem[]): Kind | undefined {
  const { kind, apiVersion } = obj;
  const supported =
    "imagectl reads ImageRepository, ImagePolicy, ImageUpdateAutomation (image.toolkit.fluxcd.io/v1 or v1beta2), GitRepository (source.toolkit.fluxcd.io/v1), Receiver (notification.toolkit.fluxcd.io/v1), Provider and Alert (notification.toolkit.fluxcd.io/v1beta3)";
  if (typeof kind !== "string" || kind === "") {
    problems.push({ path: ["kind"], field: "kind", message: `required field is missing; ${supported}` });
    return undefined;
  }
  if (!(KINDS as readonly string[]).includes(kind)) {
    problems.push({
      path: ["kind"],
      field: "kind",
      message: `unknown kind ${quote(kind)}; ${supported}`,
    });
    return undefined;
  }
  const k = kind as Kind;
  const allowed = API_VERSIONS[k];
  if (typeof apiVersion !== "string" || apiVersion === "") {
    problems.push({
      path: ["apiVersion"],
      field: "apiVersion",
      message: `required field is missing; use ${allowed[0]}`,
    });
  } else if (!allowed.includes(apiVersion)) {
    problems.push({
      path: ["apiVersion"],
      field: "apiVersion",
      message: `unsupported apiVersion ${quote(apiVersion)} for ${k}; use ${allowed.join(" or ")}`,
    });
  }
  return k;
}

function checkMetadataShape(metadata: unknown, problems: ObjectProblem[]): void {
  if (!isPlainObject(metadata)) {
    problems.push({
      path: ["metadata"],
      field: "metadata",
      message:
        metadata === undefined || metadata === null ? "required field is missing" : "must be a mapping",
    });
    return;
  }
  checkShape(metadata, METADATA_SCHEMA, ["metadata"], "metadata", problems);
}

function checkMetadata(obj: AnyObject, p: Problems): void {
  const { name, namespace, labels, annotations } = obj.metadata;
  for (const m of checkObjectName(name)) p.add(["metadata", "name"], `invalid name ${quote(name)}: ${m}`);
  if (namespace) {
    for (const m of checkNamespace(namespace)) {
      p.add(["metadata", "namespace"], `invalid namespace ${quote(namespace)}: ${m}`);
    }
  }
  for (const [key, value] of Object.entries(labels ?? {})) {
    const field = `metadata.labels[${clip(key)}]`;
    for (const m of checkQualifiedName(key))
      p.add(["metadata", "labels", key], `invalid label key: ${m}`, field);
    for (const m of checkLabelValue(value))
      p.add(["metadata", "labels", key], `invalid label value: ${m}`, field);
  }
  for (const key of Object.keys(annotations ?? {})) {
    for (const m of checkQualifiedName(key)) {
      p.add(
        ["metadata", "annotations", key],
        `invalid annotation key: ${m}`,
        `metadata.annotations[${clip(key)}]`,
      );
    }
  }
}
