/**
 * The structural schema of each kind (what the CRD's OpenAPI schema checks), as zod schemas:
 * field names, JSON types, required fields and enums. Objects are strict: unknown fields are
 * errors, as `kubectl apply` reports them with its default strict field validation, so that typos
 * (`filterTag`) do not silently turn into defaults. shape-problems.ts words zod's issues as Flux
 * does; export.ts reads the same schemas to drop what Go's `omitempty` drops.
 */
// zod 4's mini build, and a namespace import: esbuild then bundles only the parts used (30 KB, not
// 580 KB for `import { z } from "zod"`). Classic zod's schemas also install ~50 methods on each
// class's prototype the first time one is made: ~3 ms more at the start of every command that
// checks an object, where mini takes ~0.7 ms in all (measured on the bundle with its code cache).
import * as z from "zod/mini";
// The classes, for fieldView: `z.core.…` would bundle all of zod's core (~1 MB).
import {
  $ZodArray,
  $ZodBoolean,
  $ZodEnum,
  $ZodNullable,
  $ZodObject,
  $ZodOptional,
  $ZodRecord,
  $ZodString,
  type $ZodType,
} from "zod/v4/core";
import { PROVIDER_TYPES, RECEIVER_TYPES } from "./notification-types.js";
import type { Kind } from "./types.js";

/** Go fields without `omitempty`: export prints them even when "" (see fieldView). */
const keepEmptyFields = z.registry<{ keepEmpty: true }>();

/** An optional field: absent, or null (`secretRef:` with no value), which Kubernetes reads as unset. */
const optional = <T extends z.ZodMiniType>(schema: T) => z.nullish(schema);

// Schemas are immutable, so fields of the same type share one: zod takes 5-25 us to make each,
// which adds up to milliseconds of a command's start for the ~150 schemas the four kinds would need.
const str = z.string();
const optStr = optional(str);
const optBool = optional(z.boolean());
const optStringMap = optional(z.record(z.string(), z.string()));
const localRef = z.strictObject({ name: str });
const optLocalRef = optional(localRef);
const strList = z.array(str);
const oneOf = (values: readonly [string, ...string[]]) => optional(z.enum(values));
const gitRef = z.strictObject({ branch: optStr, tag: optStr, semver: optStr, name: optStr, commit: optStr });
/** Printed as "" when unset (filterTags.pattern and .extract). */
const keepEmptyStr = () => optional(z.string().register(keepEmptyFields, { keepEmpty: true }));

// Each kind's schema is made the first time it is needed: a command reads one kind, mostly.
const imageRepositorySpec = () =>
  z.strictObject({
    image: str,
    interval: str,
    timeout: optStr,
    secretRef: optLocalRef,
    serviceAccountName: optStr,
    certSecretRef: optLocalRef,
    proxySecretRef: optLocalRef,
    accessFrom: optional(
      z.strictObject({ namespaceSelectors: z.array(z.strictObject({ matchLabels: optStringMap })) }),
    ),
    suspend: optBool,
    exclusionList: optional(z.array(str).check(z.maxLength(25))),
    provider: oneOf(["generic", "aws", "azure", "gcp"]),
    insecure: optBool,
  });

const imagePolicySpec = () => {
  const order = optional(z.strictObject({ order: oneOf(["asc", "desc"]) }));
  return z.strictObject({
    imageRepositoryRef: z.strictObject({ name: str, namespace: optStr }),
    policy: z.strictObject({
      semver: optional(z.strictObject({ range: str })),
      alphabetical: order,
      numerical: order,
    }),
    filterTags: optional(z.strictObject({ pattern: keepEmptyStr(), extract: keepEmptyStr() })),
    digestReflectionPolicy: oneOf(["Always", "IfNotPresent", "Never"]),
    interval: optStr,
    suspend: optBool,
  });
};

const gitRepositorySpec = () =>
  z.strictObject({
    url: str,
    secretRef: optLocalRef,
    provider: oneOf(["generic", "azure", "github"]),
    serviceAccountName: optStr,
    interval: str,
    timeout: optStr,
    ref: optional(gitRef),
    verify: optional(z.strictObject({ mode: oneOf(["HEAD", "Tag", "TagAndHEAD"]), secretRef: localRef })),
    proxySecretRef: optLocalRef,
    ignore: optStr,
    suspend: optBool,
    recurseSubmodules: optBool,
    include: optional(z.array(z.strictObject({ repository: localRef, fromPath: optStr, toPath: optStr }))),
    sparseCheckout: optional(strList),
  });

const imageUpdateAutomationSpec = () =>
  z.strictObject({
    sourceRef: z.strictObject({
      apiVersion: optStr,
      kind: oneOf(["GitRepository"]),
      name: str,
      namespace: optStr,
    }),
    git: optional(
      z.strictObject({
        checkout: optional(z.strictObject({ ref: gitRef })),
        commit: z.strictObject({
          author: z.strictObject({ name: optStr, email: str }),
          signingKey: optional(z.strictObject({ secretRef: localRef, type: oneOf(["gpg", "ssh"]) })),
          messageTemplate: optStr,
          messageTemplateValues: optStringMap,
        }),
        push: optional(z.strictObject({ branch: optStr, refspec: optStr, options: optStringMap })),
      }),
    ),
    interval: str,
    update: optional(z.strictObject({ path: optStr, strategy: oneOf(["Setters"]) })),
    policySelector: optional(
      z.strictObject({
        matchLabels: optStringMap,
        matchExpressions: optional(
          z.array(
            z.strictObject({
              key: str,
              operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
              values: optional(strList),
            }),
          ),
        ),
      }),
    ),
    suspend: optBool,
  });

const crossRefs = () =>
  z.array(
    z.strictObject({
      apiVersion: optStr,
      kind: str,
      name: str,
      namespace: optStr,
      matchLabels: optStringMap,
    }),
  );

const receiverSpec = () =>
  z.strictObject({
    type: z.enum(RECEIVER_TYPES),
    interval: optStr,
    events: optional(strList),
    resources: crossRefs(),
    resourceFilter: optStr,
    secretRef: localRef,
    suspend: optBool,
  });

const providerSpec = () =>
  z.strictObject({
    type: z.enum(PROVIDER_TYPES),
    interval: optStr,
    channel: optStr,
    username: optStr,
    address: optStr,
    timeout: optStr,
    proxy: optStr,
    secretRef: optLocalRef,
    certSecretRef: optLocalRef,
    suspend: optBool,
  });

const alertSpec = () =>
  z.strictObject({
    providerRef: localRef,
    eventSeverity: oneOf(["info", "error"]),
    eventSources: crossRefs(),
    eventMetadata: optStringMap,
    inclusionList: optional(strList),
    exclusionList: optional(strList),
    summary: optStr,
    suspend: optBool,
  });

const SPEC_BUILDERS: Readonly<Record<Kind, () => z.ZodMiniObject>> = {
  ImageRepository: imageRepositorySpec,
  ImagePolicy: imagePolicySpec,
  ImageUpdateAutomation: imageUpdateAutomationSpec,
  GitRepository: gitRepositorySpec,
  Receiver: receiverSpec,
  Provider: providerSpec,
  Alert: alertSpec,
};
const specSchemas = new Map<Kind, z.ZodMiniObject>();

/** The schema of `kind`'s spec. */
export function specSchema(kind: Kind): z.ZodMiniObject {
  let schema = specSchemas.get(kind);
  if (schema === undefined) {
    schema = SPEC_BUILDERS[kind]();
    specSchemas.set(kind, schema);
  }
  return schema;
}

/**
 * The metadata imagectl reads. Loose: other metadata (uid, resourceVersion, …) is accepted and
 * dropped, as from `kubectl get -o yaml`. A namespace left empty means the default one.
 */
export const METADATA_SCHEMA = z.looseObject({
  name: str,
  namespace: optStr,
  labels: optStringMap,
  annotations: optStringMap,
});

/** A field as the checks and export see it, through the optional/nullable wrappers. */
export type FieldView =
  | { type: "string"; required: boolean; keepEmpty: boolean }
  | { type: "boolean"; required: boolean }
  | { type: "stringMap"; required: boolean }
  | { type: "object"; required: boolean; fields: Readonly<Record<string, $ZodType>> }
  | { type: "array"; required: boolean; items: $ZodType }
  | { type: "other"; required: boolean };

export function fieldView(schema: $ZodType): FieldView {
  let inner = schema;
  let required = true;
  while (inner instanceof $ZodOptional || inner instanceof $ZodNullable) {
    required = false;
    inner = inner._zod.def.innerType;
  }
  if (inner instanceof $ZodString) return { type: "string", required, keepEmpty: keepEmptyFields.has(inner) };
  if (inner instanceof $ZodEnum) return { type: "string", required, keepEmpty: false };
  if (inner instanceof $ZodBoolean) return { type: "boolean", required };
  if (inner instanceof $ZodRecord) return { type: "stringMap", required };
  if (inner instanceof $ZodObject) return { type: "object", required, fields: inner._zod.def.shape };
  if (inner instanceof $ZodArray) return { type: "array", required, items: inner._zod.def.element };
  return { type: "other", required };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
