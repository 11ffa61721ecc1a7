import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { exportManifests, parseManifests, toManifest } from "../../src/api/manifest.js";
import type { ImagePolicy, ImageUpdateAutomation } from "../../src/api/types.js";

const fixture = readFileSync(new URL("../fixtures/api/all-kinds.yaml", import.meta.url), "utf8");

describe("manifest round trip", () => {
  it("parse → export → parse gives the same objects for every kind", () => {
    const first = parseManifests(fixture, "all-kinds.yaml").map((d) => d.object);
    expect(first.map((o) => o.kind)).toEqual([
      "GitRepository",
      "ImageRepository",
      "ImagePolicy",
      "ImagePolicy",
      "ImageUpdateAutomation",
    ]);
    const exported = exportManifests(first);
    const second = parseManifests(exported).map((d) => d.object);
    expect(second).toEqual(first);
    expect(exportManifests(second)).toBe(exported);
  });

  it("exports a canonical file byte for byte (comments aside)", () => {
    const objects = parseManifests(fixture).map((d) => d.object);
    expect(exportManifests(objects)).toBe(fixture.replace(/^#.*\n/, ""));
  });

  it("reads v1beta2 as v1 with the same spec", () => {
    const beta = fixture.replaceAll("image.toolkit.fluxcd.io/v1\n", "image.toolkit.fluxcd.io/v1beta2\n");
    expect(beta).not.toBe(fixture);
    const fromBeta = parseManifests(beta).map((d) => d.object);
    expect(fromBeta).toEqual(parseManifests(fixture).map((d) => d.object));
    expect(fromBeta.every((o) => !o.apiVersion.endsWith("v1beta2"))).toBe(true);
  });

  it("keeps user values as written on read, and prints durations the Go way on export", () => {
    const [doc] = parseManifests(
      "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata: {name: podinfo}\nspec: {image: ghcr.io/stefanprodan/podinfo, interval: 5m, suspend: false}\n",
    );
    expect(doc?.object.spec).toEqual({
      image: "ghcr.io/stefanprodan/podinfo",
      interval: "5m",
      suspend: false,
    });
    expect(doc?.object.metadata).toEqual({ name: "podinfo", namespace: "flux-system" });
    expect(toManifest(doc!.object)).toBe(
      [
        "---",
        "apiVersion: image.toolkit.fluxcd.io/v1",
        "kind: ImageRepository",
        "metadata:",
        "  name: podinfo",
        "  namespace: flux-system",
        "spec:",
        "  image: ghcr.io/stefanprodan/podinfo",
        "  interval: 5m0s",
        "",
      ].join("\n"),
    );
  });

  it("drops status and server-side metadata when reading `kubectl get -o yaml` output", () => {
    const [doc] = parseManifests(`apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: vote
  namespace: apps
  uid: 0d4c7b0e
  resourceVersion: "42"
  generation: 3
  creationTimestamp: "2026-01-01T00:00:00Z"
spec:
  imageRepositoryRef: {name: vote}
  policy: {semver: {range: 1.x}}
status:
  latestRef: {name: ghcr.io/org/vote, tag: 1.2.3}
`);
    expect(doc?.object).toEqual({
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImagePolicy",
      metadata: { name: "vote", namespace: "apps" },
      spec: { imageRepositoryRef: { name: "vote" }, policy: { semver: { range: "1.x" } } },
    });
  });
});

describe("export shape matches flux create --export", () => {
  // Upstream golden file fluxcd/flux2 cmd/flux/testdata/create_image_update/no-signing.yaml (Apache-2.0).
  it("prints an ImageUpdateAutomation like `flux create image update --export`", () => {
    const auto: ImageUpdateAutomation = {
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImageUpdateAutomation",
      metadata: { name: "flux-system", namespace: "flux-system" },
      spec: {
        sourceRef: { kind: "GitRepository", name: "flux-system" },
        git: {
          checkout: { ref: { branch: "main" } },
          commit: { author: { name: "flux", email: "flux@example.com" } },
        },
        interval: "1m",
      },
    };
    expect(toManifest(auto)).toBe(`---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: flux-system
  namespace: flux-system
spec:
  git:
    checkout:
      ref:
        branch: main
    commit:
      author:
        email: flux@example.com
        name: flux
  interval: 1m0s
  sourceRef:
    kind: GitRepository
    name: flux-system
`);
  });

  it("prints filterTags.extract even when empty and single-quotes ranges starting with >", () => {
    const policy: ImagePolicy = {
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImagePolicy",
      metadata: { name: "podinfo", namespace: "flux-system" },
      spec: {
        imageRepositoryRef: { name: "podinfo" },
        policy: { semver: { range: ">=1.0.0" } },
        filterTags: { pattern: "^v(?P<version>.*)$" },
      },
    };
    expect(toManifest(policy)).toBe(`---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: podinfo
  namespace: flux-system
spec:
  filterTags:
    extract: ""
    pattern: ^v(?P<version>.*)$
  imageRepositoryRef:
    name: podinfo
  policy:
    semver:
      range: '>=1.0.0'
`);
  });

  it("double-quotes strings that would read back as other types", () => {
    const out = toManifest({
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImageRepository",
      metadata: { name: "app", namespace: "flux-system", labels: { version: "1.10", enabled: "yes" } },
      spec: { image: "ghcr.io/org/app", interval: "1h" },
    });
    expect(out).toContain('    enabled: "yes"\n    version: "1.10"\n');
    expect(out).toContain("  interval: 1h0m0s\n");
    const [back] = parseManifests(out);
    expect(back?.object.metadata.labels).toEqual({ version: "1.10", enabled: "yes" });
  });

  it("keeps an empty string in a list of strings (a list item is never omitted)", () => {
    const out = toManifest({
      apiVersion: "image.toolkit.fluxcd.io/v1",
      kind: "ImageRepository",
      metadata: { name: "app", namespace: "flux-system" },
      spec: { image: "ghcr.io/org/app", interval: "1h", exclusionList: ["", "^dev-"] },
    });
    expect(out).toContain('  exclusionList:\n  - ""\n  - ^dev-\n');
    expect(parseManifests(out)[0]?.object.spec).toMatchObject({ exclusionList: ["", "^dev-"] });
  });
});
