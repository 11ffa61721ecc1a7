/**
 * The flags of imagectl's selection extensions (docs/selection.md), shared by `create image
 * policy` (which writes them as annotations, so the object stays a valid Flux ImagePolicy) and
 * `policy test` (which applies them directly).
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import {
  SELECTION_ANNOTATIONS as A,
  readSelectionOptions,
  type SelectionOptions,
} from "../api/selection-annotations.js";
import { UsageError } from "./errors.js";

export interface SelectionFlags {
  prereleaseOrder?: string;
  selectNewest?: boolean;
  minAge?: string;
  maxReads?: string;
  verify?: string;
  verifyKey?: string;
  verifySecretRef?: string;
  verifyIdentity?: string;
  verifyIdentityRegexp?: string;
  verifyIssuer?: string;
  verifyIssuerRegexp?: string;
  verifyTrustedRootSecretRef?: string;
  /** `policy test` only: a trusted_root.json file for keyless verification. */
  trustedRoot?: string;
}

/** Each selection annotation's flag: the one table the flag wording and the annotations follow. */
const FLAG: Record<keyof typeof A, string> = {
  prereleaseOrder: "--prerelease-order",
  select: "--select-newest",
  minAge: "--min-age",
  maxReads: "--max-reads",
  verify: "--verify",
  verifyKey: "--verify-key",
  verifySecretRef: "--verify-secret-ref",
  verifyIdentity: "--verify-identity",
  verifyIdentityRegexp: "--verify-identity-regexp",
  verifyIssuer: "--verify-issuer",
  verifyIssuerRegexp: "--verify-issuer-regexp",
  verifyTrustedRootSecretRef: "--verify-trusted-root-secret-ref",
};

/** Annotation field → the flag that sets it, for validation messages. */
export const SELECTION_FLAG_OF: Record<string, string> = Object.fromEntries(
  (Object.keys(A) as (keyof typeof A)[]).map((k) => [`metadata.annotations[${A[k]}]`, FLAG[k]]),
);

export function addSelectionOptions(cmd: Command, opts: { secretRef: boolean }): Command {
  cmd
    .option(
      "--prerelease-order <order>",
      "semver pre-release order: flux (default, rc10 < rc9) or natural (rc9 < rc10)",
    )
    .option(
      "--select-newest",
      "select the tag whose image was created last (the policy then only admits tags)",
    )
    .option("--min-age <duration>", "do not select a tag until its image is this old, e.g. 24h")
    .option(
      "--max-reads <n>",
      "at most this many new image digests read from the registry per run (default 1000)",
    )
    .option("--verify <provider>", "only select tags whose digest carries a valid signature: cosign")
    .option("--verify-key <file>", "with --verify cosign: PEM public key file")
    .option(
      "--verify-identity <san>",
      "with --verify cosign, keyless: the signing certificate's identity (email or URI), exactly",
    )
    .option("--verify-identity-regexp <re2>", "keyless: an RE2 pattern the certificate's identity must match")
    .option(
      "--verify-issuer <url>",
      "keyless: the OIDC issuer of the signing certificate, e.g. https://token.actions.githubusercontent.com",
    )
    .option(
      "--verify-issuer-regexp <re2>",
      "keyless: an RE2 pattern the certificate's OIDC issuer must match",
    );
  if (opts.secretRef)
    cmd
      .option(
        "--verify-secret-ref <name>",
        "with --verify cosign: secret whose keys ending in .pub are PEM public keys",
      )
      .option(
        "--verify-trusted-root-secret-ref <name>",
        "keyless: secret whose trusted_root.json replaces the shipped Sigstore public-good root",
      );
  else
    cmd.option(
      "--trusted-root <file>",
      "keyless: a Sigstore trusted_root.json instead of the shipped public-good root",
    );
  return cmd;
}

/** The annotations the flags stand for (a key file is read and its PEM stored inline). */
export function selectionAnnotations(f: SelectionFlags): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(A) as (keyof typeof A)[]) {
    const v = k === "select" ? (f.selectNewest ? "newest" : undefined) : f[k];
    if (v === undefined) continue;
    out[A[k]] = k === "verifyKey" ? readKeyFile(v) : v;
  }
  return out;
}

function readKeyFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new UsageError(`--verify-key: cannot read '${file}' (${code})`);
  }
}

/** The flags as options, checked exactly as the annotations are; a bad one names its flag. */
export function selectionOptionsOf(f: SelectionFlags): SelectionOptions {
  const { options, problems } = readSelectionOptions(selectionAnnotations(f));
  const bad = problems[0];
  if (bad)
    throw new UsageError(
      `${flagWording(SELECTION_FLAG_OF[bad.field] ?? bad.field)}: ${flagWording(bad.message)}`,
    );
  if (f.trustedRoot !== undefined && options.verify?.keyless === undefined)
    throw new UsageError(
      "--trusted-root: only with keyless verification (--verify-identity, --verify-issuer)",
    );
  return options;
}

/** Annotation names in a message, as the flags that set them (a flag user never wrote annotations). */
function flagWording(text: string): string {
  let out = text;
  const longestFirst = Object.entries(SELECTION_FLAG_OF).sort((x, y) => y[0].length - x[0].length);
  for (const [field, flag] of longestFirst) {
    const name = field.slice("metadata.annotations[".length, -1);
    out = out.split(name).join(flag);
  }
  return out;
}
