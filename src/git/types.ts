/** Credentials for the Git remote, as read from a GitRepository's secretRef. */
export interface GitAuth {
  username?: string;
  password?: string;
  bearerToken?: string;
  sshPrivateKey?: string;
  knownHosts?: string;
}

/** A commit signing key from ImageUpdateAutomation `git.commit.signingKey`. */
export interface GitSigning {
  type: "gpg" | "ssh";
  /** Armored GPG private key (`git.asc`) or OpenSSH private key (`identity`). */
  key: string;
  passphrase?: string;
}

export interface AutomationGitOptions {
  /** Persistent directory for this GitRepository's cached clone; the caller picks it. */
  cacheDir: string;
  url: string;
  auth?: GitAuth;
  /** GitRepository `proxySecretRef`: an http(s) proxy, credentials in its userinfo. */
  proxy?: URL;
  /** Per network operation (fetch, push), like Flux's GitRepository `timeout`. Default 60 s. */
  timeoutMs?: number;
  /** `git.checkout.ref.branch` ?? GitRepository `ref.branch` ?? "master". */
  checkoutBranch: string;
  /**
   * `git.push.branch` (default: checkoutBranch). Missing on the remote → created from the checkout head;
   * existing → the local branch starts from the remote push-branch head.
   */
  pushBranch?: string;
  refspec?: string;
  pushOptions?: Record<string, string>;
  author: { name?: string; email: string };
  signing?: GitSigning;
  /** Bounded retries when the push is rejected because the branch moved. Default 5. */
  maxAttempts?: number;
  /** Runs right before each push; a throw means no push (the commit is dropped with the tree). */
  beforePush?: () => Promise<void>;
  /**
   * Names the commit being pushed in the clone until its outcome is known (push-record.ts), so a
   * push whose answer was lost is reported once found on the remote. The automation's identity.
   */
  pushKey?: string;
}

/** Edits files under `workTree`; returns the commit message, or null when there is nothing to commit. */
export type ApplyChanges = (workTree: string) => Promise<{ message: string } | null>;

export interface AutomationGitResult {
  pushed: boolean;
  /** Full SHA of the pushed commit. */
  commit?: string;
  /**
   * Set when the push's answer was lost (by this run's earlier attempt, or an earlier run) and the
   * remote was found holding the commit: its message, since this run rendered none.
   */
  landedEarlier?: { message: string };
  /** `<branch>@sha1:<sha>` as Flux's observedSourceRevision. */
  revision: string;
  attempts: number;
  /** Paths relative to the repository root. */
  filesChanged: string[];
}

export interface AutomationPreview {
  /** Unified diff in `git diff` format; empty when nothing would change. */
  diff: string;
  message: string | null;
  revision: string;
}
