import { describe, expect, it } from "vitest";
import { ForgeError, forgeFailure } from "../../src/git/forge/errors.js";
import { forgeError } from "../../src/git/forge/pull-requests.js";

// One formatter for every failed forge call (bootstrap and pull requests).
describe("forge failures", () => {
  it("keeps the status and the forge's first line, and drops the token", () => {
    const err = Object.assign(new Error("Bad credentials for ghp_secret123\nrequest: GET /user"), {
      status: 401,
    });
    const f = forgeFailure("GitHub: get repository 'a/b'", err, "ghp_secret123");
    expect(f).toBeInstanceOf(ForgeError);
    expect(f.status).toBe(401);
    expect(f.message).toBe("GitHub: get repository 'a/b' failed (HTTP 401): Bad credentials for ***");
  });

  it("says 'timed out' for an aborted call and clips a long cause", () => {
    const timeout = Object.assign(new Error("The operation was aborted due to timeout"), {
      name: "TimeoutError",
    });
    expect(forgeError("gitea", "opening a pull request", timeout).message).toBe(
      "gitea: opening a pull request failed: timed out",
    );
    const long = forgeFailure("GitLab: get group 'x'", new Error("y".repeat(500)));
    expect(long.message).toBe(`GitLab: get group 'x' failed: ${"y".repeat(200)}`);
  });

  it("does not repeat a bare HTTP status as the cause", () => {
    const err = Object.assign(new Error("HTTP 422"), { status: 422 });
    expect(forgeError("gitea", "listing labels", err, "tok").message).toBe(
      "gitea: listing labels failed (HTTP 422)",
    );
  });

  it("reads the status Gitbeaker puts under cause.response", () => {
    const err = Object.assign(new Error("Not Found"), { cause: { response: { status: 404 } } });
    expect(forgeFailure("GitLab: get project 'g/p'", err).status).toBe(404);
  });
});
