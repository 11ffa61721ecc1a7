import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listTags, parseImageReference, RegistryError, TokenCache } from "../../src/registry/index.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

let reg: TestRegistry;
const messages: string[] = [];
const base = { dockerConfigDir: false as const, retry: { retries: 0 }, insecure: true };

beforeAll(async () => {
  reg = await startRegistry({
    mode: "token",
    token: { identityTokens: { "idtok-for-testuser": "testuser" } },
  });
  await reg.pushTags("tok/app", ["v1", "v2", "v3"]);
});

afterAll(async () => {
  await reg?.stop();
});

describe("bearer-token auth against the suite's own token issuer", () => {
  it("gets an anonymous pull token for the challenge's scope", async () => {
    const res = await listTags(parseImageReference(`${reg.host}/tok/app`), {
      ...base,
      tokenCache: new TokenCache(),
    });
    expect(res.tags.sort()).toEqual(["v1", "v2", "v3"]);
    const rec = reg.tokenServer!.records.at(-1)!;
    expect(rec).toMatchObject({ grant: "anonymous", scopes: ["repository:tok/app:pull"], status: 200 });
  });

  it("uses Basic credentials at the realm and caches the token per registry+scope until it expires", async () => {
    const cache = new TokenCache();
    const creds = { username: reg.username, password: reg.password };
    const before = reg.tokenServer!.records.length;
    const first = await listTags(parseImageReference(`${reg.host}/tok/app`), {
      ...base,
      credentials: creds,
      tokenCache: cache,
    });
    const second = await listTags(parseImageReference(`${reg.host}/tok/app`), {
      ...base,
      credentials: creds,
      tokenCache: cache,
    });
    expect(first.tags).toHaveLength(3);
    expect(second.tags).toHaveLength(3);
    const issued = reg.tokenServer!.records.slice(before);
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ grant: "basic", user: reg.username, status: 200 });
    // Second scan: token from the cache, sent straight away (no 401 round trip).
    expect(second.requests).toBe(2);
  });

  it("does not reuse a cached token for other credentials", async () => {
    const cache = new TokenCache();
    await listTags(parseImageReference(`${reg.host}/tok/app`), {
      ...base,
      credentials: { username: reg.username, password: reg.password },
      tokenCache: cache,
    });
    const err = await listTags(parseImageReference(`${reg.host}/tok/app`), {
      ...base,
      credentials: { username: reg.username, password: "wrong-password-1234" },
      tokenCache: cache,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).kind).toBe("auth");
    expect((err as Error).message).toContain("rejected the configured credentials");
    messages.push((err as Error).message, String((err as Error).stack));
  });

  it("exchanges an identity token with the OAuth2 refresh_token grant", async () => {
    const res = await listTags(parseImageReference(`${reg.host}/tok/app`), {
      ...base,
      credentials: { identityToken: "idtok-for-testuser" },
      tokenCache: new TokenCache(),
    });
    expect(res.tags).toHaveLength(3);
    expect(reg.tokenServer!.records.at(-1)).toMatchObject({
      method: "POST",
      grant: "refresh_token",
      user: "testuser",
    });
    const err = await listTags(parseImageReference(`${reg.host}/tok/app`), {
      ...base,
      credentials: { identityToken: "idtok-unknown-5678" },
      tokenCache: new TokenCache(),
    }).catch((e: unknown) => e);
    expect((err as RegistryError).kind).toBe("auth");
    messages.push((err as Error).message, String((err as Error).stack));
  });

  it("sends a registry token as is", async () => {
    const err = await listTags(parseImageReference(`${reg.host}/tok/app`), {
      ...base,
      credentials: { registryToken: "not-a-jwt-9999" },
    }).catch((e: unknown) => e);
    expect((err as RegistryError).kind).toBe("auth");
    messages.push((err as Error).message, String((err as Error).stack));
  });

  it("never puts passwords or tokens into error messages", () => {
    expect(messages.length).toBeGreaterThanOrEqual(6);
    for (const m of messages) {
      for (const s of ["wrong-password-1234", "idtok-unknown-5678", "not-a-jwt-9999", reg.password]) {
        expect(m).not.toContain(s);
      }
    }
  });
});
