import { describe, expect, it } from "vitest";
import {
  automationSourceRef,
  digestIntervalMs,
  gitTimeoutMs,
  policyRepositoryRef,
  repositoryTimeoutMs,
  withDefaults,
} from "../../src/api/defaults.js";
import type {
  GitRepository,
  ImagePolicy,
  ImageRepository,
  ImageUpdateAutomation,
} from "../../src/api/types.js";

const repo = (spec: Partial<ImageRepository["spec"]> = {}): ImageRepository => ({
  apiVersion: "image.toolkit.fluxcd.io/v1",
  kind: "ImageRepository",
  metadata: { name: "app", namespace: "" },
  spec: { image: "ghcr.io/org/app", interval: "5m", ...spec },
});

describe("withDefaults", () => {
  it("fills the namespace, exclusion list and provider of an ImageRepository without touching the input", () => {
    const input = repo();
    const out = withDefaults(input);
    expect(out.metadata.namespace).toBe("flux-system");
    expect(out.spec.exclusionList).toEqual(["^.*\\.sig$"]);
    expect(out.spec.provider).toBe("generic");
    expect(input.spec.exclusionList).toBeUndefined();
    expect(input.metadata.namespace).toBe("");
  });

  it("keeps a user's exclusion list (it replaces the default) but treats [] as unset", () => {
    expect(withDefaults(repo({ exclusionList: ["^dev-"] })).spec.exclusionList).toEqual(["^dev-"]);
    expect(withDefaults(repo({ exclusionList: [] })).spec.exclusionList).toEqual(["^.*\\.sig$"]);
  });

  it("normalises v1beta2 to v1", () => {
    expect(withDefaults({ ...repo(), apiVersion: "image.toolkit.fluxcd.io/v1beta2" }).apiVersion).toBe(
      "image.toolkit.fluxcd.io/v1",
    );
  });

  it("defaults ImagePolicy order and digest reflection but not the repository namespace", () => {
    const policy: ImagePolicy = {
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImagePolicy",
      metadata: { name: "app", namespace: "apps" },
      spec: { imageRepositoryRef: { name: "app" }, policy: { alphabetical: {} } },
    };
    const out = withDefaults(policy);
    expect(out.spec.policy.alphabetical?.order).toBe("asc");
    expect(out.spec.digestReflectionPolicy).toBe("Never");
    expect(out.spec.imageRepositoryRef).toEqual({ name: "app" });
    expect(policyRepositoryRef(out)).toEqual({ name: "app", namespace: "apps" });
    expect(
      policyRepositoryRef({
        ...out,
        spec: { ...out.spec, imageRepositoryRef: { name: "x", namespace: "other" } },
      }),
    ).toEqual({ name: "x", namespace: "other" });
    const numerical = withDefaults({
      ...policy,
      spec: { ...policy.spec, policy: { numerical: { order: "desc" } } },
    });
    expect(numerical.spec.policy.numerical?.order).toBe("desc");
  });

  it("defaults the automation's update strategy, source kind and signing key type", () => {
    const auto: ImageUpdateAutomation = {
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImageUpdateAutomation",
      metadata: { name: "auto", namespace: "apps" },
      spec: {
        interval: "30m",
        sourceRef: { kind: "", name: "flux-system" },
        git: { commit: { author: { email: "bot@example.com" }, signingKey: { secretRef: { name: "key" } } } },
      },
    };
    const out = withDefaults(auto);
    expect(out.spec.update).toEqual({ strategy: "Setters" });
    expect(out.spec.sourceRef.kind).toBe("GitRepository");
    expect(out.spec.git?.commit.signingKey?.type).toBe("gpg");
    expect(automationSourceRef(out)).toEqual({ name: "flux-system", namespace: "apps" });
    const withPath = withDefaults({
      ...auto,
      spec: { ...auto.spec, update: { strategy: "", path: "./apps" } },
    });
    expect(withPath.spec.update).toEqual({ strategy: "Setters", path: "./apps" });
  });

  it("defaults a GitRepository's timeout to 60s and its ref to branch master", () => {
    const git: GitRepository = {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "GitRepository",
      metadata: { name: "flux-system", namespace: "flux-system" },
      spec: { url: "https://example.com/repo.git", interval: "1m" },
    };
    const out = withDefaults(git);
    expect(out.spec.timeout).toBe("60s");
    expect(out.spec.ref).toEqual({ branch: "master" });
    expect(gitTimeoutMs(out)).toBe(60_000);
    expect(withDefaults({ ...git, spec: { ...git.spec, ref: { tag: "v1" } } }).spec.ref).toEqual({
      tag: "v1",
    });
  });

  it("is idempotent", () => {
    const once = withDefaults(repo());
    expect(withDefaults(once)).toEqual(once);
  });
});

describe("computed defaults", () => {
  it("uses the interval as the scan timeout, clamped to at least 1s", () => {
    expect(repositoryTimeoutMs(repo())).toBe(300_000);
    expect(repositoryTimeoutMs(repo({ timeout: "30s" }))).toBe(30_000);
    expect(repositoryTimeoutMs(repo({ timeout: "10ms" }))).toBe(1000);
  });

  it("re-checks digests every 10m unless the policy says otherwise", () => {
    const policy: ImagePolicy = {
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImagePolicy",
      metadata: { name: "app", namespace: "flux-system" },
      spec: { imageRepositoryRef: { name: "app" }, policy: { semver: { range: "1.x" } } },
    };
    expect(digestIntervalMs(policy)).toBe(600_000);
    expect(digestIntervalMs({ ...policy, spec: { ...policy.spec, interval: "1h" } })).toBe(3_600_000);
  });
});
