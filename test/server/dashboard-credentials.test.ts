import { describe, expect, it } from "vitest";
import { credentialsProblem } from "../../src/server/dashboard-auth.js";

describe("the dashboard's credentials secret, as serve checks it at start-up", () => {
  it("accepts a token, or a username with a password", () => {
    expect(credentialsProblem({ token: "t0ken-value" })).toBeUndefined();
    expect(credentialsProblem({ username: "admin", password: "pa55-value" })).toBeUndefined();
  });

  it("names what is missing, never a value", () => {
    expect(credentialsProblem(undefined)).toBe(
      "secret not found (create it with `imagectl create secret generic`)",
    );
    const half = credentialsProblem({ username: "admin-name-value", token: "" });
    expect(half).toBe("the secret needs a 'token' key, or 'username' and 'password' keys");
    expect(half).not.toContain("admin-name-value");
  });
});
