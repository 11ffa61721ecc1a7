/**
 * Builders of valid objects of each kind for the validation tests, and `issueAt`: the single
 * issue for a field, asserting the object is named in it.
 */
import { expect } from "vitest";
import { validateObject } from "../../src/api/validate.js";

export type Json = Record<string, unknown>;

export const repository = (spec: Json = {}, metadata: Json = {}): Json => ({
  apiVersion: "image.toolkit.fluxcd.io/v1",
  kind: "ImageRepository",
  metadata: { name: "vote", namespace: "flux-system", ...metadata },
  spec: { image: "ghcr.io/org/vote", interval: "5m", ...spec },
});
export const policy = (spec: Json = {}): Json => ({
  apiVersion: "image.toolkit.fluxcd.io/v1",
  kind: "ImagePolicy",
  metadata: { name: "vote", namespace: "flux-system" },
  spec: { imageRepositoryRef: { name: "vote" }, policy: { semver: { range: "1.x" } }, ...spec },
});
export const automation = (spec: Json = {}, git: Json = {}): Json => ({
  apiVersion: "image.toolkit.fluxcd.io/v1",
  kind: "ImageUpdateAutomation",
  metadata: { name: "auto", namespace: "flux-system" },
  spec: {
    interval: "30m",
    sourceRef: { kind: "GitRepository", name: "flux-system" },
    git: { commit: { author: { email: "bot@example.com", name: "bot" } }, ...git },
    ...spec,
  },
});
export const gitRepository = (spec: Json = {}): Json => ({
  apiVersion: "source.toolkit.fluxcd.io/v1",
  kind: "GitRepository",
  metadata: { name: "flux-system", namespace: "flux-system" },
  spec: { url: "https://example.com/org/repo.git", interval: "1m", ref: { branch: "main" }, ...spec },
});

/** The single issue for `field`, asserting the object is named. */
export function issueAt(obj: Json, field: string) {
  const issues = validateObject(obj);
  const found = issues.filter((i) => i.field === field);
  expect(found, `issues: ${JSON.stringify(issues)}`).toHaveLength(1);
  const issue = found[0]!;
  const meta = obj.metadata as { name?: string };
  expect(issue.object).toBe(`${obj.kind}/flux-system/${meta.name ?? "<no name>"}`);
  return issue;
}
