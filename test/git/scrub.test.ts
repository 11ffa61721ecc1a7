import { describe, expect, it } from "vitest";
import { displayUrl, scrub } from "../../src/git/index.js";

describe("scrubbing credentials from git output", () => {
  it("removes http userinfo, Authorization values and known secrets but keeps ssh user names", () => {
    const text = [
      "fatal: unable to access 'https://bot:hunter22@git.example/repo.git/': 403",
      "> Authorization: Bearer abc.def.ghi",
      "ssh://git@127.0.0.1:2222/repo.git",
      "the token tok-123456 leaked",
    ].join("\n");
    const out = scrub(text, ["tok-123456"]);
    expect(out).not.toContain("hunter22");
    expect(out).not.toContain("abc.def.ghi");
    expect(out).not.toContain("tok-123456");
    expect(out).toContain("https://***@git.example/repo.git/");
    expect(out).toContain("ssh://git@127.0.0.1:2222/repo.git");
  });

  it("prints URLs without password or query", () => {
    expect(displayUrl("https://u:p4ss@host/r.git?token=x")).toBe("https://u@host/r.git");
  });
});
