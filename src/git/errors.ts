export type GitOp = "clone" | "fetch" | "checkout" | "commit" | "sign" | "push" | "auth" | "timeout";

/** A failed Git step. `message` is always scrubbed of credentials before construction. */
export class GitError extends Error {
  override name = "GitError";
  readonly op: GitOp;
  constructor(op: GitOp, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.op = op;
  }
}

/** The remote refused the push because the branch moved; the caller may rebuild and retry. */
export class PushRejectedError extends GitError {
  override name = "PushRejectedError";
  constructor(message: string) {
    super("push", message);
  }
}

/** Another process holds the cache lock for longer than we are willing to wait. */
export class CacheLockedError extends GitError {
  override name = "CacheLockedError";
  constructor(message: string) {
    super("timeout", message);
  }
}
