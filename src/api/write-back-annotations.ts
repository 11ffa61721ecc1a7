/**
 * Annotations on an ImageUpdateAutomation that steer imagectl's write-back beyond Flux's spec.
 * Annotations, not spec fields, so the same manifest stays valid for Flux's CRDs (which reject
 * unknown spec fields); Flux ignores them. Documented in docs/write-back.md. Their values are
 * checked here, once, for `apply`/`create` (problems naming the annotation) and the reconciler.
 */
import * as z from "zod/mini";
import { compileIncludeGlobs, IncludeGlobError, splitIncludeGlobs } from "../update/include-globs.js";
import { checkShape, type ShapeProblem } from "./shape-problems.js";

/** Globs of further files to read markers in, relative to `update.path`; newline or comma separated. */
export const INCLUDE_ANNOTATION = "imagectl.io/include";

/**
 * Set by `imagectl resume image update` (any new value): lifts the pins a rollback put on
 * markers, so the policy's values are written again.
 */
export const UNPIN_ANNOTATION = "imagectl.io/unpin-requested-at";

/** A JSON object: open and keep a pull/merge request instead of pushing (docs/write-back.md). */
export const PULL_REQUEST_ANNOTATION = "imagectl.io/pull-request";

const name = z.string().check(z.minLength(1), z.maxLength(256));
const PullRequestSettings = z.strictObject({
  provider: z.enum(["github", "gitlab", "gitea"]),
  repository: z.optional(name),
  apiURL: z.optional(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" })),
  per: z.optional(z.enum(["automation", "policy"])),
  branch: z.optional(name),
  title: z.optional(z.string().check(z.maxLength(4096))),
  body: z.optional(z.string().check(z.maxLength(65536))),
  labels: z.optional(z.array(name).check(z.maxLength(20))),
  reviewers: z.optional(z.array(name).check(z.maxLength(20))),
  tokenEnv: z.optional(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/))),
});
export type PullRequestConfig = z.infer<typeof PullRequestSettings>;

export type AnnotationRead<T> = { ok: true; value: T } | { ok: false; message: string };

/** The pull-request annotation's settings (undefined when absent), or what is wrong, naming the field. */
export function readPullRequestAnnotation(
  annotations: Record<string, string> | undefined,
): AnnotationRead<PullRequestConfig | undefined> {
  const raw = annotations?.[PULL_REQUEST_ANNOTATION];
  if (raw === undefined) return { ok: true, value: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, message: `annotation ${PULL_REQUEST_ANNOTATION}: not a JSON object` };
  }
  const r = PullRequestSettings.safeParse(parsed);
  if (r.success) return { ok: true, value: r.data };
  // Worded like a manifest's own fields: the field, then what is wrong ("unknown field (did you mean …").
  const problems: ShapeProblem[] = [];
  checkShape(parsed, PullRequestSettings, [], "", problems);
  const first = problems[0];
  const text = first ? `${first.field || "(value)"}: ${first.message}` : "not a valid setting";
  return { ok: false, message: `annotation ${PULL_REQUEST_ANNOTATION}: ${text}` };
}

/** The include annotation's globs, or what is wrong with them (compiled once to find out). */
export function readIncludeAnnotation(
  annotations: Record<string, string> | undefined,
): AnnotationRead<string[]> {
  const globs = splitIncludeGlobs(annotations?.[INCLUDE_ANNOTATION]);
  try {
    compileIncludeGlobs(globs);
  } catch (err) {
    if (err instanceof IncludeGlobError)
      return { ok: false, message: `annotation ${INCLUDE_ANNOTATION}: ${err.message}` };
    throw err;
  }
  return { ok: true, value: globs };
}
