import { describe, expect, it } from "vitest";
import { readSelectionOptions, validateObject } from "../../src/api/index.js";
import type { ImagePolicy } from "../../src/api/types.js";

const PEM = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";

function policy(annotations: Record<string, string>, semver = true): ImagePolicy {
  return {
    apiVersion: "image.toolkit.fluxcd.io/v1",
    kind: "ImagePolicy",
    metadata: { name: "app", namespace: "flux-system", annotations },
    spec: {
      imageRepositoryRef: { name: "app" },
      policy: semver ? { semver: { range: "*" } } : { alphabetical: {} },
    },
  };
}

describe("selection annotations", () => {
  it("reads every extension", () => {
    const { options, problems } = readSelectionOptions({
      "imagectl.io/prerelease-order": "natural",
      "imagectl.io/select": "newest",
      "imagectl.io/min-age": "1h30m",
      "imagectl.io/max-reads": "50",
      "imagectl.io/verify": "cosign",
      "imagectl.io/verify-key": PEM,
      "imagectl.io/verify-secret-ref": "cosign-keys",
    });
    expect(problems).toEqual([]);
    expect(options).toEqual({
      prereleaseOrder: "natural",
      newest: true,
      minAgeMs: 5_400_000,
      minAge: "1h30m",
      maxReads: 50,
      verify: { provider: "cosign", publicKeys: [PEM], secretRef: "cosign-keys" },
    });
    expect(readSelectionOptions(undefined)).toEqual({ options: { maxReads: 1000 }, problems: [] });
  });

  it("names the annotation of every bad value", () => {
    const { problems } = readSelectionOptions({
      "imagectl.io/prerelease-order": "human",
      "imagectl.io/select": "oldest",
      "imagectl.io/min-age": "2 days",
      "imagectl.io/max-reads": "0",
      "imagectl.io/verify-key": "ssh-ed25519 AAAA",
    });
    expect(problems.map((p) => p.field)).toEqual([
      "metadata.annotations[imagectl.io/prerelease-order]",
      "metadata.annotations[imagectl.io/select]",
      "metadata.annotations[imagectl.io/min-age]",
      "metadata.annotations[imagectl.io/max-reads]",
      "metadata.annotations[imagectl.io/verify-key]",
    ]);
    expect(problems[4]?.message).toBe("only with imagectl.io/verify: cosign");
    const keyless = readSelectionOptions({ "imagectl.io/verify": "cosign" }).problems[0];
    expect(keyless?.message).toMatch(/needs imagectl.io\/verify-key .* or imagectl.io\/verify-secret-ref/);
    const notPem = readSelectionOptions({ "imagectl.io/verify": "cosign", "imagectl.io/verify-key": "x" })
      .problems[0];
    expect(notPem?.message).toBe("not a PEM public key (-----BEGIN PUBLIC KEY-----)");
    const huge = readSelectionOptions({
      "imagectl.io/verify": "cosign",
      "imagectl.io/verify-key": "A".repeat(20_000),
    });
    expect(huge.problems[0]?.message).toBe("public key is longer than 16384 bytes");
  });

  it("validation of an ImagePolicy checks them, and natural order only with semver", () => {
    expect(validateObject(policy({ "imagectl.io/prerelease-order": "natural" }))).toEqual([]);
    const issues = validateObject(policy({ "imagectl.io/prerelease-order": "natural" }, false));
    expect(issues.map((i) => [i.field, i.message])).toEqual([
      [
        "metadata.annotations[imagectl.io/prerelease-order]",
        "natural pre-release order needs a semver policy (spec.policy.semver)",
      ],
    ]);
    expect(validateObject(policy({ "imagectl.io/min-age": "soon" })).map((i) => i.field)).toEqual([
      "metadata.annotations[imagectl.io/min-age]",
    ]);
    // Annotations of others are none of imagectl's business.
    expect(validateObject(policy({ "example.com/min-age": "soon" }))).toEqual([]);
  });
});
