// `imagectl create image update`: an ImageUpdateAutomation from flags, as `flux create image update`.
import type { Command } from "commander";
import { IMAGE_API_V1, type ImageUpdateAutomation } from "../api/types.js";
import { INCLUDE_ANNOTATION } from "../api/write-back-annotations.js";
import { type CreateFlags, checkObject, createAction, type FieldFlags, metadataOf } from "./apply-object.js";
import { UsageError } from "./errors.js";
import { collect, durationFlag, withEnv } from "./globals.js";
import type { CliContext } from "./io.js";

interface UpdateFlags extends CreateFlags {
  gitRepoRef?: string;
  gitRepoNamespace?: string;
  gitRepoPath?: string;
  checkoutBranch?: string;
  pushBranch?: string;
  pushRefspec?: string;
  pushOption?: string[];
  authorName?: string;
  authorEmail?: string;
  commitTemplate?: string;
  signingKeySecret?: string;
  signingKeyType?: string;
  include?: string[];
  interval: string;
  dryRun?: boolean;
}

export function buildImageUpdate(name: string, namespace: string, f: UpdateFlags): ImageUpdateAutomation {
  if (!f.gitRepoRef) throw new UsageError("--git-repo-ref: required, the GitRepository to update");
  if (!f.checkoutBranch) throw new UsageError("--checkout-branch: required");
  if (!f.authorName) throw new UsageError("--author-name: required");
  if (!f.authorEmail) throw new UsageError("--author-email: required");
  if (f.signingKeyType && !f.signingKeySecret)
    throw new UsageError("--signing-key-type: requires --signing-key-secret");
  if (f.signingKeyType && f.signingKeyType !== "gpg" && f.signingKeyType !== "ssh")
    throw new UsageError(`--signing-key-type: invalid type '${f.signingKeyType}', must be gpg or ssh`);
  const obj: ImageUpdateAutomation = {
    apiVersion: IMAGE_API_V1,
    kind: "ImageUpdateAutomation",
    metadata: metadataOf(name, namespace, f),
    spec: {
      git: {
        checkout: { ref: { branch: f.checkoutBranch } },
        commit: { author: { email: f.authorEmail, name: f.authorName } },
      },
      interval: durationFlag("--interval", f.interval),
      sourceRef: {
        kind: "GitRepository",
        name: f.gitRepoRef,
        ...(f.gitRepoNamespace ? { namespace: f.gitRepoNamespace } : {}),
      },
    },
  };
  const git = obj.spec.git!;
  if (f.commitTemplate !== undefined) git.commit.messageTemplate = f.commitTemplate;
  if (f.signingKeySecret)
    git.commit.signingKey = {
      secretRef: { name: f.signingKeySecret },
      ...(f.signingKeyType ? { type: f.signingKeyType as "gpg" | "ssh" } : {}),
    };
  if (f.pushBranch || f.pushRefspec || f.pushOption?.length) {
    git.push = {};
    if (f.pushBranch) git.push.branch = f.pushBranch;
    if (f.pushRefspec) git.push.refspec = f.pushRefspec;
    if (f.pushOption?.length) {
      git.push.options = {};
      for (const o of f.pushOption) {
        const i = o.indexOf("=");
        git.push.options[i < 0 ? o : o.slice(0, i)] = i < 0 ? "" : o.slice(i + 1);
      }
    }
  }
  if (f.gitRepoPath) obj.spec.update = { path: f.gitRepoPath, strategy: "Setters" };
  if (f.include?.length) obj.metadata.annotations = { [INCLUDE_ANNOTATION]: f.include.join("\n") };
  return obj;
}

/** Which flag set each ImageUpdateAutomation field: problems name the flag, as Flux users typed it. */
const UPDATE_FLAG_OF: FieldFlags = {
  "spec.sourceRef.name": "--git-repo-ref",
  "spec.sourceRef.namespace": "--git-repo-namespace",
  "spec.update.path": "--git-repo-path",
  "spec.git.checkout.ref.branch": "--checkout-branch",
  "spec.git.push.branch": "--push-branch",
  "spec.git.push.refspec": "--push-refspec",
  "spec.git.push.options": "--push-option",
  "spec.git.commit.author.name": "--author-name",
  "spec.git.commit.author.email": "--author-email",
  "spec.git.commit.messageTemplate": "--commit-template",
  "spec.git.commit.signingKey.secretRef": "--signing-key-secret",
  "spec.interval": "--interval",
  [`metadata.annotations[${INCLUDE_ANNOTATION}]`]: "--include",
};

export function registerCreateImageUpdate(image: Command, ctx: CliContext): void {
  const cmd = image
    .command("update")
    .description("create or update an ImageUpdateAutomation: write selected images back to Git")
    .argument("<name>")
    .option("--git-repo-ref <name>", "the GitRepository to update")
    .option("--git-repo-namespace <ns>", "the GitRepository's namespace (default: the automation's)")
    .option("--git-repo-path <path>", "only update files under this path of the repository")
    .option("--checkout-branch <branch>", "the branch to check out")
    .option("--push-branch <branch>", "the branch to push to (default: the checkout branch)")
    .option("--push-refspec <refspec>", "an extra refspec to push, e.g. refs/heads/auto:refs/for/main")
    .option("--push-option <key=value>", "git push option (repeatable)", collect)
    .option("--author-name <name>", "commit author name")
    .option("--author-email <email>", "commit author email")
    .option("--commit-template <template>", "Go text/template for the commit message")
    .option("--signing-key-secret <name>", "secret with the commit signing key (git.asc or identity)")
    .option("--signing-key-type <type>", "gpg or ssh (default: gpg)")
    .option(
      "--include <glob>",
      "also read markers in files matching this glob, e.g. 'deploy/*.txt' (repeatable)",
      collect,
    )
    .option("--interval <duration>", "time between runs", "1m0s")
    .option("--dry-run", "print the diff and commit message of a first run; save and push nothing");
  createAction(
    cmd,
    ctx,
    async (name, namespace, f: UpdateFlags) => {
      const obj = buildImageUpdate(name, namespace, f);
      if (f.commitTemplate !== undefined) await checkCommitTemplate(f.commitTemplate);
      if (f.include?.length) await checkIncludeGlobs(f.include);
      return obj;
    },
    () => UPDATE_FLAG_OF,
    async (obj, f, g) => {
      if (!f.dryRun) return false;
      await checkObject(obj, UPDATE_FLAG_OF);
      const { printAutomationPreview } = await import("./diff-automation.js");
      await withEnv(g, (env) => printAutomationPreview(ctx, env, obj));
      return true;
    },
  );
}

/** A template Flux would fail to parse is a usage error now, not a failed automation run later. */
async function checkCommitTemplate(template: string): Promise<void> {
  const { validateCommitTemplate } = await import("../update/index.js");
  try {
    validateCommitTemplate(template);
  } catch (err) {
    throw new UsageError(`--commit-template: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** A glob the automation could not compile is a usage error now, not a stalled automation later. */
async function checkIncludeGlobs(globs: string[]): Promise<void> {
  const { compileIncludeGlobs } = await import("../update/index.js");
  try {
    compileIncludeGlobs(globs);
  } catch (err) {
    throw new UsageError(`--include: ${err instanceof Error ? err.message : String(err)}`);
  }
}
