import { describe, expect, it } from "vitest";
import { validateObject } from "../../src/api/index.js";
import type { ImageUpdateAutomation } from "../../src/api/types.js";
import { readPullRequestAnnotation } from "../../src/api/write-back-annotations.js";

function automation(annotations: Record<string, string>): ImageUpdateAutomation {
  return {
    apiVersion: "image.toolkit.fluxcd.io/v1",
    kind: "ImageUpdateAutomation",
    metadata: { name: "app", namespace: "flux-system", annotations },
    spec: {
      interval: "1h",
      sourceRef: { kind: "GitRepository", name: "fleet" },
      git: { commit: { author: { name: "bot", email: "bot@example.invalid" } }, push: { branch: "main" } },
      update: { path: ".", strategy: "Setters" },
    },
  };
}

const problems = (a: Record<string, string>) =>
  validateObject(automation(a)).map((i) => [i.field, i.message]);

// The write-back annotations are checked by `apply`, not first when the automation runs.
describe("write-back annotations at validation", () => {
  it("accepts good values and ignores others' annotations", () => {
    const pr = JSON.stringify({ provider: "gitea", per: "policy", labels: ["deps"] });
    expect(
      problems({ "imagectl.io/pull-request": pr, "imagectl.io/include": "**/Dockerfile,*.env" }),
    ).toEqual([]);
    expect(problems({ "example.com/pull-request": "{" })).toEqual([]);
    expect(readPullRequestAnnotation({ "imagectl.io/pull-request": pr })).toEqual({
      ok: true,
      value: { provider: "gitea", per: "policy", labels: ["deps"] },
    });
  });

  it("names the annotation and the field of a bad pull-request setting", () => {
    const field = "metadata.annotations[imagectl.io/pull-request]";
    expect(problems({ "imagectl.io/pull-request": "{provider: github" })).toEqual([
      [field, "annotation imagectl.io/pull-request: not a JSON object"],
    ]);
    const [[f, m]] = problems({ "imagectl.io/pull-request": JSON.stringify({ provider: "bitbucket" }) }) as [
      [string, string],
    ];
    expect(f).toBe(field);
    expect(m).toMatch(/^annotation imagectl.io\/pull-request: provider: /);
    expect(
      problems({
        "imagectl.io/pull-request": JSON.stringify({ provider: "github", reviewer: ["x"] }),
      })[0]?.[1],
    ).toMatch(
      /^annotation imagectl.io\/pull-request: reviewer: unknown field \(did you mean "reviewers"\?\)/,
    );
    expect(
      problems({
        "imagectl.io/pull-request": JSON.stringify({ provider: "github", apiURL: "ftp://x" }),
      })[0]?.[1],
    ).toBe("annotation imagectl.io/pull-request: apiURL: must be an http(s) URL");
  });

  it("names the annotation and the glob of a bad include", () => {
    expect(problems({ "imagectl.io/include": "apps/*.env\n../outside/*" })).toEqual([
      [
        "metadata.annotations[imagectl.io/include]",
        'annotation imagectl.io/include: glob "../outside/*": must be relative and stay inside the update path',
      ],
    ]);
    expect(problems({ "imagectl.io/include": "{a,b" })[0]?.[1]).toBe(
      "annotation imagectl.io/include: glob \"{a,b\": unclosed '{'",
    );
  });
});
