import type { GitRepository } from "../api/types.js";
import { gitAuthFromSecret } from "../git/secret-auth.js";
import type { GitAuth } from "../git/types.js";
import type { ControllerDeps } from "./controller-deps.js";
import { RetryError } from "./reconcile-context.js";

/** The Git credentials of a GitRepository's spec.secretRef; RetryError when the secret is missing. */
export async function gitAuthFor(deps: ControllerDeps, repo: GitRepository): Promise<GitAuth | undefined> {
  const ref = repo.spec.secretRef?.name;
  if (!ref) return undefined;
  const ns = repo.metadata.namespace;
  const secret = await deps.store.getSecret(ns, ref);
  if (!secret)
    throw new RetryError(
      "GitOperationFailed",
      `secret '${ns}/${ref}' not found (GitRepository spec.secretRef)`,
    );
  return gitAuthFromSecret(secret.data);
}
