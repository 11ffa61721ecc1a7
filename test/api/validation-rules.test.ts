import { describe, expect, it } from "vitest";
import { formatIssue, ValidationError } from "../../src/api/issues.js";
import { assertValid, validateObject } from "../../src/api/validate.js";
import { automation, gitRepository, issueAt, policy, repository } from "./validation-builders.js";

describe("valid objects", () => {
  it.each([
    ["ImageRepository", repository()],
    ["ImagePolicy", policy()],
    ["ImageUpdateAutomation", automation()],
    ["GitRepository", gitRepository()],
  ])("a minimal %s has no issues", (_kind, obj) => {
    expect(validateObject(obj)).toEqual([]);
    expect(() => assertValid(obj)).not.toThrow();
  });

  it("accepts v1beta2 image objects", () => {
    expect(validateObject({ ...policy(), apiVersion: "image.toolkit.fluxcd.io/v1beta2" })).toEqual([]);
  });
});

describe("common rules", () => {
  it("names unknown kinds and apiVersions", () => {
    expect(validateObject({ ...policy(), kind: "Deployment" })[0]?.message).toMatch(
      /^unknown kind "Deployment"; imagectl reads ImageRepository/,
    );
    expect(
      issueAt({ ...policy(), apiVersion: "image.toolkit.fluxcd.io/v1beta1" }, "apiVersion").message,
    ).toBe(
      'unsupported apiVersion "image.toolkit.fluxcd.io/v1beta1" for ImagePolicy; use image.toolkit.fluxcd.io/v1 or image.toolkit.fluxcd.io/v1beta2',
    );
    expect(
      issueAt({ ...gitRepository(), apiVersion: "source.toolkit.fluxcd.io/v1beta2" }, "apiVersion").message,
    ).toContain("use source.toolkit.fluxcd.io/v1");
  });

  it("requires metadata.name to be a DNS-1123 subdomain", () => {
    const obj = repository({}, { name: "Vote_App" });
    const issues = validateObject(obj);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      object: "ImageRepository/flux-system/Vote_App",
      field: "metadata.name",
    });
    expect(issues[0]?.message).toContain("lower case alphanumeric");
    expect(validateObject(repository({}, { name: "a".repeat(254) }))[0]?.message).toContain(
      "no more than 253",
    );
    expect(
      issueAt({ ...repository(), metadata: { namespace: "flux-system" } }, "metadata.name").message,
    ).toBe("required field is missing");
  });

  it("requires namespaces to be DNS-1123 labels", () => {
    const issues = validateObject(repository({}, { namespace: "Flux.System" }));
    expect(issues[0]).toMatchObject({
      object: "ImageRepository/Flux.System/vote",
      field: "metadata.namespace",
    });
  });

  it("checks label keys and values", () => {
    const obj = repository({}, { labels: { "app.kubernetes.io/name": "vote", "bad key": "x", ok: "-bad-" } });
    expect(issueAt(obj, "metadata.labels[bad key]").message).toContain("invalid label key");
    expect(issueAt(obj, "metadata.labels[ok]").message).toContain("invalid label value");
  });

  it("asks to quote YAML values that are not strings", () => {
    const obj = repository({}, { labels: { version: 1.1 } });
    expect(issueAt(obj, "metadata.labels[version]").message).toBe(
      'must be a string, got number 1.1 (quote it in YAML: "1.1")',
    );
  });

  it("reports unknown fields with a suggestion", () => {
    const obj = policy({ filterTag: { pattern: "x" } });
    expect(issueAt(obj, "spec.filterTag").message).toMatch(/^unknown field \(did you mean "filterTags"\?\)/);
  });

  it("checks interval durations against Flux's pattern", () => {
    expect(issueAt(repository({ interval: "5 minutes" }), "spec.interval").message).toBe(
      'invalid duration "5 minutes": expected a duration such as 30s, 5m, 1h or 1m30s (units ms, s, m, h)',
    );
    expect(issueAt(repository({ interval: undefined }), "spec.interval").message).toBe(
      "required field is missing",
    );
    expect(issueAt(automation({ interval: "1d" }), "spec.interval").message).toContain('"1d"');
  });

  it("does not allow hours in timeouts", () => {
    expect(issueAt(repository({ timeout: "1h" }), "spec.timeout").message).toContain(
      "timeouts cannot use hours",
    );
    expect(issueAt(gitRepository({ timeout: "2h" }), "spec.timeout").message).toContain("no hours");
    expect(validateObject(repository({ timeout: "90s" }))).toEqual([]);
  });

  it("throws a ValidationError that formats every issue", () => {
    const obj = repository({ interval: "x", provider: "docker" });
    const err = (() => {
      try {
        assertValid(obj, { source: "repo.yaml", document: 2, line: 7 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ValidationError);
    const issues = (err as ValidationError).issues;
    expect(issues).toHaveLength(1);
    expect(formatIssue(issues[0]!)).toBe(
      'repo.yaml:7: document 2 (ImageRepository/flux-system/vote): spec.provider: unsupported value "docker": must be one of "generic", "aws", "azure", "gcp"',
    );
  });
});

describe("ImageRepository", () => {
  it("rejects an empty image, a URL scheme, a tag and a digest", () => {
    expect(issueAt(repository({ image: "" }), "spec.image").message).toContain("must not be empty");
    expect(issueAt(repository({ image: "https://ghcr.io/org/vote" }), "spec.image").message).toContain(
      'should not include URL scheme; remove "https://"',
    );
    expect(issueAt(repository({ image: "ghcr.io/org/vote:1.0" }), "spec.image").message).toContain(
      'should not include a tag; give the repository only (e.g. "ghcr.io/org/vote")',
    );
    expect(issueAt(repository({ image: "alpine:3" }), "spec.image").message).toContain(
      "should not include a tag",
    );
    expect(issueAt(repository({ image: "ghcr.io/org/vote@sha256:abc" }), "spec.image").message).toContain(
      "should not include a digest",
    );
    expect(validateObject(repository({ image: "127.0.0.1:5000/org/vote" }))).toEqual([]);
    expect(validateObject(repository({ image: "localhost:5000/vote" }))).toEqual([]);
  });

  it("limits the exclusion list to 25 items", () => {
    const list = Array.from({ length: 26 }, (_, i) => `^x${i}$`);
    expect(issueAt(repository({ exclusionList: list }), "spec.exclusionList").message).toBe(
      "must have at most 25 items, has 26",
    );
  });

  it("compiles every exclusion pattern as RE2 and names the bad one", () => {
    const issue = issueAt(
      repository({ exclusionList: ["^ok$", "(?=lookahead)", "^.*\\.sig$"] }),
      "spec.exclusionList[1]",
    );
    expect(issue.message.length).toBeGreaterThan(0);
    expect(validateObject(repository({ exclusionList: ["(?i)^DEV-", "[[:alpha:]]+"] }))).toEqual([]);
  });

  it("checks the provider enum and reference names", () => {
    expect(issueAt(repository({ provider: "docker" }), "spec.provider").message).toContain(
      '"generic", "aws"',
    );
    expect(
      issueAt(repository({ secretRef: { name: "My_Secret" } }), "spec.secretRef.name").message,
    ).toContain('invalid Secret name "My_Secret"');
    expect(issueAt(repository({ certSecretRef: {} }), "spec.certSecretRef.name").message).toBe(
      "required field is missing",
    );
  });

  it("checks accessFrom selectors", () => {
    const obj = repository({ accessFrom: { namespaceSelectors: [{ matchLabels: { "bad key": "x" } }] } });
    expect(issueAt(obj, "spec.accessFrom.namespaceSelectors[0].matchLabels[bad key]").message).toContain(
      "key:",
    );
    expect(validateObject(repository({ accessFrom: { namespaceSelectors: [{}] } }))).toEqual([]);
  });
});

describe("ImagePolicy", () => {
  it("requires exactly one policy choice", () => {
    expect(issueAt(policy({ policy: {} }), "spec.policy").message).toContain(
      "given ImagePolicyChoice object is invalid",
    );
    const two = validateObject(policy({ policy: { semver: { range: "1.x" }, alphabetical: {} } }));
    expect(two).toHaveLength(1);
    expect(two[0]?.field).toBe("spec.policy");
  });

  it("parses the semver range with Flux's grammar", () => {
    expect(
      issueAt(policy({ policy: { semver: { range: "latest" } } }), "spec.policy.semver.range").message.length,
    ).toBeGreaterThan(0);
    expect(
      issueAt(policy({ policy: { semver: { range: "" } } }), "spec.policy.semver.range").message.length,
    ).toBeGreaterThan(0);
    expect(validateObject(policy({ policy: { semver: { range: ">=1.0.0-0, <2" } } }))).toEqual([]);
  });

  it("checks the order enum", () => {
    expect(
      issueAt(policy({ policy: { alphabetical: { order: "ASC" } } }), "spec.policy.alphabetical.order")
        .message,
    ).toBe('unsupported value "ASC": must be one of "asc", "desc"');
  });

  it("compiles filterTags.pattern as RE2 and checks extract", () => {
    expect(
      issueAt(policy({ filterTags: { pattern: "(?<=x)y" } }), "spec.filterTags.pattern").message,
    ).toContain("invalid regular expression pattern");
    expect(
      issueAt(policy({ filterTags: { extract: "$ts" } }), "spec.filterTags.extract").message.length,
    ).toBeGreaterThan(0);
    expect(
      issueAt(
        policy({ filterTags: { pattern: "^main-(?P<ts>[0-9]+)", extract: "$tz" } }),
        "spec.filterTags.extract",
      ).message,
    ).toContain("tz");
    expect(
      validateObject(policy({ filterTags: { pattern: "^main-(?P<ts>[0-9]+)", extract: "$ts" } })),
    ).toEqual([]);
  });

  it("accepts interval only with digestReflectionPolicy Always, and then requires it", () => {
    expect(issueAt(policy({ interval: "10m" }), "spec.interval").message).toContain(
      "spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'",
    );
    expect(issueAt(policy({ digestReflectionPolicy: "Always" }), "spec.interval").message).toContain(
      "spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'",
    );
    expect(validateObject(policy({ digestReflectionPolicy: "Always", interval: "10m" }))).toEqual([]);
    expect(
      issueAt(policy({ digestReflectionPolicy: "Sometimes" }), "spec.digestReflectionPolicy").message,
    ).toContain('"Always", "IfNotPresent", "Never"');
  });

  it("checks the repository reference", () => {
    expect(issueAt(policy({ imageRepositoryRef: {} }), "spec.imageRepositoryRef.name").message).toBe(
      "required field is missing",
    );
    expect(
      issueAt(
        policy({ imageRepositoryRef: { name: "vote", namespace: "A" } }),
        "spec.imageRepositoryRef.namespace",
      ),
    ).toBeDefined();
  });
});
