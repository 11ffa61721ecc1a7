// The rules of the Git side's kinds (validation-rules.test.ts has the image kinds).
import { describe, expect, it } from "vitest";
import { validateObject } from "../../src/api/validate.js";
import { automation, gitRepository, issueAt, type Json } from "./validation-builders.js";

describe("ImageUpdateAutomation", () => {
  it("only accepts GitRepository sources", () => {
    expect(
      issueAt(automation({ sourceRef: { kind: "Bucket", name: "b" } }), "spec.sourceRef.kind").message,
    ).toBe('unsupported value "Bucket": must be one of "GitRepository"');
    expect(validateObject(automation({ sourceRef: { name: "flux-system" } }))).toEqual([]);
  });

  it("requires spec.git and the author email", () => {
    expect(issueAt(automation({ git: undefined }), "spec.git").message).toContain(
      "necessitates field .spec.git",
    );
    expect(
      issueAt(automation({}, { commit: { author: { name: "bot" } } }), "spec.git.commit.author.email")
        .message,
    ).toBe("required field is missing");
    expect(
      issueAt(automation({}, { commit: { author: { email: " " } } }), "spec.git.commit.author.email").message,
    ).toBe("must not be empty");
  });

  it("checks the signing key type", () => {
    const git = (type: string) => ({
      commit: { author: { email: "a@b" }, signingKey: { secretRef: { name: "key" }, type } },
    });
    expect(issueAt(automation({}, git("x509")), "spec.git.commit.signingKey.type").message).toBe(
      'unsupported value "x509": must be one of "gpg", "ssh"',
    );
    expect(validateObject(automation({}, git("ssh")))).toEqual([]);
  });

  it("only supports the Setters strategy", () => {
    expect(issueAt(automation({ update: { strategy: "Replace" } }), "spec.update.strategy").message).toBe(
      'unsupported value "Replace": must be one of "Setters"',
    );
  });

  it("keeps update.path inside the repository", () => {
    expect(issueAt(automation({ update: { path: "../other" } }), "spec.update.path").message).toContain(
      "must stay inside the repository",
    );
    expect(issueAt(automation({ update: { path: "./a/../../b" } }), "spec.update.path")).toBeDefined();
    expect(issueAt(automation({ update: { path: "/etc" } }), "spec.update.path").message).toContain(
      "must be relative to the repository root",
    );
    expect(
      validateObject(automation({ update: { path: "./clusters/../apps", strategy: "Setters" } })),
    ).toEqual([]);
  });

  it("validates the policy selector", () => {
    const obj = automation({
      policySelector: { matchExpressions: [{ key: "app", operator: "In", values: [] }] },
    });
    expect(issueAt(obj, "spec.policySelector.matchExpressions[0].values").message).toBe(
      "must be specified when operator is 'In'",
    );
    expect(
      issueAt(
        automation({ policySelector: { matchExpressions: [{ key: "app", operator: "Is" }] } }),
        "spec.policySelector.matchExpressions[0].operator",
      ).message,
    ).toContain("In");
  });

  it("checks push branch, refspec and options without echoing option values", () => {
    const push = (p: Json) => ({ commit: { author: { email: "a@b" } }, push: p });
    expect(issueAt(automation({}, push({ branch: "bad branch" })), "spec.git.push.branch").message).toContain(
      'invalid branch name "bad branch"',
    );
    expect(
      issueAt(automation({}, push({ refspec: "refs/heads/main:" })), "spec.git.push.refspec").message,
    ).toContain("expected <src>:<dst>");
    const secretish = "token-123\nsecond";
    const issue = issueAt(
      automation({}, push({ options: { "merge_request.create": secretish } })),
      "spec.git.push.options[merge_request.create]",
    );
    expect(issue.message).not.toContain("token-123");
    expect(
      validateObject(
        automation(
          {},
          push({ branch: "auto", refspec: "refs/heads/auto:refs/for/main", options: { topic: "x" } }),
        ),
      ),
    ).toEqual([]);
  });

  it("requires push.branch when the checkout ref is not a branch", () => {
    const obj = automation({}, { checkout: { ref: { tag: "v1.0.0" } } });
    expect(issueAt(obj, "spec.git.push.branch").message).toContain(
      "cannot be inferred from .spec.git.checkout.ref",
    );
  });

  it("flags removed commit template fields", () => {
    const obj = automation(
      {},
      { commit: { author: { email: "a@b" }, messageTemplate: "{{range .Updated.Images}}{{.}}{{end}}" } },
    );
    expect(issueAt(obj, "spec.git.commit.messageTemplate").message).toContain("RemovedTemplateField");
  });
});

describe("GitRepository", () => {
  it.each([
    "https://example.com/org/repo.git",
    "http://127.0.0.1:8080/repo.git",
    "ssh://git@example.com:2222/org/repo.git",
    "file:///srv/git/repo.git",
    "git@github.com:org/repo.git",
  ])("accepts %s", (url) => {
    expect(validateObject(gitRepository({ url }))).toEqual([]);
  });

  it("rejects other schemes without echoing credentials", () => {
    const issue = issueAt(gitRepository({ url: "ftp://user:hunter2@example.com/repo" }), "spec.url");
    expect(issue.message).toContain('unsupported URL scheme "ftp"');
    expect(issue.message).not.toContain("hunter2");
    expect(issueAt(gitRepository({ url: "example.com/repo" }), "spec.url").message).toContain(
      "must start with http://",
    );
  });

  it("checks ref fields", () => {
    expect(issueAt(gitRepository({ ref: { branch: "feature..x" } }), "spec.ref.branch").message).toContain(
      "'..'",
    );
    expect(issueAt(gitRepository({ ref: { name: "main" } }), "spec.ref.name").message).toContain("refs/");
    expect(issueAt(gitRepository({ ref: { commit: "XYZ" } }), "spec.ref.commit").message).toContain(
      "hexadecimal",
    );
    expect(
      issueAt(gitRepository({ ref: { semver: "latest" } }), "spec.ref.semver").message.length,
    ).toBeGreaterThan(0);
    expect(
      validateObject(
        gitRepository({ ref: { semver: ">=1.0.0", name: "refs/tags/v1.0.0", commit: "abc1234" } }),
      ),
    ).toEqual([]);
  });
});
