/**
 * The rules of each kind beyond its shape: what the CRDs' CEL rules and the controllers' early
 * checks reject (names, durations, image references, Git URLs and refs, patterns, templates).
 * They run on an object whose shape schema.ts has already accepted.
 */

import { posix } from "node:path";
import { quote } from "./input-limits.js";
import { checkNamespace } from "./names.js";
import { checkNotificationRules } from "./notification-rules.js";
import { checkExclusionList, checkPolicyChoice } from "./policy-checks.js";
import { checkInterval, checkRefName, checkTimeout, type Problems } from "./rule-problems.js";
import { readSelectionOptions, SELECTION_ANNOTATIONS } from "./selection-annotations.js";
import { validateLabelSelector } from "./selector.js";
import { checkGitRef, checkGitRefName, checkGitRepository } from "./source-rules.js";
import {
  type AnyObject,
  type ImagePolicy,
  type ImageRepository,
  type ImageUpdateAutomation,
  SOURCE_API_V1,
  SOURCE_GROUP,
} from "./types.js";
import {
  INCLUDE_ANNOTATION,
  PULL_REQUEST_ANNOTATION,
  readIncludeAnnotation,
  readPullRequestAnnotation,
} from "./write-back-annotations.js";

export { type ObjectProblem, Problems } from "./rule-problems.js";

/** The rules of `obj`'s kind. */
export function checkKindRules(obj: AnyObject, p: Problems): void {
  switch (obj.kind) {
    case "ImageRepository":
      checkImageRepository(obj, p);
      break;
    case "ImagePolicy":
      checkImagePolicy(obj, p);
      break;
    case "ImageUpdateAutomation":
      checkImageUpdateAutomation(obj, p);
      break;
    case "GitRepository":
      checkGitRepository(obj, p);
      break;
    case "Receiver":
    case "Provider":
    case "Alert":
      checkNotificationRules(obj, p);
      break;
  }
}

// ---------------------------------------------------------------- ImageRepository

function checkImageRepository(obj: ImageRepository, p: Problems): void {
  const spec = obj.spec;
  checkImageName(spec.image, p);
  checkInterval(spec.interval, ["spec", "interval"], p);
  checkTimeout(spec.timeout, ["spec", "timeout"], p);
  if (spec.secretRef) checkRefName(spec.secretRef.name, ["spec", "secretRef", "name"], p);
  if (spec.certSecretRef) checkRefName(spec.certSecretRef.name, ["spec", "certSecretRef", "name"], p);
  if (spec.proxySecretRef) checkRefName(spec.proxySecretRef.name, ["spec", "proxySecretRef", "name"], p);
  if (spec.serviceAccountName !== undefined) {
    checkRefName(spec.serviceAccountName, ["spec", "serviceAccountName"], p, "ServiceAccount");
  }
  spec.accessFrom?.namespaceSelectors.forEach((sel, i) => {
    const problems = validateLabelSelector({ matchLabels: sel.matchLabels ?? {} });
    for (const sp of problems) {
      p.add(
        ["spec", "accessFrom", "namespaceSelectors", i],
        sp.message,
        `spec.accessFrom.namespaceSelectors[${i}].${sp.field}`,
      );
    }
  });
  for (const pp of checkExclusionList(spec.exclusionList ?? [])) p.addField(pp.field, pp.message);
}

/**
 * Only the checks Flux reports before any registry parsing: no scheme, no tag, no digest. Full
 * reference parsing (hosts, ports, path components) belongs to the registry client.
 */
function checkImageName(image: string, p: Problems): void {
  const path = ["spec", "image"];
  if (image.trim() === "") {
    p.add(path, "must not be empty; give the repository without tag, e.g. ghcr.io/org/app");
    return;
  }
  if (/\s/.test(image)) {
    p.add(path, `invalid image ${quote(image)}: must not contain whitespace`);
    return;
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(image);
  if (scheme) {
    p.add(path, `invalid image ${quote(image)}: should not include URL scheme; remove "${scheme[0]}"`);
    return;
  }
  if (image.includes("@")) {
    p.add(path, `invalid image ${quote(image)}: should not include a digest; give the repository only`);
    return;
  }
  const slash = image.indexOf("/");
  const first = slash >= 0 ? image.slice(0, slash) : "";
  const looksLikeHost = first.includes(".") || first.includes(":") || first === "localhost";
  const repository = looksLikeHost ? image.slice(slash + 1) : image;
  if (repository.includes(":")) {
    p.add(
      path,
      `invalid image ${quote(image)}: should not include a tag; give the repository only (e.g. ${quote(image.slice(0, image.lastIndexOf(":")))}) and select tags with an ImagePolicy`,
    );
  }
}

// ---------------------------------------------------------------- ImagePolicy

function checkImagePolicy(obj: ImagePolicy, p: Problems): void {
  const spec = obj.spec;
  checkRefName(spec.imageRepositoryRef.name, ["spec", "imageRepositoryRef", "name"], p, "ImageRepository");
  const ns = spec.imageRepositoryRef.namespace;
  if (ns !== undefined) {
    for (const m of checkNamespace(ns)) {
      p.add(["spec", "imageRepositoryRef", "namespace"], `invalid namespace ${quote(ns)}: ${m}`);
    }
  }
  for (const pp of checkPolicyChoice(spec.policy, spec.filterTags)) p.addField(pp.field, pp.message);
  const selection = readSelectionOptions(obj.metadata.annotations);
  for (const pp of selection.problems) p.addField(pp.field, pp.message);
  if (selection.options.prereleaseOrder === "natural" && !spec.policy.semver)
    p.addField(
      `metadata.annotations[${SELECTION_ANNOTATIONS.prereleaseOrder}]`,
      "natural pre-release order needs a semver policy (spec.policy.semver)",
    );
  const always = spec.digestReflectionPolicy === "Always";
  if (spec.interval !== undefined && !always) {
    p.add(
      ["spec", "interval"],
      "spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'; remove it or set digestReflectionPolicy: Always",
    );
  } else if (spec.interval === undefined && always) {
    p.add(
      ["spec", "interval"],
      "spec.interval must be set when spec.digestReflectionPolicy is set to 'Always' (how often to re-check the digest, e.g. 10m)",
    );
  }
  checkInterval(spec.interval, ["spec", "interval"], p);
}

// ---------------------------------------------------------------- ImageUpdateAutomation

function checkImageUpdateAutomation(obj: ImageUpdateAutomation, p: Problems): void {
  const spec = obj.spec;
  checkInterval(spec.interval, ["spec", "interval"], p);
  checkRefName(spec.sourceRef.name, ["spec", "sourceRef", "name"], p, "GitRepository");
  if (spec.sourceRef.namespace !== undefined) {
    for (const m of checkNamespace(spec.sourceRef.namespace)) {
      p.add(["spec", "sourceRef", "namespace"], `invalid namespace ${quote(spec.sourceRef.namespace)}: ${m}`);
    }
  }
  const apiVersion = spec.sourceRef.apiVersion;
  if (apiVersion !== undefined && !apiVersion.startsWith(`${SOURCE_GROUP}/`)) {
    p.add(
      ["spec", "sourceRef", "apiVersion"],
      `unsupported apiVersion ${quote(apiVersion)}; use ${SOURCE_API_V1}`,
    );
  }
  checkGitSpec(spec, p);
  if (spec.update) {
    const updatePath = spec.update.path;
    if (updatePath !== undefined) checkUpdatePath(updatePath, p);
  }
  if (spec.policySelector) {
    for (const sp of validateLabelSelector(spec.policySelector))
      p.addField(`spec.policySelector.${sp.field}`, sp.message);
  }
  const annotations = obj.metadata.annotations;
  for (const [key, read] of [
    [PULL_REQUEST_ANNOTATION, readPullRequestAnnotation(annotations)],
    [INCLUDE_ANNOTATION, readIncludeAnnotation(annotations)],
  ] as const) {
    if (!read.ok) p.addField(`metadata.annotations[${key}]`, read.message);
  }
}

function checkGitSpec(spec: ImageUpdateAutomation["spec"], p: Problems): void {
  const git = spec.git;
  if (!git) {
    p.add(
      ["spec", "git"],
      "required: source kind 'GitRepository' necessitates field .spec.git (at least git.commit.author.email)",
    );
    return;
  }
  const checkoutRef = git.checkout?.ref;
  if (checkoutRef) checkGitRef(checkoutRef, ["spec", "git", "checkout", "ref"], p);
  const { author, signingKey, messageTemplate } = git.commit;
  if (author.email.trim() === "") p.add(["spec", "git", "commit", "author", "email"], "must not be empty");
  if (signingKey) {
    checkRefName(signingKey.secretRef.name, ["spec", "git", "commit", "signingKey", "secretRef", "name"], p);
  }
  if (messageTemplate !== undefined) {
    for (const [field, hint] of REMOVED_TEMPLATE_FIELDS) {
      if (field.test(messageTemplate)) {
        p.add(["spec", "git", "commit", "messageTemplate"], hint);
      }
    }
  }
  const push = git.push;
  if (push?.branch !== undefined) {
    const bad = checkGitRefName(push.branch);
    if (bad) p.add(["spec", "git", "push", "branch"], `invalid branch name ${quote(push.branch)}: ${bad}`);
  }
  if (push?.refspec !== undefined) checkRefspec(push.refspec, p);
  for (const [key, value] of Object.entries(push?.options ?? {})) {
    const path = ["spec", "git", "push", "options", key];
    const field = `spec.git.push.options[${key}]`;
    if (key === "" || /[\r\n\0]/.test(key))
      p.add(path, "push option names must be non-empty and on one line", field);
    // The value is not echoed: push options can carry tokens for some forges.
    if (/[\r\n\0]/.test(value)) p.add(path, "push option values must not contain line breaks", field);
  }
  if (checkoutRef && !checkoutRef.branch && !push?.branch) {
    p.add(
      ["spec", "git", "push", "branch"],
      "required when spec.git.checkout.ref is not a branch: push spec not provided, and cannot be inferred from .spec.git.checkout.ref",
    );
  }
}

const REMOVED_TEMPLATE_FIELDS: readonly [RegExp, string][] = [
  [
    /\.Updated\b/,
    "uses .Updated, which was removed from the template data (Flux stalls with RemovedTemplateField); use .Changed.Changes or .Changed.FileChanges",
  ],
  [
    /\.Changed\.ImageResult\b/,
    "uses .Changed.ImageResult, which was removed from the template data (Flux stalls with RemovedTemplateField); use .Changed.Changes",
  ],
];

function checkUpdatePath(updatePath: string, p: Problems): void {
  const path = ["spec", "update", "path"];
  if (posix.isAbsolute(updatePath) || /^[A-Za-z]:[\\/]/.test(updatePath)) {
    p.add(path, `must be relative to the repository root (e.g. ./clusters/prod), got ${quote(updatePath)}`);
    return;
  }
  const normalized = posix.normalize(updatePath.replaceAll("\\", "/"));
  if (normalized === ".." || normalized.startsWith("../")) {
    p.add(path, `must stay inside the repository; ${quote(updatePath)} points outside it`);
  }
}

function checkRefspec(refspec: string, p: Problems): void {
  const path = ["spec", "git", "push", "refspec"];
  const spec = refspec.startsWith("+") ? refspec.slice(1) : refspec;
  const parts = spec.split(":");
  if (spec === "" || parts.length > 2 || parts.some((part, i) => part === "" && i === parts.length - 1)) {
    p.add(
      path,
      `invalid refspec ${quote(refspec)}: expected <src>:<dst>, e.g. refs/heads/main:refs/heads/auto`,
    );
    return;
  }
  for (const part of parts) {
    if (part === "") continue;
    const bad = checkGitRefName(part);
    if (bad) p.add(path, `invalid refspec ${quote(refspec)}: ${quote(part)} ${bad}`);
  }
}
