import type { Command } from "commander";
import {
  type DigestReflectionPolicy,
  IMAGE_API_V1,
  type ImagePolicy,
  type ImageRepository,
  type Order,
} from "../api/types.js";
import { type CreateFlags, createAction, type FieldFlags, metadataOf } from "./apply-object.js";
import { UsageError } from "./errors.js";
import { collect, durationFlag } from "./globals.js";
import type { CliContext } from "./io.js";
import {
  addSelectionOptions,
  SELECTION_FLAG_OF,
  type SelectionFlags,
  selectionAnnotations,
} from "./selection-flags.js";

function orderFlag(flag: string, value: string): Order {
  if (value !== "asc" && value !== "desc")
    throw new UsageError(`${flag}: invalid order '${value}', must be asc or desc`);
  return value;
}

interface RepoFlags extends CreateFlags {
  image?: string;
  interval: string;
  scanTimeout?: string;
  secretRef?: string;
  certRef?: string;
  exclusionList?: string[];
  insecure?: boolean;
  provider?: string;
}

interface PolicyFlags extends CreateFlags, SelectionFlags {
  imageRef?: string;
  imageRefNamespace?: string;
  selectSemver?: string;
  selectAlpha?: string;
  selectNumeric?: string;
  filterRegex?: string;
  filterExtract?: string;
  reflectDigest?: string;
  interval?: string;
}

export function buildImageRepository(name: string, namespace: string, f: RepoFlags): ImageRepository {
  if (!f.image)
    throw new UsageError("--image: required, the image repository to scan (e.g. ghcr.io/org/app)");
  const provider = f.provider ?? "generic";
  if (!["generic", "aws", "azure", "gcp"].includes(provider))
    throw new UsageError(
      `--provider: invalid provider '${provider}', must be one of generic, aws, azure, gcp`,
    );
  const obj: ImageRepository = {
    apiVersion: IMAGE_API_V1,
    kind: "ImageRepository",
    metadata: metadataOf(name, namespace, f),
    spec: { image: f.image, interval: durationFlag("--interval", f.interval) },
  };
  if (f.scanTimeout) obj.spec.timeout = durationFlag("--scan-timeout", f.scanTimeout, { noHours: true });
  if (f.secretRef) obj.spec.secretRef = { name: f.secretRef };
  if (f.certRef) obj.spec.certSecretRef = { name: f.certRef };
  if (f.exclusionList?.length) obj.spec.exclusionList = f.exclusionList;
  if (f.insecure) obj.spec.insecure = true;
  if (f.provider && f.provider !== "generic")
    obj.spec.provider = provider as ImageRepository["spec"]["provider"];
  return obj;
}

export function buildImagePolicy(name: string, namespace: string, f: PolicyFlags): ImagePolicy {
  if (!f.imageRef)
    throw new UsageError("--image-ref: required, the name of the ImageRepository to select from");
  const chosen = [
    f.selectSemver !== undefined && "--select-semver",
    f.selectAlpha !== undefined && "--select-alpha",
    f.selectNumeric !== undefined && "--select-numeric",
  ].filter(Boolean);
  // Flux silently creates an empty policy for two selections; we refuse.
  if (chosen.length > 1) throw new UsageError(`only one of ${chosen.join(", ")} may be given`);
  if (chosen.length === 0)
    throw new UsageError("a policy must be given: --select-semver, --select-alpha or --select-numeric");
  const annotations = selectionAnnotations(f); // imagectl's extensions, ignored by Flux
  const obj: ImagePolicy = {
    apiVersion: IMAGE_API_V1,
    kind: "ImagePolicy",
    metadata: {
      ...metadataOf(name, namespace, f),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec: {
      imageRepositoryRef: {
        name: f.imageRef,
        ...(f.imageRefNamespace ? { namespace: f.imageRefNamespace } : {}),
      },
      policy:
        f.selectSemver !== undefined
          ? { semver: { range: f.selectSemver } }
          : f.selectAlpha !== undefined
            ? { alphabetical: { order: orderFlag("--select-alpha", f.selectAlpha) } }
            : { numerical: { order: orderFlag("--select-numeric", f.selectNumeric ?? "asc") } },
    },
  };
  if (f.filterExtract !== undefined && f.filterRegex === undefined)
    throw new UsageError("--filter-extract: cannot be given without --filter-regex");
  if (f.filterRegex !== undefined)
    obj.spec.filterTags = { pattern: f.filterRegex, extract: f.filterExtract ?? "" };
  if (f.reflectDigest !== undefined) {
    if (!["Never", "IfNotPresent", "Always"].includes(f.reflectDigest))
      throw new UsageError(
        `--reflect-digest: invalid value '${f.reflectDigest}', must be Never, IfNotPresent or Always`,
      );
    obj.spec.digestReflectionPolicy = f.reflectDigest as DigestReflectionPolicy;
  }
  if (f.interval !== undefined) {
    if (f.reflectDigest !== "Always")
      throw new UsageError("--interval: only accepted with --reflect-digest=Always");
    obj.spec.interval = durationFlag("--interval", f.interval);
  }
  return obj;
}

/** Which flag set each ImageRepository field: problems name the flag, as Flux users typed it. */
function repositoryFlagsOf(f: RepoFlags): FieldFlags {
  return {
    "spec.image": "--image",
    "spec.interval": "--interval",
    "spec.timeout": "--scan-timeout",
    "spec.secretRef": "--secret-ref",
    "spec.certSecretRef": "--cert-ref",
    "spec.exclusionList": { flag: "--exclusion-list", values: f.exclusionList ?? [] },
    "spec.provider": "--provider",
  };
}

/** Which flag set each ImagePolicy field (and the selection annotations, by their flags). */
const POLICY_FLAG_OF: FieldFlags = {
  ...SELECTION_FLAG_OF,
  "spec.imageRepositoryRef.name": "--image-ref",
  "spec.imageRepositoryRef.namespace": "--image-ref-namespace",
  "spec.policy.semver": "--select-semver",
  "spec.policy.alphabetical": "--select-alpha",
  "spec.policy.numerical": "--select-numeric",
  "spec.filterTags.pattern": "--filter-regex",
  "spec.filterTags.extract": "--filter-extract",
  "spec.digestReflectionPolicy": "--reflect-digest",
  "spec.interval": "--interval",
};

export function registerCreateImage(create: Command, ctx: CliContext): Command {
  const image = create.command("image").description("create or update image automation objects");

  createAction(
    image
      .command("repository")
      .description("create or update an ImageRepository: a registry repository scanned for tags")
      .argument("<name>")
      .option("--image <ref>", "the image repository to scan, e.g. ghcr.io/org/app (no tag)")
      .option("--interval <duration>", "time between scans", "1m0s")
      .option("--scan-timeout <duration>", "timeout for one scan (default: the interval)")
      .option("--secret-ref <name>", "docker-registry secret with the registry credentials")
      .option("--cert-ref <name>", "secret with ca.crt and/or tls.crt + tls.key for the registry")
      .option(
        "--exclusion-list <regex>",
        "RE2 pattern of tags to ignore (repeatable; replaces the default ^.*\\.sig$)",
        collect,
      )
      .option("--insecure", "allow plain HTTP to a non-loopback registry")
      .option("--provider <name>", "generic, aws, azure or gcp", "generic"),
    ctx,
    buildImageRepository,
    repositoryFlagsOf,
  );

  createAction(
    addSelectionOptions(
      image
        .command("policy")
        .description("create or update an ImagePolicy: how the latest tag of a repository is selected")
        .argument("<name>")
        .option("--image-ref <name>", "the ImageRepository to select from")
        .option("--image-ref-namespace <ns>", "the ImageRepository's namespace (default: the policy's)")
        .option("--select-semver <range>", "select the highest version in this semver range")
        .option("--select-alpha <order>", "select by alphabetical order: asc (greatest) or desc (smallest)")
        .option("--select-numeric <order>", "select by numerical order: asc (largest) or desc (smallest)")
        .option("--filter-regex <regex>", "RE2 pattern tags must match; named groups can be extracted")
        .option("--filter-extract <template>", "the value to order by, e.g. $ts (needs --filter-regex)")
        .option("--reflect-digest <policy>", "Never, IfNotPresent or Always: record the tag's digest")
        .option("--interval <duration>", "digest refresh interval (only with --reflect-digest=Always)"),
      { secretRef: true },
    ),
    ctx,
    buildImagePolicy,
    () => POLICY_FLAG_OF,
  );
  return image;
}
