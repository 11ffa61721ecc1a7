/**
 * The structural schema of each kind (what the CRD's OpenAPI schema checks): field names, JSON
 * types, required fields and enums. Unknown fields are reported as errors, as `kubectl apply`
 * does with its default strict field validation, so that typos (`filterTag`) do not silently
 * turn into defaults.
 */
import type { Kind } from "./types.js";

export type FieldSchema =
  /** `keepEmpty`: the Go field has no `omitempty`, so `""` is printed on export. */
  | { type: "string"; required?: boolean; enum?: readonly string[]; keepEmpty?: boolean }
  | { type: "boolean"; required?: boolean }
  | { type: "stringMap"; required?: boolean }
  | { type: "object"; required?: boolean; fields: Readonly<Record<string, FieldSchema>> }
  | { type: "array"; required?: boolean; items: FieldSchema; maxItems?: number };

type ObjectSchema = Extract<FieldSchema, { type: "object" }>;

const str = (
  extra: { required?: boolean; enum?: readonly string[]; keepEmpty?: boolean } = {},
): FieldSchema => ({
  type: "string",
  ...extra,
});
const bool: FieldSchema = { type: "boolean" };
const stringMap: FieldSchema = { type: "stringMap" };
const obj = (fields: Record<string, FieldSchema>, required = false): ObjectSchema => ({
  type: "object",
  fields,
  required,
});
const localRef = (required = false): ObjectSchema => obj({ name: str({ required: true }) }, required);

const gitRef = obj({ branch: str(), tag: str(), semver: str(), name: str(), commit: str() });

const imageRepositorySpec = obj(
  {
    image: str({ required: true }),
    interval: str({ required: true }),
    timeout: str(),
    secretRef: localRef(),
    serviceAccountName: str(),
    certSecretRef: localRef(),
    proxySecretRef: localRef(),
    accessFrom: obj({
      namespaceSelectors: { type: "array", required: true, items: obj({ matchLabels: stringMap }) },
    }),
    suspend: bool,
    exclusionList: { type: "array", items: str(), maxItems: 25 },
    provider: str({ enum: ["generic", "aws", "azure", "gcp"] }),
    insecure: bool,
  },
  true,
);

const order = str({ enum: ["asc", "desc"] });
const imagePolicySpec = obj(
  {
    imageRepositoryRef: obj({ name: str({ required: true }), namespace: str() }, true),
    policy: obj(
      {
        semver: obj({ range: str({ required: true }) }),
        alphabetical: obj({ order }),
        numerical: obj({ order }),
      },
      true,
    ),
    filterTags: obj({ pattern: str({ keepEmpty: true }), extract: str({ keepEmpty: true }) }),
    digestReflectionPolicy: str({ enum: ["Always", "IfNotPresent", "Never"] }),
    interval: str(),
    suspend: bool,
  },
  true,
);

const gitRepositorySpec = obj(
  {
    url: str({ required: true }),
    secretRef: localRef(),
    provider: str({ enum: ["generic", "azure", "github"] }),
    serviceAccountName: str(),
    interval: str({ required: true }),
    timeout: str(),
    ref: gitRef,
    verify: obj({ mode: str({ enum: ["HEAD", "Tag", "TagAndHEAD"] }), secretRef: localRef(true) }),
    proxySecretRef: localRef(),
    ignore: str(),
    suspend: bool,
    recurseSubmodules: bool,
    include: {
      type: "array",
      items: obj({ repository: localRef(true), fromPath: str(), toPath: str() }),
    },
    sparseCheckout: { type: "array", items: str() },
  },
  true,
);

const imageUpdateAutomationSpec = obj(
  {
    sourceRef: obj(
      {
        apiVersion: str(),
        kind: str({ enum: ["GitRepository"] }),
        name: str({ required: true }),
        namespace: str(),
      },
      true,
    ),
    git: obj({
      checkout: obj({ ref: { ...gitRef, required: true } }),
      commit: obj(
        {
          author: obj({ name: str(), email: str({ required: true }) }, true),
          signingKey: obj({ secretRef: localRef(true), type: str({ enum: ["gpg", "ssh"] }) }),
          messageTemplate: str(),
          messageTemplateValues: stringMap,
        },
        true,
      ),
      push: obj({ branch: str(), refspec: str(), options: stringMap }),
    }),
    interval: str({ required: true }),
    update: obj({ path: str(), strategy: str({ enum: ["Setters"] }) }),
    policySelector: obj({
      matchLabels: stringMap,
      matchExpressions: {
        type: "array",
        items: obj({
          key: str({ required: true }),
          operator: str({ required: true, enum: ["In", "NotIn", "Exists", "DoesNotExist"] }),
          values: { type: "array", items: str() },
        }),
      },
    }),
    suspend: bool,
  },
  true,
);

export type { ObjectSchema };

export const SPEC_SCHEMAS: Readonly<Record<Kind, ObjectSchema>> = {
  ImageRepository: imageRepositorySpec,
  ImagePolicy: imagePolicySpec,
  ImageUpdateAutomation: imageUpdateAutomationSpec,
  GitRepository: gitRepositorySpec,
};

/** Path into a decoded document: object keys and array indexes. */
export type PathSegment = string | number;

export interface ShapeProblem {
  /** Segments for locating the YAML node. */
  path: PathSegment[];
  /** Display form: `spec.exclusionList[2]`, `metadata.labels[app]`. */
  field: string;
  message: string;
}

/** `spec` + `exclusionList` → `spec.exclusionList`. */
export function childField(field: string, name: string): string {
  return field === "" ? name : `${field}.${name}`;
}

export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return "a string";
  return `${typeof value} ${String(value)}`;
}

function typeMismatch(expected: string, value: unknown): string {
  const got = describeValue(value);
  if (expected === "a string" && (typeof value === "number" || typeof value === "boolean")) {
    // YAML turned `1.10` or `yes` into a non-string; the fix is quoting.
    return `must be a string, got ${got} (quote it in YAML: "${String(value)}")`;
  }
  return `must be ${expected}, got ${got}`;
}

/** Checks `value` against `schema`, appending problems; returns nothing so callers can collect all. */
export function checkShape(
  value: unknown,
  schema: FieldSchema,
  path: PathSegment[],
  field: string,
  problems: ShapeProblem[],
): void {
  switch (schema.type) {
    case "string":
      if (typeof value !== "string") problems.push({ path, field, message: typeMismatch("a string", value) });
      else if (schema.enum && !schema.enum.includes(value)) {
        problems.push({
          path,
          field,
          message: `unsupported value ${JSON.stringify(value)}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`,
        });
      }
      return;
    case "boolean":
      if (typeof value !== "boolean")
        problems.push({ path, field, message: typeMismatch("true or false", value) });
      return;
    case "stringMap":
      if (!isPlainObject(value)) {
        problems.push({ path, field, message: typeMismatch("a mapping of strings", value) });
        return;
      }
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== "string")
          problems.push({
            path: [...path, k],
            field: `${field}[${k}]`,
            message: typeMismatch("a string", v),
          });
      }
      return;
    case "array":
      if (!Array.isArray(value)) {
        problems.push({ path, field, message: typeMismatch("a list", value) });
        return;
      }
      if (schema.maxItems !== undefined && value.length > schema.maxItems) {
        problems.push({
          path,
          field,
          message: `must have at most ${schema.maxItems} items, has ${value.length}`,
        });
      }
      value.forEach((item, i) => {
        checkShape(item, schema.items, [...path, i], `${field}[${i}]`, problems);
      });
      return;
    case "object": {
      if (!isPlainObject(value)) {
        problems.push({ path, field, message: typeMismatch("a mapping", value) });
        return;
      }
      for (const [name, sub] of Object.entries(schema.fields)) {
        const v = value[name];
        if (v === undefined || v === null) {
          if (sub.required) {
            problems.push({
              path: [...path, name],
              field: childField(field, name),
              message: "required field is missing",
            });
          }
          continue;
        }
        checkShape(v, sub, [...path, name], childField(field, name), problems);
      }
      for (const name of Object.keys(value)) {
        if (Object.hasOwn(schema.fields, name)) continue;
        const hint = closestName(name, Object.keys(schema.fields));
        problems.push({
          path: [...path, name],
          field: childField(field, name),
          message: `unknown field${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ""}; known fields: ${Object.keys(schema.fields).join(", ")}`,
        });
      }
      return;
    }
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function closestName(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  // Longer names tolerate one more edit (`policies` → `policy`).
  let bestDistance = name.length >= 6 ? 4 : 3;
  for (const c of candidates) {
    const d = c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
