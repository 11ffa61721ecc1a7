import { describe, expect, it } from "vitest";
import {
  formatNamespacedName,
  ObjectReferenceError,
  objectKey,
  parseNamespacedName,
  parseObjectKey,
} from "../../src/api/object-id.js";

describe("object keys", () => {
  it("round-trips Kind/namespace/name", () => {
    const key = objectKey({ kind: "ImagePolicy", metadata: { name: "vote", namespace: "apps" } });
    expect(key).toBe("ImagePolicy/apps/vote");
    expect(parseObjectKey(key)).toEqual({ kind: "ImagePolicy", namespace: "apps", name: "vote" });
    expect(objectKey({ kind: "ImagePolicy", namespace: "a", name: "b" })).toBe("ImagePolicy/a/b");
  });

  it("uses flux-system for objects without a namespace", () => {
    expect(objectKey({ kind: "GitRepository", metadata: { name: "repo" } })).toBe(
      "GitRepository/flux-system/repo",
    );
  });

  it("rejects keys with unknown kinds or missing parts", () => {
    expect(() => parseObjectKey("Deployment/default/web")).toThrow(ObjectReferenceError);
    expect(() => parseObjectKey("ImagePolicy/vote")).toThrow(/Kind\/namespace\/name/);
  });
});

describe("namespace:name references", () => {
  it("parses the marker form and bare names", () => {
    expect(parseNamespacedName("flux-system:vote")).toEqual({ namespace: "flux-system", name: "vote" });
    expect(parseNamespacedName("vote", "apps")).toEqual({ namespace: "apps", name: "vote" });
    expect(formatNamespacedName({ namespace: "apps", name: "vote" })).toBe("apps:vote");
  });

  it("rejects empty parts and extra colons", () => {
    for (const bad of ["", ":vote", "apps:", "a:b:c"]) {
      expect(() => parseNamespacedName(bad)).toThrow(ObjectReferenceError);
    }
  });
});
