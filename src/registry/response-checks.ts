// Checks of what a registry or its token service answers. Loaded on first use (see
// checked-json.ts for why zod/mini): a scan that meets no token service and no error never loads it.
import * as z from "zod/mini";
import { checkJson, checkValue } from "./checked-json.js";
import { isDigest } from "./digest.js";
import type { RegistryOperation } from "./operation.js";

/**
 * `/v2/<name>/tags/list`. `tags` is null for a repository whose tags were all deleted
 * (distribution). list-tags.ts checks the same shape by hand first: see why there.
 */
const TagsListBody = z.object({ tags: z.optional(z.nullable(z.array(z.string()))) });

/** Why a parsed tags/list answer is not one (list-tags.ts asks only once its own check failed). */
export function tagsListProblem(value: unknown): string {
  const checked = checkValue(TagsListBody, value);
  return checked.ok ? "is not valid" : checked.problem;
}

// Nulls are tolerated as absent, as Go clients (docker, go-containerregistry) read them.
const TokenBody = z.object({
  token: z.nullish(z.string()),
  access_token: z.nullish(z.string()),
  expires_in: z.nullish(z.number()),
  refresh_token: z.nullish(z.string()),
});

export interface TokenAnswer {
  token: string;
  /** Seconds, when the service said (and said something positive). */
  expiresIn: number | undefined;
  refreshToken: string | undefined;
}

/** The token service's 200 answer (Docker's token spec, or OAuth2's `access_token`). */
export function tokenAnswer(op: RegistryOperation, realm: URL, body: Buffer): TokenAnswer {
  const checked = checkJson(TokenBody, body.toString("utf8"));
  if (!checked.ok)
    throw op.fail("bad-response", `answer of the token service at ${realm.origin} ${checked.problem}`);
  const { token, access_token, expires_in, refresh_token } = checked.value;
  const chosen = token || access_token;
  if (!chosen) throw op.fail("bad-response", `token service at ${realm.origin} answered without a token`);
  return {
    token: chosen,
    expiresIn: expires_in && expires_in > 0 ? expires_in : undefined,
    refreshToken: refresh_token || undefined,
  };
}

const ErrorBody = z.object({
  errors: z.array(z.object({ code: z.nullish(z.string()), message: z.nullish(z.string()) })),
});

/** `CODE: message` pairs of a distribution error body, for messages; "" for any other body. */
export function errorSummary(body: Buffer): string {
  const checked = checkJson(ErrorBody, body.toString("utf8"));
  if (!checked.ok) return "";
  return checked.value.errors
    .map((e) => [e.code, e.message].filter((x) => typeof x === "string").join(": "))
    .filter(Boolean)
    .join("; ")
    .slice(0, 300);
}

const Descriptor = z.object({
  mediaType: z.string(),
  digest: z.string().check(z.refine(isDigest, "expected a digest such as sha256:<64 hex digits>")),
  size: z.int().check(z.nonnegative("expected a size of 0 or more")),
});

/** An OCI image index / Docker manifest list, or an OCI / Docker schema 2 image manifest. */
const ManifestBody = z
  .object({
    schemaVersion: z.literal(2, "expected 2 (schema 1 manifests are not supported)"),
    mediaType: z.optional(z.string()),
    manifests: z.optional(z.array(Descriptor)),
    config: z.optional(Descriptor),
    layers: z.optional(z.array(Descriptor)),
  })
  .check(
    z.refine(
      (m) => m.manifests !== undefined || m.config !== undefined,
      "expected an index (manifests) or an image manifest (config)",
    ),
  );

/** Why a manifest body is not a manifest or index ("" when it is), before its bytes are hashed into a digest. */
export function manifestProblem(body: Buffer): string {
  const checked = checkJson(ManifestBody, body.toString("utf8"));
  return checked.ok ? "" : checked.problem;
}
