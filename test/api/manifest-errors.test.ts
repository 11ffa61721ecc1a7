import { describe, expect, it } from "vitest";
import { ManifestError, ValidationError } from "../../src/api/issues.js";
import { parseManifests } from "../../src/api/manifest.js";

function manifestError(text: string, source?: string): ManifestError {
  try {
    parseManifests(text, source);
  } catch (err) {
    expect(err).toBeInstanceOf(ManifestError);
    expect(err).toBeInstanceOf(ValidationError);
    return err as ManifestError;
  }
  throw new Error("expected parseManifests to throw");
}

const repo = `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: vote
spec:
  image: ghcr.io/org/vote
  interval: 5m
`;

describe("parseManifests", () => {
  it("skips empty documents and numbers documents by position", () => {
    const docs = parseManifests(
      `---\n# nothing here\n---\n${repo}---\n---\n${repo.replace("name: vote", "name: api")}`,
      "apps.yaml",
    );
    expect(docs.map((d) => [d.document, d.index, d.line, d.object.metadata.name, d.source])).toEqual([
      [2, 1, 4, "vote", "apps.yaml"],
      [4, 3, 13, "api", "apps.yaml"],
    ]);
  });

  it("returns nothing for empty input", () => {
    expect(parseManifests("")).toEqual([]);
    expect(parseManifests("# only a comment\n")).toEqual([]);
  });

  it("uses the given default namespace", () => {
    expect(parseManifests(repo, undefined, { defaultNamespace: "apps" })[0]?.object.metadata.namespace).toBe(
      "apps",
    );
  });

  it("names file, line, document, object and field for every problem in every document", () => {
    const text = `${repo}---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: vote
spec:
  imageRepositoryRef:
    name: vote
  policy:
    semver:
      range: latest
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: api
spec:
  image: https://ghcr.io/org/api
  interval: 5 minutes
`;
    const err = manifestError(text, "apps.yaml");
    expect(err.message.split("\n")).toEqual([
      expect.stringMatching(
        /^apps\.yaml:18: document 2 \(ImagePolicy\/flux-system\/vote\): spec\.policy\.semver\.range: semver parse error: improper constraint: latest/,
      ),
      'apps.yaml:25: document 3 (ImageRepository/flux-system/api): spec.image: invalid image "https://ghcr.io/org/api": should not include URL scheme; remove "https://"',
      'apps.yaml:26: document 3 (ImageRepository/flux-system/api): spec.interval: invalid duration "5 minutes": expected a duration such as 30s, 5m, 1h or 1m30s (units ms, s, m, h)',
    ]);
    expect(err.issues[0]).toMatchObject({
      source: "apps.yaml",
      document: 2,
      line: 18,
      object: "ImagePolicy/flux-system/vote",
      field: "spec.policy.semver.range",
    });
  });

  it("reports YAML syntax errors with file, document and line", () => {
    const err = manifestError(
      `${repo}---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nspec: {a: [1, 2}\n`,
      "bad.yaml",
    );
    expect(err.issues.length).toBeGreaterThan(0);
    expect(err.issues.every((i) => i.document === 2)).toBe(true);
    expect(err.issues[0]).toMatchObject({ source: "bad.yaml", document: 2, object: "", field: "" });
    expect(err.issues[0]?.line).toBe(11);
    expect(err.message).toMatch(/^bad\.yaml:11: document 2: YAML syntax error: /);
  });

  it("reports duplicate keys as syntax errors", () => {
    const err = manifestError(repo.replace("  interval: 5m\n", "  interval: 5m\n  interval: 1m\n"));
    expect(err.message).toContain("YAML syntax error");
  });

  it("names unknown kinds and apiVersions", () => {
    const err = manifestError(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\napiVersion: image.toolkit.fluxcd.io/v1alpha1\nkind: ImagePolicy\nmetadata: {name: p}\nspec: {imageRepositoryRef: {name: r}, policy: {alphabetical: {}}}\n",
      "mixed.yaml",
    );
    expect(err.issues.map((i) => `${i.document}:${i.line}:${i.field}`)).toEqual([
      "1:2:kind",
      "2:5:apiVersion",
    ]);
    expect(err.issues[0]?.message).toContain('unknown kind "Deployment"');
    expect(err.issues[1]?.message).toContain(
      'unsupported apiVersion "image.toolkit.fluxcd.io/v1alpha1" for ImagePolicy',
    );
  });

  it("points at the parent line for a missing field and at the field for an unknown one", () => {
    const err = manifestError(
      "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: p\nspec:\n  imageRepositoryRef: {name: r}\n  policies: {semver: {range: 1.x}}\n",
      "p.yaml",
    );
    expect(err.issues.map((i) => `${i.line}:${i.field}`)).toEqual(["6:spec.policy", "7:spec.policies"]);
    expect(err.issues[1]?.message).toContain('did you mean "policy"?');
  });

  it("rejects documents that are not mappings", () => {
    const err = manifestError("- a\n- b\n", "list.yaml");
    expect(err.message).toBe(
      "list.yaml:1: document 1: expected a mapping with apiVersion, kind, metadata and spec",
    );
  });

  it("rejects the same object twice", () => {
    const err = manifestError(`${repo}---\n${repo}`, "dup.yaml");
    expect(err.message).toBe(
      "dup.yaml:12: document 2 (ImageRepository/flux-system/vote): metadata.name: duplicate object: document 1 defines the same ImageRepository",
    );
  });

  it("can skip the semantic rules but still rejects unreadable objects", () => {
    const lenient = repo.replace("interval: 5m", "interval: 5 minutes");
    expect(parseManifests(lenient, undefined, { validate: false })[0]?.object.spec).toMatchObject({
      interval: "5 minutes",
    });
    expect(() =>
      parseManifests(repo.replace("interval: 5m", "interval: [5m]"), undefined, { validate: false }),
    ).toThrow("spec.interval: must be a string, got a list");
  });

  it("treats YAML 1.1 booleans like Kubernetes does", () => {
    const err = manifestError(repo.replace("metadata:\n", "metadata:\n  labels:\n    enabled: yes\n"));
    expect(err.message).toContain(
      'metadata.labels[enabled]: must be a string, got boolean true (quote it in YAML: "true")',
    );
  });

  it("asks to quote what YAML 1.1 reads as a timestamp", () => {
    const err = manifestError(repo.replace("interval: 5m", "interval: 2024-01-31"));
    expect(err.message).toContain("spec.interval: must be a string, got a timestamp (quote it in YAML)");
  });

  it("reports a list over its limit once, without its items", () => {
    const list = Array.from({ length: 26 }, (_, i) => `\n  - ${i}`).join("");
    const err = manifestError(`${repo}  exclusionList:${list}\n`);
    expect(err.issues.map((i) => `${i.field}: ${i.message}`)).toEqual([
      "spec.exclusionList: must have at most 25 items, has 26",
    ]);
  });
});
