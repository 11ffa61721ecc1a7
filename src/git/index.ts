// Git write-back for ImageUpdateAutomation, on the system `git` binary.
export { previewAutomation, runAutomation } from "./automation.js";
export { CacheLockedError, GitError, type GitOp, PushRejectedError } from "./errors.js";
export { lsRemoteHead } from "./ls-remote.js";
export { type PullRequestBranchResult, runPullRequestBranch } from "./pr-branch.js";
export { displayUrl, scrub } from "./scrub.js";
export type {
  ApplyChanges,
  AutomationGitOptions,
  AutomationGitResult,
  AutomationPreview,
  GitAuth,
  GitSigning,
} from "./types.js";
