import { describe, expect, it } from "vitest";
import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter } from "../../src/registry/backoff.js";
import { nextLink } from "../../src/registry/link-header.js";
import { parseWwwAuthenticate, pickChallenge } from "../../src/registry/www-authenticate.js";

describe("WWW-Authenticate parsing", () => {
  it("reads distribution's Bearer challenge with a comma inside the quoted scope", () => {
    const [c] = parseWwwAuthenticate(
      'Bearer realm="http://127.0.0.1:5510/token",service="test-registry",scope="repository:tok/app:pull,push"',
    );
    expect(c).toEqual({
      scheme: "bearer",
      params: {
        realm: "http://127.0.0.1:5510/token",
        service: "test-registry",
        scope: "repository:tok/app:pull,push",
      },
    });
  });

  it("splits several challenges and prefers Bearer", () => {
    const all = parseWwwAuthenticate('Basic realm="r", Bearer realm="https://auth/token",service=svc');
    expect(all.map((c) => c.scheme)).toEqual(["basic", "bearer"]);
    expect(pickChallenge(all)?.params).toEqual({ realm: "https://auth/token", service: "svc" });
    expect(pickChallenge(parseWwwAuthenticate('Basic realm="test-realm"'))?.scheme).toBe("basic");
    expect(pickChallenge(parseWwwAuthenticate("Negotiate"))).toBeUndefined();
  });
});

describe("Link header", () => {
  it("returns the rel=next target, relative or absolute", () => {
    expect(nextLink('</v2/a/tags/list?last=b&n=2>; rel="next"')).toBe("/v2/a/tags/list?last=b&n=2");
    expect(nextLink("<https://x/v2/a/tags/list?n=1>; rel=next")).toBe("https://x/v2/a/tags/list?n=1");
    expect(nextLink('<https://x/prev>; rel="prev", <https://x/next>; rel="next"')).toBe("https://x/next");
    expect(nextLink('<https://x/prev>; rel="prev"')).toBeUndefined();
    expect(nextLink(undefined)).toBeUndefined();
  });
});

describe("Retry-After and backoff", () => {
  it("reads seconds and HTTP dates, capped", () => {
    expect(parseRetryAfter("3", 60_000)).toBe(3000);
    expect(parseRetryAfter("3600", 60_000)).toBe(60_000);
    const now = Date.parse("2024-01-01T00:00:00Z");
    expect(parseRetryAfter("Mon, 01 Jan 2024 00:00:10 GMT", 60_000, now)).toBe(10_000);
    expect(parseRetryAfter("Sun, 31 Dec 2023 00:00:10 GMT", 60_000, now)).toBe(0);
    expect(parseRetryAfter("soon", 60_000)).toBeUndefined();
  });

  it("doubles per attempt within [d/2, d] and stops at the maximum", () => {
    const p = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(0, p, () => 0)).toBe(50);
    expect(backoffDelay(0, p, () => 1)).toBe(100);
    expect(backoffDelay(2, p, () => 1)).toBe(400);
    expect(backoffDelay(10, p, () => 1)).toBe(1000);
  });
});
