import { describe, expect, it } from "vitest";
import { redactAddress } from "../../src/api/webhook-address.js";

describe("redactAddress: a Provider address fit to show", () => {
  it.each([
    // tokens in the path (Slack, Discord), the query, the userinfo, the fragment
    ["https://hooks.slack.com/services/T000/B000/XXXX", "https://hooks.slack.com/<redacted>"],
    ["https://discord.com/api/webhooks/1/tok", "https://discord.com/<redacted>"],
    ["https://example.com/?token=abc", "https://example.com/<redacted>"],
    ["http://user:pass@127.0.0.1:8080", "http://127.0.0.1:8080/<redacted>"],
    ["https://example.com/#abc", "https://example.com/<redacted>"],
    // nothing to hide
    ["https://example.com", "https://example.com/"],
    ["http://127.0.0.1:9090/", "http://127.0.0.1:9090/"],
    // not an http(s) URL: nothing is kept
    ["ftp://user:pw@example.com/x", "<redacted>"],
    ["not a url s3cret", "<redacted>"],
  ])("%s → %s", (address, shown) => {
    expect(redactAddress(address)).toBe(shown);
  });
});
