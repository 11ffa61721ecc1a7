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
}

/** Annotation field → the flag that sets it, for validation messages. */
export const SELECTION_FLAG_OF: Record<string, string> = {
  [`metadata.annotations[${A.prereleaseOrder}]`]: "--prerelease-order",
  [`metadata.annotations[${A.select}]`]: "--select-newest",
  [`metadata.annotations[${A.minAge}]`]: "--min-age",
  [`metadata.annotations[${A.maxReads}]`]: "--max-reads",
  [`metadata.annotations[${A.verify}]`]: "--verify",
  [`metadata.annotations[${A.verifyKey}]`]: "--verify-key",
  [`metadata.annotations[${A.verifySecretRef}]`]: "--verify-secret-ref",
};

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
    .option("--verify-key <file>", "with --verify cosign: PEM public key file");
  if (opts.secretRef)
    cmd.option(
      "--verify-secret-ref <name>",
      "with --verify cosign: secret whose keys ending in .pub are PEM public keys",
    );
  return cmd;
}

/** The annotations the flags stand for (a key file is read and its PEM stored inline). */
export function selectionAnnotations(f: SelectionFlags): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.prereleaseOrder !== undefined) out[A.prereleaseOrder] = f.prereleaseOrder;
  if (f.selectNewest) out[A.select] = "newest";
  if (f.minAge !== undefined) out[A.minAge] = f.minAge;
  if (f.maxReads !== undefined) out[A.maxReads] = f.maxReads;
  if (f.verify !== undefined) out[A.verify] = f.verify;
  if (f.verifyKey !== undefined) {
    try {
      out[A.verifyKey] = readFileSync(f.verifyKey, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
      throw new UsageError(`--verify-key: cannot read '${f.verifyKey}' (${code})`);
    }
  }
  if (f.verifySecretRef !== undefined) out[A.verifySecretRef] = f.verifySecretRef;
  return out;
}

/** The flags as options, checked exactly as the annotations are; a bad one names its flag. */
export function selectionOptionsOf(f: SelectionFlags): SelectionOptions {
  const { options, problems } = readSelectionOptions(selectionAnnotations(f));
  const bad = problems[0];
  if (bad) throw new UsageError(`${SELECTION_FLAG_OF[bad.field] ?? bad.field}: ${bad.message}`);
  return options;
}
