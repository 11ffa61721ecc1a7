/**
 * `bootstrap github`: the repository is looked up and, when missing, created (with an initial
 * commit, so the branch exists to clone) through GitHub's REST API, as `flux bootstrap github` does.
 */
import { type ForgeClientOptions, forgeToken, githubClient } from "./clients.js";
import { ForgeError, forgeFailure, forgeStatus } from "./errors.js";
import type { ForgeRepository, RepositoryRequest } from "./types.js";

export async function ensureGitHubRepository(
  req: RepositoryRequest,
  o: ForgeClientOptions,
): Promise<ForgeRepository> {
  const gh = githubClient(o);
  const token = forgeToken("github", o.env);
  const where = `repository '${req.owner}/${req.repository}'`;
  try {
    const { data } = await gh.rest.repos.get({ owner: req.owner, repo: req.repository });
    return { cloneUrl: data.clone_url, defaultBranch: data.default_branch, created: false };
  } catch (err) {
    if (forgeStatus(err) !== 404) throw forgeFailure(`GitHub: get ${where}`, err, token);
  }
  const body = {
    name: req.repository,
    private: req.visibility !== "public",
    auto_init: true,
    description: req.description,
  };
  try {
    const { data } = req.personal
      ? await gh.rest.repos.createForAuthenticatedUser(body)
      : await gh.rest.repos.createInOrg({ org: req.owner, ...body });
    if (!data.clone_url) throw new ForgeError(`GitHub: created ${where} but the answer has no clone_url`);
    return { cloneUrl: data.clone_url, defaultBranch: data.default_branch, created: true };
  } catch (err) {
    if (err instanceof ForgeError) throw err;
    throw forgeFailure(`GitHub: create ${where}`, err, token);
  }
}
