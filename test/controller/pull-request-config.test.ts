/**
 * Where a pull request goes when the annotation names only the forge: the repository from the Git
 * URL (https, ssh:// and scp-like), the API base URL each forge publishes for that host, and the
 * token from the forge's variable, else the GitRepository's secret. Pure: no server involved.
 */
import { describe, expect, it } from "vitest";
import { forgeTarget } from "../../src/controller/pull-request-config.js";
import { StallError } from "../../src/controller/reconcile-context.js";

describe("forgeTarget", () => {
  it("derives each forge's API URL and the repository from the Git URL", () => {
    const env = { GITHUB_TOKEN: "gh", GITLAB_TOKEN: "gl", GITEA_TOKEN: "gt" };
    expect(
      forgeTarget({ provider: "github" }, "https://github.com/org/app.git", undefined, env, 5_000),
    ).toEqual({
      provider: "github",
      apiUrl: "https://api.github.com",
      repository: "org/app",
      token: "gh",
      timeoutMs: 5_000,
    });
    expect(
      forgeTarget({ provider: "github" }, "git@ghe.example.com:org/app.git", undefined, env, 5_000),
    ).toMatchObject({ apiUrl: "https://ghe.example.com/api/v3", repository: "org/app", token: "gh" });
    expect(
      forgeTarget(
        { provider: "gitlab" },
        "ssh://git@gitlab.example.com/group/sub/app.git",
        undefined,
        env,
        5_000,
      ),
    ).toMatchObject({ apiUrl: "https://gitlab.example.com", repository: "group/sub/app", token: "gl" });
    expect(
      forgeTarget({ provider: "gitea" }, "https://gitea.example.com:3000/org/app", undefined, env, 5_000),
    ).toMatchObject({ apiUrl: "https://gitea.example.com:3000/api/v1", repository: "org/app", token: "gt" });
  });

  it("keeps an apiURL and repository given in the annotation, and falls back to the secret's token", () => {
    expect(
      forgeTarget(
        { provider: "gitea", apiURL: "http://127.0.0.1:8080/api/v1", repository: "o/r" },
        "https://elsewhere.example/x/y.git",
        { username: "bot", password: "from-secret" },
        {},
        1_000,
      ),
    ).toMatchObject({ apiUrl: "http://127.0.0.1:8080/api/v1", repository: "o/r", token: "from-secret" });
  });

  it("stalls, naming the variable, when no token is found", () => {
    const run = () =>
      forgeTarget({ provider: "gitea" }, "https://gitea.example.com/o/r", undefined, {}, 1_000);
    expect(run).toThrow(StallError);
    expect(run).toThrow(/set \$GITEA_TOKEN/);
  });
});
