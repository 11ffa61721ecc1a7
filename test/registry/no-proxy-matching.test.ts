import { describe, expect, it } from "vitest";
import { ProxyConfigError, proxyFor, proxySettings } from "../../src/registry/proxy-env.js";

const via = (target: string, env: NodeJS.ProcessEnv): string | undefined =>
  proxyFor(new URL(target), proxySettings(env))?.href;

describe("proxy selection from the environment", () => {
  it("uses HTTPS_PROXY for https targets, falling back to HTTP_PROXY, and HTTP_PROXY for http", () => {
    const env = { HTTPS_PROXY: "http://secure-proxy:3128", HTTP_PROXY: "http://plain-proxy:8080" };
    expect(via("https://registry.example/v2/", env)).toBe("http://secure-proxy:3128/");
    expect(via("http://registry.example/v2/", env)).toBe("http://plain-proxy:8080/");
    expect(via("https://registry.example/v2/", { HTTP_PROXY: "plain-proxy:8080" })).toBe(
      "http://plain-proxy:8080/",
    );
    expect(via("https://registry.example/v2/", {})).toBeUndefined();
  });

  it("prefers the lower-case variables, as curl and Go do", () => {
    const env = {
      https_proxy: "http://lower:1",
      HTTPS_PROXY: "http://upper:2",
      NO_PROXY: "registry.example",
    };
    expect(via("https://other.example/", env)).toBe("http://lower:1/");
    expect(via("https://registry.example/", { ...env, no_proxy: "" })).toBe("http://lower:1/");
  });

  it("matches NO_PROXY by host and subdomain, leading dot or *. for subdomains only, and port", () => {
    const env = {
      HTTPS_PROXY: "http://p:3128",
      NO_PROXY: "corp.example, .internal,*.svc.local, 10.0.0.5:5000",
    };
    expect(via("https://corp.example/", env)).toBeUndefined();
    expect(via("https://registry.corp.example/", env)).toBeUndefined();
    expect(via("https://notcorp.example/", env)).toBe("http://p:3128/");
    expect(via("https://internal/", env)).toBe("http://p:3128/");
    expect(via("https://a.internal/", env)).toBeUndefined();
    expect(via("https://b.svc.local/", env)).toBeUndefined();
    expect(via("https://10.0.0.5:5000/", env)).toBeUndefined();
    expect(via("https://10.0.0.5/", env)).toBe("http://p:3128/");
    expect(via("https://REGISTRY.Corp.Example./", env)).toBeUndefined();
  });

  it("handles IPv6 entries and NO_PROXY=*", () => {
    expect(via("https://[::1]:5000/", { HTTPS_PROXY: "http://p:1", NO_PROXY: "::1" })).toBeUndefined();
    expect(via("https://[::1]:5000/", { HTTPS_PROXY: "http://p:1", NO_PROXY: "[::1]:5001" })).toBe(
      "http://p:1/",
    );
    expect(via("https://anything/", { HTTPS_PROXY: "http://p:1", NO_PROXY: "*" })).toBeUndefined();
  });

  it("rejects an unusable proxy URL naming the variable only", () => {
    expect(() => proxySettings({ HTTPS_PROXY: "socks5://u:hidden@p:1080" })).toThrow(ProxyConfigError);
    expect(() => proxySettings({ https_proxy: "http://[bad" })).toThrow(
      /https_proxy is not a valid proxy URL/,
    );
    try {
      proxySettings({ HTTP_PROXY: "ftp://u:hidden@p" });
    } catch (err) {
      expect((err as Error).message).not.toContain("hidden");
    }
  });
});
