import { describe, expect, it } from "vitest";
import { readSelectionOptions, validateObject } from "../../src/api/index.js";
import type { ImagePolicy } from "../../src/api/types.js";
import { selectionOptionsOf } from "../../src/cli/selection-flags.js";

const PEM = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";
const ID = "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main";
const GH = "https://token.actions.githubusercontent.com";

function policy(annotations: Record<string, string>): ImagePolicy {
  return {
    apiVersion: "image.toolkit.fluxcd.io/v1",
    kind: "ImagePolicy",
    metadata: { name: "app", namespace: "flux-system", annotations },
    spec: { imageRepositoryRef: { name: "app" }, policy: { semver: { range: "*" } } },
  };
}

describe("keyless verification annotations", () => {
  it("reads identity and issuer, exact or RE2, and a trusted root secret", () => {
    const { options, problems } = readSelectionOptions({
      "imagectl.io/verify": "cosign",
      "imagectl.io/verify-identity": ID,
      "imagectl.io/verify-issuer-regexp": "^https://token\\.actions\\.githubusercontent\\.com$",
      "imagectl.io/verify-trusted-root-secret-ref": "sigstore-root",
    });
    expect(problems).toEqual([]);
    expect(options.verify).toEqual({
      provider: "cosign",
      publicKeys: [],
      keyless: {
        identity: ID,
        issuerRegexp: "^https://token\\.actions\\.githubusercontent\\.com$",
        trustedRootSecretRef: "sigstore-root",
      },
    });
  });

  it("names the annotation of every bad combination", () => {
    const fields = (a: Record<string, string>) =>
      readSelectionOptions({ "imagectl.io/verify": "cosign", ...a }).problems.map((p) => [
        p.field,
        p.message,
      ]);
    const f = (k: string) => `metadata.annotations[imagectl.io/${k}]`;
    // Keys and keyless together.
    expect(
      fields({
        "imagectl.io/verify-key": PEM,
        "imagectl.io/verify-identity": ID,
        "imagectl.io/verify-issuer": GH,
      }),
    ).toEqual([
      [
        f("verify"),
        "keys (imagectl.io/verify-key, imagectl.io/verify-secret-ref) and keyless (imagectl.io/verify-identity, imagectl.io/verify-issuer) are alternatives: set one",
      ],
    ]);
    // An identity without an issuer (cosign requires both).
    expect(fields({ "imagectl.io/verify-identity": ID })).toEqual([
      [
        f("verify-issuer"),
        "keyless verification needs the certificate's OIDC issuer: imagectl.io/verify-issuer or imagectl.io/verify-issuer-regexp",
      ],
    ]);
    // Exact and pattern for the same thing.
    expect(
      fields({
        "imagectl.io/verify-identity": ID,
        "imagectl.io/verify-identity-regexp": ".*",
        "imagectl.io/verify-issuer": GH,
      }),
    ).toEqual([
      [
        f("verify-identity-regexp"),
        "set imagectl.io/verify-identity or imagectl.io/verify-identity-regexp, not both",
      ],
    ]);
    // Not RE2: a backreference / lookahead, refused with Go's words.
    const re = fields({ "imagectl.io/verify-identity-regexp": "(?=x)", "imagectl.io/verify-issuer": GH });
    expect(re[0]?.[0]).toBe(f("verify-identity-regexp"));
    expect(re[0]?.[1]).toMatch(/error parsing regexp/);
    // Too long, empty.
    expect(
      fields({ "imagectl.io/verify-identity": "x".repeat(2000), "imagectl.io/verify-issuer": "" }),
    ).toEqual([
      [f("verify-identity"), "must be 1 to 1024 characters"],
      [f("verify-issuer"), "must be 1 to 1024 characters"],
    ]);
    // The root secret without keyless, a bad secret name; keyless annotations without verify.
    expect(
      fields({ "imagectl.io/verify-key": PEM, "imagectl.io/verify-trusted-root-secret-ref": "root" }),
    ).toEqual([
      [
        f("verify-trusted-root-secret-ref"),
        "only with keyless verification (imagectl.io/verify-identity, imagectl.io/verify-issuer)",
      ],
    ]);
    expect(
      fields({
        "imagectl.io/verify-identity": ID,
        "imagectl.io/verify-issuer": GH,
        "imagectl.io/verify-trusted-root-secret-ref": "Root!",
      }),
    ).toEqual([[f("verify-trusted-root-secret-ref"), 'invalid secret name "Root!"']]);
    expect(
      readSelectionOptions({ "imagectl.io/verify-identity": ID }).problems.map((p) => p.message),
    ).toEqual(["only with imagectl.io/verify: cosign"]);
  });

  it("apply's validation refuses them naming the annotation", () => {
    expect(
      validateObject(
        policy({
          "imagectl.io/verify": "cosign",
          "imagectl.io/verify-identity": ID,
          "imagectl.io/verify-issuer": GH,
        }),
      ),
    ).toEqual([]);
    const issues = validateObject(
      policy({ "imagectl.io/verify": "cosign", "imagectl.io/verify-issuer-regexp": "a(b" }),
    );
    expect(issues.map((i) => i.field)).toEqual([
      "metadata.annotations[imagectl.io/verify-identity]",
      "metadata.annotations[imagectl.io/verify-issuer-regexp]",
    ]);
  });

  it("the flags say the same in their own words", () => {
    expect(() => selectionOptionsOf({ verify: "cosign", verifyIdentity: ID })).toThrow(
      "--verify-issuer: keyless verification needs the certificate's OIDC issuer: --verify-issuer or --verify-issuer-regexp",
    );
    expect(() =>
      selectionOptionsOf({ verify: "cosign", verifyKey: "/dev/null", verifyIdentity: ID, verifyIssuer: GH }),
    ).toThrow(/^--verify: keys \(--verify-key, --verify-secret-ref\) and keyless/);
    expect(() =>
      selectionOptionsOf({ verify: "cosign", verifyKey: "/dev/null", trustedRoot: "root.json" }),
    ).toThrow(/--verify-key: not a PEM public key/);
    expect(() => selectionOptionsOf({ trustedRoot: "root.json" })).toThrow(
      "--trusted-root: only with keyless verification (--verify-identity, --verify-issuer)",
    );
    expect(
      selectionOptionsOf({ verify: "cosign", verifyIdentityRegexp: "@example\\.com$", verifyIssuer: GH })
        .verify,
    ).toEqual({
      provider: "cosign",
      publicKeys: [],
      keyless: { identityRegexp: "@example\\.com$", issuer: GH },
    });
  });
});
