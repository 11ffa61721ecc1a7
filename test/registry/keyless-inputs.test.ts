// The keyless policy's trusted root from a secret (src/controller/keyless-inputs.ts), against a
// real SQLite store: the same secret content gives back the same parsed root, so the Verifier
// keyless.ts keeps per root is reused across reconciles; changed content is parsed anew, and a
// root that does not parse is refused every time, naming the secret.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImagePolicy } from "../../src/api/types.js";
import { keylessPolicyFor } from "../../src/controller/keyless-inputs.js";
import { openStore, type Store } from "../../src/store/index.js";
import { type PrivateSigstore, privateSigstore } from "../support/private-sigstore.js";

const NS = "flux-system";
const keyless = {
  identity: "ci@example.com",
  issuer: "https://issuer.example",
  trustedRootSecretRef: "root",
};
const policy = {
  apiVersion: "image.toolkit.fluxcd.io/v1",
  kind: "ImagePolicy",
  metadata: { name: "app", namespace: NS },
  spec: { imageRepositoryRef: { name: "app" }, policy: { semver: { range: ">=0.0.0" } } },
} as ImagePolicy;

let dir: string;
let store: Store;
let first: PrivateSigstore;
let second: PrivateSigstore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "imagectl-keyless-inputs-"));
  store = await openStore({ home: dir });
  first = privateSigstore();
  second = privateSigstore();
});
afterAll(async () => {
  first?.close();
  second?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const putRoot = (text: string) =>
  store.putSecret(NS, "root", { type: "Opaque", data: { "trusted_root.json": text } });

describe("keylessPolicyFor's trusted root from a secret", () => {
  it("reuses the parsed root while the secret is unchanged, and parses a changed one", async () => {
    await putRoot(first.trustedRoot());
    const a = await keylessPolicyFor({ store }, policy, keyless);
    const b = await keylessPolicyFor({ store }, policy, keyless);
    expect(b.root).toBe(a.root);
    expect(a.root.source).toBe("secret 'flux-system/root' key trusted_root.json");

    await putRoot(second.trustedRoot());
    const c = await keylessPolicyFor({ store }, policy, keyless);
    expect(c.root).not.toBe(a.root);
    expect(c.root.fingerprint).not.toBe(a.root.fingerprint);
  });

  it("refuses a root that does not parse on every reconcile, naming the secret", async () => {
    await putRoot("{}");
    for (let i = 0; i < 2; i++)
      await expect(keylessPolicyFor({ store }, policy, keyless)).rejects.toThrow(
        "secret 'flux-system/root' key trusted_root.json: trusted root",
      );
  });
});
