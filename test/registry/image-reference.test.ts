import { describe, expect, it } from "vitest";
import { InvalidImageReferenceError, parseImageReference } from "../../src/registry/index.js";

describe("parseImageReference", () => {
  it("canonicalises Docker Hub short names like go-containerregistry", () => {
    const ref = parseImageReference("alpine");
    expect(ref).toMatchObject({
      registry: "index.docker.io",
      apiHost: "registry-1.docker.io",
      repository: "library/alpine",
      canonicalName: "index.docker.io/library/alpine",
      scheme: "https",
    });
    expect(parseImageReference("fluxcd/flux").canonicalName).toBe("index.docker.io/fluxcd/flux");
    expect(parseImageReference("docker.io/nginx").canonicalName).toBe("index.docker.io/library/nginx");
  });

  it("keeps other registries and ports", () => {
    expect(parseImageReference("ghcr.io/org/app")).toMatchObject({
      registry: "ghcr.io",
      apiHost: "ghcr.io",
      repository: "org/app",
      scheme: "https",
    });
    expect(parseImageReference("registry.example.com:5000/a/b/c").canonicalName).toBe(
      "registry.example.com:5000/a/b/c",
    );
  });

  it("uses plain HTTP for loopback hosts only, unless insecure", () => {
    expect(parseImageReference("localhost:5000/app").scheme).toBe("http");
    expect(parseImageReference("127.0.0.1:5000/app").scheme).toBe("http");
    expect(parseImageReference("127.3.4.5/app").scheme).toBe("http");
    expect(parseImageReference("[::1]:5000/app").scheme).toBe("http");
    expect(parseImageReference("10.0.0.1:5000/app").scheme).toBe("https");
    expect(parseImageReference("10.0.0.1:5000/app", { insecure: true }).scheme).toBe("http");
  });

  it.each([
    ["https://ghcr.io/org/app", "should not include URL scheme; remove 'https://'"],
    ["ghcr.io/org/app:v1.0", "should not include a tag; remove ':v1.0'"],
    ["alpine:3.19", "should not include a tag; remove ':3.19'"],
    ["localhost:5000/app:latest", "should not include a tag; remove ':latest'"],
    ["ghcr.io/org/app@sha256:abc", "should not include a digest"],
    ["ghcr.io/Org/App", "must be lowercase"],
    ["", "must not be empty"],
  ])("rejects %j", (image, message) => {
    let caught: unknown;
    try {
      parseImageReference(image);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidImageReferenceError);
    expect((caught as InvalidImageReferenceError).kind).toBe("invalid-reference");
    expect((caught as Error).message).toContain(message);
  });
});
