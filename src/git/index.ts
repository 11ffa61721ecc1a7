// Git write-back for ImageUpdateAutomation, on the system `git` binary.
export { previewAutomation, runAutomation } from "./automation.js";
export { CacheLockedError, GitError, type GitOp, PushRejectedError } from "./errors.js";
export { lsRemoteHead, lsRemoteRef } from "./ls-remote.js";
export { type PullRequestBranchResult, runPullRequestBranch } from "./pr-branch.js";
export { displayUrl, scrub } from "./scrub.js";
export { gitAuthFromSecret } from "./secret-auth.js";
export { type SeedBranchOptions, seedBranch } from "./seed-branch.js";
export { commitPatch } from "./show-commit.js";
export { readAtHead, type SourceCheckoutOptions } from "./source-checkout.js";
export type {
  ApplyChanges,
  AutomationGitOptions,
  AutomationGitResult,
  AutomationPreview,
  GitAuth,
  GitSigning,
} from "./types.js";
